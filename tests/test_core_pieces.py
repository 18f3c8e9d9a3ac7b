"""The core's missing pieces (issue #24): maximisation, time as an input of the
dynamics, a free final time with no upper bound, dimensionless problems.

Each problem has a closed-form optimum derived in its docstring.
"""
import json
import math
import subprocess
import sys
import textwrap
from pathlib import Path

import casadi as ca
import numpy as np
import pytest

import ocp
from ocp.costs import CustomCost, FinalTime, SquaredControls
from ocp.errors import ProblemError
from ocp.io.problem_file import load_problem
from ocp.transcriptions import HermiteSimpson

ROOT = Path(__file__).resolve().parents[1]


def double_integrator():
    """x'' = u: states position and speed, one control."""
    return ocp.CustomModel("double_integrator", ["position", "speed"], ["force"],
                           lambda x, u, p: ca.vertcat(x[1], u[0]))


def test_maximised_distance_of_a_double_integrator_is_a_quarter_of_T_squared():
    """Maximise x(T) for x'' = u, |u| <= 1, at rest at both ends.

    Bang-bang: full forward for T/2, full back for T/2 (Pontryagin: u = sign of
    the switching function, linear in t, zero once), so x(T) = 2 (1/2)(T/2)^2
    = T^2/4; with T = 2, x(T) = 1.
    """
    T = 2.0
    problem = ocp.Problem(model=double_integrator(), final_time=T,
                          transcription=HermiteSimpson(20), sense="maximize")
    problem.bounds["force"] = (-1.0, 1.0)
    problem.initial.update(position=0.0, speed=0.0)
    problem.final.update(speed=0.0)
    problem.minimize(CustomCost("distance", endpoint_fn=lambda e: e.final_state("position")))
    solution = ocp.solve(problem)
    assert solution.success
    assert solution.sense == "maximize"
    assert solution.objective == pytest.approx(T ** 2 / 4, abs=1e-6)  # positive: true sign
    assert solution.cost_terms["distance"] == pytest.approx(T ** 2 / 4, abs=1e-6)
    first_half = solution.time < T / 2 - 1e-9
    assert np.allclose(solution.control("force")[first_half][1:], 1.0, atol=1e-4)


def test_goddard_rocket_reaches_the_published_altitude():
    """Maximise the final altitude of a rocket climbing against drag and gravity.

    Goddard's problem in Bryson's normalised form (h0 = m0 = g0 = 1):
    h' = v, v' = (T - D)/m - 1/h^2, m' = -T/c, D = D_c v^2 exp(h_c (1 - h)),
    h_c = 500, v_c = 620, D_c = v_c / 2, c = 1/2, T in [0, 3.5], final mass
    0.6, free final time in [0.01, inf] with no guess. Published optimum
    h(t_f) = 1.01283 (Dolan, More and Munson, Benchmarking optimization
    software with COPS 3.0, ANL/MCS-TM-273, 2004, problem 10).
    """
    h_c, v_c, c, final_mass = 500.0, 620.0, 0.5, 0.6

    def dynamics(x, u, p):
        h, v, m = x[0], x[1], x[2]
        drag = 0.5 * v_c * v ** 2 * ca.exp(h_c * (1 - h))
        return ca.vertcat(v, (u[0] - drag) / m - 1 / h ** 2, -u[0] / c)

    model = ocp.CustomModel("goddard", ["h", "v", "m"], ["thrust"], dynamics)
    problem = ocp.Problem(model=model, final_time=(0.01, math.inf), sense="maximize",
                          transcription=HermiteSimpson(50))
    problem.bounds.update(thrust=(0.0, 3.5), h=(1.0, math.inf), v=(0.0, math.inf),
                          m=(final_mass, 1.0))
    problem.initial.update(h=1.0, v=0.0, m=1.0)
    problem.final.update(m=final_mass)
    problem.minimize(CustomCost("altitude", endpoint_fn=lambda e: e.final_state("h")))
    solution = ocp.solve(problem)
    assert solution.success
    assert solution.objective == pytest.approx(1.01283, abs=2e-5)
    assert solution.state("h")[-1] == pytest.approx(solution.objective)


