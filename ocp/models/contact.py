"""Smooth foot-ground contact: spheres fixed in segments against the ground y = 0.

Normal force: Hertz contact of a sphere on a plane with Hunt-Crossley
dissipation, every switch replaced by tanh and every kink by sqrt(x^2 + eps)
so that the force is twice continuously differentiable through touchdown
(Serrancoli, Falisse et al. 2019, IEEE Trans Neural Syst Rehabil Eng
27(5):927; OpenSim's SmoothSphereHalfSpaceForce, whose parameter names and
defaults are used here):

    k   = stiffness^(2/3) / 2
    F_H = 4/3 k sqrt(r k) (sqrt(d^2 + eps))^(3/2) * (1/2 + 1/2 tanh(b_d d))
    F_N = F_H (1 + 3/2 c v_n) * (1/2 + 1/2 tanh(b_v (v_n + 2 / (3 c))))

with d the indentation (m) and v_n the indentation speed (m/s). Friction
follows one of two laws (``ContactSphere.friction_law``), v_s being the signed
slip speed of the contact point along the ground (m/s):

- ``"tanh"`` (the default, our own models): a smooth Coulomb law with a
  stiction speed v_t and a viscous part,

      F_T = -F_N (mu_d tanh(v_s / v_t) + mu_v v_s)

- ``"opensim"`` (models read from .osim files): OpenSim's
  SmoothSphereHalfSpaceForce law (Simbody's SmoothSphereHalfSpaceForce.cpp),
  with c_f = ``derivative_smoothing`` also inside the slip speed and a
  Stribeck peak towards the static coefficient mu_s,

      v_slip = sqrt(v_s^2 + c_f),   v_rel = v_slip / v_t
      F_T = -F_N (m(v_rel) (mu_d + 2 (mu_s - mu_d) / (1 + v_rel^2)) + mu_v v_slip) v_s / v_slip

  OpenSim's m(x) = min(x, 1) has a kink at v_rel = 1; ours is the smooth
  blend :func:`smooth_min_one` of width w = ``friction_kink_smoothing``
  (1e-2): |m - min(x, 1)| = w g(|x - 1| / w) with g(t) = t / (1 + e^(2t)),
  at most 0.1392 w = 1.4e-3 (at |x - 1| = 0.64 w), zero at x = 1, and below
  t e^(-2t) w, i.e. 2.1e-10, for |x - 1| >= 10 w = 0.1. Elsewhere the law is
  OpenSim's to rounding; it stays infinitely differentiable, also through
  v_s = 0, where F_T is linear in v_s. The width in slip speed, w v_t = 2 mm/s
  for v_t = 0.2 m/s, is of the order of OpenSim's own smoothing (sqrt(c_f) =
  3 mm/s in v_slip, 1 / b_v = 20 mm/s in the Hunt-Crossley switch), and the
  curvature it adds, about 1 / w = 100 in v_rel, is mild for IPOPT; within the
  band friction differs from OpenSim's by at most about 0.14 w mu_s F_N.

The force acts at the contact point midway through the indentation.

On a treadmill (``ContactSphere.belt_speed_m_s`` = b, the belt's surface
moving at -b along x under a subject facing +x) the slip velocity is taken
relative to the belt, v_s = v_x + b, and so is the power of the ground
reactions: the forces of a walk on the belt equal those of the same walk
overground shifted by b t (Galilean invariance; ocp.models.treadmill).

The "opensim" law also takes the tangential slip velocity as a vector in
place of v_s (|v|^2 for v_s^2, friction along -v): the 3D contacts of
``ocp.models.spatial.contact`` use it; a signed speed is computed exactly as
before.
"""
from __future__ import annotations

from dataclasses import dataclass

import casadi as ca
import numpy as np

from ocp.models.multibody import (
    KinematicTree,
    PointForce,
    body_velocities,
    fixed_point,
    material_point_velocity,
)


