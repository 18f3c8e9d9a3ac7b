"""3D predictive walking of gait2392 (problems/gait3d_muscles.toml) from a cold start.

Solves the problem file and prints what issue 23 asks of it: the status and
iterations, the time (setup and IPOPT, first run with its builds and compiles
included), the re-simulation error against the problem's tolerance, and the
vertical ground reaction force's peaks over the whole stride in body weights
(walking: two humps of 1.0 to 1.4). With ``--plot DIR`` it also writes the gait
plots and the 3D stick figure (``ocp.io.plotting``).

    PYTHONPATH=. python benchmarks/bench_gait3d.py [--intervals 50] [--plot DIR] [--verbose]

The file solves with IPOPT's limited-memory Hessian (as PredSim) and stops at
IPOPT's acceptable level (its [solver.ipopt] block says why). Measured (6 Dec 2026,
2 cores shared by 8 sessions, load average ~30, `ocp solve` with
transcription.intervals=25): Solved_To_Acceptable_Level after 711 iterations,
978 s of IPOPT (wall, the process got a fraction of a core), J 7.09269, dual
infeasibility 6.8e-3, constraint violation 8.6e-7. With the exact Hessian the same
start stalled (regularisation 1e10, primal infeasibility 436 after 25 iterations).
Setup 194 s; duration 0.579 s; reported inaccurate (re-simulation: the mtp and
subtalar joints, then held at zero by bounds only (now [model.hold]), drift:
mtp_angle_r_speed 2.18 rad/s, largest state error 3.43, open loop 16.7); vertical
GRF one peak of 1.48 BW, stance 48 %, mean of both feet 1.000 BW. Issue 23's
must-show is not met yet.
At 50 intervals L-BFGS had not left the large barrier (mu 10^2.1, primal
infeasibility 17) after 300 iterations in 12 minutes and was stopped.
"""
from __future__ import annotations

import argparse
import os
import time
import warnings
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[1]
PROBLEM = ROOT / "problems" / "gait3d_muscles.toml"


def peaks(values, weight_N: float, floor: float = 0.8) -> list:
    """Local maxima above ``floor`` body weights, in body weights."""
    y = values / weight_N
    return [float(y[k]) for k in range(1, len(y) - 1)
            if y[k] >= y[k - 1] and y[k] > y[k + 1] and y[k] > floor]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--intervals", type=int, default=None)
    parser.add_argument("--plot", type=Path, default=None, help="folder for the plots")
    parser.add_argument("--verbose", action="store_true", help="IPOPT's iterations")
    args = parser.parse_args()
    import ocp  # noqa: F401
    from ocp.analysis.stride import full_stride
    from ocp.io.problem_file import load_problem
    from ocp.solve import solve

    start = time.perf_counter()
    overrides = {"transcription.intervals": args.intervals} if args.intervals else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        problem = load_problem(PROBLEM, overrides)
    loaded = time.perf_counter() - start
    solution = solve(problem, verbose=args.verbose)
    wall = time.perf_counter() - start
    print(f"{solution.status} ({solution.message}): {solution.iterations} iterations, "
          f"{solution.solve_time_s:.0f} s in IPOPT, {wall:.0f} s in all (model and problem "
          f"{loaded:.0f} s, setup {solution.setup_time_s:.0f} s)")
    print(f"objective {solution.objective:.6g}, duration {solution.final_time:.3f} s")
    if solution.accuracy:
        a = solution.accuracy
        print(f"re-simulation: error {a.get('error')} on {a.get('state')} against "
              f"tolerance {a.get('tolerance')} ({'accurate' if a.get('accurate') else 'NOT'})")
    stride = full_stride(solution, problem)
    weight = sum(b.mass_kg for b in problem.model.tree.tree.bodies) * 9.80665
    for side in ("r", "l"):
        found = peaks(stride.output(f"grf_y_{side}"), weight)
        print(f"vertical GRF peaks, foot {side} (body weights): "
              f"{', '.join(f'{p:.2f}' for p in found) or 'none'}")
    if args.plot is not None:
        from ocp.io.plotting import plot_solution
        for path in plot_solution(stride, args.plot):
            print(f"wrote {path}")


if __name__ == "__main__":
    main()
