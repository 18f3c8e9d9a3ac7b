"""Periodicity, tracking and path constraints, each against a known answer."""
import textwrap

import numpy as np
import pytest

import ocp

OSCILLATOR = textwrap.dedent('''
    import casadi as ca
    import ocp

    def model(parameters):
        """Unit harmonic oscillator driven by a force: x'' = -x + u."""
        return ocp.CustomModel("oscillator", ["x", "x_speed"], ["u"],
                               lambda x, u, p: ca.vertcat(x[1], -x[0] + u[0]),
                               state_units=["m", "m/s"], control_units=["N"])

    def above(v):
        return v.state("x")
''')


def write_problem(tmp_path, body):
    (tmp_path / "oscillator.py").write_text(OSCILLATOR)
    path = tmp_path / "task.toml"
    path.write_text('[model]\nfile = "oscillator.py"\n' + textwrap.dedent(body))
    return path


def test_periodic_tracking_settles_on_the_static_optimum(tmp_path):
    """min int (x - 1)^2 + u^2 dt, periodic: the optimum is x = u = 1/2, J = T/2."""
    path = write_problem(tmp_path, """
        [time]
        final = 3.0
        [periodic]
        states = ["x", "x_speed"]
        [costs.track]
        type = "tracking"
        target = { x = 1.0 }
        [costs.effort]
        type = "squared_controls"
        [transcription]
        method = "radau"
        intervals = 10
    """)
    solution = ocp.solve(ocp.load_problem(path))
    assert solution.success
    np.testing.assert_allclose(solution.state("x"), 0.5, atol=1e-7)
    np.testing.assert_allclose(solution.control("u"), 0.5, atol=1e-7)
    assert solution.objective == pytest.approx(3.0 / 2, rel=1e-8)
    assert solution.states[-1] == pytest.approx(solution.states[0], abs=1e-9)


def test_tracking_a_reference_file_follows_it(tmp_path):
    """x(t) = sin(2t) is reachable: u = x'' + x = -3 sin(2t); heavy tracking finds it.

    The effort term (1e-6 of the tracking weight) lets the end of the motion
    relax by a few millimetres, where no later error has to be paid for.
    """
    t = np.linspace(0, 2, 201)
    np.savetxt(tmp_path / "ref.csv", np.column_stack([t, np.sin(2 * t)]), delimiter=",",
               header="time,x", comments="")
    path = write_problem(tmp_path, """
        [time]
        final = 2.0
        [initial]
        x = 0
        x_speed = 2
        [costs.track]
        type = "tracking"
        weight = 1e4
        reference = "ref.csv"
        [costs.effort]
        type = "squared_controls"
        weight = 1e-2
        [transcription]
        intervals = 40
    """)
    solution = ocp.solve(ocp.load_problem(path))
    assert solution.success
    np.testing.assert_allclose(solution.state("x"), np.sin(2 * solution.time), atol=5e-3)
    inner = solution.time < 1.5
    np.testing.assert_allclose(solution.state("x")[inner], np.sin(2 * solution.time[inner]),
                               atol=1e-4)
    inner = (solution.time > 0.2) & (solution.time < 1.5)
    np.testing.assert_allclose(solution.control("u")[inner],
                               -3 * np.sin(2 * solution.time[inner]), atol=2e-2)


def test_path_constraint_from_a_python_file_holds_everywhere(tmp_path):
    path = write_problem(tmp_path, """
        [time]
        final = 3.0
        [initial]
        x = 1
        x_speed = 0
        [final]
        x = 1
        x_speed = 0
        [costs.effort]
        type = "squared_controls"
        [constraints.stay_above]
        file = "oscillator.py"
        function = "above"
        lower = 0.8
    """)
    free = ocp.load_problem(path)
    free.path_constraints.clear()
    unconstrained = ocp.solve(free)
    constrained = ocp.solve(ocp.load_problem(path))
    assert unconstrained.state("x").min() < 0.8, "the constraint must matter"
    assert constrained.success
    assert constrained.state("x").min() >= 0.8 - 1e-8
    assert constrained.objective > unconstrained.objective


def test_unknown_tracking_column_is_named(tmp_path):
    np.savetxt(tmp_path / "ref.csv", np.column_stack([[0, 1], [0, 1]]), delimiter=",",
               header="time,y", comments="")
    path = write_problem(tmp_path, """
        [time]
        final = 1.0
        [costs.track]
        type = "tracking"
        reference = "ref.csv"
        columns = ["x"]
    """)
    with pytest.raises(ocp.ProblemError, match=r"costs.track.columns.*no column 'x'"):
        ocp.load_problem(path)


def test_python_api_rejects_an_unknown_name_with_a_suggestion():
    problem = ocp.Problem(model=ocp.build_model("pendulum"), final_time=1.0)
    problem.minimize(ocp.SquaredControls("effort"))
    problem.final["pendulm"] = 1.0
    with pytest.raises(ocp.ProblemError, match="did you mean 'pendulum'"):
        ocp.solve(problem)