@dataclass(frozen=True)
class ContactSphere:
    """A contact sphere of radius ``radius_m`` centred at ``center_m`` in ``segment``:
    (x, y) in a planar segment, (x, y, z) in a body of a 3D model
    (``ocp.models.spatial.contact``)."""

    name: str
    segment: str
    center_m: tuple[float, float]
    radius_m: float
    stiffness_N_m2: float = 3067776.0
    dissipation_s_m: float = 2.0
    dynamic_friction: float = 0.8
    viscous_friction_s_m: float = 0.5
    transition_velocity_m_s: float = 0.2
    derivative_smoothing: float = 1e-5
    hertz_smoothing_1_m: float = 300.0
    hunt_crossley_smoothing_s_m: float = 50.0
    #: "tanh" or "opensim" (module docstring); the next two enter "opensim" only
    friction_law: str = "tanh"
    #: mu_s of the Stribeck peak; None: equal to ``dynamic_friction`` (no peak)
    static_friction: float | None = None
    #: width w of the smooth min(v_rel, 1) of the "opensim" law (dimensionless)
    friction_kink_smoothing: float = 1e-2
    #: speed b (m/s) of a treadmill belt under the sphere, its surface moving at -b
    #: along x (module docstring); 0 overground
    belt_speed_m_s: float = 0.0

    def check(self):
        for key in ("radius_m", "stiffness_N_m2", "dissipation_s_m", "transition_velocity_m_s",
                    "friction_kink_smoothing"):
            value = getattr(self, key)
            if isinstance(value, (ca.SX, ca.MX)):  # an estimated parameter: bounded in the NLP
                continue
            if not value > 0:
                raise ValueError(f"contact sphere '{self.name}': {key} must be positive, "
                                 f"got {getattr(self, key)}")
        if self.friction_law not in FRICTION_LAWS:
            raise ValueError(f"contact sphere '{self.name}': friction_law must be one of "
                             f"{sorted(FRICTION_LAWS)}, got '{self.friction_law}'")


def normal_force(s: ContactSphere, indentation, indentation_speed):
    """Smooth Hertz/Hunt-Crossley normal force (N) from indentation (m) and its rate (m/s)."""
    k = 0.5 * s.stiffness_N_m2 ** (2.0 / 3.0)
    hertz = (4.0 / 3.0) * k * (s.radius_m * k) ** 0.5 \
        * ca.sqrt(indentation ** 2 + s.derivative_smoothing) ** 1.5
    hertz = hertz * (0.5 + 0.5 * ca.tanh(s.hertz_smoothing_1_m * indentation))
    c = s.dissipation_s_m
    hunt_crossley = hertz * (1 + 1.5 * c * indentation_speed)
    return hunt_crossley * (0.5 + 0.5 * ca.tanh(
        s.hunt_crossley_smoothing_s_m * (indentation_speed + 2.0 / (3.0 * c))))


def friction_force(s: ContactSphere, normal, slip_speed):
    """Friction (N) opposing the slip, by the sphere's ``friction_law``.

    ``slip_speed``: the signed slip speed (m/s) of a planar contact, or, for the
    "opensim" law, the tangential slip velocity as a vector (m/s, (3,1) in 3D);
    the friction then has the same shape.
    """
    return FRICTION_LAWS[s.friction_law](s, normal, slip_speed)


def tanh_friction(s: ContactSphere, normal, slip_speed):
    """Smooth Coulomb plus viscous friction (N): -F_N (mu_d tanh(v_s / v_t) + mu_v v_s).

    Planar only (a signed slip speed): tanh(|v| / v_t) v / |v| has no smooth
    vector form; 3D contacts take the "opensim" law.
    """
    if is_slip_vector(slip_speed):
        raise ValueError(f"contact sphere '{s.name}': the \"tanh\" friction law is planar; "
                         "a 3D contact takes friction_law = \"opensim\"")
    return -normal * (s.dynamic_friction * ca.tanh(slip_speed / s.transition_velocity_m_s)
                      + s.viscous_friction_s_m * slip_speed)


def opensim_friction(s: ContactSphere, normal, slip_speed):
    """OpenSim's SmoothSphereHalfSpaceForce friction (N), its min(v_rel, 1) made smooth.

    The module docstring gives the law and the bound on the difference to
    OpenSim, which lies within |v_rel - 1| < 10 ``friction_kink_smoothing``.
    ``slip_speed`` is a signed speed (planar) or the tangential slip velocity
    vector, whose squared norm replaces v_s^2 (Simbody's vtangent.normSqr()),
    and the friction is along it.
    """
    mu_d = s.dynamic_friction
    mu_s = mu_d if s.static_friction is None else s.static_friction
    v_slip = ca.sqrt(squared_norm(slip_speed) + s.derivative_smoothing)
    v_rel = v_slip / s.transition_velocity_m_s
    magnitude = normal * (smooth_min_one(v_rel, s.friction_kink_smoothing)
                          * (mu_d + 2.0 * (mu_s - mu_d) / (1.0 + v_rel ** 2))
                          + s.viscous_friction_s_m * v_slip)
    return -magnitude * slip_speed / v_slip


