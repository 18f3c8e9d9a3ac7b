"""A 3D torque-driven predictive squat of the Falisse et al. 2022 model, feet on the ground.

The model (../shared/data/models3d/Falisse_et_al_2022.osim, AGPL-3.0: read in
place, never copied) stands on its 12 contact spheres (SmoothSphereHalfSpaceForce,
acting through the spatial tree). The pelvis is free and unactuated (6
coordinates): only the contacts hold the body up. Subtalar, mtp, arm and elbow
angles are held at 0, leaving 19 coordinates and 13 joint torques. From standing
at rest (a static equilibrium: ``--standing``), the knees follow a squat of 75
degrees and back in 1.6 s (tracked, 1 - cos profile), standing at rest again:

  J = int sum(tau^2) dt + 1e5 int sum over both knees (q - q_ref)^2 dt
      + int sum(q''^2) dt

problems/squat3d_falisse2022.toml is the same problem; this script solves it in
Python and prints status, iterations, build and IPOPT times, the re-simulation
error, the knees' deepest angle and each foot's vertical ground reaction against
body weight standing (t = 0), at the deepest point and at the end.

  python benchmarks/bench_squat3d.py [--intervals 100] [--method hermite-simpson] [--verbose]
  python benchmarks/bench_squat3d.py --standing     # the file's standing pose

Measured (2 shared cores, loaded by the other sessions; 6 Dec 2026; derivative
blocks cached), from the file's own guess (the squat reference):
- Radau degree 3, 50 intervals (the file): ``success`` in 50 iterations, 34.3 s in
  IPOPT, 5.8 s to build; objective 4553.85 (effort ~3975, tracking ~116, q'' ~462);
  re-simulation 1.8e-4 of its range (ankle_angle_l_speed; tolerance 0.05); knees to
  -72.6 deg (reference -75); grf_y 0.500 + 0.500 body weight at t = 0 and at the end,
  0.598 + 0.598 at the deepest point (the body decelerating upwards).
- Radau, 100 intervals (``--intervals 100``): ``success`` in 37 iterations, 35.6 s in
  IPOPT; objective 4553.74 (2.4e-5 below 50 intervals'), re-simulation 4.1e-5.
- ``ocp solve problems/squat3d_falisse2022.toml``: ``success``, 50 iterations, 22.8 s
  in IPOPT, 4.2 s to build, 35.7 s in all. On a quiet machine (6 Dec, one run): 47
  iterations, 19.1 s in IPOPT, 3.5 s to build, 30.4 s wall, J 4553.85.
- Hermite-Simpson (``--method hermite-simpson``): ``success`` in 75 iterations, 61.6 s
  in IPOPT, 11.3 s to build; objective 4554.24; re-simulation 7.6e-4 of its range.
What made it a success (before: converged but ``inaccurate``, ankle speeds 0.19 to 0.26
of their range off, knees to -17 to -45 deg):
- The start. With every angle at 0 the model is not in equilibrium: its centre of mass
  (x = -0.088 m) lies 11 cm behind the spheres' centre of pressure (x = 0.022 m), so the
  body began by falling (the pelvis accelerating at its bound) and the feet rocked on
  the spheres. The standing model's fastest modes are the feet on the spheres
  (eigenvalues -1100, -416, -375, -145 and -73 +- 70i 1/s, ankle and hip speeds): a
  32 ms mesh cannot follow them. Standing is now the equilibrium solved for (pelvis
  0.9427 m high, tilted -1.50 deg, ankles 6.48 deg; ``--standing``).
- The weights: tracking 1e5 (1e3 before) makes a deep squat the optimum; int q''^2
  keeps the feet out of their fast mode. Without it (Radau, new start, 1e5): 172
  iterations, 192 s in IPOPT, effort 3656, ``inaccurate`` (ankle_angle_r_speed 0.071).
- Radau alone (L-stable) did not do it: with the old start and weights it converged in
  169 iterations (177 s), 0.258 of range off (ankle_angle_l_speed, a foot rocking near
  t = 0.3 s), knees to -41 and -18 deg (asymmetric). With the new problem it is 4x as
  accurate as Hermite-Simpson and needs fewer iterations.
- The guess matters: from standing held still (the equilibrium at every point, no
  squat-shaped reference) IPOPT stops at 1000 iterations (528 s), knees 43 deg RMS off.
- The pelvis_ty_acceleration bound of +-3 m/s^2 is not active at the optimum (-1.6 to
  2.5), but without it IPOPT (Hermite-Simpson) wandered to an asymmetric local optimum
  (210 iterations, J = 19108, ``inaccurate``, 0.88).
"""
from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PROBLEM = ROOT / "problems" / "squat3d_falisse2022.toml"
#: the coordinates that set the standing pose (the others at 0); the ankles move together
STANDING_COORDINATES = ("pelvis_ty", "pelvis_tilt", "ankle_angle")


