"""Spatial trees (ocp.models.spatial) against closed forms and a second method.

- a body turning about a fixed point on three body-fixed X-Y-Z angles: M = E^T I_O E,
  E the body-frame angular velocity per unit angle rate (textbook closed form);
- a free rigid body: inverse dynamics is Newton-Euler itself, m (a - g) and
  E^T (I alpha + omega x I omega);
- a tumbling two-body chain integrated with forward dynamics (RK4) keeps its energy;
- inverse dynamics (Newton-Euler) equals Lagrange's equations built from the
  kinetic and potential energy alone, on a chain of every joint type and on
  Rajagopal 2016 (its walker knee turns about three axes with one coordinate);
- a reduced tree (coupled, locked coordinates) equals Lagrange's equations of the
  reduced system.
"""
from pathlib import Path

import casadi as ca
import numpy as np
import pytest

from ocp.models.spatial import ReducedTree, SpatialBody, SpatialForce, SpatialJoint, SpatialTree
from ocp.models.spatial.rotations import axis_angle, body_fixed_xyz, skew
from ocp.osim.spatial_skeleton import read_spatial, reduced_tree, spatial_tree

RAJAGOPAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "models3d" \
    / "Rajagopal2016.osim"
G = np.array([0.0, -9.80665, 0.0])
IDENTITY = (np.eye(3), np.zeros(3))


def xyz(q):
    return ca.mtimes([axis_angle((1, 0, 0), q[0]), axis_angle((0, 1, 0), q[1]),
                      axis_angle((0, 0, 1), q[2])])


def gimbal(name="gimbal"):
    return SpatialJoint(name, ("a", "b", "c"), lambda q: (xyz(q), ca.DM.zeros(3, 1)))


def free(name="free"):
    return SpatialJoint(name, ("x", "y", "z", "a", "b", "c"),
                        lambda q: (xyz(q[3:]), ca.vertcat(q[0], q[1], q[2])))


INERTIA = np.array([[0.3, 0.02, -0.01], [0.02, 0.5, 0.03], [-0.01, 0.03, 0.4]])


def body_rates(q):
    """E_b: body-frame angular velocity per unit X-Y-Z angle rate."""
    _, b, c = q
    return np.array([[np.cos(b) * np.cos(c), np.sin(c), 0.0],
                     [-np.cos(b) * np.sin(c), np.cos(c), 0.0],
                     [np.sin(b), 0.0, 1.0]])


def test_body_on_a_fixed_point_has_mass_matrix_e_transpose_i_e():
    com, mass = np.array([0.1, -0.3, 0.05]), 2.5
    tree = SpatialTree((SpatialBody("b", None, gimbal(), IDENTITY, IDENTITY, mass,
                                    tuple(com), INERTIA),), ("a", "b", "c"), tuple(G))
    about_point = INERTIA + mass * (com @ com * np.eye(3) - np.outer(com, com))
    for q in np.random.default_rng(1).uniform(-1.2, 1.2, (5, 3)):
        e = body_rates(q)
        np.testing.assert_allclose(np.array(tree.mass_matrix(ca.DM(q))),
                                   e.T @ about_point @ e, rtol=1e-12, atol=1e-13)


def test_free_body_inverse_dynamics_is_newton_euler():
    mass = 3.0
    tree = SpatialTree((SpatialBody("b", None, free(), IDENTITY, IDENTITY, mass, (0, 0, 0),
                                    INERTIA),), free().coordinates, tuple(G))
    rng = np.random.default_rng(2)
    for _ in range(5):
        q, qd, qdd = rng.uniform(-1, 1, 6), rng.normal(size=6), rng.normal(size=6)
        a, b, _ = q[3:]
        rx = np.array(axis_angle((1, 0, 0), a))
        rxy = rx @ np.array(axis_angle((0, 1, 0), b))
        rotation = np.array(ca.DM(xyz(list(q[3:]))))
        columns = [np.array([1.0, 0, 0]), rx @ [0, 1.0, 0], rxy @ [0, 0, 1.0]]
        rates = np.column_stack(columns)
        omega = rates @ qd[3:]
        alpha = (rates @ qdd[3:] + qd[4] * np.cross(qd[3] * columns[0], columns[1])
                 + qd[5] * np.cross(qd[3] * columns[0] + qd[4] * columns[1], columns[2]))
        inertia = rotation @ INERTIA @ rotation.T
        expected = np.concatenate([mass * (qdd[:3] - G), rates.T @ (
            inertia @ alpha + np.cross(omega, inertia @ omega))])
        ours = tree.inverse_dynamics(ca.DM(q), ca.DM(qd), ca.DM(qdd))
        np.testing.assert_allclose(np.array(ours).ravel(), expected, rtol=1e-11, atol=1e-11)


