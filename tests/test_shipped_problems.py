"""The shipped problem files solve from a cold start, and their answers check out."""
import tomllib

import numpy as np
import pytest
from conftest import PROBLEMS

import ocp


@pytest.mark.parametrize("name", sorted(p.stem for p in PROBLEMS.glob("*.toml")))
def test_every_shipped_problem_file_loads(name):
    model = tomllib.loads((PROBLEMS / f"{name}.toml").read_text()).get("model", {})
    shared = (PROBLEMS / model.get("file", "")).resolve()
    if "shared" in shared.parts and not shared.exists():   # ../shared/data, not shipped
        pytest.skip(f"{shared.name} is absent (shared data, read in place)")
    problem = ocp.load_problem(PROBLEMS / f"{name}.toml")
    assert problem.costs


def test_pendulum_swingup_reaches_upright_at_rest():
    solution = ocp.solve(ocp.load_problem(PROBLEMS / "pendulum_swingup.toml"))
    assert solution.success
    assert solution.state("pendulum")[-1] == pytest.approx(np.pi, abs=1e-8)
    assert abs(solution.state("pendulum_speed")[-1]) < 1e-8
    assert np.max(np.abs(solution.control("tau_pendulum"))) <= 8 + 1e-6
    assert sum(solution.cost_terms.values()) == pytest.approx(solution.objective, rel=1e-12)
    # the effort term is the Simpson integral of tau^2 on the grid (independent quadrature)
    t, tau = solution.time, solution.control("tau_pendulum")
    simpson = sum((t[k + 2] - t[k]) / 6 * (tau[k]**2 + 4 * tau[k + 1]**2 + tau[k + 2]**2)
                  for k in range(0, len(t) - 2, 2))
    assert solution.cost_terms["effort"] == pytest.approx(simpson, rel=1e-10)
    assert solution.max_dynamics_error < 1e-4


def test_arm_reach_puts_the_hand_on_the_target():
    problem = ocp.load_problem(PROBLEMS / "arm_reach_torque.toml")
    solution = ocp.solve(problem)
    assert solution.success
    p = problem.model.parameters()
    q1, q2 = solution.state("shoulder")[-1], solution.state("elbow")[-1]
    # forward kinematics by hand, independent of the model's marker code
    hand = (p["upper_arm_length_m"] * np.cos(q1) + p["forearm_length_m"] * np.cos(q1 + q2),
            p["upper_arm_length_m"] * np.sin(q1) + p["forearm_length_m"] * np.sin(q1 + q2))
    assert hand == pytest.approx((-0.10, 0.50), abs=1e-7)
    np.testing.assert_allclose(solution.output("hand_x")[-1], hand[0], atol=1e-12)


def test_hermite_simpson_dynamics_error_falls_at_high_order():
    errors = [ocp.solve(ocp.load_problem(PROBLEMS / "arm_reach_torque.toml",
                                         {"transcription.intervals": n})).max_dynamics_error
              for n in (20, 40)]
    # local error of a fourth-order method: halving h divides it by about 2^4
    assert errors[0] / errors[1] > 12


def test_implicit_and_explicit_dynamics_find_the_same_optimum():
    explicit = ocp.solve(ocp.load_problem(PROBLEMS / "arm_reach_torque.toml"))
    implicit = ocp.solve(ocp.load_problem(PROBLEMS / "arm_reach_torque.toml",
                                          {"transcription.dynamics": "implicit"}))
    assert implicit.success
    assert implicit.objective == pytest.approx(explicit.objective, rel=1e-8)
    np.testing.assert_allclose(implicit.states, explicit.states, atol=1e-6)
    # the implicit form solves for q'' too: it matches the explicit accelerations
    assert implicit.algebraic_names == ["shoulder_acceleration", "elbow_acceleration"]


def test_warm_start_from_the_solution_converges_immediately():
    problem = ocp.load_problem(PROBLEMS / "pendulum_swingup.toml")
    cold = ocp.solve(problem)
    problem.guess = cold
    warm = ocp.solve(problem)
    assert warm.success
    assert warm.objective == pytest.approx(cold.objective, rel=1e-7)
    assert warm.iterations <= 2 < cold.iterations


def test_warm_start_across_a_weight_change_saves_iterations():
    cold = ocp.solve(ocp.load_problem(PROBLEMS / "pendulum_swingup.toml"))
    heavier = ocp.load_problem(PROBLEMS / "pendulum_swingup.toml", {"costs.effort.weight": 2.0})
    heavier.guess = cold
    warm = ocp.solve(heavier)
    assert warm.success
    # scaling the only cost term does not move the optimum
    assert warm.objective == pytest.approx(2 * cold.objective, rel=1e-7)
    assert warm.iterations < cold.iterations / 2


def test_mx_graph_finds_the_same_optimum_as_sx():
    sx = ocp.solve(ocp.load_problem(PROBLEMS / "arm_reach_torque.toml"))
    mx = ocp.solve(ocp.load_problem(PROBLEMS / "arm_reach_torque.toml", {"solver.graph": "mx"}))
    assert mx.success
    assert mx.objective == pytest.approx(sx.objective, rel=1e-9)