def squat(intervals: int | None = None, method: str | None = None, verbose: bool = False):
    """Solve the squat problem file (with another mesh or transcription): (Problem, Solution)."""
    from ocp import solve
    from ocp.io.problem_file import load_problem

    overrides = {}
    if intervals:
        overrides["transcription.intervals"] = intervals
    if method:
        overrides["transcription.method"] = method
    problem = load_problem(PROBLEM, overrides)
    return problem, solve(problem, verbose=verbose)


def body_weight_N(model) -> float:
    return sum(b.mass_kg for b in model.tree.bodies) * -model.tree.gravity_m_s2[1]


def standing_equilibrium(model) -> dict:
    """The static equilibrium of standing: pelvis height (m), pelvis tilt and both ankle
    angles (rad), the other coordinates and all speeds and accelerations 0, at which the
    unactuated pelvis needs no force (the spheres carry the weight and its moment), with
    the least sum of squared joint torques. Returns {coordinate: value}."""
    import casadi as ca

    names = list(model.tree.coordinates)
    n = len(names)
    v = ca.SX.sym("v", 3)
    q = ca.SX.zeros(n)
    q[names.index("pelvis_ty")], q[names.index("pelvis_tilt")] = v[0], v[1]
    q[names.index("ankle_angle_r")] = q[names.index("ankle_angle_l")] = v[2]
    _, residual = model.implicit_dynamics(ca.vertcat(q, ca.DM.zeros(n)),
                                          ca.DM.zeros(model.nu), ca.DM.zeros(n))
    torques = residual[[names.index(c.removeprefix("tau_")) for c in model.control_names]]
    pelvis = residual[[names.index(c) for c in names if c.startswith("pelvis_")]]
    # by symmetry and with no slip (no friction) only the pitch and vertical rows
    # depend on the three: the others are checked below
    pitch_and_height = residual[[names.index("pelvis_tilt"), names.index("pelvis_ty")]]
    solver = ca.nlpsol("standing", "ipopt", {"x": v, "f": ca.sumsqr(torques) / 1e4,
                                             "g": pitch_and_height},
                       {"ipopt.print_level": 0, "print_time": False, "ipopt.tol": 1e-12})
    result = solver(x0=[0.95, 0.0, 0.0], lbg=0, ubg=0)
    if not solver.stats()["success"]:
        raise RuntimeError(f"standing equilibrium: {solver.stats()['return_status']}")
    left = float(np.abs(np.array(ca.Function("p", [v], [pelvis])(result["x"]))).max())
    if left > 1e-6:
        raise RuntimeError(f"standing equilibrium: a pelvis force of {left:.3g} is left")
    ty, tilt, ankle = (float(x) for x in np.array(result["x"]).ravel())
    return {"pelvis_ty": ty, "pelvis_tilt": tilt, "ankle_angle_r": ankle, "ankle_angle_l": ankle}


def report(problem, solution) -> dict:
    """Deepest knee angle (deg) and each foot's vertical ground reaction / body weight
    standing (t = 0), at the deepest point and at the end."""
    weight = body_weight_N(problem.model)
    knee = solution.state("knee_angle_r")
    deepest = int(np.argmin(knee))
    out = {"knee_min_deg": math.degrees(float(knee[deepest])),
           "knee_l_min_deg": math.degrees(float(np.min(solution.state("knee_angle_l"))))}
    for label, k in (("start", 0), ("deepest", deepest), ("end", -1)):
        for foot in ("r", "l"):
            out[f"grf_y_{foot}_{label}_BW"] = float(solution.output(f"grf_y_{foot}")[k]) / weight
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--intervals", type=int, default=None)
    parser.add_argument("--method", default=None, choices=("hermite-simpson", "radau",
                                                           "trapezoidal"))
    parser.add_argument("--standing", action="store_true",
                        help="print the standing equilibrium the file starts and ends at")
    parser.add_argument("--verbose", action="store_true", help="IPOPT's iterations")
    args = parser.parse_args()
    if args.standing:
        from ocp.io.problem_file import load_problem
        model = load_problem(PROBLEM).model
        for name, value in standing_equilibrium(model).items():
            print(f"{name} = {value:.7g}")
        return
    problem, solution = squat(args.intervals, args.method, args.verbose)
    print(f"Falisse 2022 squat ({solution.transcription}): {solution.status}, "
          f"{solution.iterations} iterations, objective {solution.objective:.6g}, "
          f"{solution.setup_time_s:.1f} s to build, {solution.solve_time_s:.1f} s in IPOPT")
    print("  cost terms:", {k: round(v, 2) for k, v in solution.summary()["cost_terms"].items()})
    for key, value in report(problem, solution).items():
        print(f"  {key}: {value:.3f}")
    print("accuracy:", solution.accuracy)


if __name__ == "__main__":
    main()
