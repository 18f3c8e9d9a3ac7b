"""Last-layer Laplace against the ensemble and the actual error: GRU and graph surrogates.

    nice python benchmarks/bench_recurrent_uncertainty.py [--graph-members 3] [--solves]

GRU (no training): the shipped ``emg_activation_gru`` and its read-out's
posterior (``learned_components.structured_laplace``, as ``[training]
laplace = true`` writes it: 16 hidden units and a bias, noise from the
residuals, prior precision by the evidence) on its training sequences (the
train file's: 24 fast-burst sequences of 3 s, seed 0); beside it, the
three members of the shipped ``emg_activation_gru_ensemble`` (member 1 is
the same network). Per set: the network's RMS error against the true
activation, the RMS Laplace standard deviation and the RMS of the members'
standard deviation (activation units, 0 to 1). Sets: new draws of the
training family (fast bursts, seed 10), slow patterns (1 Hz-smoothed
levels, another family), the 1200-step gait sequence, and fast bursts with
excitations up to 1.5 (above the training range [0, 1]).

Graph (``--graph-members N``, trains N - 1 networks, a few minutes each):
the shipped ``double_pendulum_graph`` (forward dynamics, seed 0) and N - 1
more from its train file with seeds 1, 2, ... (cached in
results/bench_recurrent_uncertainty/); its torque read-out's posterior on
its training chains. Per evaluation set (graph_training.evaluation_sets):
relative RMS torque error (inverse dynamics), the RMS Laplace standard
deviation and the members' standard deviation, both relative to the RMS
torque.

``--solves``: ``problems/arm_reach_muscles_gru.toml`` solved with the GRU,
then once per posterior draw (5, as ``laplace = true`` writes them, warm
started from it), beside the docs' ensemble figures (objective std 28 %,
elbow up to 2.05 deg): the Laplace spread propagated to the movement.

Torch on one thread. Machines here are shared: times are not the point.
"""
import argparse
import json
import tempfile
import tomllib
from pathlib import Path

import numpy as np

from learned_components._torch import require_torch
from learned_components.checkpoint import load_checkpoint, save_checkpoint
from learned_components.export import write_surrogate
from learned_components.graph_training import evaluation_sets, train_graph
from learned_components.recurrent import gait_sequence, predict, step_function
from learned_components.sequence import activation_response, emg_data, excitation_patterns
from learned_components.spec import spec_from_dict
from learned_components.structured_laplace import (
    SAMPLES,
    graph_design,
    graph_posterior,
    recurrent_posterior,
    recurrent_std,
    with_readout,
)
from learned_components.train_structured import graph_task, training_data

torch = require_torch()
ROOT = Path(__file__).resolve().parent.parent
SURROGATES = ROOT / "problems" / "surrogates"


def rms(a) -> float:
    return float(np.sqrt(np.mean(np.square(a))))


def gru_sets() -> dict:
    fast = emg_data("fast", 8, 3.0, 100.0, 0.02, 10)
    slow = emg_data("slow", 8, 3.0, 100.0, 0.02, 10)
    envelope, activation = gait_sequence(rate_hz=100.0, noise=0.02, seed=20)
    strong = 1.5 * excitation_patterns("fast", 8, 300, 100.0, 11)
    noise = 0.02 * np.random.default_rng(18).standard_normal(strong.shape)
    return {"fast bursts (training family)": (fast.envelopes, fast.activations),
            "slow patterns (another family)": (slow.envelopes, slow.activations),
            "gait sequence, 1200 steps": (envelope[None], activation[None]),
            "excitation up to 1.5 (outside)": (np.clip(strong + noise, 0, None),
                                               activation_response(strong, 100.0))}


def gru_comparison():
    net = load_checkpoint(SURROGATES / "emg_activation_gru.pt").networks[0]
    spec = spec_from_dict(tomllib.loads((SURROGATES / "emg_activation_gru.train.toml")
                                        .read_text()),
                          SURROGATES / "emg_activation_gru.train.toml")
    posterior = recurrent_posterior(net, *training_data(spec))
    members = [load_checkpoint(SURROGATES / f"emg_activation_gru_ensemble_member{k}.pt")
               .networks[0] for k in (1, 2, 3)]
    print(f"GRU read-out posterior: {len(posterior.weights)} weights, residual noise "
          f"{float(net.output_std) * np.sqrt(posterior.noise_variance):.4f}, prior precision "
          f"{posterior.prior_precision:.3g} (evidence)")
    print(f"{'set':<34} {'error':>8} {'Laplace':>8} {'members':>8} {'mean err':>8}  "
          "(RMS, activation units)")
    for name, (x, truth) in gru_sets().items():
        y = predict(net, x)
        each = np.stack([predict(m, x) for m in members])
        print(f"{name:<34} {rms(y - truth):8.4f} {rms(recurrent_std(net, posterior, x)):8.4f} "
              f"{rms(each.std(axis=0)):8.4f} {rms(each.mean(axis=0) - truth):8.4f}")
    return net, posterior


