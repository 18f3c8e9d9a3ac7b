"""The learned muscle geometry: against the analytic paths, and as a drop-in in the reach."""
import math

import numpy as np
import pytest
from conftest import PROBLEMS

import ocp
from ocp.models.surrogate import load_surrogate

SURROGATE = PROBLEMS / "surrogates" / "six_muscle_arm_geometry.casadi"
RANGES = {"shoulder": (math.radians(-30), math.radians(150)),
          "elbow": (math.radians(10), math.radians(150))}


def analytic_arm():
    return ocp.build_model("six_muscle_arm")


def grid(points=25):
    s, e = np.meshgrid(np.linspace(*RANGES["shoulder"], points),
                       np.linspace(*RANGES["elbow"], points))
    return np.vstack([s.ravel(), e.ravel()])


def test_shipped_surrogate_lengths_and_moment_arms_match_the_analytic_geometry():
    surrogate = load_surrogate(SURROGATE, "muscle_geometry")
    q = grid()
    n = q.shape[1]
    lengths, arms = (np.array(a) for a in surrogate.function.map(n)(q))
    exact_lengths, exact_arms = (np.array(a) for a in analytic_arm().geometry.map(n)(q))
    assert np.max(np.abs(lengths - exact_lengths)) < 0.1e-3          # m
    assert np.sqrt(np.mean((lengths - exact_lengths) ** 2)) < 0.01e-3
    # moment arms are 2 to 5 cm; the learned ones within 0.5 mm, RMS 0.05 mm
    assert np.max(np.abs(arms - exact_arms)) < 0.5e-3
    assert np.sqrt(np.mean((arms - exact_arms) ** 2)) < 0.05e-3
    # the metadata's training error is what this grid finds, not an understatement
    recorded = surrogate.metadata["training"]["validation_max_abs_error"]
    assert np.max(np.abs(lengths - exact_lengths)) < 3 * recorded


def test_learned_moment_arms_are_minus_the_derivative_of_learned_lengths():
    import casadi as ca
    f = load_surrogate(SURROGATE).function
    q = ca.SX.sym("q", 2)
    lengths, arms = f(q)
    check = ca.Function("check", [q], [arms + ca.jacobian(lengths, q).T])
    for point in grid(5).T:
        assert np.max(np.abs(np.array(check(point)))) < 1e-14


def test_learned_reach_lands_within_2_percent_of_the_analytic_objective():
    analytic = ocp.solve(ocp.load_problem(PROBLEMS / "arm_reach_muscles.toml"))
    learned = ocp.solve(ocp.load_problem(PROBLEMS / "arm_reach_muscles_learned.toml"))
    assert analytic.success and learned.success
    assert learned.objective == pytest.approx(analytic.objective, rel=0.02)
    assert learned.objective == pytest.approx(analytic.objective, rel=2e-3)  # as measured
    for name in ("shoulder", "elbow"):
        rms = np.sqrt(np.mean((learned.state(name) - analytic.state(name)) ** 2))
        assert math.degrees(rms) < 0.05
    # the hand still ends on the target, computed by the (unchanged) skeleton
    assert learned.output("hand_x")[-1] == pytest.approx(-0.10, abs=1e-7)
    assert "warnings" not in learned.extra  # stays inside the training range


def test_problem_files_differ_by_the_geometry_key_only():
    import tomllib
    analytic = tomllib.loads((PROBLEMS / "arm_reach_muscles.toml").read_text())
    learned = tomllib.loads((PROBLEMS / "arm_reach_muscles_learned.toml").read_text())
    assert learned["model"].pop("geometry") == "surrogates/six_muscle_arm_geometry.casadi"
    assert learned == analytic


def test_geometry_key_accepts_analytic_explicitly():
    problem = ocp.load_problem(PROBLEMS / "arm_reach_muscles_learned.toml",
                               {"model.geometry": "analytic"})
    assert problem.model.surrogates == {}
