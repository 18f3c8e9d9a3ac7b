"""A kinematic tree driven by Hill-type muscles (and optional reserve actuators).

States: ``q``, ``q'``, then per muscle its activation ``<m>_activation`` (with
activation dynamics) and, for a compliant tendon, its normalised tendon force
``<m>_tendon_force``. Controls: ``<m>_excitation`` (or ``<m>_activation``
when activation dynamics are off), ``<m>_tendon_force_rate`` (compliant:
(dF~T/dt)/10), and ``reserve_<coordinate>`` (normalised, times the reserve's
optimal torque in N m).

Muscle forces act on the joints through moment arms from automatic
differentiation of each muscle-tendon length (De Groote et al. 2016).

Reserves are there to make a problem feasible, not to move the body: after
a solve, :func:`reserve_warnings` names each reserve whose torque's RMS is
more than ``RESERVE_SHARE`` of the RMS of its coordinate's generalised
force (inverse dynamics of the solved motion, without external forces:
what the muscles, reserves and contacts together supply).
"""
from __future__ import annotations

from dataclasses import dataclass

import casadi as ca
import numpy as np
from scipy import integrate

from ocp.engine.reports import register_reporter
from ocp.errors import ProblemError
from ocp.models.base import Model
from ocp.models.contact import PLANAR_GROUND
from ocp.models.multibody import PRISMATIC, REVOLUTE, KinematicTree
from ocp.models.muscles.activation import DEFAULT_SMOOTHING, activation_rate
from ocp.models.muscles.curves import OPENSIM_2016, CurveParameters
from ocp.models.muscles.geometry import PathGeometry, PolynomialGeometry, crossed_coordinates
from ocp.models.muscles.hill import (
    TENDON_FORCE_RATE_SCALE,
    MuscleParameters,
    compliant_tendon,
    rigid_tendon,
)
from ocp.models.passive import passive_moments
from ocp.models.torque_driven import coordinate_units

RIGID, COMPLIANT = "rigid", "compliant"
#: Largest share of a coordinate's generalised force (ratio of RMS over the motion)
#: that a reserve may carry before the solve warns (Hicks et al. 2015, J Biomech
#: Eng 137:020905, keep reserves and residuals small beside the net moments).
RESERVE_SHARE = 0.10


@dataclass(frozen=True)
class Muscle:
    """A named muscle: its Hill parameters and its path."""

    name: str
    parameters: MuscleParameters
    geometry: object  # PathGeometry or PolynomialGeometry


