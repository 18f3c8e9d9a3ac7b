"""A kinematic tree driven by ideal joint torque (or force) actuators."""
from __future__ import annotations

import math

import casadi as ca

from ocp.models.base import Model
from ocp.models.contact import PLANAR_GROUND, sphere_kinematics
from ocp.models.contact_edges import has_contact_edges, walker_dynamics
from ocp.models.multibody import REVOLUTE, KinematicTree
from ocp.models.passive import passive_moments
from ocp.models.spatial.outputs import frame_output_units, frame_outputs
from ocp.models.surrogate import LearnedNormalForce, learned_tree_dynamics


def coordinate_units(kind: str) -> tuple[str, str, str, str]:
    """(position, speed, acceleration, generalised force) units of a joint."""
    if kind == REVOLUTE:
        return "rad", "rad/s", "rad/s^2", "N*m"
    return "m", "m/s", "m/s^2", "N"


def actuator_name(coordinate: str, kind: str) -> str:
    return f"tau_{coordinate}" if kind == REVOLUTE else f"force_{coordinate}"


class TorqueDrivenTree(Model):
    """States ``[q, q']``, controls the torques of the actuated joints.

    ``tree``: a planar ``KinematicTree`` or a spatial tree
    (``ocp.models.spatial.SpatialTree`` or ``ReducedTree``): the model asks it
    for ``inverse_dynamics``, ``forward_dynamics``, ``marker_outputs``,
    ``mechanical_energy`` and ``coordinate_kinds``. ``ground`` computes the
    contacts on that tree: ``ocp.models.contact.PLANAR_GROUND`` (the default;
    ``contacts`` are ContactSpheres) or ``ocp.models.spatial.contact.SPATIAL_GROUND``
    (``contacts`` are SpatialContacts, as the .osim builder gives them).

    State names are the coordinate names (``elbow``) followed by their speeds
    (``elbow_speed``); controls are ``tau_<coordinate>`` (N m) for revolute and
    ``force_<coordinate>`` (N) for prismatic joints. Each control is the
    generalised force itself, bounded by ``max_torque`` (N m or N).

    ``frames`` (spatial trees): body names or ``ocp.models.spatial.outputs.OffsetFrame``
    whose position, orientation, gyroscope and accelerometer signals become outputs
    (``frame_outputs``, with q'' of the dynamics, contacts included).
    """

    def __init__(self, name: str, tree: KinematicTree, actuated: tuple[str, ...],
                 max_torque: dict[str, float] | None = None,
                 parameters: dict | None = None, contacts=(),
                 optimal_torque: dict[str, float] | None = None,
                 contact_normal_force=None, passive_moments: dict | None = None,
                 dynamics_surrogate=None, ground=None, frames=()):
        unknown = set(actuated) - set(tree.coordinates)
        if unknown:
            raise ValueError(f"model '{name}': actuated coordinates {sorted(unknown)} "
                             f"are not in the tree {tree.coordinates}")
        self.name = name
        self.tree = tree
        self.actuated = tuple(c for c in tree.coordinates if c in actuated)
        self._max_torque = dict(max_torque or {})
        self._parameters = dict(parameters or {})
        kinds = tree.coordinate_kinds()
        self._kinds = kinds
        coords = tree.coordinates
        units = [coordinate_units(kinds[c]) for c in coords]
        self.state_names = coords + tuple(f"{c}_speed" for c in coords)
        self.state_units = tuple(u[0] for u in units) + tuple(u[1] for u in units)
        self.control_names = tuple(actuator_name(c, kinds[c]) for c in self.actuated)
        # With an optimal torque the control is dimensionless: torque = optimal * u.
        self.optimal_torque = dict(optimal_torque or {})
        self.control_units = tuple("-" if c in self.optimal_torque
                                   else coordinate_units(kinds[c])[3] for c in self.actuated)
        self.contacts = tuple(contacts)
        #: how the contacts meet the ground on this tree (class docstring)
        self.ground = PLANAR_GROUND if ground is None else ground
        #: coordinate -> ocp.models.passive.PassiveJointMoment, added to the actuators
        self.passive_moments = dict(passive_moments or {})
        for c, element in self.passive_moments.items():
            if kinds.get(c) != REVOLUTE:
                raise ValueError(f"model '{name}': passive moment on '{c}', which is not a "
                                 f"revolute coordinate of the tree {coords}")
            element.check(c)
        #: normal-force law of the contacts (None: the analytic Hertz/Hunt-Crossley)
        self.contact_normal_force = contact_normal_force
        #: role -> Surrogate and SurrogateInputs (ocp.models.protocols.SurrogateModel)
        surrogates, surrogate_inputs = {}, {}
        if isinstance(contact_normal_force, LearnedNormalForce):  # watch its inputs
            surrogates["contact"] = contact_normal_force.surrogate
            surrogate_inputs["contact"] = contact_normal_force.inputs(self.contacts)
        self.ground.check(tree, self.contacts)
        self.frames = tuple(frames)
        for frame in self.frames:
            body = frame if isinstance(frame, str) else frame.body
            if body not in tree.body_names():
                raise ValueError(f"model '{name}': frame on unknown body '{body}'")
        self.algebraic_names = tuple(f"{c}_acceleration" for c in coords)
        self.algebraic_units = tuple(u[2] for u in units)
        # Selection matrix from actuator controls to generalised forces, (n, nu).
        self._selection = ca.DM.zeros(tree.n, len(self.actuated))
        for k, c in enumerate(self.actuated):
            self._selection[coords.index(c), k] = self.optimal_torque.get(c, 1.0)
        #: (function, target) of a learned graph network replacing the equations of
        #: motion (ocp.models.surrogate.learned_tree_dynamics), or None: Newton-Euler.
        self.learned_dynamics = None
        self.base_ground = self.ground
        if dynamics_surrogate is not None and has_contact_edges(dynamics_surrogate):
            # a graph network with contact edges: its forces are the ground's too
            self.learned_dynamics, self.ground = walker_dynamics(dynamics_surrogate, self,
                                                                 self.base_ground)
            surrogates = {"dynamics": dynamics_surrogate}
        elif dynamics_surrogate is not None:
            self.learned_dynamics = learned_tree_dynamics(dynamics_surrogate, self)
            surrogates = {"dynamics": dynamics_surrogate}
        self.surrogates, self.surrogate_inputs = surrogates, surrogate_inputs

    def arguments(self) -> dict:
        """The constructor's arguments (Model.replace)."""
        return dict(name=self.name, tree=self.tree, actuated=self.actuated,
                    max_torque=self._max_torque, parameters=self._parameters,
                    contacts=self.contacts, optimal_torque=self.optimal_torque,
                    contact_normal_force=self.contact_normal_force,
                    passive_moments=self.passive_moments,
                    dynamics_surrogate=self.surrogates.get("dynamics"), ground=self.base_ground,
                    frames=self.frames)

    def with_learned_dynamics(self, surrogate) -> TorqueDrivenTree:
        """A new model whose equations of motion are a checked tree-dynamics surrogate.

        Raises SurrogateMismatch (ocp.models.surrogate.learned_tree_dynamics)
        for a surrogate of another tree; this model is unchanged.
        """
        return self.replace(dynamics_surrogate=surrogate)

    def _learned_accelerations(self, q, qd, tau):
        """q'' of the learned dynamics: directly, or M^-1 (tau - b) of a learned tau(q'').

        A graph network's torques are linear in q'' (graph.py), so M e_j =
        tau(q, 0, e_j) - tau(q, 0, 0) and b = tau(q, q', 0) exactly.
        """
        f, target = self.learned_dynamics
        if target == "forward_dynamics":
            return f(q, qd, tau)
        n = self.tree.n
        zero = ca.DM.zeros(n, 1)
        at_rest = f(q, zero, zero)
        M = ca.horzcat(*[f(q, zero, ca.DM.eye(n)[:, j]) - at_rest for j in range(n)])
        return ca.solve(M, tau - f(q, qd, zero))

    def _split(self, x):
        n = self.tree.n
        return x[:n], x[n:2 * n]

    def joint_torques(self, x, u):
        """Generalised forces (n,) on the coordinates: actuators plus passive moments."""
        torques = ca.mtimes(self._selection, u)
        if self.passive_moments:
            q, qd = self._split(x)
            torques = torques + passive_moments(self.tree.coordinates, q, qd,
                                                self.passive_moments)
        return torques

    def contact_forces(self, x):
        """The ground's reaction on every contact (``ground.reactions``; planar: a list of
        (PointForce, force, point))."""
        if not self.contacts:
            return []
        q, qd = self._split(x)
        return self.ground.reactions(self.tree, q, qd, self.contacts, self.contact_normal_force)

    def external_forces(self, x) -> tuple:
        """The contact forces as the tree's external forces."""
        if not self.contacts:
            return ()
        return self.ground.external_forces(self.contacts, self.contact_forces(x))

    def ground_reaction_power(self, x):
        if not self.contacts:
            return None
        q, qd = self._split(x)
        return self.ground.power(self.tree, q, qd, self.contacts, self.contact_normal_force)

    def dynamics(self, x, u):
        q, qd = self._split(x)
        if self.learned_dynamics is not None:
            return ca.vertcat(qd, self._learned_accelerations(q, qd, self.joint_torques(x, u)))
        external = self.external_forces(x)
        qdd = self.tree.forward_dynamics(q, qd, self.joint_torques(x, u),
                                         external_forces=external)
        return ca.vertcat(qd, qdd)

    def implicit_dynamics(self, x, u, z):
        q, qd = self._split(x)
        if self.learned_dynamics is not None:  # torque residual, or acceleration residual
            f, target = self.learned_dynamics
            residual = f(q, qd, z) - self.joint_torques(x, u) if target == "inverse_dynamics" \
                else z - f(q, qd, self.joint_torques(x, u))
            return ca.vertcat(qd, z), residual
        external = self.external_forces(x)
        residual = self.tree.inverse_dynamics(q, qd, z, external_forces=external) \
            - self.joint_torques(x, u)
        return ca.vertcat(qd, z), residual

    def outputs(self, x, u):
        q, qd = self._split(x)
        out = self.tree.marker_outputs(q, qd)
        out["mechanical_energy"] = self.tree.mechanical_energy(q, qd)
        torques = self.joint_torques(x, u)
        for k, c in enumerate(self.tree.coordinates):
            if c in self.actuated:
                out[f"{c}_moment"] = torques[k]
        if self.passive_moments:
            passive = passive_moments(self.tree.coordinates, q, qd, self.passive_moments)
            for k, c in enumerate(self.tree.coordinates):
                if c in self.passive_moments:
                    out[f"{c}_passive_moment"] = passive[k]
        if self.contacts:
            out.update(self.ground.outputs(self.contacts, self.contact_forces(x)))
        if self.frames:   # what an IMU there measures: needs q''
            qdd = self.dynamics(x, u)[self.tree.n:]
            out.update(frame_outputs(self.tree, q, qd, qdd, self.frames))
        if "contact" in self.surrogates:  # the learned contact's inputs
            for s, (d, v, _, _) in zip(self.contacts,
                                       sphere_kinematics(self.tree, q, qd, self.contacts)):
                out[f"indentation_{s.name}"], out[f"indentation_speed_{s.name}"] = d, v
        return out

    def output_units(self):
        units = self.ground.output_units(self.contacts) | self.tree.marker_output_units()
        units["mechanical_energy"] = "J"
        units.update(frame_output_units(self.frames))
        if "contact" in self.surrogates:
            for s in self.contacts:
                units[f"indentation_{s.name}"], units[f"indentation_speed_{s.name}"] = \
                    "m", "m/s"
        for c in self.actuated:
            units[f"{c}_moment"] = coordinate_units(self._kinds[c])[3]
        for c in self.passive_moments:
            units[f"{c}_passive_moment"] = "N*m"
        return units

    def default_bounds(self):
        bounds = {}
        for c in self.actuated:
            limit = self._max_torque.get(c, math.inf)
            if c in self.optimal_torque:
                limit = limit / self.optimal_torque[c]
            bounds[actuator_name(c, self._kinds[c])] = (-limit, limit)
        return bounds

    def parameters(self):
        return dict(self._parameters)
