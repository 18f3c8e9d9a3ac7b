"""Inverse dynamics of simulated motion: the applied torques come back, noise shows why filtering.

Forward simulations with known torques (scipy solve_ivp, DOP853, rtol = atol
= 1e-12) are sampled like motion capture, and joint_moments() must return
the torques that made the motion.
"""
import importlib.util
import math

import casadi as ca
import numpy as np
import pytest
from conftest import PROBLEMS
from scipy.integrate import solve_ivp

import ocp
from ocp import data
from ocp.analysis.inverse_dynamics import ExternalLoad, joint_moments, joint_moments_from_table
from ocp.models.multibody import forward_dynamics, mass_matrix


def pendulum_torques(t):
    """Known torques (N m) on the double pendulum: shoulder and elbow."""
    return np.array([4 * np.sin(2 * np.pi * 0.7 * t) + 2 * np.cos(2 * np.pi * 1.3 * t),
                     3 * np.sin(2 * np.pi * 1.1 * t + 0.5)])


def simulate(model, torque, x0, rate_hz, duration_s=2.0):
    """Sampled q, qd, the simulator's own qdd, and the torques, at rate_hz."""
    tree = model.tree
    q, qd, tau = ca.SX.sym("q", tree.n), ca.SX.sym("qd", tree.n), ca.SX.sym("tau", tree.n)
    fd = ca.Function("fd", [q, qd, tau], [forward_dynamics(tree, q, qd, tau)])

    def accelerations(t, x):
        return np.array(fd(x[:tree.n], x[tree.n:], torque(t))).ravel()

    t = np.arange(round(rate_hz * duration_s) + 1) / rate_hz
    sol = solve_ivp(lambda t, x: np.concatenate([x[tree.n:], accelerations(t, x)]),
                    (0, duration_s), x0, method="DOP853", t_eval=t, rtol=1e-12, atol=1e-12)
    Q, QD = sol.y[:tree.n].T, sol.y[tree.n:].T
    QDD = np.array([accelerations(tk, x) for tk, x in zip(t, sol.y.T)])
    return t, Q, QD, QDD, np.array([torque(tk) for tk in t])


@pytest.fixture(scope="module")
def pendulum_motion():
    model = ocp.build_model("double_pendulum")  # with gravity: g(q) is exercised
    return (model,) + simulate(model, pendulum_torques, [0.3, -0.2, 0.0, 0.0], 200.0)


def test_applied_torques_return_from_the_simulated_motion(pendulum_motion):
    """Noise-free, 200 Hz, to 1e-6 N m.

    (a) q, qd and qdd of the simulation: inverse dynamics inverts the forward
    dynamics the simulator integrated (1e-13). (b) q and qd of the simulation,
    qdd from one differentiation of the sampled qd by an interpolating spline
    of degree 7 (error O(h^6)).
    """
    model, t, Q, QD, QDD, TAU = pendulum_motion
    exact = joint_moments(model, t, Q, qd=QD, qdd=QDD)
    spline = joint_moments(model, t, Q, qd=QD, derivatives=data.InterpolatingSpline(7))
    err_exact = np.max(np.abs(exact.moments - TAU))
    err_spline = np.max(np.abs(spline.moments - TAU))
    print(f"\nmax |tau - applied|: simulated qdd {err_exact:.1e} N m, "
          f"degree-7 spline of qd {err_spline:.1e} N m (applied up to "
          f"{np.max(np.abs(TAU)):.1f} N m)")
    assert err_exact < 1e-6 and err_spline < 1e-6
    assert exact.coordinates == ("shoulder", "elbow") and exact.units == ("N*m", "N*m")
    np.testing.assert_allclose(exact.moment("elbow"), TAU[:, 1], atol=1e-6)
    assert exact.to_table().columns == ("shoulder_moment", "elbow_moment")


