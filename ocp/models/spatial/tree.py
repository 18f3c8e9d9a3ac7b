"""Spatial kinematic trees of rigid bodies and their equations of motion, in 3D.

A body hangs from its parent through a joint whose transform, a function of
the joint's coordinates, gives the pose of the joint's child frame in its
parent frame. Each joint's motion subspace S(q) (angular and linear velocity
of the child frame per unit coordinate speed, in the parent frame) and its
velocity-product term c = (dS/dt) q' are obtained by differentiating that
transform with CasADi: any function of the coordinates works (OpenSim's
CustomJoint splines included), and the speeds are the coordinates' time
derivatives (u = q').

Dynamics: the recursive Newton-Euler algorithm in the world frame, O(n)
(Featherstone, Rigid Body Dynamics Algorithms, 2008, ch. 5). Inverse dynamics
``tau = M(q) q'' + C(q, q') - G(q) - J^T f_ext`` is the residual of the
implicit form (Falisse et al. 2019); the mass matrix is its Jacobian with
respect to q'' (ID is linear in q''), built once per tree as an SX function
and called; forward dynamics solves ``M q'' = tau - ID(q, q', 0)`` with
``ca.solve``. Gravity enters as an upward acceleration of the ground.

Conventions: world = OpenSim's ground; rotations map child coordinates to
parent (``x_parent = R x_child + p``); units SI (m, rad, kg, N, N m).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import casadi as ca
import numpy as np

from ocp.models.multibody import PRISMATIC, REVOLUTE
from ocp.models.spatial.rotations import axis_angle, clean, vee

__all__ = ["BodyState", "SpatialBody", "SpatialForce", "SpatialJoint", "SpatialMarker",
           "SpatialTree", "joint_motion"]


@dataclass(frozen=True)
class SpatialJoint:
    """One joint between a parent frame and a child frame.

    ``transform(q_list) -> (R (3x3), p (3x1))``: pose of the child frame in the
    parent frame, as CasADi expressions of the joint's coordinates
    (``coordinates``, in that order; a list of scalars). A joint without
    coordinates (a weld) returns constants.
    """

    name: str
    coordinates: tuple[str, ...]
    transform: Callable
    #: optional, the same pose as successive rotations: ``(q_list) -> ([(unit axis (3,),
    #: angle), ...], p (3x1))`` with R = Rot(axis_1, angle_1) Rot(axis_2, angle_2) ...
    #: Then the angular part of the motion subspace is written out,
    #: sum_i (R_1 .. R_{i-1} axis_i) d angle_i / dq, instead of vee(dR/dq R^T):
    #: the same numbers in fewer operations.
    factors: Callable | None = None


@dataclass(frozen=True)
class SpatialBody:
    """A rigid body, its inertia and the joint that carries it.

    ``parent`` is the parent body's name, ``None`` for the ground.
    ``parent_offset`` = (R (3,3), p (3,)): the joint's parent frame in the
    parent body; ``child_offset``: the joint's child frame in this body (numpy,
    m). ``com_m``: centre of mass in the body frame; ``inertia_kg_m2`` (3, 3)
    about the centre of mass, in the body frame.
    """

    name: str
    parent: str | None
    joint: SpatialJoint
    parent_offset: tuple
    child_offset: tuple
    mass_kg: float
    com_m: tuple
    inertia_kg_m2: tuple


@dataclass(frozen=True)
class SpatialMarker:
    """A point fixed in a body: ``position_m`` (3,) in the body frame."""

    name: str
    body: str
    position_m: tuple


@dataclass(frozen=True)
class SpatialForce:
    """A force on ``body`` applied at the world point ``point`` (3x1), both in
    world; ``moment`` an added free moment (N m, world)."""

    body: str
    point: object
    force: object
    moment: object = None


@dataclass(frozen=True)
class BodyState:
    """Pose and motion of a body frame's origin, in world: R (3x3, body -> world),
    p, omega, v, alpha, a (3x1 each; m, rad/s, m/s, rad/s^2, m/s^2)."""

    R: object
    p: object
    omega: object
    v: object
    alpha: object
    a: object


def joint_motion(joint: SpatialJoint) -> ca.Function:
    """(q_j, q'_j) -> (R, p, S (6 x k), c (6 x 1)) of one joint, as an SX function.

    S's columns are (angular; linear) velocity of the child frame in the parent
    frame per unit speed of each coordinate: the angular part is vee(dR/dq_i R^T)
    (written out from the joint's ``factors`` when it has them), the linear part
    dp/dq_i. c = d(S q')/dq q' is the velocity-product term, so
    that the child frame's relative acceleration is S q'' + c.
    """
    k = len(joint.coordinates)
    q = ca.SX.sym("q", k)
    qd = ca.SX.sym("qd", k)
    rotation, position = joint.transform([q[i] for i in range(k)])
    rotation, position = ca.SX(rotation), ca.SX(position)
    if k == 0:
        return ca.Function(joint.name, [q, qd], [rotation, position, ca.SX(6, 0),
                                                ca.SX.zeros(6, 1)])
    if joint.factors is not None:
        angular = ca.SX.zeros(3, k)
        before = None                    # R_1 .. R_{i-1}
        for axis, angle in joint.factors([q[i] for i in range(k)])[0]:
            direction = ca.DM(np.asarray(axis, float).reshape(3, 1))
            if before is not None:
                direction = ca.mtimes(before, direction)
            if isinstance(angle, (ca.SX, ca.MX)):
                angular = angular + ca.mtimes(direction, ca.jacobian(angle, q))
            factor = axis_angle(axis, angle)
            before = factor if before is None else ca.mtimes(before, factor)
    else:
        d_rotation = ca.jacobian(ca.vec(rotation), q)
        angular = ca.horzcat(*[vee(ca.mtimes(ca.reshape(d_rotation[:, i], 3, 3), rotation.T))
                               for i in range(k)])
    subspace = ca.vertcat(angular, ca.jacobian(position, q))
    velocity = ca.mtimes(subspace, qd)
    bias = ca.jtimes(velocity, q, qd)
    return ca.Function(joint.name, [q, qd], [rotation, position, subspace, bias])


def _times(matrix, constant: np.ndarray):
    """matrix @ constant, skipping an identity constant."""
    if np.array_equal(constant, np.eye(3)):
        return matrix
    return ca.mtimes(matrix, ca.DM(constant))


def _rotate(constant: np.ndarray, vector):
    if np.array_equal(constant, np.eye(3)):
        return vector
    return ca.mtimes(ca.DM(constant), vector)


@dataclass(frozen=True)
class SpatialTree:
    """Bodies (parents first), the coordinates the joints use, gravity in world
    (m/s^2, OpenSim's e.g. (0, -9.80665, 0)), markers, and which coordinates are
    translations (m; the others are angles, rad)."""

    bodies: tuple
    coordinates: tuple
    gravity_m_s2: tuple = (0.0, -9.80665, 0.0)
    markers: tuple = ()
    translational: tuple = ()     # coordinates in metres (the others in radians)
    _motion: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self):
        seen = set()
        for b in self.bodies:
            if b.parent is not None and b.parent not in seen:
                raise ValueError(f"body '{b.name}': parent '{b.parent}' must come before it")
            missing = [c for c in b.joint.coordinates if c not in self.coordinates]
            if missing:
                raise ValueError(f"joint '{b.joint.name}' uses {missing}, not in coordinates")
            seen.add(b.name)
        for m in self.markers:
            if m.body not in seen:
                raise ValueError(f"marker '{m.name}' is on '{m.body}', which is not a body")

    @property
    def n(self) -> int:
        return len(self.coordinates)

    def __hash__(self):
        return id(self)

    def motion_function(self, body: SpatialBody) -> ca.Function:
        """:func:`joint_motion` of a body's joint, built once per tree."""
        if body.name not in self._motion:
            self._motion[body.name] = joint_motion(body.joint)
        return self._motion[body.name]

    def _select(self, vector, names):
        index = [self.coordinates.index(c) for c in names]
        return ca.vertcat(*[vector[i] for i in index]) if index else ca.DM(0, 1)

    def _recursion(self, q, qd, qdd, base_acceleration):
        """Forward pass: {body: BodyState} and {body: (R_P, o_C, S, Rp)} per joint."""
        zero = ca.DM.zeros(3, 1)
        states = {None: BodyState(ca.DM.eye(3), zero, zero, zero, zero,
                                  ca.DM(base_acceleration))}
        joints = {}
        for body in self.bodies:
            parent = states[body.parent]
            names = body.joint.coordinates
            rotation, position, subspace, bias = self.motion_function(body)(
                self._select(q, names), self._select(qd, names))
            r_po, p_po = (clean(x) for x in body.parent_offset)
            r_co, p_co = (clean(x) for x in body.child_offset)
            frame_r = _times(parent.R, r_po)                       # joint parent frame
            d = ca.mtimes(parent.R, ca.DM(p_po) + _rotate(r_po, position))
            o_c = parent.p + d                                     # joint child frame origin
            child_r = ca.mtimes(frame_r, rotation)
            body_r = _times(child_r, r_co.T)
            e = -ca.mtimes(body_r, ca.DM(p_co)) if np.any(p_co) else zero
            if names:
                relative = ca.mtimes(subspace, self._select(qd, names))
                rel_acc = ca.mtimes(subspace, self._select(qdd, names)) + bias
                w_rel = ca.mtimes(frame_r, relative[:3])
                v_rel = ca.mtimes(frame_r, relative[3:])
                dw_rel = ca.mtimes(frame_r, rel_acc[:3])
                dv_rel = ca.mtimes(frame_r, rel_acc[3:])
            else:
                w_rel = v_rel = dw_rel = dv_rel = zero
            omega = parent.omega + w_rel
            alpha = parent.alpha + dw_rel + ca.cross(parent.omega, w_rel)
            v_c = parent.v + ca.cross(parent.omega, d) + v_rel
            a_c = (parent.a + ca.cross(parent.alpha, d)
                   + ca.cross(parent.omega, ca.cross(parent.omega, d))
                   + 2 * ca.cross(parent.omega, v_rel) + dv_rel)
            if np.any(p_co):
                v = v_c + ca.cross(omega, e)
                a = a_c + ca.cross(alpha, e) + ca.cross(omega, ca.cross(omega, e))
            else:
                v, a = v_c, a_c
            states[body.name] = BodyState(body_r, o_c + e, omega, v, alpha, a)
            joints[body.name] = (frame_r, o_c, subspace)
        del states[None]
        return states, joints

    def body_states(self, q, qd=None, qdd=None) -> dict:
        """{body: BodyState} in world at (q, q', q''); q' and q'' default to zero."""
        qd = ca.DM.zeros(self.n, 1) if qd is None else qd
        qdd = ca.DM.zeros(self.n, 1) if qdd is None else qdd
        return self._recursion(q, qd, qdd, (0.0, 0.0, 0.0))[0]

    @staticmethod
    def point_kinematics(state: BodyState, local) -> tuple:
        """(position, velocity, acceleration) in world of a point fixed at ``local``
        (3,) in the body of ``state``."""
        r = ca.mtimes(state.R, ca.DM(np.asarray(local, float).reshape(3, 1))) \
            if not isinstance(local, (ca.SX, ca.MX)) else ca.mtimes(state.R, local)
        return (state.p + r, state.v + ca.cross(state.omega, r),
                state.a + ca.cross(state.alpha, r)
                + ca.cross(state.omega, ca.cross(state.omega, r)))

    def inverse_dynamics(self, q, qd, qdd, *, gravity=True, external_forces=()):
        """Generalised forces (n, 1) over ``coordinates`` that produce q'' at (q, q'):
        M q'' + C - G - (external forces' generalised forces)."""
        g = -np.asarray(self.gravity_m_s2, float) if gravity else np.zeros(3)
        states, joints = self._recursion(q, qd, qdd, tuple(g))
        external = {}
        for f in external_forces:
            external.setdefault(f.body, []).append(f)
        force, moment = {}, {}          # net wrench on each subtree, moment about its origin
        for body in self.bodies:
            s = states[body.name]
            com = np.asarray(body.com_m, float).reshape(3, 1)
            inertia = np.asarray(body.inertia_kg_m2, float)
            if body.mass_kg or np.any(inertia):
                rc = ca.mtimes(s.R, ca.DM(com)) if np.any(com) else ca.DM.zeros(3, 1)
                a_com = s.a + ca.cross(s.alpha, rc) + ca.cross(s.omega, ca.cross(s.omega, rc))
                f = body.mass_kg * a_com
                w_b = ca.mtimes(s.R.T, s.omega)
                dw_b = ca.mtimes(s.R.T, s.alpha)
                n_b = ca.mtimes(ca.DM(inertia), dw_b) + ca.cross(
                    w_b, ca.mtimes(ca.DM(inertia), w_b))
                n = ca.mtimes(s.R, n_b) + ca.cross(rc, f)
            else:
                f, n = ca.DM.zeros(3, 1), ca.DM.zeros(3, 1)
            for e in external.pop(body.name, ()):
                f = f - e.force
                n = n - ca.cross(e.point - s.p, e.force)
                if e.moment is not None:
                    n = n - e.moment
            force[body.name], moment[body.name] = f, n
        if external:
            raise ValueError(f"external forces on unknown bodies: {sorted(external)}")
        tau = [0.0] * self.n
        for body in reversed(self.bodies):
            s = states[body.name]
            f, n = force[body.name], moment[body.name]
            frame_r, o_c, subspace = joints[body.name]
            if body.joint.coordinates:
                n_c = n + ca.cross(s.p - o_c, f)
                wrench = ca.vertcat(ca.mtimes(frame_r.T, n_c), ca.mtimes(frame_r.T, f))
                generalised = ca.mtimes(subspace.T, wrench)
                for i, c in enumerate(body.joint.coordinates):
                    k = self.coordinates.index(c)
                    tau[k] = tau[k] + generalised[i]
            if body.parent is not None:
                p = states[body.parent]
                force[body.parent] = force[body.parent] + f
                moment[body.parent] = moment[body.parent] + n + ca.cross(s.p - p.p, f)
        return ca.vertcat(*tau)

    def _mass_function(self) -> ca.Function:
        if "__mass_matrix__" not in self._motion:
            q = ca.SX.sym("q", self.n)
            qdd = ca.SX.sym("qdd", self.n)
            tau = self.inverse_dynamics(q, ca.DM.zeros(self.n, 1), qdd, gravity=False)
            self._motion["__mass_matrix__"] = ca.Function(
                "mass_matrix", [q], [ca.jacobian(tau, qdd)])
        return self._motion["__mass_matrix__"]

    def mass_matrix(self, q):
        """M(q), (n, n): the Jacobian of inverse dynamics with respect to q''."""
        return self._mass_function()(q)

    def forward_dynamics(self, q, qd, tau, *, external_forces=()):
        """q'' (n, 1) from M q'' = tau - ID(q, q', 0) (gravity and forces included)."""
        bias = self.inverse_dynamics(q, qd, ca.DM.zeros(self.n, 1),
                                     external_forces=external_forces)
        return ca.solve(self.mass_matrix(q), tau - bias)

    def marker_positions(self, q) -> dict:
        """{marker: (3, 1) position in world}."""
        states = self.body_states(q)
        return {m.name: self.point_kinematics(states[m.body], m.position_m)[0]
                for m in self.markers}

    def coordinate_kinds(self) -> dict:
        """{coordinate: REVOLUTE (rad) or PRISMATIC (m)} (ocp.models.multibody's names)."""
        return {c: PRISMATIC if c in self.translational else REVOLUTE for c in self.coordinates}

    def body_names(self) -> tuple:
        return tuple(b.name for b in self.bodies)

    def marker_outputs(self, q, qd) -> dict:
        """``<marker>_x``, ``_y``, ``_z`` (m) and ``_vx``, ``_vy``, ``_vz`` (m/s) in world."""
        states = self.body_states(q, qd)
        out = {}
        for m in self.markers:
            position, velocity, _ = self.point_kinematics(states[m.body], m.position_m)
            for k, axis in enumerate("xyz"):
                out[f"{m.name}_{axis}"], out[f"{m.name}_v{axis}"] = position[k], velocity[k]
        return out

    def marker_output_units(self) -> dict:
        return {f"{m.name}_{p}{axis}": "m" if not p else "m/s" for m in self.markers
                for p in ("", "v") for axis in "xyz"}

    def mechanical_energy(self, q, qd):
        """Kinetic plus gravitational potential energy (J), potential 0 at the ground origin."""
        states = self.body_states(q, qd)
        energy = 0
        for b in self.bodies:
            s = states[b.name]
            com, v, _ = self.point_kinematics(s, b.com_m)
            w = ca.mtimes(s.R.T, s.omega)
            energy += (0.5 * b.mass_kg * ca.dot(v, v)
                       + 0.5 * ca.dot(w, ca.mtimes(ca.DM(np.asarray(b.inertia_kg_m2)), w))
                       - b.mass_kg * ca.dot(ca.DM(self.gravity_m_s2), com))
        return energy
