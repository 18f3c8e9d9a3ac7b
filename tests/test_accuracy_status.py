"""A converged solve is a success only when its re-simulation is accurate.

The reference is the hyper-sensitive problem of Rao and Mease (2000):
x' = -x^3 + u, J = 1/2 integral of (x^2 + u^2), x(0) = 1, x(t_f) = 1.5,
t_f = 10000. Over so long a horizon the optimum is two boundary layers, each
an infinite-horizon problem with a closed-form value function (the
Hamilton-Jacobi-Bellman equation is a quadratic in V'):

- leaving x0 for 0: V'(s) = -s^3 + sqrt(s^6 + s^2), cost V(1);
- arriving at xf from 0: W'(s) = s^3 + sqrt(s^6 + s^2), cost W(1.5);

J* = V(1) + W(1.5) = 3.36205690 (exponentially close for t_f = 10000).
"""
import json
import math

import numpy as np
import pytest
from conftest import PROBLEMS
from scipy.integrate import quad

import ocp
from ocp.cli import EXIT_INACCURATE, main
from ocp.engine.accuracy import DEFAULT_ACCURACY, INACCURATE, relative_error, state_scales
from ocp.engine.mesh_refinement import MeshRefinement

HYPERSENSITIVE = PROBLEMS / "hypersensitive.toml"


def optimal_cost() -> float:
    leave = quad(lambda s: -s ** 3 + math.sqrt(s ** 6 + s ** 2), 0.0, 1.0, epsabs=1e-13)[0]
    arrive = quad(lambda s: s ** 3 + math.sqrt(s ** 6 + s ** 2), 0.0, 1.5, epsabs=1e-13)[0]
    return leave + arrive


def equal_intervals(overrides=None):
    """The shipped problem with its graded mesh replaced by equal intervals."""
    problem = ocp.load_problem(HYPERSENSITIVE, overrides)
    problem.transcription = ocp.HermiteSimpson(problem.transcription.intervals)
    return problem


def test_the_boundary_layer_costs_match_their_antiderivatives():
    """s sqrt(s^4 + 1) integrates (w = s^2) to (w sqrt(1 + w^2) + asinh w) / 4."""
    def rising(w):
        return (w * math.sqrt(1 + w * w) + math.asinh(w)) / 4
    exact = (-1 / 4 + rising(1.0)) + (1.5 ** 4 / 4 + rising(1.5 ** 2))
    assert optimal_cost() == pytest.approx(exact, rel=1e-12)
    assert exact == pytest.approx(3.3620569, abs=1e-7)


def test_equal_intervals_are_far_off_and_not_reported_as_success():
    """44 equal intervals of 227 time units: the objective is 87 times the optimum and
    the re-simulation 0.35 off on a state that spans 1.5: 'inaccurate', not success."""
    solution = ocp.solve(equal_intervals())
    assert solution.objective > 10 * optimal_cost()
    assert solution.status == INACCURATE and not solution.success
    assert solution.accuracy["error"] > DEFAULT_ACCURACY
    assert solution.accuracy["state"] == "x"
    assert any("transcription.mesh" in w for w in solution.warnings)


def test_the_graded_mesh_from_the_file_is_accurate_to_1e_3():
    """The same 44 intervals, short at both ends (the file's `mesh`): right to 1e-3."""
    solution = ocp.solve(ocp.load_problem(HYPERSENSITIVE))
    assert solution.transcription.startswith("hermite-simpson, 44 intervals")
    assert solution.status == "success"
    assert solution.objective == pytest.approx(optimal_cost(), rel=1e-3)
    coarse = ocp.solve(equal_intervals())
    assert solution.max_dynamics_error < coarse.max_dynamics_error / 1000
    best = optimal_cost()
    assert abs(solution.objective - best) < abs(coarse.objective - best) / 10000
    assert solution.accuracy["accurate"] and solution.accuracy["error"] < DEFAULT_ACCURACY