def two_body_chain():
    pin = SpatialJoint("hinge", ("h",), lambda q: (axis_angle((0.3, 0.4, 0.866), q[0]),
                                                   ca.DM.zeros(3, 1)))
    offset = (body_fixed_xyz((0.3, -0.2, 0.5)), np.array([0.2, -0.1, 0.05]))
    return SpatialTree((
        SpatialBody("trunk", None, free(), IDENTITY, IDENTITY, 4.0, (0.05, 0.1, -0.02), INERTIA),
        SpatialBody("arm", "trunk", pin, offset, (np.eye(3), np.array([0.0, 0.2, 0.0])), 1.5,
                    (0.0, -0.1, 0.02), 0.5 * INERTIA)), free().coordinates + ("h",), tuple(G))


def energy(tree, q, qd):
    """Kinetic plus potential energy from body velocities alone (J)."""
    states = tree.body_states(q, qd)
    total = 0
    for b in tree.bodies:
        s = states[b.name]
        _, v, _ = tree.point_kinematics(s, b.com_m)
        c = tree.point_kinematics(s, b.com_m)[0]
        w = ca.mtimes(s.R.T, s.omega)
        total += 0.5 * b.mass_kg * ca.dot(v, v) + 0.5 * ca.dot(w, ca.mtimes(
            ca.DM(np.asarray(b.inertia_kg_m2)), w)) - b.mass_kg * ca.dot(ca.DM(G), c)
    return total


def test_tumbling_chain_conserves_energy_under_forward_dynamics():
    tree = two_body_chain()
    x = ca.SX.sym("x", 2 * tree.n)
    q, qd = x[:tree.n], x[tree.n:]
    rhs = ca.Function("f", [x], [ca.vertcat(qd, tree.forward_dynamics(q, qd, ca.DM.zeros(
        tree.n, 1)))])
    total = ca.Function("e", [x], [energy(tree, q, qd)])
    state = np.concatenate([[0, 1, 0, 0.2, -0.3, 0.1, 0.4], [0.5, 2.0, -0.3, 3.0, -2.0, 1.5,
                                                                 -4.0]])
    start, step = float(total(state)), 1e-3
    kinetic = start - float(total(np.concatenate([state[:7], np.zeros(7)])))
    for _ in range(500):
        k1 = np.array(rhs(state)).ravel()
        k2 = np.array(rhs(state + step / 2 * k1)).ravel()
        k3 = np.array(rhs(state + step / 2 * k2)).ravel()
        k4 = np.array(rhs(state + step * k3)).ravel()
        state = state + step / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    assert abs(float(total(state)) - start) < 1e-9 * kinetic   # RK4 error ~1e-11 here


def euler_lagrange(tree, q, qd, qdd):
    """d/dt dL/dq' - dL/dq with L = T - V (energy() is T + V)."""
    potential = energy(tree, q, ca.DM.zeros(tree.n, 1))
    kinetic = energy(tree, q, qd) - potential
    momentum = ca.gradient(kinetic, qd)
    return (ca.mtimes(ca.jacobian(momentum, qd), qdd) + ca.mtimes(ca.jacobian(momentum, q), qd)
            - ca.gradient(kinetic, q) + ca.gradient(potential, q))


def check_against_lagrange(tree, rng, count=2, scale=1.0):
    q, qd, qdd = (ca.SX.sym(s, tree.n) for s in ("q", "qd", "qdd"))
    both = ca.Function("both", [q, qd, qdd], [tree.inverse_dynamics(q, qd, qdd),
                                               euler_lagrange(tree, q, qd, qdd)])
    for _ in range(count):
        ours, theirs = (np.array(v).ravel() for v in both(
            rng.uniform(-scale, scale, tree.n), rng.normal(size=tree.n), rng.normal(size=tree.n)))
        assert np.max(np.abs(ours - theirs)) < 1e-9 * np.max(np.abs(theirs))


