"""3D predictive walking of gait2392 (problems/gait3d_muscles.toml) from a cold start.

Solves the problem file and prints what issue 23 asks of it: the status and
iterations, the time (setup and IPOPT, first run with its builds and compiles
included), the re-simulation error against the problem's tolerance, and the
vertical ground reaction force's peaks over the whole stride in body weights
(walking: two humps of 1.0 to 1.4). With ``--plot DIR`` it also writes the gait
plots and the 3D stick figure (``ocp.io.plotting``).

    PYTHONPATH=. python benchmarks/bench_gait3d.py [--intervals 50] [--plot DIR] [--verbose]

The file solves with IPOPT's limited-memory Hessian (as PredSim) and stops at
IPOPT's acceptable level (its [solver.ipopt] block says why), then refines its mesh
to the re-simulation tolerance 0.05 in the same run. Measured 6 Dec 2026 with
`ocp solve problems/gait3d_muscles.toml` (2 cores shared with other sessions, the
process at 81 % of a core, the model's compiled blocks already cached: times
inflated), with PredSim's scaled accelerations in the cost. 50 intervals reach the
acceptable level in 871 iterations; refined to 59 intervals the run ends in success
(214 more iterations). In all 1085 iterations, 575 s in IPOPT, 58 s of setup,
11 min 19 s of wall time. On a quiet machine (same day, one run): 764 + 162
iterations (50 -> 58 intervals), 382.7 s in IPOPT, 45.7 s to build, 7 min 46 s of
wall time, J 0.379308, one GRF peak of 1.27 body weights.
J 0.380332, duration 0.571 s, re-simulation error 0.040 against 0.05. Vertical GRF:
one peak of 1.27 body weights, no push-off hump (0.91 to 0.98 after mid-stance),
stance 58 %. Before the scaling (an unscaled 1e-3 on q''^2), the same run went
50 -> 100 -> 101 intervals, 791 iterations and 1058 s of IPOPT under the same load,
to J 0.739586 and a first peak of 1.83 body weights. To re-time on a quiet machine:

    /usr/bin/time -v ocp solve problems/gait3d_muscles.toml --out /tmp/gait3d
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
