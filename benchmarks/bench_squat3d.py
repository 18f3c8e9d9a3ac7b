"""A 3D torque-driven predictive squat of the Falisse et al. 2022 model, feet on the ground.

The model (../shared/data/models3d/Falisse_et_al_2022.osim, AGPL-3.0: read in
place, never copied) stands on its 12 contact spheres (SmoothSphereHalfSpaceForce,
acting through the spatial tree). The pelvis is free and unactuated (6
coordinates): only the contacts hold the body up. Subtalar, mtp, arm and elbow
angles are held at 0 (the light toes would whip between mesh points, as in the
gait2392 leg lift; arms held), leaving 19 coordinates and 13 joint torques. From
standing at rest, the knees follow a squat of 75 degrees and back in 1.6 s
(tracked, 1 - cos profile), standing at rest again at the end:

  J = int sum(tau^2) dt + 1e3 int sum over both knees (q - q_ref)^2 dt

problems/squat3d_falisse2022.toml is the same problem; this script solves it
in Python and prints status, iterations, times, the knee's deepest angle and
the ground reaction of each foot against body weight at the start.

  python benchmarks/bench_squat3d.py [--intervals 100] [--dynamics explicit] [--verbose]

Measured (2 shared cores, loaded; 5 Dec 2026), NOT yet a success:
- implicit, 50 intervals: IPOPT "Optimal Solution Found" in 149 iterations, 107 s in
  IPOPT (135 s in all), objective 1391; re-simulation inaccurate (ankle_angle_r_speed
  0.26 of its range, tolerance 0.05); knees to -17 deg only; standing: grf_y 0.73 body
  weight per foot at t = 0 (the pelvis accelerating up at its bound).
- implicit, 100 intervals: converged in 204 iterations, 782 s in all (three jobs on two
  cores), objective 1403, inaccurate (ankle_angle_l_speed 0.19); knees to -45 deg;
  grf_y 0.89 body weight per foot at t = 0.
- explicit, 25 intervals: stalls (inf_du 1e8-1e9, ~3 s per iteration).
- With the pelvis height fixed at the weight-carrying 0.9509 m at both ends, or a
  tracking weight of 1e4-1e5, IPOPT wanders (hundreds of iterations, restoration).
- Why the knees stay shallow (6 Dec): at 50 intervals the knee tracking deficit is about
  1e3 x 0.59 x 2.05 rad^2 s = 1210 of the objective 1391 (a 1 - cos reference of 75 deg
  has int q_ref^2 dt = 1.03 rad^2 s per knee): the weights make a shallow squat the
  optimum, and 45 deg (100 intervals, 1403) is about as cheap: a flat valley in depth.
  Tracking 1e4 with the whole squat of data/squat3d_knee.csv as guess: knees to -60.8
  deg but IPOPT stops at 1000 iterations (objective 2770; grf_y 1.33 body weight per foot
  at t = 0), and its re-simulation hits CVODES' mxstep near t = 0.05 s (the stiff feet).
Open: a deeper squat (stronger tracking with a squat-shaped guess), and the light
feet's fast mode on the stiff spheres, which the re-simulation of each interval sees.
"""
from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PROBLEM = ROOT / "problems" / "squat3d_falisse2022.toml"


def squat(intervals: int | None = None, dynamics: str | None = None, verbose: bool = False):
    """Solve the squat problem file (with another mesh or dynamics form): (Problem, Solution)."""
    from ocp import solve
    from ocp.io.problem_file import load_problem

    overrides = {}
    if intervals:
        overrides["transcription.intervals"] = intervals
    if dynamics:
        overrides["transcription.dynamics"] = dynamics
    problem = load_problem(PROBLEM, overrides)
    return problem, solve(problem, verbose=verbose)


def report(problem, solution) -> dict:
    """Deepest knee angle (deg) and each foot's vertical ground reaction / body weight
    at the start (standing)."""
    model = problem.model
    weight = sum(b.mass_kg for b in model.tree.bodies) * 9.80665
    out = {"knee_min_deg": math.degrees(float(np.min(solution.state("knee_angle_r"))))}
    for foot in ("r", "l"):
        out[f"grf_y_{foot}_over_weight"] = float(solution.output(f"grf_y_{foot}")[0]) / weight
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--intervals", type=int, default=None)
    parser.add_argument("--dynamics", default=None, choices=("explicit", "implicit"))
    parser.add_argument("--verbose", action="store_true", help="IPOPT's iterations")
    args = parser.parse_args()
    start = time.perf_counter()
    problem, solution = squat(args.intervals, args.dynamics, args.verbose)
    wall = time.perf_counter() - start
    print(f"Falisse 2022 squat: {solution.status}, {solution.iterations} iterations, "
          f"objective {solution.objective:.6g}, {wall:.1f} s in all")
    print(report(problem, solution))
    print("accuracy:", solution.accuracy)


if __name__ == "__main__":
    main()