def test_inverse_dynamics_equals_lagrange_on_every_joint_type(tmp_path):
    from spatial_joints_model import joints_model_text
    path = tmp_path / "joints.osim"
    path.write_text(joints_model_text())
    check_against_lagrange(spatial_tree(read_spatial(path)), np.random.default_rng(3))


def test_external_force_enters_as_its_virtual_work():
    tree = two_body_chain()
    rng = np.random.default_rng(4)
    q, qd, qdd = (ca.DM(rng.uniform(-1, 1, tree.n)) for _ in range(3))
    point = tree.point_kinematics(tree.body_states(q)["arm"], (0.1, -0.2, 0.05))[0]
    force, moment = ca.DM([3.0, -1.0, 2.0]), ca.DM([0.5, 0.2, -0.3])
    pushed = tree.inverse_dynamics(q, qd, qdd, external_forces=(
        SpatialForce("arm", point, force, moment),))
    x = ca.SX.sym("q", tree.n)
    arm = tree.body_states(x)["arm"]
    at = tree.point_kinematics(arm, (0.1, -0.2, 0.05))[0]
    # generalised force: J_p^T f + J_w^T m, J_w from omega = J_w q'
    xd = ca.SX.sym("qd", tree.n)
    omega = tree.body_states(x, xd)["arm"].omega
    work = ca.Function("w", [x], [ca.mtimes(ca.jacobian(at, x).T, force)
                                  + ca.mtimes(ca.jacobian(omega, xd).T, moment)])
    np.testing.assert_allclose(np.array(tree.inverse_dynamics(q, qd, qdd) - pushed).ravel(),
                               np.array(work(q)).ravel(), rtol=1e-11, atol=1e-11)


@pytest.mark.skipif(not RAJAGOPAL.exists(), reason="../shared/data/models3d is absent")
def test_rajagopal_walker_knee_velocity_forces_equal_lagrange():
    doc = read_spatial(RAJAGOPAL)
    check_against_lagrange(spatial_tree(doc), np.random.default_rng(5), count=1, scale=0.5)


@pytest.mark.skipif(not RAJAGOPAL.exists(), reason="../shared/data/models3d is absent")
def test_reduced_tree_equals_lagrange_of_the_reduced_system():
    doc = read_spatial(RAJAGOPAL)
    reduced = reduced_tree(doc)
    assert "knee_angle_r_beta" not in reduced.coordinates
    assert "subtalar_angle_r" not in reduced.coordinates      # locked
    assert reduced.n == 39 - 2 - 8     # two patellae coupled; subtalar, mtp, wrists locked
    rng = np.random.default_rng(6)
    q = ca.DM(rng.uniform(-0.5, 0.5, reduced.n))
    full = np.array(reduced.expand(q)[0]).ravel()
    names = list(reduced.tree.coordinates)
    assert full[names.index("knee_angle_r_beta")] == full[names.index("knee_angle_r")]
    assert full[names.index("subtalar_angle_r")] == doc.coordinates()[
        "subtalar_angle_r"].default_value
    check_against_lagrange(reduced, rng, count=1, scale=0.5)
    mass = np.array(reduced.mass_matrix(q))
    assert np.allclose(mass, mass.T) and np.linalg.eigvalsh(mass).min() > 0


def test_reduced_tree_forward_dynamics_inverts_inverse_dynamics():
    tree = two_body_chain()
    couple = ReducedTree(tree, (), {"h": 0.3})
    rng = np.random.default_rng(7)
    q, qd, tau = (ca.DM(rng.normal(size=couple.n)) for _ in range(3))
    qdd = couple.forward_dynamics(q, qd, tau)
    np.testing.assert_allclose(np.array(couple.inverse_dynamics(q, qd, qdd)).ravel(),
                               np.array(tau).ravel(), rtol=1e-10, atol=1e-10)