def is_slip_vector(v) -> bool:
    """Whether ``v`` is a slip velocity vector (more than one element), not a signed speed."""
    if isinstance(v, np.ndarray):
        return v.size > 1
    return isinstance(v, (ca.SX, ca.MX, ca.DM)) and v.numel() > 1


def squared_norm(v):
    """v^2 of a signed slip speed (the planar expression, unchanged), |v|^2 of a vector."""
    return ca.sumsqr(v) if is_slip_vector(v) else v ** 2


def smooth_min_one(x, width):
    """min(x, 1) made infinitely differentiable: x (1 - s) + s, s = (1 + tanh((x - 1) / w)) / 2.

    Its error, w t / (1 + e^(2t)) with t = |x - 1| / w (above min(x, 1) on
    both sides), vanishes at x = 1 and decays exponentially. That of
    0.5 (x + 1 - sqrt((x - 1)^2 + w^2)) decays only like w^2 / (4 |x - 1|):
    1e-9 at |x - 1| = 0.1 would take w = 2e-5, a curvature 1 / (2 w) = 2.5e4.
    """
    switch = 0.5 + 0.5 * ca.tanh((x - 1.0) / width)
    return x + (1.0 - x) * switch


FRICTION_LAWS = {"tanh": tanh_friction, "opensim": opensim_friction}


def sphere_forces(tree: KinematicTree, q, qd, spheres, normal_force_model=None):
    """Ground reaction on each sphere: list of (PointForce, (F_x, F_y) , contact point).

    The ground is the plane y = 0 with its normal along +y. ``normal_force_model``
    replaces :func:`normal_force` (same signature), e.g. a learned surrogate.
    """
    return [(PointForce(s.segment, point, force), force, point)
            for s, force, point, _ in _sphere_reactions(tree, q, qd, spheres,
                                                        normal_force_model)]


def ground_reaction_power(tree: KinematicTree, q, qd, spheres, normal_force_model=None):
    """Power (W) of the ground reaction forces on the body: sum of F . v over the spheres.

    ``v`` is the velocity of the material point where each force acts. The
    Hertz part of the normal force is conservative, so over a periodic motion
    (or from before touchdown to after lift-off) the integral of minus this
    power is the mechanical energy the body loses to the ground: Hunt-Crossley
    damping at touchdown and friction of a slipping foot. That is the collision
    loss of a step-to-step transition, which a walker must make up with
    positive work (Donelan, Kram and Kuo 2002, J Exp Biol 205:3717). Scalar.
    """
    total = 0
    for _, force, _, velocity in _sphere_reactions(tree, q, qd, spheres, normal_force_model):
        # velocity relative to the ground's surface (a treadmill belt's, module docstring)
        total = total + force[0] * velocity[0] + force[1] * velocity[1]
    return total


def _sphere_reactions(tree, q, qd, spheres, normal_force_model):
    """Per sphere: (sphere, force (F_x, F_y) N, contact point (2,) m, its velocity m/s
    relative to the ground's surface)."""
    normal_force_model = normal_force_model or normal_force
    for s, (indentation, indentation_speed, point, velocity) in zip(
            spheres, sphere_kinematics(tree, q, qd, spheres)):
        fn = normal_force_model(s, indentation, indentation_speed)
        # relative to the ground's surface: a treadmill belt moves at -b along x
        velocity = ca.vertcat(velocity[0] + s.belt_speed_m_s, velocity[1])
        ft = friction_force(s, fn, velocity[0])
        yield s, ca.vertcat(ft, fn), point, velocity


def sphere_kinematics(tree: KinematicTree, q, qd, spheres):
    """Per sphere: (indentation m, indentation speed m/s, contact point (2,) m, its velocity).

    The indentation is the depth of the sphere's bottom below the ground
    (negative above it), its speed the downward velocity of the contact
    point midway through the indentation.
    """
    bodies = body_velocities(tree, q, qd)
    out = []
    for s in spheres:
        center = fixed_point(bodies[s.segment], s.center_m)
        indentation = s.radius_m - center[1]
        point = ca.vertcat(center[0], center[1] - s.radius_m + 0.5 * indentation)
        velocity = material_point_velocity(bodies[s.segment], point)
        out.append((indentation, -velocity[1], point, velocity))
    return out


