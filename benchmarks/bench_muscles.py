"""Benchmark of muscle-driven problems: the reach (rigid vs compliant tendon) and redundancy.

    python benchmarks/bench_muscles.py [--quick]

Prints, for problems/arm_reach_muscles.toml at several mesh sizes and both
tendon models, the build time, IPOPT time, iterations, time per iteration,
objective and dynamic-consistency error; then the muscle redundancy solver
(problems/arm_muscle_redundancy.toml) against static optimisation on the same
kinematics. Machines here are shared and noisy: compare within one run.
"""
import argparse
import time
from pathlib import Path

import numpy as np

import ocp
from ocp.analysis.muscle_redundancy import kinematics_from_samples, static_optimization
from ocp.models.library import build_model

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"


def reach(meshes):
    print("\n## Muscle-driven reach: rigid vs compliant tendon (Hermite-Simpson, MX graph)\n")
    print(f"{'tendon':<10} {'N':>4} {'status':<8} {'build s':>8} {'IPOPT s':>8} {'iter':>5} "
          f"{'ms/iter':>8} {'objective':>12} {'dyn. error':>10}")
    for tendon in ("rigid", "compliant"):
        for n in meshes:
            s = ocp.solve(ocp.load_problem(PROBLEMS / "arm_reach_muscles.toml",
                                           {"model.tendon": tendon,
                                            "transcription.intervals": n}))
            print(f"{tendon:<10} {n:>4} {s.status[:8]:<8} {s.setup_time_s:>8.3f} "
                  f"{s.solve_time_s:>8.3f} {s.iterations:>5} "
                  f"{1e3 * s.solve_time_s / max(s.iterations, 1):>8.2f} {s.objective:>12.6g} "
                  f"{s.max_dynamics_error:>10.2e}")


def redundancy():
    print("\n## Muscle redundancy: dynamic solver vs static optimisation (161 frames)\n")
    started = time.perf_counter()
    s = ocp.solve(ocp.load_problem(PROBLEMS / "arm_muscle_redundancy.toml"))
    dynamic = time.perf_counter() - started
    data = np.genfromtxt(PROBLEMS / "data" / "arm_kinematics.csv", delimiter=",", names=True)
    model = build_model("six_muscle_arm", reserves={"shoulder": 1.0, "elbow": 1.0})
    started = time.perf_counter()
    kin = kinematics_from_samples(model, data["time"],
                                  np.column_stack([data["shoulder"], data["elbow"]]))
    activations, _, error = static_optimization(model, kin)
    static = time.perf_counter() - started
    names = [m.name for m in model.muscles]
    truth = np.column_stack([data[f"true_{n}_activation"] for n in names])
    at_grid = np.column_stack([np.interp(s.time, data["time"], truth[:, i])
                               for i in range(len(names))])
    rms = lambda x: float(np.sqrt(np.mean(np.square(x))))  # noqa: E731
    print(f"redundancy solver: {s.status}, {s.iterations} iterations, {dynamic:.2f} s problem "
          f"file to solution, activation RMS error vs known {rms(s.states - at_grid):.4f}")
    print(f"static optimisation: moment error {error:.1e} N m, {static:.2f} s, activation RMS "
          f"error vs known {rms(activations - truth):.4f}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    reach([25, 50] if args.quick else [25, 50, 100, 200])
    redundancy()


if __name__ == "__main__":
    main()
