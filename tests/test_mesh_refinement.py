"""Non-uniform meshes and mesh refinement, against closed forms.

The reference problem is the LQ oscillator of test_transcription_convergence:
its exact optimal states and cost come from the algebraic Riccati equation.
"""
import math
import textwrap

import casadi as ca
import numpy as np
import pytest
import scipy.linalg as sl
from conftest import PROBLEMS
from test_transcription_convergence import (
    X0,
    A,
    P,
    T,
    assert_control_function_reproduces_every_point,
    exact_states,
    lq_problem,
    mesh_point_error,
)

import ocp
from ocp.engine.mesh_refinement import MAX_PIECES, MeshRefinement, pieces, refined_mesh

#: a graded mesh of 8 intervals, short where the optimal motion is fast (early)
GRADED = np.linspace(0.0, 1.0, 9) ** 1.5


SCHEMES = [
    lambda mesh: ocp.Trapezoidal(len(mesh) - 1, mesh=mesh),
    lambda mesh: ocp.HermiteSimpson(len(mesh) - 1, mesh=mesh),
    lambda mesh: ocp.Radau(len(mesh) - 1, 3, mesh=mesh),
]
IDS = ["trapezoidal", "hermite-simpson", "radau-3"]


def halvings(mesh, times):
    meshes = [mesh]
    for _ in range(times):
        meshes.append(refined_mesh(meshes[-1], np.full(len(meshes[-1]) - 1, 2)))
    return meshes


def free_motion_error(transcription):
    """The oscillator x' = A x from X0 (its brake does not act on it), collocated:
    error at the mesh points against expm(A t) X0."""
    model = ocp.CustomModel("oscillator", ["position", "velocity"], ["brake"],
                            lambda x, u, p: ca.mtimes(ca.DM(A), x))
    problem = ocp.Problem(model=model, final_time=T, transcription=transcription)
    problem.initial.update(position=X0[0], velocity=X0[1])
    problem.minimize(ocp.CustomCost("brake", integrand_fn=lambda v: v.u[0] ** 2))
    problem.solver.tolerance = 1e-13
    solution = ocp.solve(problem, check_dynamics=False)
    mesh = np.arange(0, solution.time.size, transcription.points_per_interval - 1)
    exact = np.array([sl.expm(A * t) @ X0 for t in solution.time[mesh]])
    return np.abs(solution.states[mesh] - exact).max()


@pytest.mark.parametrize("make", SCHEMES, ids=IDS)
def test_free_motion_on_a_graded_mesh_converges_at_the_theoretical_order(make):
    """Halving every interval of a non-uniform mesh divides the error by 2^order:
    each interval's own duration enters its defects. The order is the scheme's own."""
    order = make(GRADED).order
    errors = np.array([free_motion_error(make(m)) for m in halvings(GRADED, 2)])
    assert abs(np.log2(errors[-2] / errors[-1]) - order) < 0.25, errors


@pytest.mark.parametrize("make", SCHEMES, ids=IDS)
def test_optimal_cost_on_a_graded_mesh_converges_at_the_theoretical_order(make):
    """The LQ optimum against the Riccati cost x0' P x0, the quadrature weighted by
    each interval's duration. (Hermite-Simpson's optimal states converge at third
    order on this mesh, 2.97 measured, against fourth on a uniform one.)"""
    order = make(GRADED).order
    errors = np.array([mesh_point_error(make(m))[1] for m in halvings(GRADED, 2)])
    assert abs(np.log2(errors[-2] / errors[-1]) - order) < 0.25, errors


def test_simpson_quadrature_on_a_graded_mesh_integrates_a_cubic_exactly():
    scheme = ocp.HermiteSimpson(8, mesh=GRADED)
    t = T * scheme.grid()
    integral = float(scheme.integral(T, (t ** 3 - 2 * t)[None, :]))
    assert integral == pytest.approx(T ** 4 / 4 - T ** 2, rel=1e-13)


