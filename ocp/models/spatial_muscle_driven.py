"""A spatial (3D) tree driven by muscles, coordinate actuators and activation actuators.

:class:`SpatialMuscleDrivenTree` is :class:`ocp.models.muscle_driven.MuscleDrivenTree`
over an ``ocp.models.spatial`` tree (a SpatialTree, or a ReducedTree over the
free coordinates): the same muscle states, controls and equations (the
dynamics through the tree's own ``forward_dynamics`` / ``inverse_dynamics``),
the muscles' geometry a smooth function of the coordinates (fitted
polynomials, ``ocp.osim.geometry3d``), moment arms minus its derivative.

It adds OpenSim's ``ActivationCoordinateActuator`` (Falisse et al. 2022's arm
actuators): a state ``<name>_activation`` a with first-order dynamics
a' = (e - a) / tau driven by the control ``<name>_excitation`` e, and a
generalised force ``optimal_force * a`` on its coordinate.

Contacts: SpatialContacts (``ocp.models.spatial.contact``: the file's
SmoothSphereHalfSpaceForces, or spheres from a contact file,
``ocp.osim.contact_file``) push on the tree through ``SPATIAL_GROUND``, as
for the torque-driven 3D model.

Outputs: each marker's position and velocity in ground (``<marker>_x``,
``_y``, ``_z``, ``_vx``, ``_vy``, ``_vz``), the muscles' forces and fibre
states, each coordinate's generalised force from the actuators
(``<coordinate>_moment``) and, with contacts, each foot's ground reaction
force, centre of pressure and free moment (``grf_{x,y,z}_<foot>``,
``cop_{x,y,z}_<foot>``, ``free_moment_<foot>``), and each body's origin in
ground (``<body>_origin_{x,y,z}``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import casadi as ca

from ocp.models.multibody import PRISMATIC, REVOLUTE
from ocp.models.muscle_driven import MuscleDrivenTree
from ocp.models.muscles.geometry import NetworkPathLength
from ocp.models.muscles.polynomial_fit import FittedPolynomialGeometry
from ocp.models.spatial.contact import SPATIAL_GROUND, SpatialContact
from ocp.models.spatial.reduced import ReducedTree

__all__ = ["ActivationActuator", "SpatialMuscleDrivenTree", "spatial_coordinate_kinds"]


@dataclass(frozen=True)
class ActivationActuator:
    """OpenSim's ActivationCoordinateActuator: torque (N m or N) = optimal_force * a,
    a' = (e - a) / activation_time_constant_s, e in [min_control, max_control]."""

    name: str
    coordinate: str
    optimal_force: float
    activation_time_constant_s: float = 0.01
    min_control: float = -math.inf
    max_control: float = math.inf

    def check(self):
        if not (self.optimal_force > 0 and math.isfinite(self.optimal_force)):
            raise ValueError(f"actuator '{self.name}': optimal_force must be positive, "
                             f"got {self.optimal_force}")
        if not (self.activation_time_constant_s > 0):
            raise ValueError(f"actuator '{self.name}': activation_time_constant must be "
                             f"positive, got {self.activation_time_constant_s}")


def spatial_coordinate_kinds(tree) -> dict:
    """{coordinate: REVOLUTE or PRISMATIC}: revolute when the coordinate turns its
    joint's child frame (the rotation of the joint transform depends on it)."""
    base = tree.tree if isinstance(tree, ReducedTree) else tree
    kinds = {}
    for body in base.bodies:
        joint = body.joint
        if not joint.coordinates:
            continue
        symbols = [ca.SX.sym(c) for c in joint.coordinates]
        rotation = ca.SX(joint.transform(symbols)[0])
        for symbol, c in zip(symbols, joint.coordinates):
            kinds[c] = REVOLUTE if ca.depends_on(ca.vec(rotation), symbol) else PRISMATIC
    return {c: kinds.get(c, REVOLUTE) for c in tree.coordinates}