def test_skew_is_the_cross_product():
    a, b = np.array([0.3, -1.0, 2.0]), np.array([1.5, 0.2, -0.7])
    np.testing.assert_allclose(np.array(ca.mtimes(skew(ca.DM(a)), ca.DM(b))).ravel(),
                               np.cross(a, b))


DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.mark.skipif(not (DATA / "gait2d" / "2D_gait.osim").exists(),
                    reason="../shared/data is absent")
def test_planar_files_keep_the_planar_path_and_3d_files_take_the_spatial_one(tmp_path):
    from spatial_joints_model import joints_model_text

    from ocp.models.multibody import KinematicTree
    from ocp.osim import build_osim_model
    from ocp.osim.spatial_skeleton import is_planar
    assert is_planar(DATA / "gait2d" / "2D_gait.osim")
    assert is_planar(DATA / "walking" / "gait10dof18musc.osim")
    assert isinstance(build_osim_model(DATA / "gait2d" / "2D_gait.osim").tree, KinematicTree)
    path = tmp_path / "joints.osim"
    path.write_text(joints_model_text())
    assert not is_planar(path)
    model = build_osim_model(path)
    assert isinstance(model.tree, SpatialTree | ReducedTree)
    assert model.control_names[:4] == ("tau_j1_0", "tau_j1_1", "tau_j1_2", "force_j1_3")
    # the implicit residual is inverse dynamics minus the controls; markers are outputs
    rng = np.random.default_rng(8)
    x, u, z = (ca.DM(rng.normal(size=k)) for k in (model.nx, model.nu, model.tree.n))
    _, residual = model.implicit_dynamics(x, u, z)
    n = model.tree.n
    expected = model.tree.inverse_dynamics(x[:n], x[n:], z) - u
    np.testing.assert_allclose(np.array(residual), np.array(expected), atol=1e-12)
    markers = model.tree.marker_positions(x[:n])
    outputs = model.outputs(x, u)
    assert float(outputs["m9_z"]) == pytest.approx(float(markers["m9"][2]), abs=1e-14)


def test_mx_symbols_give_the_numbers_of_sx_symbols():
    tree = ReducedTree(two_body_chain(), (), {"x": 0.2})
    values = [np.random.default_rng(10).normal(size=tree.n) for _ in range(3)]
    results = []
    for kind in (ca.SX, ca.MX):
        q, qd, tau = (kind.sym(s, tree.n) for s in ("q", "qd", "tau"))
        results.append(ca.Function("f", [q, qd, tau], [
            tree.forward_dynamics(q, qd, tau), tree.inverse_dynamics(q, qd, tau),
            tree.mechanical_energy(q, qd)])(*values))
    for sx, mx in zip(*results):
        np.testing.assert_allclose(np.array(mx), np.array(sx), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("change, says", [
    (lambda t: t.replace('<Marker name="m2">', '<Marker name="m1">'),
     ("Marker 'm1' (line", "a second marker named 'm1'")),
    (lambda t: t.replace('<PinJoint name="j5">', '<PinJoint name="j4">'),
     ("PinJoint 'j4' (line", "a second joint named 'j4'")),
    (lambda t: t.replace(
        "</JointSet>", "</JointSet><ConstraintSet><objects><PointConstraint name=\"pc\"/>"
                       "</objects></ConstraintSet>"),
     ("PointConstraint 'pc' (line", "constraint type 'PointConstraint' is not supported; "
      "supported: CoordinateCouplerConstraint")),
    (lambda t: t.replace('<Coordinate name="j5_0"><range>-1 1</range><default_value>0.1',
                         '<Coordinate name="j5_0"><range>-1 1</range><clamped>true</clamped>'
                         '<default_value>1.5'),
     ("Coordinate 'j5_0' (line", "<default_value> 1.5 is outside the coordinate's range")),
])
def test_bad_3d_input_is_one_error_naming_the_element(tmp_path, change, says):
    from spatial_joints_model import joints_model_text

    from ocp.osim.elements import OsimError
    path = tmp_path / "bad.osim"
    path.write_text(change(joints_model_text()))
    with pytest.raises(OsimError) as info:
        read_spatial(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and len(message.splitlines()) == 1
    assert all(phrase in message for phrase in says), message