def test_quintic_spline_from_angles_alone_converges_at_fourth_order():
    """Differentiating sampled angles twice: the acceleration error falls as h^4."""
    model = ocp.build_model("double_pendulum")
    errors = []
    for rate in (100.0, 200.0, 400.0):
        t, Q, _, _, TAU = simulate(model, pendulum_torques, [0.3, -0.2, 0.0, 0.0], rate)
        moments = joint_moments(model, t, Q, derivatives=data.InterpolatingSpline(5)).moments
        errors.append(np.max(np.abs(moments - TAU)))
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    print(f"\nmax error at 100, 200, 400 Hz: {', '.join(f'{e:.1e}' for e in errors)} N m; "
          f"observed orders {orders.round(2)}")
    assert np.all(orders > 3.5)
    assert errors[1] < 2e-4  # 200 Hz


def test_noise_blows_up_unfiltered_moments_and_filtering_contains_it():
    """The ill-posed inverse problem made visible, and bounded.

    The arm reach of problems/data/make_arm_reach.py (two reaches, 2 s) at
    200 Hz, with 0.5 deg of white noise on both angles (8 realisations).

    Unfiltered (central differences): position noise s becomes acceleration
    noise s sqrt(6) / (4 h^2) = 214 rad/s^2, hence moment noise of standard
    deviation ``gain * s * |M_j(q)|`` (row j of the mass matrix): predicted
    and measured must agree within 20 %, some 60 times the moments themselves.

    Filtered (zero-phase Butterworth, 4 Hz, twice the highest frequency of
    the reach, then a quintic spline): the error is the filter's bias on the
    true motion (measured on the noise-free samples) plus the noise that
    passes the filter, of standard deviation ``gain(4 Hz) * s * |M_j|``
    (acceleration_noise_gain, 113.8 /s^2). The bound: RMS error at most 1.2
    times ``sqrt(bias^2 + noise^2)`` (the 8 realisations leave about 6 %
    sampling error on that RMS, the margin covers it with room), and at least
    0.8 times it (the prediction explains the error); at least 100 times
    below the unfiltered error.
    """
    spec = importlib.util.spec_from_file_location("make_arm_reach",
                                                  PROBLEMS / "data" / "make_arm_reach.py")
    reach = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reach)
    model = ocp.build_model("two_link_arm")
    rate, cutoff, noise_rad = 200.0, 4.0, math.radians(0.5)
    t = np.arange(2 * round(rate) + 1) / rate
    Q, _ = reach.simulate(t)
    TAU = np.array([reach.torques(tk) for tk in t])
    q = ca.SX.sym("q", 2)
    M = ca.Function("M", [q], [mass_matrix(model.tree, q)])
    row_norm = np.sqrt(np.mean([np.sum(np.array(M(qk)) ** 2, axis=1) for qk in Q], axis=0))

    def rms(e):
        return np.sqrt(np.mean(e ** 2, axis=0))

    rng = np.random.default_rng(2024)
    unfiltered_ms, filtered_ms = 0.0, 0.0
    realisations = 8
    for _ in range(realisations):
        noisy = Q + noise_rad * rng.standard_normal(Q.shape)
        raw = joint_moments(model, t, noisy, derivatives=data.FiniteDifferences()).moments
        smooth = joint_moments(model, t, noisy, derivatives=data.LowpassSpline(cutoff)).moments
        unfiltered_ms = unfiltered_ms + rms(raw - TAU) ** 2 / realisations
        filtered_ms = filtered_ms + rms(smooth - TAU) ** 2 / realisations
    unfiltered, filtered = np.sqrt(unfiltered_ms), np.sqrt(filtered_ms)
    bias = rms(joint_moments(model, t, Q, derivatives=data.LowpassSpline(cutoff)).moments - TAU)
    predicted_raw = data.acceleration_noise_gain(rate) * noise_rad * row_norm
    passed_noise = data.acceleration_noise_gain(rate, cutoff) * noise_rad * row_norm
    bound = 1.2 * np.sqrt(bias ** 2 + passed_noise ** 2)
    print("\n                 shoulder   elbow   (RMS, N m)")
    print(f"applied torque   {rms(TAU)[0]:8.3f} {rms(TAU)[1]:8.3f}")
    print(f"unfiltered error {unfiltered[0]:8.3f} {unfiltered[1]:8.3f}   predicted "
          f"{predicted_raw[0]:.3f} {predicted_raw[1]:.3f}")
    print(f"filtered error   {filtered[0]:8.3f} {filtered[1]:8.3f}   bias {bias[0]:.3f} "
          f"{bias[1]:.3f}, passed noise {passed_noise[0]:.3f} {passed_noise[1]:.3f}, "
          f"bound {bound[0]:.3f} {bound[1]:.3f}")
    np.testing.assert_allclose(unfiltered, predicted_raw, rtol=0.2)
    assert np.all(unfiltered > 50 * rms(TAU))
    assert np.all(filtered <= bound)
    assert np.all(filtered >= 0.8 * np.sqrt(bias ** 2 + passed_noise ** 2))  # understood
    assert np.all(filtered < unfiltered / 100)


