"""Make gait2d_identify.csv: noisy kinematics and ground reaction forces of a simulated walker.

    python problems/data/make_gait2d_identify.py

The data that problems/gait2d_identify_parameters.toml estimates segment and
contact parameters from. The simulated "person" is the torque-driven walker
of problems/gait2d_torque.toml (Winter 2009 anthropometry, 75 kg, 1.75 m)
with its head-arms-trunk segment (HAT) 20 % heavier and both heel contact
spheres 20 % softer than the model's own values (:data:`TRUTH`). Its walk is
the solution of that predictive problem (half a gait cycle at 1.2 m/s) with
these values, without the collision cost and the mesh refinement the problem
gained later (with the collision cost the left heel lands within the step,
and the data would no longer hold a parameter they cannot identify), on 100
equal Hermite-Simpson intervals, and :func:`simulate` checks that it is
accurate (ocp.engine.accuracy): its re-simulation is off by at most 1.5 % of a
state's range (0.62 rad/s in the left ankle's speed; the tolerance is 5 %; on
50 intervals 3.0 %, 1.19 rad/s). The file holds the walk at its 201
collocation points (250 Hz for a 0.8 s half cycle), so the tracking problem,
on the same mesh, reads the data where the walk was computed. (The data were
first made on 50 intervals, from the problem as it was then: identified on
50, the solve was inaccurate, 5.91 rad/s off in the left ankle's speed; on
100, accurate, the right heel's stiffness came out -2.3 %, 3.2 standard
errors from the truth, an error that noise seeds 5 and 6 of these data give
as well: docs/what-if.md.) The columns:

- pelvis_tx, pelvis_ty (m) with Gaussian noise of 2 mm (marker-based pelvis
  position);
- pelvis_tilt and the six joint angles (rad) with Gaussian noise of 1 degree;
- grf_x_r, grf_y_r, grf_x_l, grf_y_l (N, the ground reaction force on each
  foot) with Gaussian noise of 5 N (force-plate noise).

Seed 0. Takes about 15 s; the walk ends at the problem's upper bound on the
half-cycle duration, 0.8 s.
"""
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
PROBLEM = HERE.parent / "gait2d_torque.toml"
#: model number -> true value / model's own value
TRUTH = {"segment.hat.mass": 1.2, "contact.heel_r.stiffness": 0.8,
         "contact.heel_l.stiffness": 0.8}
INTERVALS = 100
TRANSLATIONS = ("pelvis_tx", "pelvis_ty")
ANGLES = ("pelvis_tilt", "hip_flexion_r", "knee_angle_r", "ankle_angle_r",
          "hip_flexion_l", "knee_angle_l", "ankle_angle_l")
FORCES = ("grf_x_r", "grf_y_r", "grf_x_l", "grf_y_l")
#: noise standard deviations: m, rad, N
NOISE = {"translation": 0.002, "angle": np.radians(1.0), "force": 5.0}
SEED = 0


def true_values(model) -> dict:
    """The simulated person's numbers (SI) by name."""
    from ocp.estimation import model_numbers
    numbers = model_numbers(model)
    return {name: factor * numbers[name].value for name, factor in TRUTH.items()}


def walk_problem(intervals: int = INTERVALS):
    """The predictive problem of :data:`PROBLEM` without its collision cost and mesh
    refinement, on ``intervals`` equal intervals, for the person with :data:`TRUTH`."""
    import tomllib

    from ocp.estimation import with_values
    from ocp.io.problem_file import problem_from_dict
    data = tomllib.loads(PROBLEM.read_text())
    del data["costs"]["collisions"], data["transcription"]["refinement"]
    data["transcription"]["intervals"] = intervals
    problem = problem_from_dict(data, PROBLEM)
    problem.model = with_values(problem.model, true_values(problem.model))
    return problem


def simulate(intervals: int = INTERVALS):
    """The predictive walk of the person with :data:`TRUTH` (an ocp Solution),
    converged and accurate (its re-simulation within the problem's accuracy)."""
    import ocp
    solution = ocp.solve(walk_problem(intervals))
    if not solution.success or not (solution.accuracy or {}).get("accurate"):
        raise RuntimeError(f"the walk of the simulated person is not an accurate solution: "
                           f"{solution.status}, {solution.message}, {solution.accuracy}")
    return solution


def measure(solution, seed: int = SEED) -> dict:
    """Columns of the data file: the solution at its grid with noise added."""
    rng = np.random.default_rng(seed)
    n = len(solution.time)
    columns = {"time": solution.time - solution.time[0]}
    for names, sigma, read in ((TRANSLATIONS, NOISE["translation"], solution.state),
                               (ANGLES, NOISE["angle"], solution.state),
                               (FORCES, NOISE["force"], solution.output)):
        for name in names:
            columns[name] = read(name) + sigma * rng.standard_normal(n)
    return columns


def write(columns: dict, path: Path) -> Path:
    np.savetxt(path, np.column_stack(list(columns.values())), delimiter=",",
               header=",".join(columns), comments="", fmt="%.10g")
    return path


def main(path: Path = HERE / "gait2d_identify.csv") -> Path:
    solution = simulate()
    accuracy = solution.accuracy
    print(f"true walk: {solution.status}, half cycle {solution.final_time:.6g} s, "
          f"{solution.iterations} iterations, re-simulation off by {accuracy['error']:.3g} "
          f"of the range of {accuracy['state']} (tolerance {accuracy['tolerance']:g})")
    return write(measure(solution), path)


if __name__ == "__main__":
    print(main())