def test_maximised_objective_is_reported_with_its_true_sign(tmp_path):
    """The CLI and summary.json report J (not -J) and the sense."""
    (tmp_path / "distance.py").write_text(textwrap.dedent('''
        def final_position(e):
            return e.final_state("position")
    '''))
    (tmp_path / "model.py").write_text(textwrap.dedent('''
        import casadi as ca
        import ocp

        def model(parameters):
            return ocp.CustomModel("double_integrator", ["position", "speed"], ["force"],
                                   lambda x, u, p: ca.vertcat(x[1], u[0]))
    '''))
    (tmp_path / "far.toml").write_text(textwrap.dedent('''
        sense = "maximize"
        units = "none"
        [model]
        file = "model.py"
        [time]
        final = 2.0
        [bounds]
        force = [-1, 1]
        [initial]
        position = 0
        speed = 0
        [final]
        speed = 0
        [costs.distance]
        type = "custom"
        file = "distance.py"
        endpoint = "final_position"
        [transcription]
        intervals = 20
    '''))
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "ocp", "solve", str(tmp_path / "far.toml"),
                          "--out", str(out), "--quiet"], capture_output=True, text=True,
                         cwd=ROOT)
    assert run.returncode == 0, run.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["sense"] == "maximize"
    assert summary["objective"] == pytest.approx(1.0, abs=1e-6)
    assert "(maximized)" in run.stdout
    # units = "none": no seconds and no "(state units)" in the report
    final_line = next(line for line in run.stdout.splitlines() if line.startswith("final time"))
    assert final_line.split() == ["final", "time", "2"]
    assert "state units" not in run.stdout
    assert ocp.Solution.load(out).sense == "maximize"


def test_negative_weight_points_to_sense(tmp_path):
    path = ROOT / "problems" / "pendulum_swingup.toml"
    with pytest.raises(ProblemError, match='sense = "maximize"') as info:
        load_problem(path, {"costs.effort.weight": -1.0})
    assert info.value.key == "costs.effort.weight"
    problem = load_problem(path)
    problem.costs[0].weight = -1.0
    with pytest.raises(ProblemError, match='sense = "maximize"'):
        problem.validate()


def test_unknown_sense_is_refused_with_a_suggestion():
    with pytest.raises(ProblemError, match="did you mean 'maximize'"):
        load_problem(ROOT / "problems" / "pendulum_swingup.toml", {"sense": "maximise"})


def time_dependent_model_file(folder: Path) -> Path:
    path = folder / "pushed.py"
    path.write_text(textwrap.dedent('''
        """x' = u + sin(t): a mass pushed by a force that varies in time."""
        import casadi as ca
        import ocp

        def model(parameters):
            def dynamics(x, u, p, t):
                return ca.vertcat(u[0] + ca.sin(t))

            def outputs(x, u, p, t):
                return {"drift": 1 - ca.cos(t)}

            return ocp.CustomModel("pushed", ["x"], ["u"], dynamics, outputs=outputs)
    '''))
    return path


def test_non_autonomous_dynamics_see_the_real_time(tmp_path):
    """x' = u + sin(t) on [a, b] = [1, 3], x(a) = x(b) = 0, minimise integral of u^2.

    The constraint is integral of u = -(cos a - cos b), so the optimal u is the
    constant -(cos a - cos b)/(b - a) and J = (cos a - cos b)^2 / (b - a);
    x(t) = u (t - a) + cos a - cos t. Starting at a = 1 tells the real time from
    the normalised one.
    """
    a, b = 1.0, 3.0
    time_dependent_model_file(tmp_path)
    (tmp_path / "pushed.toml").write_text(textwrap.dedent(f'''
        [model]
        file = "pushed.py"
        [time]
        start = {a}
        final = {b}
        [initial]
        x = 0
        [final]
        x = 0
        [costs.effort]
        type = "squared_controls"
        [transcription]
        intervals = 20
    '''))
    problem = load_problem(tmp_path / "pushed.toml")
    assert problem.model.time_dependent
    solution = ocp.solve(problem)
    assert solution.success
    u = -(math.cos(a) - math.cos(b)) / (b - a)
    assert solution.objective == pytest.approx((math.cos(a) - math.cos(b)) ** 2 / (b - a),
                                               rel=1e-6)  # Simpson on h = 0.1
    assert np.allclose(solution.control("u"), u, atol=1e-6)
    t = solution.time
    assert np.allclose(solution.state("x"), u * (t - a) + math.cos(a) - np.cos(t), atol=1e-6)
    assert np.allclose(solution.output("drift"), 1 - np.cos(t), atol=1e-12)
    # the replay sees the same times: 2.6e-7 here, falling 16-fold per halving of h
    # (Hermite-Simpson's fourth order); a replay at the wrong times is off by ~0.1
    assert solution.max_dynamics_error < 1e-6
    assert solution.max_dynamics_error_open_loop < 1e-6


