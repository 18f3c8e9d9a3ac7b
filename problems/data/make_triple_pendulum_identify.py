"""Make the triple pendulum's identification data: the multibody PINN's noisy motion.

    python problems/data/make_triple_pendulum_identify.py      (needs torch)

The same data as ``benchmarks/bench_pinn_multibody.py``
(``learned_components.pinn_multibody.noisy_motion(Chain(), 100, 4.0, 0.005,
seed 0)``): the chain of ``[model] name = "triple_pendulum"`` at its default
parameters, from rest hanging, driven by the known torques ``Chain.torque``
for 4 s, simulated by ``tree_data.rnea`` (RK45, rtol 1e-9); 100 joint-angle
samples with Gaussian noise of 0.005 rad (triple_pendulum_identify.csv), and
the torques at 500 Hz (triple_pendulum_torques.csv: known inputs, written
exactly).
"""
from pathlib import Path

import numpy as np

SAMPLES, DURATION_S, NOISE_RAD, SEED, TORQUE_RATE_HZ = 100, 4.0, 0.005, 0, 500.0
JOINTS = ("shoulder", "elbow", "wrist")


def write(path: Path, columns: dict) -> None:
    rows = np.column_stack(list(columns.values()))
    np.savetxt(path, rows, delimiter=",", header=",".join(columns), comments="", fmt="%.12g")


def main(folder: Path = Path(__file__).parent) -> None:
    from learned_components.pinn_multibody import Chain, noisy_motion
    chain = Chain()
    motion = noisy_motion(chain, SAMPLES, DURATION_S, NOISE_RAD, SEED)
    write(folder / "triple_pendulum_identify.csv",
          {"time": motion.times, **{j: motion.angles[:, k] for k, j in enumerate(JOINTS)}})
    t = np.linspace(0.0, DURATION_S, int(round(DURATION_S * TORQUE_RATE_HZ)) + 1)
    tau = chain.torque(t)
    write(folder / "triple_pendulum_torques.csv",
          {"time": t, **{f"tau_{j}": tau[:, k] for k, j in enumerate(JOINTS)}})


if __name__ == "__main__":
    main()
