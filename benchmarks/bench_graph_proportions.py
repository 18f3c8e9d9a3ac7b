"""Epistemic uncertainty over body proportions: an ensemble of graph networks (issue 27).

    nice python benchmarks/bench_graph_proportions.py [--members 3] [--quick]

Each member is the graph network of learned_components.graph (inverse
dynamics over the kinematic tree), trained on planar chains of 2-4 segments
whose masses, lengths, centres of mass and inertias lie within +-15 % of a
reference rod (the family), from its own seed (initial weights and data
draws). The epistemic spread is the standard deviation of the members'
torques (Lakshminarayanan et al. 2017), as RMS over samples and joints, on
chains inside the family and on chains whose proportions lie 30 % outside it
(factors 0.85 x 0.7 or 1.15 x 1.3), and its ratio; beside it the ensemble
mean's relative RMS error against Newton-Euler (tree_data.rnea) and its
absolute RMS error: a calibrated ensemble's spread grows as its error does.

Torch runs on one thread. Machines here are shared: compare within one run.
"""
import argparse

import numpy as np


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--beyond", type=float, default=0.3)
    args = parser.parse_args()
    from learned_components.graph import relative_rms
    from learned_components.graph_training import GraphTask, graph_predict, train_graph
    from learned_components.tree_data import chain_batch
    task = dict(samples=300, epochs=150, lbfgs_steps=5, forward_steps=0) if args.quick \
        else dict(samples=1000, epochs=400, lbfgs_steps=25, forward_steps=0)
    nets = []
    for k in range(args.members):
        net, seconds = train_graph(GraphTask(seed=k, **task))
        nets.append(net)
        print(f"member {k + 1}: {seconds:.0f} s", flush=True)
    sets = {"inside the family": [chain_batch(n, 1000, "train", 500 + n) for n in (2, 3, 4)],
            f"{100 * args.beyond:.0f} % outside": [chain_batch(n, 1000, "outside", 600 + n,
                                                               beyond=args.beyond)
                                                   for n in (2, 3, 4)]}
    print(f"\n## Graph-network ensemble ({args.members} members) over body proportions\n")
    print("| chains | epistemic std, N m | mean error, relative RMS | mean error RMS, N m "
          "| RMS torque, N m |")
    print("|---|---|---|---|---|")
    spread, error, scale = {}, {}, {}
    for name, batches in sets.items():
        preds = [np.stack([graph_predict(n, b, "inverse_dynamics") for n in nets])
                 for b in batches]
        std = np.sqrt(np.mean(np.concatenate([p.std(0).ravel() ** 2 for p in preds])))
        mean = np.concatenate([p.mean(0).ravel() for p in preds])
        truth = np.concatenate([b.tau.ravel() for b in batches])
        spread[name], scale[name] = std, np.sqrt(np.mean(truth ** 2))
        error[name] = np.sqrt(np.mean((mean - truth) ** 2))
        print(f"| {name} | {std:.4g} | {relative_rms(mean, truth):.3g} | {error[name]:.4g} | "
              f"{scale[name]:.4g} |")
    (inside, outside), (e_in, e_out) = spread.values(), error.values()
    s_in, s_out = scale.values()
    print(f"\nepistemic spread outside / inside = {outside / inside:.2f} (relative to the RMS "
          f"torque: {(outside / s_out) / (inside / s_in):.2f}); the mean's RMS error outside / "
          f"inside = {e_out / e_in:.2f}")


if __name__ == "__main__":
    main()