class MuscleDrivenTree(Model):
    """Equations of motion of a tree whose joint torques come from muscles."""

    def __init__(self, name: str, tree: KinematicTree, muscles, *, tendon: str = RIGID,
                 activation_dynamics: bool = True, reserves: dict | None = None,
                 curves: CurveParameters = OPENSIM_2016,
                 activation_smoothing: float = DEFAULT_SMOOTHING,
                 passive_fiber_force: bool = True,
                 geometry=None,
                 parameters: dict | None = None, contacts=(), contact_normal_force=None,
                 ground=None, passive_moments: dict | None = None,
                 no_muscle_moment: tuple = ()):
        if tendon not in (RIGID, COMPLIANT):
            raise ValueError(f"model '{name}': tendon must be '{RIGID}' or '{COMPLIANT}', "
                             f"got '{tendon}'")
        self.name, self.tree = name, tree
        self.muscles = tuple(muscles)
        names = [m.name for m in self.muscles]
        if len(set(names)) != len(names):
            raise ValueError(f"model '{name}': muscle names must be unique, got {names}")
        for m in self.muscles:
            m.parameters.check(m.name)
            if isinstance(m.geometry, (PathGeometry, PolynomialGeometry)):
                m.geometry.check(tree, m.name)
        self.tendon, self.activation_dynamics = tendon, bool(activation_dynamics)
        self.reserves = dict(reserves or {})
        unknown = set(self.reserves) - set(tree.coordinates)
        if unknown:
            raise ProblemError(f"model '{name}': reserve actuators on unknown coordinates "
                               f"{sorted(unknown)}; coordinates: {list(tree.coordinates)}",
                               key="reserves")
        self.curves, self.activation_smoothing = curves, activation_smoothing
        self.passive_fiber_force = bool(passive_fiber_force)
        self.contacts = tuple(contacts)
        self.contact_normal_force = contact_normal_force
        # ocp.models.protocols.ContactModel: PLANAR_GROUND, or SPATIAL_GROUND for
        # SpatialContacts on a spatial tree (ocp.models.spatial.contact)
        self.ground = PLANAR_GROUND if ground is None else ground
        self.ground.check(tree, self.contacts)
        self._parameters = dict(parameters or {})
        #: coordinates the muscles crossing them lengthen with but put no moment on
        #: (PredSim's mtp_type = '2022paper': the mtp moves under its passive moment only)
        self.no_muscle_moment = tuple(no_muscle_moment)
        unknown = [c for c in self.no_muscle_moment if c not in tree.coordinates]
        if unknown:
            raise ValueError(f"model '{name}': no_muscle_moment names unknown coordinates "
                             f"{unknown}; coordinates: {list(tree.coordinates)}")

        coords = tree.coordinates
        kinds = self.coordinate_kinds()
        #: coordinate -> ocp.models.passive.PassiveJointMoment, added to the muscles' torques
        self.passive_moments = dict(passive_moments or {})
        for c, element in self.passive_moments.items():
            if kinds.get(c) != REVOLUTE:
                raise ValueError(f"model '{name}': passive moment on '{c}', which is not a "
                                 f"rotational coordinate of the tree {list(coords)}")
            element.check(c)
        units = [coordinate_units(kinds[c]) for c in coords]
        states = list(coords) + [f"{c}_speed" for c in coords]
        state_units = [u[0] for u in units] + [u[1] for u in units]
        controls, control_units = [], []
        if self.activation_dynamics:
            states += [f"{m}_activation" for m in names]
            controls += [f"{m}_excitation" for m in names]
        else:
            controls += [f"{m}_activation" for m in names]
        state_units += ["-"] * (len(states) - len(state_units))
        control_units += ["-"] * len(controls)
        if tendon == COMPLIANT:
            states += [f"{m}_tendon_force" for m in names]
            state_units += ["-"] * len(names)
            controls += [f"{m}_tendon_force_rate" for m in names]
            control_units += ["1/(10 s)"] * len(names)
        controls += [f"reserve_{c}" for c in self.reserves]
        control_units += ["-"] * len(self.reserves)
        self.state_names, self.state_units = tuple(states), tuple(state_units)
        self.control_names, self.control_units = tuple(controls), tuple(control_units)
        self.algebraic_names = tuple(f"{c}_acceleration" for c in coords)
        self.algebraic_units = tuple(u[2] for u in units)
        # One function of q for all paths: lengths (m, 1) and moment arms (n, m),
        # the arms by automatic differentiation of the lengths.
        q = ca.SX.sym("q", tree.n)
        self.geometry = ca.Function("muscle_geometry", [q], list(self.path_geometry(q)),
                                    ["q"], ["length_m", "moment_arm_m"])
        # checked on the model's own moment arms: one function for all muscles
        for m, crossed in zip(self.muscles, crossed_coordinates(self.geometry, tree)):
            if not crossed:
                raise ValueError(f"muscle '{m.name}' crosses no joint: its length does not "
                                 f"depend on any of {list(tree.coordinates)}")
        # A learned surrogate (ocp.models.surrogate.Surrogate) of the same signature
        # replaces the analytic paths; it is checked against them first.
        # role -> Surrogate, SurrogateInputs (ocp.models.protocols.SurrogateModel)
        self.surrogates, self.surrogate_inputs = {}, {}
        if geometry is not None:
            from ocp.models.surrogate import learned_geometry
            self.geometry = learned_geometry(geometry, tree, self.muscles, self.geometry)
            self.surrogates["geometry"] = geometry

    def path_geometry(self, q):
        """(lengths (m, 1), moment arms (n, m)) at the coordinates q (an SX column),
        the moment arms minus the derivative of the lengths."""
        lengths = ca.vertcat(*[m.geometry.length(self.tree, q) for m in self.muscles])
        return lengths, -ca.jacobian(lengths, q).T

    def coordinate_kinds(self) -> dict:
        """{coordinate: REVOLUTE or PRISMATIC} of the tree (its joints' kinds)."""
        return self.tree.coordinate_kinds()

    def arguments(self) -> dict:
        """The constructor's arguments (Model.replace)."""
        return dict(name=self.name, tree=self.tree, muscles=self.muscles, tendon=self.tendon,
                    activation_dynamics=self.activation_dynamics, reserves=self.reserves,
                    curves=self.curves, activation_smoothing=self.activation_smoothing,
                    passive_fiber_force=self.passive_fiber_force,
                    geometry=self.surrogates.get("geometry"), parameters=self._parameters,
                    contacts=self.contacts, contact_normal_force=self.contact_normal_force,
                    ground=self.ground, passive_moments=self.passive_moments,
                    no_muscle_moment=self.no_muscle_moment)

    # -- pieces of the state and control vectors ---------------------------
    def _split(self, x, u):
        n, m = self.tree.n, len(self.muscles)
        q, qd = x[:n], x[n:2 * n]
        k = 2 * n
        if self.activation_dynamics:
            a, e = x[k:k + m], u[:m]
            k += m
            j = m
        else:
            a, e = u[:m], None
            j = m
        if self.tendon == COMPLIANT:
            ft, dft = x[k:k + m], u[j:j + m]
            j += m
        else:
            ft = dft = None
        reserve = u[j:j + len(self.reserves)]
        return q, qd, a, e, ft, dft, reserve

    def muscle_states(self, x, u):
        """Per muscle: (MuscleState, moment arms (n, 1)) at state x and control u."""
        q, qd, a, _, ft, dft, _ = self._split(x, u)
        lengths, all_arms = self.geometry(q)
        out = []
        for i, m in enumerate(self.muscles):
            length, arms = lengths[i], all_arms[:, i]
            velocity = -ca.dot(arms, qd)
            if self.tendon == COMPLIANT:
                s = compliant_tendon(m.parameters, a[i], length, velocity, ft[i], dft[i],
                                     self.curves, self.passive_fiber_force)
            else:
                s = rigid_tendon(m.parameters, a[i], length, velocity, self.curves,
                                 self.passive_fiber_force)
            out.append((s, arms))
        return out

    def joint_torques(self, x, u):
        *_, reserve = self._split(x, u)
        torque = ca.DM.zeros(self.tree.n, 1)
        coords = self.tree.coordinates
        applied = ca.DM([[0.0 if c in self.no_muscle_moment else 1.0] for c in coords])
        for s, arms in self.muscle_states(x, u):
            torque = torque + applied * arms * s.tendon_force_N
        for k, (c, optimal) in enumerate(self.reserves.items()):
            e = ca.DM.zeros(self.tree.n, 1)
            e[coords.index(c)] = optimal
            torque = torque + e * reserve[k]
        if self.passive_moments:
            q, qd, *_ = self._split(x, u)
            torque = torque + passive_moments(coords, q, qd, self.passive_moments)
        return torque

    def activations(self, x, u):
        return self._split(x, u)[2]

    def _muscle_rates(self, x, u):
        _, _, a, e, _, dft, _ = self._split(x, u)
        rates = []
        if self.activation_dynamics:
            rates += [activation_rate(e[i], a[i], m.parameters.activation_time_constant_s,
                                      m.parameters.deactivation_time_constant_s,
                                      self.activation_smoothing)
                      for i, m in enumerate(self.muscles)]
        if self.tendon == COMPLIANT:
            rates += [TENDON_FORCE_RATE_SCALE * dft[i] for i in range(len(self.muscles))]
        return rates

    def contact_forces(self, x):
        """The ground's reaction on every contact (``ground.reactions``; planar: a list of
        (PointForce, force, point), spatial: SphereReactions)."""
        if not self.contacts:
            return []
        n = self.tree.n
        return self.ground.reactions(self.tree, x[:n], x[n:2 * n], self.contacts,
                                     self.contact_normal_force)

    def external_forces(self, x) -> tuple:
        """The contact forces as the tree's external forces."""
        if not self.contacts:
            return ()
        return self.ground.external_forces(self.contacts, self.contact_forces(x))

    def ground_reaction_power(self, x):
        if not self.contacts:
            return None
        n = self.tree.n
        return self.ground.power(self.tree, x[:n], x[n:2 * n], self.contacts,
                                 self.contact_normal_force)

    def dynamics(self, x, u):
        q, qd, *_ = self._split(x, u)
        external = self.external_forces(x)
        qdd = self.tree.forward_dynamics(q, qd, self.joint_torques(x, u),
                                         external_forces=external)
        return ca.vertcat(qd, qdd, *self._muscle_rates(x, u))

    def implicit_dynamics(self, x, u, z):
        q, qd, *_ = self._split(x, u)
        external = self.external_forces(x)
        residual = self.tree.inverse_dynamics(q, qd, z, external_forces=external) \
            - self.joint_torques(x, u)
        return ca.vertcat(qd, z, *self._muscle_rates(x, u)), residual

    def path_residuals(self, x, u):
        if self.tendon != COMPLIANT:
            return ca.SX(0, 1)
        return ca.vertcat(*[s.equilibrium_residual for s, _ in self.muscle_states(x, u)])

    def outputs(self, x, u):
        q, qd, *_ = self._split(x, u)
        out = self.tree.marker_outputs(q, qd)
        for m, (s, _) in zip(self.muscles, self.muscle_states(x, u)):
            out[f"{m.name}_force"] = s.tendon_force_N
            out[f"{m.name}_fiber_length"] = s.fiber_length_norm
            out[f"{m.name}_fiber_velocity"] = s.fiber_velocity_norm
        torques = self.joint_torques(x, u)
        for i, c in enumerate(self.tree.coordinates):
            out[f"{c}_moment"] = torques[i]
        if self.passive_moments:
            passive = passive_moments(self.tree.coordinates, q, qd, self.passive_moments)
            for i, c in enumerate(self.tree.coordinates):
                if c in self.passive_moments:
                    out[f"{c}_passive_moment"] = passive[i]
        out["mechanical_energy"] = self.tree.mechanical_energy(q, qd)
        if self.contacts:
            out.update(self.ground.outputs(self.contacts, self.contact_forces(x)))
        return out

    def output_units(self):
        units = self.ground.output_units(self.contacts) | self.tree.marker_output_units()
        for m in self.muscles:
            units.update({f"{m.name}_force": "N", f"{m.name}_fiber_length": "l_opt",
                          f"{m.name}_fiber_velocity": "v_max"})
        kinds = self.coordinate_kinds()
        for c in self.tree.coordinates:
            units[f"{c}_moment"] = coordinate_units(kinds[c])[3]
        for c in self.passive_moments:
            units[f"{c}_passive_moment"] = "N*m"
        units["mechanical_energy"] = "J"
        return units

    def default_bounds(self):
        bounds = {}
        for m in self.muscles:
            bounds[f"{m.name}_activation"] = (0.0, 1.0)
            if self.activation_dynamics:
                bounds[f"{m.name}_excitation"] = (0.0, 1.0)
            if self.tendon == COMPLIANT:
                bounds[f"{m.name}_tendon_force"] = (0.0, 5.0)
                bounds[f"{m.name}_tendon_force_rate"] = (-1.0, 1.0)
        for c in self.reserves:
            bounds[f"reserve_{c}"] = (-1.0, 1.0)
        return bounds

    def parameters(self):
        out = dict(self._parameters)
        out["tendon"] = self.tendon
        out["muscles"] = ", ".join(m.name for m in self.muscles)
        return out


