"""Dynamics a user writes in Python solve like the built-in models."""
import math

import pytest
from conftest import PROBLEMS

import ocp


def test_hand_written_pendulum_has_the_same_optimum_as_the_multibody_one():
    """Second method: m L^2 q'' = tau - m g L sin q written by hand vs Newton-Euler."""
    builtin = ocp.solve(ocp.load_problem(PROBLEMS / "pendulum_swingup.toml"))
    by_hand = ocp.solve(ocp.load_problem(PROBLEMS / "damped_pendulum_swingup.toml",
                                         {"model.parameters.damping_Nms_per_rad": 0.0}))
    assert by_hand.success and builtin.success
    assert by_hand.objective == pytest.approx(builtin.objective, rel=1e-7)


def test_damping_costs_effort():
    free = ocp.solve(ocp.load_problem(PROBLEMS / "damped_pendulum_swingup.toml",
                                      {"model.parameters.damping_Nms_per_rad": 0.0}))
    damped = ocp.solve(ocp.load_problem(PROBLEMS / "damped_pendulum_swingup.toml"))
    assert damped.success
    assert damped.objective > free.objective


def test_a_final_condition_on_a_user_output():
    """Ask for the tip 0.5 m above the pin instead of for an angle: cos(angle) = -0.5."""
    problem = ocp.load_problem(PROBLEMS / "damped_pendulum_swingup.toml")
    problem.final["angle"] = (0.5, 3.0)  # rad: only which side, not where
    problem.final["tip_height"] = 0.5  # m, with a 1 m rod
    solution = ocp.solve(problem)
    assert solution.success
    assert solution.state("angle")[-1] == pytest.approx(2 * math.pi / 3, abs=1e-8)
    assert solution.output("tip_height")[-1] == pytest.approx(0.5, abs=1e-9)
