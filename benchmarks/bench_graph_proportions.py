"""Epistemic uncertainty over body proportions: ensembles of graph networks (issue 27).

    nice python benchmarks/bench_graph_proportions.py [--members 3] [--quick]
        [--prior-scales 0,0.01,0.1,1]

Each member is the graph network of learned_components.graph (inverse
dynamics over the kinematic tree), trained on planar chains of 2-4 segments
whose masses, lengths, centres of mass and inertias lie within +-15 % of a
reference rod (the family), from its own seed (initial weights and data
draws). The epistemic spread is the standard deviation of the members'
torques (Lakshminarayanan et al. 2017), as RMS over samples and joints, on
chains inside the family and on chains whose proportions lie 30 % outside it
(factors 0.85 x 0.7 or 1.15 x 1.3), and its ratio; beside it the ensemble
mean's absolute and relative RMS error against Newton-Euler (tree_data.rnea)
and the calibration spread / error: a calibrated ensemble's spread grows as
its error does.

Each prior scale beta > 0 trains a randomized-prior ensemble (Osband et al.
2018, learned_components.graph_prior): member k is its trainable network plus
beta times a fixed random graph network of its own seed (beta in units of the
training torques' RMS); 0 is the plain deep ensemble. The rule that picks
beta, stated before any run: the scale (0 included) whose spread / error on a
third set, held-out chains inside the family (not the one reported as
"inside"), is closest to 1 on a log scale. The outside chains play no part in
that choice.

``--bootstrap`` adds a bagged ensemble (Breiman 1996): member k is a plain
graph network trained on its own training chains resampled with replacement
(seed 9000 + k), so each sees a different subset of the family's proportions.

Torch runs on one thread. Machines here are shared: compare within one run.
"""
import argparse
import time

import numpy as np


def ensemble_figures(nets, batches, predict):
    """(spread, abs error, relative error, RMS torque) of the members over ``batches``."""
    from learned_components.graph import relative_rms
    preds = [np.stack([predict(n, b) for n in nets]) for b in batches]
    spread = np.sqrt(np.mean(np.concatenate([p.std(0).ravel() ** 2 for p in preds])))
    mean = np.concatenate([p.mean(0).ravel() for p in preds])
    truth = np.concatenate([b.tau.ravel() for b in batches])
    return (float(spread), float(np.sqrt(np.mean((mean - truth) ** 2))),
            relative_rms(mean, truth), float(np.sqrt(np.mean(truth ** 2))))


def resampled(batch, seed):
    """The chains of ``batch`` drawn with replacement (a bootstrap sample)."""
    from dataclasses import replace
    idx = np.random.default_rng(seed).integers(0, len(batch), len(batch))
    return replace(batch, **{k: getattr(batch, k)[idx] for k in
                             ("mass_kg", "inertia_kg_m2", "joint_m", "com_m", "offset_rad",
                              "q", "qd", "qdd", "tau")})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--beyond", type=float, default=0.3)
    parser.add_argument("--prior-scales", default="0,0.01,0.1,1",
                        help="comma-separated beta; 0 = the plain deep ensemble")
    parser.add_argument("--bootstrap", action="store_true",
                        help="also a bagged ensemble (each member on resampled chains)")
    args = parser.parse_args()
    import torch
    torch.set_num_threads(1)
    from learned_components.graph_training import (
        GraphTask,
        graph_predict,
        train_graph,
        training_chains,
    )
    from learned_components.tree_data import chain_batch
    task = dict(samples=300, epochs=150, lbfgs_steps=5, forward_steps=0) if args.quick \
        else dict(samples=1000, epochs=400, lbfgs_steps=25, forward_steps=0)
    scales = [float(b) for b in args.prior_scales.split(",")]
    outside = f"{100 * args.beyond:.0f} % outside"
    sets = {"held out, inside (picks beta)": [chain_batch(n, 1000, "train", 700 + n)
                                              for n in (2, 3, 4)],
            "inside the family": [chain_batch(n, 1000, "train", 500 + n) for n in (2, 3, 4)],
            outside: [chain_batch(n, 1000, "outside", 600 + n, beyond=args.beyond)
                      for n in (2, 3, 4)]}
    predict = lambda net, b: graph_predict(net, b, "inverse_dynamics")  # noqa: E731
    label = lambda beta: beta if isinstance(beta, str) else f"{beta:g}"  # noqa: E731
    figures = {}
    for beta in scales:
        nets, started = [], time.perf_counter()
        for k in range(args.members):
            nets.append(train_graph(GraphTask(seed=k, prior_scale=beta, **task))[0])
        figures[beta] = {name: ensemble_figures(nets, b, predict) for name, b in sets.items()}
        print(f"beta {beta:g}: {args.members} members in {time.perf_counter() - started:.0f} s",
              flush=True)
    if args.bootstrap:
        nets, started = [], time.perf_counter()
        for k in range(args.members):
            member = GraphTask(seed=k, **task)
            chains = [resampled(b, 9000 + 10 * k + i)
                      for i, b in enumerate(training_chains(member))]
            nets.append(train_graph(member, chains)[0])
        figures["bootstrap"] = {name: ensemble_figures(nets, b, predict)
                                for name, b in sets.items()}
        print(f"bootstrap: {args.members} members in {time.perf_counter() - started:.0f} s",
              flush=True)
    print(f"\n## Graph-network ensembles ({args.members} members) over body proportions\n")
    print("| beta | chains | epistemic std, N m | mean error RMS, N m | relative error "
          "| spread / error | RMS torque, N m |")
    print("|---|---|---|---|---|---|---|")
    for beta, rows in figures.items():
        for name, (s, e, r, t) in rows.items():
            print(f"| {label(beta)} | {name} | {s:.4g} | {e:.4g} | {r:.3g} | {s / e:.3g} | "
                  f"{t:.4g} |")
    calibration = {beta: rows["held out, inside (picks beta)"] for beta, rows in figures.items()}
    chosen = min(scales, key=lambda b: abs(np.log(calibration[b][0] / calibration[b][1])))
    print("\n| beta | spread outside / inside | (relative to the RMS torque) | error outside / "
          "inside | spread / error inside | spread / error outside | in-family error / "
          "plain ensemble's |")
    print("|---|---|---|---|---|---|---|")
    plain = figures[scales[0]]["inside the family"][1]
    for beta, rows in figures.items():
        (s_in, e_in, _, t_in), (s_out, e_out, _, t_out) = rows["inside the family"], rows[outside]
        print(f"| {label(beta)}{' (picked)' if beta == chosen else ''} | {s_out / s_in:.2f} | "
              f"{(s_out / t_out) / (s_in / t_in):.2f} | {e_out / e_in:.2f} | {s_in / e_in:.2f} | "
              f"{s_out / e_out:.2f} | {e_in / plain:.3g} |")
    (s_in, e_in, _, _), (s_out, e_out, _, _) = (figures[chosen]["inside the family"],
                                                figures[chosen][outside])
    print(f"\npicked beta = {chosen:g} (spread / error on the held-out in-family chains "
          f"closest to 1: {calibration[chosen][0] / calibration[chosen][1]:.2f}); epistemic "
          f"spread outside / inside = {s_out / s_in:.2f}; the mean's RMS error outside / "
          f"inside = {e_out / e_in:.2f}; calibration outside / inside = "
          f"{(s_out / e_out) / (s_in / e_in):.2f}")


if __name__ == "__main__":
    main()