class SpatialMuscleDrivenTree(MuscleDrivenTree):
    """Muscles (and reserves, activation actuators) on a spatial tree.

    ``actuators``: ActivationActuators, each on a free coordinate of ``tree``.
    The other arguments are MuscleDrivenTree's; ``contacts`` are SpatialContacts
    (their ``ground`` is SPATIAL_GROUND).
    """

    def __init__(self, name: str, tree, muscles, *, actuators=(), **kwargs):
        self.actuators = tuple(actuators)
        planar = [c for c in kwargs.get("contacts", ()) if not isinstance(c, SpatialContact)]
        if planar:
            raise ValueError(f"model '{name}': planar contact spheres do not apply to a "
                             f"spatial tree (got '{planar[0].name}'); give SpatialContacts")
        kwargs["ground"] = SPATIAL_GROUND
        super().__init__(name, tree, muscles, **kwargs)
        for a in self.actuators:
            a.check()
            if a.coordinate not in tree.coordinates:
                raise ValueError(f"actuator '{a.name}': coordinate '{a.coordinate}' is not "
                                 f"a free coordinate of the tree: {list(tree.coordinates)}")
        extra_states = tuple(f"{a.name}_activation" for a in self.actuators)
        extra_controls = tuple(f"{a.name}_excitation" for a in self.actuators)
        clash = (set(extra_states) & set(self.state_names)) | \
            (set(extra_controls) & set(self.control_names))
        if clash or len(set(extra_states)) != len(extra_states):
            raise ValueError(f"model '{name}': actuator names clash with other states or "
                             f"controls: {sorted(clash) or extra_states}")
        self.state_names += extra_states
        self.state_units += ("-",) * len(extra_states)
        self.control_names += extra_controls
        self.control_units += ("-",) * len(extra_controls)

    def coordinate_kinds(self) -> dict:
        return spatial_coordinate_kinds(self.tree)

    def path_geometry(self, q):
        """Learned networks (``NetworkPathLength``, one function for all muscles)
        evaluated once; fitted polynomials sharing their monomials: muscles fitted over the same
        coordinates and ranges (the hip muscles) compute each product of powers
        once, and each length is one dot product with them (a quarter less
        expression than term-by-term products for Falisse's 92 muscles); moment
        arms are minus its derivative."""
        learned = [m.geometry for m in self.muscles if isinstance(m.geometry, NetworkPathLength)]
        if learned and len(learned) == len(self.muscles) \
                and all(g.function is learned[0].function for g in learned):
            lengths = learned[0].function(q)[0]   # the networks once, for every muscle
            lengths = ca.vertcat(*[lengths[g.index] for g in learned])
            return lengths, -ca.jacobian(lengths, q).T
        if not all(isinstance(m.geometry, FittedPolynomialGeometry) for m in self.muscles):
            return super().path_geometry(q)
        index = {c: i for i, c in enumerate(self.tree.coordinates)}
        monomials = {}

        def monomial(key):   # key: ((coordinate, centre, half width, power), ...)
            if key not in monomials:
                if not key:
                    monomials[key] = ca.SX(1)
                else:
                    *rest, (c, c0, w, p) = key
                    lower = tuple(rest) + (((c, c0, w, p - 1),) if p > 1 else ())
                    monomials[key] = monomial(lower) * ((q[index[c]] - c0) / w)
            return monomials[key]

        lengths = []
        for m in self.muscles:
            g = m.geometry
            axes = list(zip(g.coordinates, g.centers_rad, g.half_widths_rad))
            keys = [tuple((*a, p) for a, p in zip(axes, e) if p) for e in g.exponents]
            lengths.append(ca.dot(ca.DM(g.coefficients_m), ca.vertcat(*[monomial(t)
                                                                        for t in keys])))
        lengths = ca.vertcat(*lengths)
        return lengths, -ca.jacobian(lengths, q).T

    def arguments(self) -> dict:
        return {**super().arguments(), "actuators": self.actuators}

    def _actuator_parts(self, x, u):
        k = len(self.actuators)
        if not k:
            return ca.SX(0, 1), ca.SX(0, 1)
        return x[x.shape[0] - k:], u[u.shape[0] - k:]

    def joint_torques(self, x, u):
        torque = super().joint_torques(x, u)
        a, _ = self._actuator_parts(x, u)
        index = {c: i for i, c in enumerate(self.tree.coordinates)}
        for k, act in enumerate(self.actuators):
            e = ca.DM.zeros(self.tree.n, 1)
            e[index[act.coordinate]] = act.optimal_force
            torque = torque + e * a[k]
        return torque

    def _muscle_rates(self, x, u):
        a, e = self._actuator_parts(x, u)
        return super()._muscle_rates(x, u) + [
            (e[k] - a[k]) / act.activation_time_constant_s
            for k, act in enumerate(self.actuators)]

    def outputs(self, x, u):
        """MuscleDrivenTree's outputs and each body's origin in ground (``<body>_origin_x``,
        ``_y``, ``_z``, m): what a 3D stick figure draws (``ocp.io.plotting_gait3d``)."""
        out = super().outputs(x, u)
        for body, state in self.tree.body_states(x[:self.tree.n]).items():
            for k, axis in enumerate("xyz"):
                out[f"{body}_origin_{axis}"] = state.p[k]
        return out

    def output_units(self):
        units = super().output_units()
        for body in self.tree.body_names():
            units.update({f"{body}_origin_{axis}": "m" for axis in "xyz"})
        return units

    def default_bounds(self):
        bounds = super().default_bounds()
        for a in self.actuators:
            limits = (a.min_control if math.isfinite(a.min_control) else -1.0,
                      a.max_control if math.isfinite(a.max_control) else 1.0)
            bounds[f"{a.name}_activation"] = limits
            bounds[f"{a.name}_excitation"] = limits
        return bounds
