"""Each transcription converges at its theoretical order on an LQ problem.

Reference: the damped oscillator x' = A x + B u with cost
integral (x'Qx + u'Ru) dt + x(T)' P x(T), where P solves the algebraic Riccati
equation (scipy). With that terminal weight the infinite-horizon feedback
u = -K x is optimal on [0, T] too, so the exact optimal states are
x(t) = expm((A - BK) t) x0 and the optimal cost is x0' P x0.
"""
import casadi as ca
import numpy as np
import pytest
import scipy.linalg as sl

import ocp

A = np.array([[0.0, 1.0], [-1.0, -0.5]])
B = np.array([[0.0], [1.0]])
Q, R = np.eye(2), np.eye(1)
P = sl.solve_continuous_are(A, B, Q, R)
K = np.linalg.solve(R, B.T @ P)
X0 = np.array([1.0, 0.0])
T = 2.0


def exact_states(t):
    return np.array([sl.expm((A - B @ K) * ti) @ X0 for ti in t])


def lq_problem(transcription):
    model = ocp.CustomModel("oscillator", ["position", "velocity"], ["force"],
                            lambda x, u, p: ca.mtimes(ca.DM(A), x) + ca.mtimes(ca.DM(B), u))
    problem = ocp.Problem(model=model, final_time=T, transcription=transcription)
    problem.initial.update(position=X0[0], velocity=X0[1])
    problem.minimize(
        ocp.CustomCost("running", integrand_fn=lambda v: ca.bilin(ca.DM(Q), v.x, v.x)
                       + ca.bilin(ca.DM(R), v.u, v.u)),
        ocp.CustomCost("terminal", endpoint_fn=lambda e: ca.bilin(ca.DM(P), e.xf, e.xf)))
    problem.solver.tolerance = 1e-13
    return problem


def mesh_point_error(transcription):
    solution = ocp.solve(lq_problem(transcription), check_dynamics=False)
    assert solution.success
    mesh = np.arange(0, solution.time.size, transcription.points_per_interval - 1)
    error = np.abs(solution.states[mesh] - exact_states(solution.time[mesh])).max()
    return error, abs(solution.objective - X0 @ P @ X0)


@pytest.mark.parametrize("make, meshes", [
    (ocp.Trapezoidal, [8, 16, 32, 64]),
    (ocp.HermiteSimpson, [4, 8, 16]),
    (lambda n: ocp.Radau(n, 1), [8, 16, 32, 64]),   # implicit Euler
    (lambda n: ocp.Radau(n, 2), [4, 8, 16]),        # order 2d - 1 at mesh points
    (lambda n: ocp.Radau(n, 3), [2, 4, 8]),
], ids=["trapezoidal", "hermite-simpson", "radau-1", "radau-2", "radau-3"])
def test_transcription_converges_at_its_theoretical_order(make, meshes):
    """The order each scheme declares (its ``order`` attribute) is the one measured."""
    order = make(meshes[0]).order
    errors = np.array([mesh_point_error(make(n)) for n in meshes])
    state_orders = np.log2(errors[:-1, 0] / errors[1:, 0])
    cost_orders = np.log2(errors[:-1, 1] / errors[1:, 1])
    # the finest pair is closest to the asymptotic regime
    assert abs(state_orders[-1] - order) < 0.25, f"state orders {state_orders}"
    assert abs(cost_orders[-1] - order) < 0.25, f"cost orders {cost_orders}"


def test_hermite_simpson_reaches_riccati_optimum_to_a_millionth():
    error, cost_error = mesh_point_error(ocp.HermiteSimpson(32))
    assert error < 1e-6
    assert cost_error / (X0 @ P @ X0) < 1e-6


def test_radau_control_at_the_start_is_the_extrapolated_optimal_feedback():
    """The control at t0 (touched by no collocation equation) is -K x0."""
    solution = ocp.solve(lq_problem(ocp.Radau(8, 3)), check_dynamics=False)
    assert solution.controls[0, 0] == pytest.approx((-K @ X0).item(), abs=1e-4)


@pytest.mark.parametrize("make", [ocp.Trapezoidal, ocp.HermiteSimpson,
                                  lambda n: ocp.Radau(n, 3)])
def test_control_function_reproduces_the_control_at_every_grid_point(make):
    tr = make(4)
    assert_control_function_reproduces_every_point(tr, 2.0 * tr.grid())


def assert_control_function_reproduces_every_point(tr, time):
    """``tr.control_function`` of two smooth controls sampled at ``time`` gives
    back each sample at its instant."""
    values = np.column_stack([np.sin(3 * time), time ** 2])
    u = tr.control_function(time, values)
    for k, tk in enumerate(time):
        if k == 0 and not tr.dynamics_at_start:
            continue  # Radau's t0 control is an extrapolation, not a free value
        np.testing.assert_allclose(u(tk), values[k], atol=1e-12)
