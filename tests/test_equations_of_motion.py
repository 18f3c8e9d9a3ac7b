"""The multibody equations of motion against hand derivations and physics."""
import casadi as ca
import numpy as np
import pytest
from scipy.integrate import solve_ivp

from ocp.models import Joint, KinematicTree, Segment, build_model
from ocp.models.multibody import (
    PRISMATIC,
    forward_dynamics,
    inverse_dynamics,
    mass_matrix,
    mechanical_energy,
)

G = 9.80665


def hand_derived_double_pendulum(p, q, qd, qdd):
    """M q'' + C q' + g for two rods, angles from hanging down (Spong 1995)."""
    m1, m2, l1 = p["mass1_kg"], p["mass2_kg"], p["length1_m"]
    c1, c2, i1, i2 = p["com1_m"], p["com2_m"], p["inertia1_kg_m2"], p["inertia2_kg_m2"]
    q1, q2 = q
    M = np.array([[i1 + i2 + m1 * c1**2 + m2 * (l1**2 + c2**2 + 2 * l1 * c2 * np.cos(q2)),
                   i2 + m2 * (c2**2 + l1 * c2 * np.cos(q2))],
                  [i2 + m2 * (c2**2 + l1 * c2 * np.cos(q2)), i2 + m2 * c2**2]])
    h = m2 * l1 * c2 * np.sin(q2)
    coriolis = np.array([-h * (2 * qd[0] * qd[1] + qd[1]**2), h * qd[0]**2])
    gravity = np.array([(m1 * c1 + m2 * l1) * G * np.sin(q1) + m2 * c2 * G * np.sin(q1 + q2),
                        m2 * c2 * G * np.sin(q1 + q2)])
    return M @ qdd + coriolis + gravity, M


@pytest.mark.parametrize("seed", range(5))
def test_double_pendulum_inverse_dynamics_matches_hand_derivation(seed):
    params = dict(mass1_kg=1.3, mass2_kg=0.7, length1_m=0.9, length2_m=1.1, com1_m=0.4,
                  com2_m=0.6, inertia1_kg_m2=0.05, inertia2_kg_m2=0.08)
    model = build_model("double_pendulum", params)
    rng = np.random.default_rng(seed)
    q, qd, qdd = rng.uniform(-3, 3, 2), rng.uniform(-5, 5, 2), rng.uniform(-10, 10, 2)
    expected, M_expected = hand_derived_double_pendulum(params, q, qd, qdd)
    tau = np.array(ca.evalf(inverse_dynamics(model.tree, ca.DM(q), ca.DM(qd), ca.DM(qdd)))).ravel()
    M = np.array(ca.evalf(mass_matrix(model.tree, ca.DM(q))))
    np.testing.assert_allclose(tau, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(M, M_expected, rtol=1e-12, atol=1e-12)


def test_cart_pole_forward_dynamics_matches_textbook():
    """Prismatic plus revolute: the cart-pole equations (point mass on a massless rod).

    (M + m) x'' + m l th'' cos th - m l th'^2 sin th = F
    m l x'' cos th + m l^2 th'' + m g l sin th = 0      (th = 0 hanging down)
    """
    cart, bob, length = 2.0, 0.5, 0.8
    tree = KinematicTree(segments=(
        Segment("cart", None, Joint("x", kind=PRISMATIC), cart, (0.0, 0.0), 0.0),
        Segment("pole", "cart", Joint("theta"), bob, (0.0, -length), 0.0)), gravity_m_s2=G)
    q, qd, force = np.array([0.3, 0.7]), np.array([-0.4, 1.9]), np.array([3.0, 0.0])
    qdd = np.array(ca.evalf(forward_dynamics(tree, ca.DM(q), ca.DM(qd), ca.DM(force)))).ravel()
    th, thd = q[1], qd[1]
    A = np.array([[cart + bob, bob * length * np.cos(th)],
                  [bob * length * np.cos(th), bob * length**2]])
    b = np.array([force[0] + bob * length * thd**2 * np.sin(th), -bob * G * length * np.sin(th)])
    np.testing.assert_allclose(qdd, np.linalg.solve(A, b), rtol=1e-12)


def test_implicit_residual_vanishes_at_explicit_accelerations():
    model = build_model("two_link_arm", {"gravity_m_s2": G})
    x = ca.DM([0.3, 1.2, -0.5, 2.0])
    u = ca.DM([1.5, -0.7])
    xdot = model.dynamics(x, u)
    _, residual = model.implicit_dynamics(x, u, xdot[2:])
    assert float(ca.norm_inf(ca.evalf(residual))) < 1e-12


def test_unactuated_double_pendulum_conserves_energy_over_10_s():
    model = build_model("double_pendulum")
    x = ca.SX.sym("x", 4)
    f = ca.Function("f", [x], [model.dynamics(x, ca.DM.zeros(2))])
    energy = ca.Function("E", [x], [mechanical_energy(model.tree, x[:2], x[2:])])
    x0 = np.array([2.0, -1.0, 0.0, 3.0])  # chaotic regime: large angles
    sol = solve_ivp(lambda t, y: np.array(f(y)).ravel(), (0, 10), x0, method="DOP853",
                    rtol=1e-12, atol=1e-12, dense_output=False, t_eval=np.linspace(0, 10, 201))
    assert sol.success
    E = np.array([float(energy(y)) for y in sol.y.T])
    drift = np.max(np.abs(E - E[0])) / np.max(np.abs(E))
    assert drift < 1e-8, f"relative energy drift {drift:.2e}"
    # and the motion is not trivial: the links swing through large angles
    assert np.ptp(sol.y[1]) > 2.0


def test_energy_changes_by_the_work_of_the_actuators():
    """dE/dt = tau . q' for the actuated double pendulum (power balance)."""
    model = build_model("double_pendulum")
    x, u = ca.DM([0.4, -0.9, 1.1, -2.2]), ca.DM([2.0, -3.0])
    xs = ca.SX.sym("x", 4)
    E = mechanical_energy(model.tree, xs[:2], xs[2:])
    dE = ca.Function("dE", [xs], [ca.jacobian(E, xs)])(x) @ model.dynamics(x, u)
    power = float(ca.dot(u, x[2:]))
    assert abs(float(ca.evalf(dE)) - power) < 1e-10