def graph_members(count: int):
    """The shipped graph network and ``count - 1`` more (seeds 1, ...), cached."""
    path = SURROGATES / "double_pendulum_graph.train.toml"
    spec = spec_from_dict(tomllib.loads(path.read_text()), path)
    nets = [load_checkpoint(SURROGATES / "double_pendulum_graph.pt").networks[0]]
    cache = ROOT / "results" / "bench_recurrent_uncertainty"
    for seed in range(1, count):
        file = cache / f"double_pendulum_graph_seed{seed}.pt"
        if not file.exists():
            spec.seed = seed
            print(f"training graph member seed {seed} ...", flush=True)
            net, seconds = train_graph(graph_task(spec))
            save_checkpoint(file, [net], {"component": "tree_dynamics", "seed": seed,
                                          "time_s": seconds})
        nets.append(load_checkpoint(file).networks[0])
    spec.seed = 0
    return nets, training_data(spec)


def graph_comparison(count: int):
    nets, chains = graph_members(count)
    posterior = graph_posterior(nets[0], chains)
    print(f"\ngraph torque read-out posterior: {len(posterior.weights)} weights, residual "
          f"noise {np.sqrt(posterior.noise_variance):.4f} N m, prior precision "
          f"{posterior.prior_precision:.3g}; {len(nets)} members")
    print(f"{'set':<34} {'error':>8} {'Laplace':>8} {'members':>8}  "
          "(RMS relative to the RMS torque)")
    for name, batches in evaluation_sets(500).items():
        errors, stds, spreads, taus = [], [], [], []
        for b in batches:
            design, tau = graph_design(nets[0], [b])
            each = np.stack([graph_design(n, [b])[0] @ n.weights_["readout"].detach().numpy()
                             .ravel() for n in nets])
            errors.append(each[0] - tau)
            stds.append(np.sqrt(posterior.variance(design)))
            spreads.append(each.std(axis=0))
            taus.append(tau)
        scale = rms(np.concatenate(taus))
        print(f"{name:<34} {rms(np.concatenate(errors)) / scale:8.2e} "
              f"{rms(np.concatenate(stds)) / scale:8.2e} "
              f"{rms(np.concatenate(spreads)) / scale:8.2e}")


def propagated(net, posterior):
    """Per-draw solves of the GRU reach (draws written as ``laplace = true`` does)."""
    from ocp.analysis.members import solve_per_member, spread
    from ocp.io.problem_file import load_problem
    from ocp.solve import solve
    problem_path = ROOT / "problems" / "arm_reach_muscles_gru.toml"
    meta = json.loads((SURROGATES / "emg_activation_gru.json").read_text())
    weights = net.weights()
    with tempfile.TemporaryDirectory() as folder:
        files = []
        for k, w in enumerate(posterior.draws(SAMPLES, 0), 1):
            path = Path(folder) / f"gru_laplace_member{k}"
            files.append(write_surrogate(step_function(with_readout(weights, w), "gru_step"),
                                         {**meta, "laplace_sample": k}, path)[0])
        nominal = solve(load_problem(problem_path), verbose=False)
        print(f"\nGRU reach: objective {nominal.objective:.8g} ({nominal.status})")
        solutions = solve_per_member(problem_path, files, key="model.activation_dynamics",
                                     warm_start=nominal)
    done = [s for s in solutions if s.success]
    print(f"{len(done)} of {len(solutions)} draws converged; objectives "
          + ", ".join(f"{s.objective:.6g}" for s in solutions))
    if len(done) >= 2:
        out = spread(done)
        o = out["objective"]
        print(f"  objective std {o['std']:.3g} ({100 * o['std'] / abs(o['mean']):.3g} %)")
        for name, entry in out["states"].items():
            if "max_std_deg" in entry:
                print(f"  {name:<10} std over time: max {entry['max_std_deg']:.3g} deg, "
                      f"RMS {entry['rms_std_deg']:.3g} deg")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graph-members", type=int, default=3,
                        help="graph networks beside the shipped one - 1 (0: no graph part)")
    parser.add_argument("--solves", action="store_true",
                        help="per-draw solves of the GRU reach (minutes)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    net, posterior = gru_comparison()
    if args.graph_members:
        graph_comparison(args.graph_members)
    if args.solves:
        propagated(net, posterior)


if __name__ == "__main__":
    main()