def foot_of(sphere: ContactSphere) -> str:
    """The side a sphere belongs to, from its segment name ('foot_r' -> 'r')."""
    return sphere.segment.rsplit("_", 1)[-1] if "_" in sphere.segment else sphere.segment


def ground_reactions(spheres, forces) -> dict:
    """Per side: ground reaction force (N) and centre of pressure x (m) as outputs.

    ``grf_x_<side>``, ``grf_y_<side>``, ``cop_x_<side>`` sum the spheres of
    one side; the centre of pressure is the normal-force weighted mean of the
    contact points, regularised so it stays defined in swing (it tends to the
    mean of the points as the force vanishes).
    """
    out = {}
    sides = {}
    for sphere, (_, force, point) in zip(spheres, forces):
        sides.setdefault(foot_of(sphere), []).append((force, point))
    for side, items in sides.items():
        fx = sum(f[0] for f, _ in items)
        fy = sum(f[1] for f, _ in items)
        eps = 1e-3  # N: keeps the quotient smooth in swing
        cop = sum((f[1] + eps) * p[0] for f, p in items) / (fy + eps * len(items))
        out[f"grf_x_{side}"], out[f"grf_y_{side}"], out[f"cop_x_{side}"] = fx, fy, cop
    return out


def ground_reaction_units(spheres) -> dict:
    units = {}
    for side in {foot_of(s) for s in spheres}:
        units.update({f"grf_x_{side}": "N", f"grf_y_{side}": "N", f"cop_x_{side}": "m"})
    return units


def lowest_reachable_sphere_bottom(tree: KinematicTree, spheres, bounds: dict,
                                   samples: int = 4000) -> float:
    """The lowest height (m) a contact sphere's bottom reaches over postures within bounds.

    Sampled (seeded) over the coordinate bounds plus their corners of the
    root's vertical position, so a model whose feet cannot touch the ground
    y = 0 anywhere in its bounds is caught before a solve starts.
    """
    q = ca.SX.sym("q", tree.n)
    bodies = body_velocities(tree, q, ca.SX.zeros(tree.n))
    bottoms = ca.vertcat(*[fixed_point(bodies[s.segment], s.center_m)[1] - s.radius_m
                           for s in spheres])
    f = ca.Function("bottoms", [q], [ca.mmin(bottoms)]).map(samples)
    rng = np.random.default_rng(0)
    lo = np.array([max(bounds.get(c, (-np.pi, np.pi))[0], -10.0) for c in tree.coordinates])
    hi = np.array([min(bounds.get(c, (-np.pi, np.pi))[1], 10.0) for c in tree.coordinates])
    postures = lo + (hi - lo) * rng.uniform(size=(samples, tree.n))
    return float(np.min(np.array(f(postures.T))))


class PlanarGround:
    """How a model on a planar tree meets the ground y = 0 through contact spheres.

    A model asks its ground (this, or ``ocp.models.spatial.contact.SpatialGround``
    for a spatial tree; the builder chooses) for the contact forces, the tree's
    external forces, the outputs and their units, the power and the lowest
    reachable sphere, so the model itself holds no planar or spatial code.
    """

    @staticmethod
    def check(tree, spheres):
        for sphere in spheres:
            sphere.check()
            if sphere.segment not in tree.body_names():
                raise ValueError(f"contact sphere '{sphere.name}': unknown segment "
                                 f"'{sphere.segment}'")

    @staticmethod
    def reactions(tree, q, qd, spheres, normal_force_model=None):
        """:func:`sphere_forces`: per sphere (PointForce, (F_x, F_y), contact point)."""
        return sphere_forces(tree, q, qd, spheres, normal_force_model)

    @staticmethod
    def external_forces(spheres, reactions) -> tuple:
        return tuple(pf for pf, _, _ in reactions)

    @staticmethod
    def outputs(spheres, reactions) -> dict:
        return ground_reactions(spheres, reactions)

    @staticmethod
    def output_units(spheres) -> dict:
        return ground_reaction_units(spheres)

    @staticmethod
    def power(tree, q, qd, spheres, normal_force_model=None):
        return ground_reaction_power(tree, q, qd, spheres, normal_force_model)

    @staticmethod
    def lowest_bottom(tree, spheres, bounds: dict) -> float:
        return lowest_reachable_sphere_bottom(tree, spheres, bounds)


PLANAR_GROUND = PlanarGround()
