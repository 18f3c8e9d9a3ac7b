"""RNN, GRU and LSTM on a long-memory task: a fatiguing muscle's activation (issue 27).

    nice python benchmarks/bench_memory.py [--epochs 300] [--figures DIR] [--init chrono]

The task (``learned_components.sequence.fatigue_data``): EMG envelope ->
activation a (De Groote et al. 2016) times (1 - F), F a fatigue state that
accumulates work over 8 s and recovers over 60 s; 20 s sequences at 20 Hz
(400 steps) for training, 40 s (800 steps) for the test. Each network has 16
hidden units and the same full-batch Adam schedule; GRU and LSTM gates start
with the chrono initialisation (``--init default`` for torch's), the RNN has
no gate. Printed: test RMS error, its ratio to the LSTM's, the gradient ratio
|dL/dx_1| / |dL/dx_T| over 800 steps and 100 steps back, training time; the
gradient norms per step are plotted (memory_gradients.png).

Torch runs on one thread. Machines here are shared: compare within one run.
"""
import argparse
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--init", default="chrono", choices=["chrono", "default"])
    parser.add_argument("--kinds", nargs="+", default=["rnn", "gru", "lstm"])
    parser.add_argument("--figures", type=Path, default=ROOT / "results" / "bench_memory")
    args = parser.parse_args()
    from learned_components.recurrent import (
        gradient_profile,
        gradient_ratio,
        predict,
        train_sequence_net,
    )
    from learned_components.sequence import fatigue_data
    train, test = fatigue_data(24, 20.0, 20.0, seed=0), fatigue_data(8, 40.0, 20.0, seed=10)
    rms = lambda p, t: float(np.sqrt(np.mean((p - t) ** 2)))  # noqa: E731
    rows, profiles = {}, {}
    for kind in args.kinds:
        net, seconds = train_sequence_net(kind, train.envelopes, train.activations, 16,
                                          args.epochs, init=args.init,
                                          memory_steps=train.envelopes.shape[1])
        profiles[kind] = gradient_profile(net, test.envelopes[0])
        rows[kind] = (rms(predict(net, test.envelopes), test.activations),
                      rms(predict(net, train.envelopes), train.activations), seconds)
        print(f"trained {kind}: test RMS {rows[kind][0]:.4f}, {seconds:.0f} s", flush=True)
    print(f"\n## Fatigue task ({test.envelopes.shape[1]}-step test sequences, init "
          f"{args.init}, {args.epochs} epochs)\n")
    print("| network | test RMS | training RMS | / LSTM's | dL/dx_1 / dL/dx_T | "
          "100 steps back | training s |")
    print("|---|---|---|---|---|---|---|")
    ref = rows.get("lstm", (np.nan,))[0]
    for kind, (test_rms, train_rms, seconds) in rows.items():
        p = profiles[kind]
        print(f"| {kind.upper()} | {test_rms:.4f} | {train_rms:.4f} | {test_rms / ref:.2f} | "
              f"{gradient_ratio(p):.3g} | {p[-101] / p[-1]:.3g} | {seconds:.0f} |")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    args.figures.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(7, 4))
    for kind, p in profiles.items():
        back = np.arange(len(p))[::-1]
        ax.semilogy(back, np.maximum(p / p[-1], 1e-300), label=kind.upper())
    ax.set_xlabel("steps back from the loss (20 Hz)")
    ax.set_ylabel("|dL/dx_t| / |dL/dx_T|")
    ax.set_title("Gradient norm per step, fatigue task")
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.figures / "memory_gradients.png", dpi=120)
    print(f"\nplotted {args.figures / 'memory_gradients.png'}")


if __name__ == "__main__":
    main()
