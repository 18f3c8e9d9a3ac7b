"""Smooth sphere-on-half-space contact in 3D (OpenSim's SmoothSphereHalfSpaceForce).

A sphere fixed in any body pushes against a half-space fixed in a body or in
the ground. The geometry and kinematics are Simbody's
(``SmoothSphereHalfSpaceForce.cpp``, which OpenSim's force wraps); the normal
force and the friction are the laws of :mod:`ocp.models.contact`
(``normal_force``, ``friction_force`` with the "opensim" law, here on a slip
velocity vector):

- the half-space frame (R_f, o_f) is fixed in its body; n = R_body R_f e_x, its
  x axis in ground, points *into* the half-space (OpenSim's floor is the ground
  rotated -pi/2 about z, so n = -y and the surface is y = 0);
- indentation d = (c - o) . n + r, c the sphere's centre and o the frame origin
  in ground, r the radius;
- contact point P = c + r n - (d / 2) n, midway through the indentation;
- v = v_sphere(P) - v_half_space(P), the velocities of the two bodies' material
  points at P; v_n = v . n, v_t = v - v_n n;
- force on the sphere's body, at P, in ground: -F_N(d, v_n) n + F_T(F_N, v_t),
  with F_T = -F_N (...) v_t / sqrt(|v_t|^2 + c_f) (contact.py).

Per foot (:func:`foot_ground_reactions`): the spheres of the bodies whose names
end in the same ``_<side>`` (``calcn_r`` and ``toes_r``: foot ``r``; see
``ocp.models.contact.foot_of``) sum into one ground reaction force, a centre of
pressure on the half-space's surface and a free moment about its normal, as a
force plate in that surface would measure them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import casadi as ca
import numpy as np

from ocp.models.contact import ContactSphere, foot_of, friction_force, normal_force
from ocp.models.spatial.tree import SpatialForce


def rotation_z(angle_rad: float) -> tuple:
    """Rows of the rotation by ``angle_rad`` about z (frame -> parent)."""
    c, s = float(np.cos(angle_rad)), float(np.sin(angle_rad))
    return ((c, -s, 0.0), (s, c, 0.0), (0.0, 0.0, 1.0))


#: OpenSim's floor: the ground frame rotated -pi/2 about z, so its x axis (the
#: direction into the half-space) is -y.
FLOOR_ROTATION = rotation_z(-np.pi / 2)


@dataclass(frozen=True)
class HalfSpace:
    """A ContactHalfSpace: its frame in ``body`` (None: the ground).

    ``rotation`` (3x3, rows; frame -> body) and ``origin_m`` (3,): the frame's
    pose in the body. The half-space is the side its x axis points into.
    """

    name: str = "floor"
    body: str | None = None
    rotation: tuple = FLOOR_ROTATION
    origin_m: tuple = (0.0, 0.0, 0.0)

    def normal_in_body(self) -> np.ndarray:
        """n in the body frame: the frame's x axis, pointing into the half-space."""
        return np.array(self.rotation, dtype=float)[:, 0]


@dataclass(frozen=True)
class SpatialContact:
    """A SmoothSphereHalfSpaceForce: ``sphere`` (its ``segment`` is the body, its
    ``center_m`` three coordinates in the body frame, ``friction_law`` "opensim")
    against ``half_space``."""

    sphere: ContactSphere
    half_space: HalfSpace = HalfSpace()

    @property
    def name(self) -> str:
        return self.sphere.name

    @property
    def body(self) -> str:
        return self.sphere.segment


@dataclass(frozen=True)
class BodyMotion:
    """Pose and velocity of a body frame in ground: R (3x3, body -> ground), p (3,1) m,
    omega (3,1) rad/s, v (3,1) m/s of its origin. S1's ``BodyState`` has the same fields."""

    R: object
    p: object
    omega: object
    v: object


GROUND_MOTION = BodyMotion(ca.DM.eye(3), ca.DM.zeros(3), ca.DM.zeros(3), ca.DM.zeros(3))


class SphereReaction(NamedTuple):
    """One sphere's contact, all in ground: ``force`` (3,1) N on the sphere's body at
    ``point`` (3,1) m; ``indentation`` m, ``normal_force`` N (scalars)."""

    force: object
    point: object
    indentation: object
    normal_force: object


def velocity_of_point(body, point):
    """Velocity (3,1) m/s in ground of the body's material point at ``point`` (ground, m)."""
    return body.v + ca.cross(body.omega, point - body.p)