def test_an_external_force_enters_as_minus_its_moment_about_the_joint():
    """Pendulum (point mass m at length L) pushed at its tip by F = (Fx, Fy).

    tau = tau_free - (r x F)_z with r = L (sin q, -cos q): closed form.
    """
    model = ocp.build_model("pendulum")
    L = 1.0
    t = np.linspace(0, 1, 101)
    q = 0.3 + 0.5 * np.sin(2 * t)
    qd, qdd = np.cos(2 * t), -2 * np.sin(2 * t)
    force = np.column_stack([5 + t, -2 * t])
    tip = np.column_stack([L * np.sin(q), -L * np.cos(q)])
    free = joint_moments(model, t, q, qd=qd, qdd=qdd).moments[:, 0]
    pushed = joint_moments(model, t, q, qd=qd, qdd=qdd,
                           external_loads=(ExternalLoad("rod", force, tip),)).moments[:, 0]
    moment_of_force = tip[:, 0] * force[:, 1] - tip[:, 1] * force[:, 0]
    np.testing.assert_allclose(pushed, free - moment_of_force, atol=1e-12)
    m, g = 1.0, 9.80665
    np.testing.assert_allclose(free, m * L ** 2 * qdd + m * g * L * np.sin(q), atol=1e-12)


def test_moments_from_a_mot_file_in_degrees_match_the_arrays(tmp_path, pendulum_motion):
    model, t, Q, QD, QDD, TAU = pendulum_motion
    table = data.Table(t, np.degrees(Q), ("shoulder_flex", "elbow_flex"), ("deg", "deg"))
    path = data.write(tmp_path / "ik.mot", table)
    from_file = joint_moments_from_table(
        model, data.read(path), {"shoulder": "shoulder_flex", "elbow": "elbow_flex"},
        derivatives=data.InterpolatingSpline(7))
    direct = joint_moments(model, t, Q, derivatives=data.InterpolatingSpline(7))
    np.testing.assert_allclose(from_file.moments, direct.moments, atol=1e-8)
    np.testing.assert_allclose(from_file.moments, TAU, atol=1e-4)
    with pytest.raises(ocp.ProblemError, match=r"ik.mot: column 'elbow_flx': no column"):
        joint_moments_from_table(model, data.read(path),
                                 {"shoulder": "shoulder_flex", "elbow": "elbow_flx"})


def test_bad_inputs_are_named():
    model = ocp.build_model("double_pendulum")
    t = np.linspace(0, 1, 20)
    with pytest.raises(ocp.ProblemError, match="q has 1 columns; model 'double_pendulum' "
                                               "has 2 coordinates"):
        joint_moments(model, t, np.zeros((20, 1)))
    with pytest.raises(ocp.ProblemError, match="unknown segment 'link3'"):
        joint_moments(model, t, np.zeros((20, 2)), external_loads=(
            ExternalLoad("link3", np.zeros((20, 2)), np.zeros((20, 2))),))
    custom = ocp.CustomModel("x", ["a", "b"], ["u"], lambda x, u, p: ca.vertcat(x[1], u[0]))
    with pytest.raises(ocp.ProblemError, match="no kinematic tree"):
        joint_moments(custom, t, np.zeros((20, 1)))