@pytest.mark.parametrize("make", [
    lambda: ocp.Trapezoidal(8, mesh=GRADED),
    lambda: ocp.HermiteSimpson(8, mesh=GRADED),
    lambda: ocp.Radau(8, 3, mesh=GRADED),
])
def test_control_function_on_a_graded_mesh_reproduces_every_grid_point(make):
    tr = make()
    time = T * tr.grid()
    np.testing.assert_allclose(time[::tr.points_per_interval - 1], T * GRADED)
    assert_control_function_reproduces_every_point(tr, time)


def test_an_interval_is_cut_by_the_square_root_of_its_excess_error():
    """An interval within tolerance stays whole; one with error e is cut into
    ceil(sqrt(e / tol)) pieces (the rate at a kink), 2 at least, MAX_PIECES at most."""
    errors = np.array([0.01, 0.05, 0.0501, 0.265, 0.45, 10.0, math.nan])
    np.testing.assert_array_equal(pieces(errors, 0.05),
                                  [1, 1, 2, 3, 3, MAX_PIECES, MAX_PIECES])
    mesh = refined_mesh(np.array([0.0, 0.5, 1.0]), np.array([1, 3]))
    np.testing.assert_allclose(mesh, [0.0, 0.5, 2 / 3, 5 / 6, 1.0])


def test_refinement_cuts_where_the_motion_is_fast_and_nears_the_riccati_optimum():
    """4 equal intervals re-simulate 2.7e-4 off; asked for 1e-5, refinement cuts the
    early intervals (the decaying transient) finer than the late ones, and the
    solution comes 100 times closer to the exact optimal cost and states."""
    coarse = ocp.solve(lq_problem(ocp.HermiteSimpson(4)))
    coarse_state_error = np.abs(coarse.states[::2] - exact_states(coarse.time[::2])).max()
    problem = lq_problem(ocp.HermiteSimpson(4))
    problem.mesh_refinement = MeshRefinement(tolerance=1e-5, passes=3)
    fine = ocp.solve(problem)
    assert coarse.max_dynamics_error > 1e-5
    assert fine.success and fine.max_dynamics_error <= 1e-5
    record = fine.extra["mesh_refinement"]
    assert record["passes"][0]["max_dynamics_error"] == pytest.approx(
        coarse.max_dynamics_error, rel=1e-6)
    assert fine.iterations == sum(p["iterations"] for p in record["passes"])
    widths = np.diff(record["mesh"])
    assert widths[0] < widths[-1]
    assert fine.transcription == f"hermite-simpson, {len(widths)} intervals (refined mesh)"
    optimum = X0 @ P @ X0
    assert abs(fine.objective - optimum) < abs(coarse.objective - optimum) / 100
    state_error = np.abs(fine.states[::2] - exact_states(fine.time[::2])).max()
    assert state_error < coarse_state_error / 30


def test_refinement_stops_after_its_passes():
    problem = lq_problem(ocp.HermiteSimpson(4))
    problem.mesh_refinement = MeshRefinement(tolerance=1e-12, passes=1)
    solution = ocp.solve(problem)
    passes = solution.extra["mesh_refinement"]["passes"]
    assert len(passes) == 2
    assert passes[1]["intervals"] == 4 * MAX_PIECES
    assert solution.max_dynamics_error > 1e-12


