"""Planar kinematic trees of rigid segments and their equations of motion.

The equations of motion ``M(q) q'' + C(q, q') q' + g(q) = tau`` are built with
the recursive Newton-Euler algorithm (RNEA) in the world frame, as CasADi
expressions.

Why Newton-Euler and not Lagrange: RNEA gives the inverse dynamics
``tau = ID(q, q', q'')`` directly, which is exactly the residual of the
implicit formulation, in O(n) operations per evaluation. A symbolic Lagrangian
needs the derivatives of the kinetic energy, whose expressions grow like
O(n^3) or worse for a ten-segment gait model. The mass matrix and the bias
forces of the explicit form come from the same RNEA: column ``j`` of ``M`` is
``ID(q, 0, e_j)`` without gravity, and ``C q' + g = ID(q, q', 0)``
(Featherstone, Rigid Body Dynamics Algorithms, 2008, ch. 5 and 6).

Conventions: x to the right, y up, angles counter-clockwise about z. Gravity
acts along -y. Every segment has a frame whose origin is its joint.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import casadi as ca

REVOLUTE = "revolute"
PRISMATIC = "prismatic"

#: Standard gravity (m/s^2), the value OpenSim uses.
STANDARD_GRAVITY_M_S2 = 9.80665


@dataclass(frozen=True)
class Joint:
    """A one-degree-of-freedom joint that connects a segment to its parent.

    ``location_m`` is the joint centre in the parent's frame (m). A revolute
    joint rotates the segment by ``offset_rad + q`` relative to its parent; a
    prismatic joint translates it by ``q`` metres along the unit vector
    ``axis`` of the parent frame, with a fixed rotation ``offset_rad``.

    ``moving_location`` (revolute joints only; replaces ``location_m``): a
    joint centre that moves with the joint's own coordinate, as a knee whose
    tibia rolls and slides on the femur. A callable ``q -> (p, dp/dq,
    d2p/dq2)``, each a (2, 1) CasADi expression in the parent's frame (m,
    m/rad, m/rad^2). The joint's motion subspace then has the translation
    dp/dq besides the rotation, which the velocities, accelerations and the
    generalised force of RNEA include.
    """

    coordinate: str
    kind: str = REVOLUTE
    location_m: tuple[float, float] = (0.0, 0.0)
    axis: tuple[float, float] = (1.0, 0.0)
    offset_rad: float = 0.0
    moving_location: object = None

    def __post_init__(self):
        if self.kind not in (REVOLUTE, PRISMATIC):
            raise ValueError(f"joint '{self.coordinate}': kind must be "
                             f"'{REVOLUTE}' or '{PRISMATIC}', got '{self.kind}'")
        if self.moving_location is not None and self.kind != REVOLUTE:
            raise ValueError(f"joint '{self.coordinate}': a moving location is supported "
                             f"for revolute joints only")


@dataclass(frozen=True)
class Segment:
    """A rigid segment: its inertial properties and the joint to its parent.

    ``parent`` is the name of the parent segment, or ``None`` for the ground.
    ``com_m`` is the centre of mass in the segment frame (m);
    ``inertia_kg_m2`` the moment of inertia about the centre of mass (kg m^2).
    ``length_m`` is used for drawing and for the default marker at its end.
    ``end_m`` is that end point in the segment frame.
    """

    name: str
    parent: str | None
    joint: Joint
    mass_kg: float
    com_m: tuple[float, float]
    inertia_kg_m2: float
    end_m: tuple[float, float] = (0.0, 0.0)

    def __post_init__(self):
        # CasADi symbols (parameters to estimate, ocp.estimation) are checked by their bounds
        numbers = [v for v in (self.mass_kg, self.inertia_kg_m2) if isinstance(v, (int, float))]
        if any(v < 0 for v in numbers):
            raise ValueError(f"segment '{self.name}': mass and inertia must be "
                             f"non-negative, got {self.mass_kg} kg and "
                             f"{self.inertia_kg_m2} kg m^2")


@dataclass(frozen=True)
class Marker:
    """A named point fixed in a segment, at ``position_m`` in its frame."""

    name: str
    segment: str
    position_m: tuple[float, float]


@dataclass(frozen=True)
class PointForce:
    """An external force (N, world frame, 2-vector) applied at a point, and a moment.

    ``point`` is the point of application in world coordinates (m); both may
    be CasADi expressions (a contact force, for example). ``moment`` (N m,
    about z) is a pure couple on the segment.
    """

    segment: str
    point: object
    force: object
    moment: object = 0.0


@dataclass(frozen=True)
class KinematicTree:
    """A planar tree of segments; parents must be listed before children."""

    segments: tuple[Segment, ...]
    gravity_m_s2: float = STANDARD_GRAVITY_M_S2
    markers: tuple[Marker, ...] = field(default_factory=tuple)

    def __post_init__(self):
        seen = set()
        for seg in self.segments:
            if seg.parent is not None and seg.parent not in seen:
                raise ValueError(
                    f"segment '{seg.name}': parent '{seg.parent}' must be "
                    f"defined before it (known: {sorted(seen) or 'none'})")
            if seg.name in seen:
                raise ValueError(f"segment '{seg.name}' is defined twice")
            seen.add(seg.name)
        for m in self.markers:
            if m.segment not in seen:
                raise ValueError(f"marker '{m.name}': unknown segment '{m.segment}'")

    @property
    def coordinates(self) -> tuple[str, ...]:
        return tuple(s.joint.coordinate for s in self.segments)

    @property
    def n(self) -> int:
        return len(self.segments)

    # The interface a model asks of any tree (planar here, spatial in
    # ocp.models.spatial): thin methods over this module's functions.
    def coordinate_kinds(self) -> dict:
        """{coordinate: REVOLUTE or PRISMATIC}."""
        return {s.joint.coordinate: s.joint.kind for s in self.segments}

    def body_names(self) -> tuple:
        return tuple(s.name for s in self.segments)

    def inverse_dynamics(self, q, qd, qdd, *, gravity=True, external_forces=()):
        return inverse_dynamics(self, q, qd, qdd, gravity=gravity,
                                external_forces=external_forces)

    def mass_matrix(self, q):
        return mass_matrix(self, q)

    def forward_dynamics(self, q, qd, tau, *, external_forces=()):
        return forward_dynamics(self, q, qd, tau, external_forces=external_forces)

    def marker_outputs(self, q, qd) -> dict:
        return marker_outputs(self, q, qd)

    def marker_output_units(self) -> dict:
        return marker_output_units(self)

    def mechanical_energy(self, q, qd):
        return mechanical_energy(self, q, qd)


# -- planar vector helpers ---------------------------------------------------

def _rotate(theta, v):
    c, s = ca.cos(theta), ca.sin(theta)
    return ca.vertcat(c * v[0] - s * v[1], s * v[0] + c * v[1])


def _omega_cross(w, r):
    """w x r for a rotation w about z and an in-plane vector r."""
    return ca.vertcat(-w * r[1], w * r[0])


def _moment(r, f):
    """z component of r x f."""
    return r[0] * f[1] - r[1] * f[0]


@dataclass
class _BodyState:
    angle: object
    omega: object
    alpha: object
    origin: object
    velocity: object
    acceleration: object


def _forward_kinematics(tree: KinematicTree, q, qd, qdd, base_acceleration):
    """Positions, velocities and accelerations of every segment frame.

    Returns a dict segment name -> _BodyState (world frame).
    """
    zero2 = ca.DM.zeros(2, 1)
    ground = _BodyState(0.0, 0.0, 0.0, zero2, zero2, base_acceleration)
    states = {}
    for i, seg in enumerate(tree.segments):
        p = states[seg.parent] if seg.parent is not None else ground
        j = seg.joint
        if j.moving_location is None:
            r = _rotate(p.angle, ca.DM(j.location_m))
        else:
            loc, dloc, ddloc = j.moving_location(q[i])
            r = _rotate(p.angle, loc)
        origin = p.origin + r
        vel = p.velocity + _omega_cross(p.omega, r)
        acc = (p.acceleration + _omega_cross(p.alpha, r)
               - p.omega ** 2 * r)
        if j.moving_location is not None:  # the centre slides along dp/dq
            slide = _rotate(p.angle, dloc)
            vel = vel + slide * qd[i]
            acc = (acc + 2 * _omega_cross(p.omega, slide * qd[i])
                   + _rotate(p.angle, ddloc) * qd[i] ** 2 + slide * qdd[i])
        if j.kind == REVOLUTE:
            angle = p.angle + j.offset_rad + q[i]
            omega = p.omega + qd[i]
            alpha = p.alpha + qdd[i]
        else:
            angle = p.angle + j.offset_rad
            omega, alpha = p.omega, p.alpha
            d = _rotate(p.angle, ca.DM(j.axis))
            origin = origin + d * q[i]
            vel = vel + _omega_cross(p.omega, d * q[i]) + d * qd[i]
            acc = (acc + _omega_cross(p.alpha, d * q[i])
                   - p.omega ** 2 * d * q[i]
                   + 2 * _omega_cross(p.omega, d * qd[i]) + d * qdd[i])
        states[seg.name] = _BodyState(angle, omega, alpha, origin, vel, acc)
    return states


def _point_kinematics(body: _BodyState, local):
    """World position, velocity and acceleration of a point fixed in a body."""
    r = _rotate(body.angle, ca.DM(local))
    pos = body.origin + r
    vel = body.velocity + _omega_cross(body.omega, r)
    acc = body.acceleration + _omega_cross(body.alpha, r) - body.omega ** 2 * r
    return pos, vel, acc


def inverse_dynamics(tree: KinematicTree, q, qd, qdd, *, gravity=True,
                     external_forces: tuple[PointForce, ...] = ()):
    """Generalised forces ``tau = M(q) q'' + C(q, q') q' + g(q) - J^T f_ext``.

    Recursive Newton-Euler in the world frame. ``q``, ``qd``, ``qdd`` are
    (n,) CasADi column vectors in rad or m and their derivatives; returns an
    (n, 1) expression in N m (revolute) or N (prismatic).
    """
    g = tree.gravity_m_s2 if gravity else 0.0
    # Gravity enters as an upward acceleration of the ground (Featherstone's trick).
    bodies = _forward_kinematics(tree, q, qd, qdd, ca.vertcat(0.0, g))
    ext = {}
    for pf in external_forces:
        ext.setdefault(pf.segment, []).append(pf)
    force = {}
    moment = {}  # about the segment's origin (its joint)
    for seg in reversed(tree.segments):
        b = bodies[seg.name]
        com, _, a_com = _point_kinematics(b, seg.com_m)
        f = seg.mass_kg * a_com
        n = seg.inertia_kg_m2 * b.alpha + _moment(com - b.origin, f)
        for pf in ext.get(seg.name, ()):
            f = f - pf.force
            n = n - _moment(pf.point - b.origin, pf.force) - pf.moment
        for child in tree.segments:
            if child.parent == seg.name:
                f = f + force[child.name]
                n = n + moment[child.name] + _moment(
                    bodies[child.name].origin - b.origin, force[child.name])
        force[seg.name], moment[seg.name] = f, n
    tau = []
    for i, seg in enumerate(tree.segments):
        if seg.joint.kind == REVOLUTE:
            tau.append(moment[seg.name])
            if seg.joint.moving_location is not None:
                parent_angle = bodies[seg.parent].angle if seg.parent else 0.0
                slide = _rotate(parent_angle, seg.joint.moving_location(q[i])[1])
                tau[-1] = tau[-1] + ca.dot(slide, force[seg.name])
        else:
            parent_angle = bodies[seg.parent].angle if seg.parent else 0.0
            d = _rotate(parent_angle, ca.DM(seg.joint.axis))
            tau.append(ca.dot(d, force[seg.name]))
    return ca.vertcat(*tau)


def mass_matrix(tree: KinematicTree, q):
    """Joint-space mass matrix M(q), (n, n), by n calls of RNEA."""
    n = tree.n
    zero = ca.DM.zeros(n, 1)
    cols = [inverse_dynamics(tree, q, zero, ca.DM.eye(n)[:, j], gravity=False)
            for j in range(n)]
    return ca.horzcat(*cols)


def forward_dynamics(tree: KinematicTree, q, qd, tau, *,
                     external_forces: tuple[PointForce, ...] = ()):
    """Joint accelerations ``q'' = M^-1 (tau - C q' - g + J^T f_ext)``, (n, 1)."""
    bias = inverse_dynamics(tree, q, qd, ca.DM.zeros(tree.n, 1),
                            external_forces=external_forces)
    return ca.solve(mass_matrix(tree, q), tau - bias)


def marker_kinematics(tree: KinematicTree, q, qd):
    """World position and velocity of every marker: name -> (pos, vel)."""
    zero = ca.DM.zeros(tree.n, 1)
    bodies = _forward_kinematics(tree, q, qd, zero, ca.DM.zeros(2, 1))
    out = {}
    for m in tree.markers:
        pos, vel, _ = _point_kinematics(bodies[m.segment], m.position_m)
        out[m.name] = (pos, vel)
    return out


def segment_points(tree: KinematicTree, q):
    """World positions of each segment's joint and end point: name -> (joint, end)."""
    zero = ca.DM.zeros(tree.n, 1)
    bodies = _forward_kinematics(tree, q, zero, zero, ca.DM.zeros(2, 1))
    return {s.name: (bodies[s.name].origin,
                     _point_kinematics(bodies[s.name], s.end_m)[0])
            for s in tree.segments}


def body_velocities(tree: KinematicTree, q, qd) -> dict:
    """Every segment's frame pose and velocity (one forward pass): name -> _BodyState."""
    zero = ca.DM.zeros(tree.n, 1)
    return _forward_kinematics(tree, q, qd, zero, ca.DM.zeros(2, 1))


def fixed_point(body, local):
    """World position (2, 1) of a point fixed at ``local`` in a body from body_velocities."""
    return _point_kinematics(body, local)[0]


def material_point_velocity(body, point_world):
    """Velocity (2, 1) of the body's material point now at ``point_world``."""
    return body.velocity + _omega_cross(body.omega, point_world - body.origin)


def point_positions(tree: KinematicTree, q, points):
    """World positions of points ``(segment or None for ground, (x, y))``, a list of (2, 1)."""
    zero = ca.DM.zeros(tree.n, 1)
    bodies = _forward_kinematics(tree, q, zero, zero, ca.DM.zeros(2, 1))
    return [ca.DM(local) if segment is None else _point_kinematics(bodies[segment], local)[0]
            for segment, local in points]


def mechanical_energy(tree: KinematicTree, q, qd):
    """Kinetic plus gravitational potential energy (J), relative to y = 0."""
    zero = ca.DM.zeros(tree.n, 1)
    bodies = _forward_kinematics(tree, q, qd, zero, ca.DM.zeros(2, 1))
    energy = 0
    for seg in tree.segments:
        b = bodies[seg.name]
        com, v, _ = _point_kinematics(b, seg.com_m)
        energy += (0.5 * seg.mass_kg * ca.dot(v, v)
                   + 0.5 * seg.inertia_kg_m2 * b.omega ** 2
                   + seg.mass_kg * tree.gravity_m_s2 * com[1])
    return energy


def marker_outputs(tree: KinematicTree, q, qd) -> dict:
    """``<marker>_x``, ``_y`` (m) and ``_vx``, ``_vy`` (m/s) of every marker, as outputs."""
    out = {}
    for name, (pos, vel) in marker_kinematics(tree, q, qd).items():
        out[f"{name}_x"], out[f"{name}_y"] = pos[0], pos[1]
        out[f"{name}_vx"], out[f"{name}_vy"] = vel[0], vel[1]
    return out


def marker_output_units(tree: KinematicTree) -> dict:
    units = {}
    for m in tree.markers:
        units.update({f"{m.name}_x": "m", f"{m.name}_y": "m",
                      f"{m.name}_vx": "m/s", f"{m.name}_vy": "m/s"})
    return units