def sphere_reaction(contact: SpatialContact, sphere_body, half_space_body=None,
                    normal_force_model=None) -> SphereReaction:
    """The contact force on the sphere's body (module docstring), from the motion of
    the sphere's body and of the half-space's (None: the ground, at rest).

    ``sphere_body``, ``half_space_body``: R, p, omega, v in ground (:class:`BodyMotion`
    or a tree's body state). ``normal_force_model`` replaces
    ``ocp.models.contact.normal_force`` (same signature).
    """
    s, h = contact.sphere, contact.half_space
    half = GROUND_MOTION if half_space_body is None else half_space_body
    if half_space_body is None and s.belt_speed_m_s:   # a treadmill: the surface at -b along x
        half = BodyMotion(half.R, half.p, half.omega, ca.DM([-s.belt_speed_m_s, 0.0, 0.0]))
    centre = sphere_body.R @ ca.DM(np.asarray(s.center_m, dtype=float)) + sphere_body.p
    normal = half.R @ ca.DM(h.normal_in_body())
    origin = half.R @ ca.DM(np.asarray(h.origin_m, dtype=float)) + half.p
    indentation = ca.dot(centre - origin, normal) + s.radius_m
    point = centre + s.radius_m * normal - 0.5 * indentation * normal
    v = velocity_of_point(sphere_body, point) - velocity_of_point(half, point)
    v_normal = ca.dot(v, normal)
    v_tangent = v - v_normal * normal
    fn = (normal_force_model or normal_force)(s, indentation, v_normal)
    force = -fn * normal + friction_force(s, fn, v_tangent)
    return SphereReaction(force, point, indentation, fn)


def sphere_reactions(tree, q, qd, contacts, normal_force_model=None) -> tuple:
    """:func:`sphere_reaction` of each contact over a SpatialTree at (q, qd)."""
    states = tree.body_states(q, qd)
    return tuple(sphere_reaction(c, states[c.body],
                                 None if c.half_space.body is None else states[c.half_space.body],
                                 normal_force_model) for c in contacts)


def sphere_forces(tree, q, qd, contacts, normal_force_model=None) -> tuple:
    """The contacts as the tree's external forces: a SpatialForce on each sphere's body at
    its contact point (and, for a half-space on a body, the opposite one on that body)."""
    out = []
    for c, r in zip(contacts, sphere_reactions(tree, q, qd, contacts, normal_force_model)):
        out.append(SpatialForce(c.body, r.point, r.force))
        if c.half_space.body is not None:
            out.append(SpatialForce(c.half_space.body, r.point, -r.force))
    return tuple(out)


def foot_ground_reactions(contacts, reactions, smoothing_N: float = 1e-3) -> dict:
    """Per foot: ground reaction force, centre of pressure and free moment, in ground.

    Outputs ``grf_{x,y,z}_<foot>`` (N), ``cop_{x,y,z}_<foot>`` (m) and
    ``free_moment_<foot>`` (N m, about the surface's outward normal e = -n). With
    F = sum f_i and M the moment of the f_i at their points p_i about the surface
    origin o, the centre of pressure is the point of the surface where the
    resultant acts with a moment along e only:

        cop = o + (e x M + eps sum_i t_i) / (e . F + N eps),   T = e . (M - (cop - o) x F)

    t_i being p_i - o projected on the surface, N the number of spheres and eps =
    ``smoothing_N``, which keeps the quotient defined in swing (the centre of
    pressure then tends to the mean of the points, as in the planar outputs). The
    spheres of one foot must press on the same ground half-space.
    """
    feet = {}
    for contact, reaction in zip(contacts, reactions):
        feet.setdefault(foot_of(contact.sphere), []).append((contact, reaction))
    out = {}
    for foot, items in feet.items():
        half = items[0][0].half_space
        if any(c.half_space != half for c, _ in items) or half.body is not None:
            raise ValueError(f"foot '{foot}': its spheres must press on one half-space fixed "
                             "in the ground to have a centre of pressure")
        outward = -ca.DM(half.normal_in_body())
        origin = ca.DM(np.asarray(half.origin_m, dtype=float))
        force = sum((r.force for _, r in items), ca.DM.zeros(3))
        moment = sum((ca.cross(r.point - origin, r.force) for _, r in items), ca.DM.zeros(3))
        on_surface = sum(((r.point - origin) - ca.dot(r.point - origin, outward) * outward
                          for _, r in items), ca.DM.zeros(3))
        cop = origin + (ca.cross(outward, moment) + smoothing_N * on_surface) \
            / (ca.dot(outward, force) + smoothing_N * len(items))
        free = ca.dot(outward, moment - ca.cross(cop - origin, force))
        for k, axis in enumerate("xyz"):
            out[f"grf_{axis}_{foot}"] = force[k]
            out[f"cop_{axis}_{foot}"] = cop[k]
        out[f"free_moment_{foot}"] = free
    return out