def test_ocp_solve_exits_3_when_inaccurate_and_says_so(tmp_path, capsys):
    equal = tmp_path / "equal.toml"
    text = HYPERSENSITIVE.read_text().replace('"models/', f'"{PROBLEMS}/models/')
    start = text.index("mesh = [")
    equal.write_text(text[:start] + "intervals = 44\n")
    out = tmp_path / "out"
    assert main(["solve", str(equal), "--out", str(out), "--quiet"]) == EXIT_INACCURATE == 3
    printed = capsys.readouterr()
    assert "status       inaccurate" in printed.out
    assert "Traceback" not in printed.err and "inaccurate" in printed.err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "inaccurate"
    assert summary["accuracy"]["accurate"] is False
    assert ocp.Solution.load(out).accuracy == summary["accuracy"]
    assert main(["solve", str(HYPERSENSITIVE), "--out", str(tmp_path / "graded"),
                 "--quiet"]) == 0


def test_a_looser_accuracy_from_the_file_accepts_the_coarse_solve():
    solution = ocp.solve(equal_intervals({"transcription.accuracy": 0.5}))
    assert solution.success and solution.accuracy["tolerance"] == 0.5


def test_refinement_that_runs_out_of_passes_is_inaccurate():
    """The refinement tolerance (state units) is the accuracy asked for."""
    problem = equal_intervals()
    problem.mesh_refinement = MeshRefinement(tolerance=1e-6, passes=1)
    solution = ocp.solve(problem)
    assert solution.status == INACCURATE
    assert solution.accuracy["tolerance"] == 1e-6
    assert solution.accuracy["error"] == solution.max_dynamics_error > 1e-6


def test_errors_are_measured_against_each_states_range():
    """A deviation of 0.1 is 10 % of a state spanning 1 and 1 % of one spanning 10."""
    states = np.array([[0.0, 0.0], [1.0, 10.0]])
    by_state = np.array([[0.1, 0.0], [0.0, 0.1]])
    assert relative_error(by_state, states, ["a", "b"]) == pytest.approx((0.1, "a"))
    # a state that does not move is measured against 1 % of its size, not against 0
    np.testing.assert_allclose(state_scales(np.array([[5.0], [5.0]])), [0.05])
    # an activation bounded to [0, 1] that moves by 0.03 is measured against 1
    activation = np.array([[0.02], [0.05]])
    np.testing.assert_allclose(state_scales(activation, [1.0]), [1.0])
    np.testing.assert_allclose(state_scales(activation, [np.inf]), [0.03])


@pytest.mark.parametrize("mesh, message", [
    ("[0, 0.5, 0.5, 1]", "must increase"),
    ("[0, 0.5, 0.9]", "must start at 0 and end at 1"),
    ("[0.1, 1]", "must start at 0 and end at 1"),
    ("[0, 'a', 1]", "expected a list of at least two numbers"),
    ("0.5", "expected a list of at least two numbers"),
])
def test_a_bad_mesh_names_its_key(tmp_path, mesh, message):
    with pytest.raises(ocp.ProblemError, match=r"transcription\.mesh.*" + message):
        ocp.load_problem(HYPERSENSITIVE, {"transcription.mesh": eval(mesh)})


def test_intervals_must_agree_with_the_mesh():
    with pytest.raises(ocp.ProblemError, match=r"transcription\.intervals.*3 intervals do "
                                               r"not fit a mesh of 45 points"):
        ocp.load_problem(HYPERSENSITIVE, {"transcription.intervals": 3})


@pytest.mark.parametrize("value", [0, -0.1, math.inf])
def test_a_bad_accuracy_names_its_key(value):
    with pytest.raises(ocp.ProblemError, match=r"transcription\.accuracy"):
        ocp.load_problem(HYPERSENSITIVE, {"transcription.accuracy": value})


def test_the_best_of_several_starts_is_judged_too(tmp_path, capsys):
    """``--starts`` solves its starts without re-simulating each; the one it keeps is
    re-simulated and judged like any solve: on 44 equal intervals, 'inaccurate'."""
    equal = tmp_path / "equal.toml"
    text = HYPERSENSITIVE.read_text().replace('"models/', f'"{PROBLEMS}/models/')
    start = text.index("mesh = [")
    equal.write_text(text[:start] + "intervals = 44\n")
    out = tmp_path / "out"
    assert main(["solve", str(equal), "--starts", "2", "--out", str(out),
                 "--quiet"]) == EXIT_INACCURATE
    assert "Traceback" not in capsys.readouterr().err
    assert json.loads((out / "summary.json").read_text())["status"] == INACCURATE