@pytest.mark.parametrize("graph", ["sx", "mx", "lifted"])
def test_non_autonomous_dynamics_on_a_graded_mesh_and_every_graph(graph):
    """The same problem as above, in Python, on a graded mesh (the replay's
    interval start times follow the mesh) with each NLP graph."""
    a, b = 1.0, 3.0
    model = ocp.CustomModel("pushed", ["x"], ["u"],
                            lambda x, u, p, t: ca.vertcat(u[0] + ca.sin(t)))
    assert model.time_dependent
    mesh = np.linspace(0.0, 1.0, 21) ** 1.5
    problem = ocp.Problem(model=model, final_time=b, start_time=a,
                          transcription=HermiteSimpson(20, mesh=mesh))
    problem.solver.graph = graph
    problem.initial["x"] = 0.0
    problem.final["x"] = 0.0
    problem.minimize(SquaredControls("effort"))
    solution = ocp.solve(problem)
    assert solution.success
    assert solution.objective == pytest.approx((math.cos(a) - math.cos(b)) ** 2 / (b - a),
                                               rel=1e-5)
    assert solution.max_dynamics_error < 1e-5


def test_cost_integrand_receives_the_real_time():
    """Minimise integral over [1, 2] of (u - t)^2 with x' = u free: u = t, J = 0;
    with u bounded above by 1.5, J = integral over [1.5, 2] of (1.5 - t)^2 = 1/24."""
    model = ocp.CustomModel("free", ["x"], ["u"], lambda x, u, p: ca.vertcat(u[0]))
    problem = ocp.Problem(model=model, final_time=2.0, start_time=1.0,
                          transcription=HermiteSimpson(20))
    problem.bounds["u"] = (-10.0, 1.5)
    problem.initial["x"] = 0.0
    problem.minimize(CustomCost("gap", integrand_fn=lambda v: (v.control("u") - v.t) ** 2))
    solution = ocp.solve(problem)
    assert solution.success
    assert solution.objective == pytest.approx(1 / 24, rel=1e-6)


def test_free_final_time_without_upper_bound_starts_from_a_finite_guess(tmp_path):
    """Rest to rest over a distance d = 1 for x'' = u, minimising J = t_f + w integral
    of u^2 (w = 0.1), the final time in [0.1, inf] and no guess.

    For a fixed duration T the least effort is 12 d^2 / T^3 (u linear in t), so
    J(T) = T + 12 w d^2 / T^3, least at T* = (36 w d^2)^(1/4) = 3.6^(1/4) = 1.3774,
    J* = 4/3 T*. The guess starts at 0.1 + max(0.1, 1) = 1.1 s.
    """
    (tmp_path / "model.py").write_text(textwrap.dedent('''
        import casadi as ca
        import ocp

        def model(parameters):
            return ocp.CustomModel("double_integrator", ["position", "speed"], ["force"],
                                   lambda x, u, p: ca.vertcat(x[1], u[0]))
    '''))
    (tmp_path / "reach.toml").write_text(textwrap.dedent('''
        [model]
        file = "model.py"
        [time]
        final = [0.1, inf]
        [initial]
        position = 0
        speed = 0
        [final]
        position = 1
        speed = 0
        [costs.time]
        type = "final_time"
        [costs.effort]
        type = "squared_controls"
        weight = 0.1
        [transcription]
        intervals = 20
    '''))
    from ocp.engine.guess import final_time_guess
    problem = load_problem(tmp_path / "reach.toml")
    assert problem.final_time_range() == (0.1, math.inf)
    assert final_time_guess(problem) == pytest.approx(1.1)
    solution = ocp.solve(problem)
    assert solution.success
    best = 3.6 ** 0.25
    assert solution.final_time == pytest.approx(best, rel=1e-6)
    assert solution.objective == pytest.approx(4 / 3 * best, rel=1e-6)


def test_final_time_needs_a_finite_lower_bound():
    problem = ocp.Problem(model=double_integrator(), final_time=(math.inf, math.inf))
    problem.minimize(FinalTime("time"))
    with pytest.raises(ProblemError, match="finite lower bound"):
        problem.validate()
