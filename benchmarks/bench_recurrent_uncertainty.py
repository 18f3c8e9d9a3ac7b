"""Why no last-layer Laplace for recurrent surrogates: its spread against the ensemble's.

    python benchmarks/bench_recurrent_uncertainty.py

On the shipped GRU (problems/surrogates/emg_activation_gru.pt) and its
training sequences (seed 0), a Gaussian posterior on the linear read-out
(16 hidden units and a bias, the last layer; noise variance from the
residuals, prior precision 1e-4 to 1e2 in normalised units; Daxberger et
al. 2021) gives the epistemic standard deviation of the activation; beside
it, the standard deviation across the three members of the shipped GRU
ensemble (emg_activation_gru_ensemble_member<k>.pt) on the same sequences.
Activation units (0 to 1). No training; seconds on one thread.
"""
from pathlib import Path

import numpy as np

from learned_components._torch import require_torch
from learned_components.checkpoint import load_checkpoint
from learned_components.sequence import emg_data

torch = require_torch()
SURROGATES = Path(__file__).resolve().parent.parent / "problems" / "surrogates"


def main():
    torch.set_num_threads(1)
    net = load_checkpoint(SURROGATES / "emg_activation_gru.pt").networks[0]
    data = emg_data("fast", 24, 3.0, 100.0, 0.02, 0)   # its training file's sequences
    x = torch.as_tensor(data.envelopes)
    with torch.no_grad():
        hidden = net.states(x).numpy().reshape(-1, net.hidden)
        y = ((torch.as_tensor(data.activations) - net.output_mean) / net.output_std)
    phi = np.hstack([hidden, np.ones((len(hidden), 1))])
    w = np.concatenate([net.readout.weight.detach().numpy().ravel(),
                        net.readout.bias.detach().numpy()])
    noise = np.mean((y.numpy().ravel() - phi @ w) ** 2)
    scale = float(net.output_std)
    print(f"{len(phi)} training steps, read-out residual noise {scale * np.sqrt(noise):.4f}")
    for prior in (1e-4, 1.0, 1e2):
        cov = np.linalg.inv(phi.T @ phi / noise + prior * np.eye(phi.shape[1]))
        var = np.einsum("ij,jk,ik->i", phi, cov, phi)
        print(f"last-layer Laplace, prior precision {prior:g}: epistemic std "
              f"{scale * np.sqrt(var.mean()):.5f} (RMS over the steps)")
    members = []
    for k in (1, 2, 3):
        member = load_checkpoint(SURROGATES / f"emg_activation_gru_ensemble_member{k}.pt")
        with torch.no_grad():
            members.append(member.networks[0](x).numpy().ravel())
    spread = np.sqrt(np.mean(np.stack(members).std(axis=0) ** 2))
    print(f"ensemble of 3 (seeds 0-2): members' std {spread:.5f} (RMS over the steps)")


if __name__ == "__main__":
    main()