def test_a_warm_start_from_a_refined_solution_starts_on_its_mesh(tmp_path):
    """Solved again from its own refined optimum (also read back from disk), the LQ
    problem starts on that mesh: one pass, already within tolerance, at the same
    optimum. A guess refined with another scheme does not fit and starts uniform."""
    problem = lq_problem(ocp.HermiteSimpson(4))
    problem.mesh_refinement = MeshRefinement(tolerance=1e-5, passes=3)
    first = ocp.solve(problem)
    refined = first.extra["mesh_refinement"]
    assert len(refined["passes"]) > 1
    assert refined["started_on"] == "hermite-simpson, 4 intervals"
    first.save(tmp_path / "lq")
    for guess in (first, ocp.Solution.load(tmp_path / "lq")):
        problem.guess = guess
        again = ocp.solve(problem)
        record = again.extra["mesh_refinement"]
        assert [p["intervals"] for p in record["passes"]] == [len(refined["mesh"]) - 1]
        assert record["started_on"] == refined["started_on"]
        np.testing.assert_allclose(record["mesh"], refined["mesh"], atol=1e-15)
        assert again.max_dynamics_error <= 1e-5
        assert again.objective == pytest.approx(first.objective, rel=1e-9)
    radau = lq_problem(ocp.Radau(4, 3))
    radau.mesh_refinement = problem.mesh_refinement
    radau.guess = first
    assert ocp.solve(radau).extra["mesh_refinement"]["passes"][0]["intervals"] == 4


OSCILLATOR = textwrap.dedent('''
    import casadi as ca
    import ocp

    def model(parameters):
        return ocp.CustomModel("oscillator", ["x", "x_speed"], ["u"],
                               lambda x, u, p: ca.vertcat(x[1], -x[0] + u[0]))
''')


@pytest.mark.parametrize("table, message", [
    ("passes = 2", r"transcription\.refinement\.tolerance.*largest re-simulation error"),
    ("tolerance = -0.1", r"transcription\.refinement\.tolerance.*positive number, got -0.1"),
    ("tolerance = 0.05\npasses = 0", r"transcription\.refinement\.passes.*at least 1"),
    ("tolerance = 0.05\npass = 2", r"transcription\.refinement.*'pass'.*passes"),
])
def test_a_bad_refinement_table_names_its_key(tmp_path, table, message):
    (tmp_path / "oscillator.py").write_text(OSCILLATOR)
    path = tmp_path / "task.toml"
    path.write_text('[model]\nfile = "oscillator.py"\n[time]\nfinal = 1.0\n'
                    '[costs.effort]\ntype = "squared_controls"\n'
                    f'[transcription.refinement]\n{table}\n')
    with pytest.raises(ocp.ProblemError, match=message) as raised:
        ocp.load_problem(path)
    assert "task.toml" in str(raised.value)


def test_a_recurrent_step_refuses_a_refined_mesh():
    """A GRU advances once per mesh interval of its sample time: the intervals stay equal."""
    with pytest.raises(ocp.ProblemError, match=r"transcription\.refinement.*GRU|"
                       r"transcription\.refinement.*intervals must stay equal"):
        ocp.load_problem(PROBLEMS / "arm_reach_muscles_gru.toml",
                         {"transcription.refinement.tolerance": 0.01})


def test_a_graded_mesh_from_the_problem_file_is_not_called_refined(tmp_path):
    """The report and summary.json say '(graded mesh)' for the file's own `mesh` and
    '(refined mesh)' only for a mesh that refinement made (issue #24)."""
    from ocp.engine.mesh_refinement import refine
    problem = ocp.load_problem(PROBLEMS / "hypersensitive.toml")
    assert problem.transcription.describe() == "hermite-simpson, 44 intervals (graded mesh)"
    solution = ocp.solve(problem)
    assert solution.transcription == "hermite-simpson, 44 intervals (graded mesh)"
    solution.save(tmp_path)
    assert ocp.Solution.load(tmp_path).transcription.endswith("(graded mesh)")
    errors = np.zeros(44)
    errors[0] = 1.0
    cut = refine(problem.transcription, errors, 0.5)
    assert cut.describe() == "hermite-simpson, 45 intervals (refined mesh)"
    assert ocp.HermiteSimpson(8).describe() == "hermite-simpson, 8 intervals"
    assert ocp.Radau(8, 3, mesh=GRADED).describe().endswith("8 intervals (graded mesh)")