def _rms(t, y):
    t, y = np.asarray(t, float), np.asarray(y, float)
    return float(np.sqrt(integrate.trapezoid(y ** 2, t) / (t[-1] - t[0])))


def reserve_warnings(model_name: str, time, reserve_torques: dict, moments: dict) -> list[str]:
    """A warning per reserve whose RMS torque exceeds ``RESERVE_SHARE`` of the RMS of
    its coordinate's moment; ``reserve_torques`` and ``moments`` (N m or N) map a
    coordinate to its values at ``time`` (s)."""
    t = np.asarray(time, float)
    if t.size < 2 or t[-1] <= t[0]:
        return []
    out = []
    for c, torque in reserve_torques.items():
        reserve, moment = _rms(t, torque), _rms(t, moments[c])
        if moment > 0 and reserve > RESERVE_SHARE * moment:
            out.append(f"model '{model_name}': the reserve on '{c}' carries "
                       f"{100 * reserve / moment:.0f} % of its moment (RMS {reserve:.3g} "
                       f"against {moment:.3g}), more than {100 * RESERVE_SHARE:.0f} %: the "
                       f"muscles do not produce the motion; check their strength, the "
                       f"data, or the reserve's optimal force")
    return out


def reported_reserves(model: MuscleDrivenTree) -> dict:
    """The reserves (coordinate -> optimal torque) whose moment something else can
    supply: on a coordinate a muscle crosses, or on the floating base (the chain of
    joints from the ground to the first body with mass, when one is prismatic),
    which contact holds up. On a joint no muscle crosses (a lumbar joint), the
    "reserve" is that joint's only actuator, and carries all of its moment."""
    tree = model.tree
    postures = np.random.default_rng(0).uniform(-np.pi, np.pi, (16, tree.n))
    arms = np.abs(np.array(model.geometry.map(16)(postures.T)[1]))  # (n_q, 16 n_m)
    crossed = {c for i, c in enumerate(tree.coordinates) if arms[i].max() > 1e-9}
    chain, parent = [], None
    for s in tree.segments if isinstance(tree, KinematicTree) else ():   # parents first
        if s.parent == parent:
            chain.append(s)
            parent = s.name
            if not isinstance(s.mass_kg, (int, float)) or s.mass_kg > 0:
                break
    if any(s.joint.kind == PRISMATIC for s in chain):
        crossed.update(s.joint.coordinate for s in chain)
    return {c: optimal for c, optimal in model.reserves.items() if c in crossed}