def foot_ground_reaction_units(contacts) -> dict:
    """Units of :func:`foot_ground_reactions`' outputs."""
    units = {}
    for foot in {foot_of(c.sphere) for c in contacts}:
        for axis in "xyz":
            units[f"grf_{axis}_{foot}"] = "N"
            units[f"cop_{axis}_{foot}"] = "m"
        units[f"free_moment_{foot}"] = "N m"
    return units


def sphere_velocities(tree, q, qd, contacts) -> tuple:
    """Velocity (3,1) m/s in ground of each sphere body's material point at its contact
    point (the point of :func:`sphere_reaction`), with the reactions."""
    states = tree.body_states(q, qd)
    reactions = sphere_reactions(tree, q, qd, contacts)
    return tuple((r, velocity_of_point(states[c.body], r.point)
                  - (velocity_of_point(states[c.half_space.body], r.point)
                     if c.half_space.body is not None
                     else ca.DM([-c.sphere.belt_speed_m_s, 0.0, 0.0])))   # a treadmill belt
                 for c, r in zip(contacts, reactions))


class SpatialGround:
    """How a model on a spatial tree (SpatialTree or ReducedTree) meets the ground through
    :class:`SpatialContact` elements: the 3D counterpart of
    ``ocp.models.contact.PlanarGround``, with the same methods."""

    @staticmethod
    def check(tree, contacts):
        bodies = tree.body_names()
        for c in contacts:
            c.sphere.check()
            for body in (c.body, c.half_space.body):
                if body is not None and body not in bodies:
                    raise ValueError(f"contact '{c.name}': unknown body '{body}'")

    @staticmethod
    def reactions(tree, q, qd, contacts, normal_force_model=None) -> tuple:
        """:func:`sphere_reactions`: a SphereReaction per contact."""
        return sphere_reactions(tree, q, qd, contacts, normal_force_model)

    @staticmethod
    def external_forces(contacts, reactions) -> tuple:
        """A SpatialForce on each sphere's body at its contact point (and the opposite on a
        half-space fixed in a body)."""
        out = []
        for c, r in zip(contacts, reactions):
            out.append(SpatialForce(c.body, r.point, r.force))
            if c.half_space.body is not None:
                out.append(SpatialForce(c.half_space.body, r.point, -r.force))
        return tuple(out)

    @staticmethod
    def outputs(contacts, reactions) -> dict:
        return foot_ground_reactions(contacts, reactions)

    @staticmethod
    def output_units(contacts) -> dict:
        return foot_ground_reaction_units(contacts)

    @staticmethod
    def power(tree, q, qd, contacts, normal_force_model=None):
        """Power (W) of the contact forces: sum of f . v, v the relative velocity of the
        material points at each contact point (ocp.models.contact.ground_reaction_power)."""
        return sum(ca.dot(r.force, v) for r, v in sphere_velocities(tree, q, qd, contacts))

    @staticmethod
    def lowest_bottom(tree, contacts, bounds: dict, samples: int = 4000) -> float:
        """The lowest signed height (m) of a sphere's bottom above its half-space over
        postures sampled (seeded) within ``bounds`` (minus the largest indentation)."""
        q = ca.SX.sym("q", tree.n)
        reactions = sphere_reactions(tree, q, ca.SX.zeros(tree.n), contacts)
        depth = ca.vertcat(*[r.indentation for r in reactions])
        f = ca.Function("bottoms", [q], [-ca.mmax(depth)]).map(samples)
        rng = np.random.default_rng(0)
        lo = np.array([max(bounds.get(c, (-np.pi, np.pi))[0], -10.0) for c in tree.coordinates])
        hi = np.array([min(bounds.get(c, (-np.pi, np.pi))[1], 10.0) for c in tree.coordinates])
        postures = lo + (hi - lo) * rng.uniform(size=(samples, tree.n))
        return float(np.min(np.array(f(postures.T))))


SPATIAL_GROUND = SpatialGround()