def tree_moments(model: MuscleDrivenTree, solution) -> tuple[dict, dict]:
    """(reserve torques, generalised forces by inverse dynamics) per reserve's
    coordinate at the solution's grid points, for :func:`reserve_warnings`."""
    x = ca.SX.sym("x", len(model.state_names))
    u = ca.SX.sym("u", len(model.control_names))
    n = model.tree.n
    xdot = model.dynamics(x, u)
    moments = model.tree.inverse_dynamics(x[:n], x[n:2 * n], xdot[n:2 * n])
    f = ca.Function("moments", [x, u], [moments])
    X = np.column_stack([solution.state(s) for s in model.state_names])
    U = np.column_stack([solution.control(c) for c in model.control_names])
    values = np.array(f.map(X.shape[0])(X.T, U.T)).T
    coords, reserves = list(model.tree.coordinates), reported_reserves(model)
    return ({c: optimal * solution.control(f"reserve_{c}") for c, optimal in reserves.items()},
            {c: values[:, coords.index(c)] for c in reserves})


def reserve_reporter(problem, model, solution, context) -> dict:
    """Reporter (ocp.engine.reports): reserves carrying more than their share."""
    if not isinstance(model, MuscleDrivenTree) or not reported_reserves(model):
        return {}
    messages = reserve_warnings(model.name, solution.time, *tree_moments(model, solution))
    return {"warnings": messages} if messages else {}


register_reporter(reserve_reporter, order=25)
