"""do() operations: rewrite a model or problem so that one node of the causal graph
is set from outside, and nothing else changes.

Each intervention is a small frozen dataclass; :func:`intervene` applies a list
of them to a Problem and returns a new Problem (the original is untouched):

- :class:`SetSignal`: ``do(node = value)`` for a control (an excitation) or an
  activation state, a constant or a trajectory ``(times_s, values)``, read wherever
  the node was, which cuts every incoming edge (an activation's excitation).
- :class:`ScaleMaxForce`: weakness, ``F_max <- factor * F_max`` of one muscle.
- :class:`RemoveMuscle`: the muscle is taken out of the model.
- :class:`LockJoint`: ``do(q_j = angle)``, speed and acceleration zero, the
  other coordinates moving by the free coordinates' equations; bounds pin it too.
- :class:`ExternalLoad`: an extra generalised force (N m or N) on one
  coordinate, constant or a trajectory, added to the equations of motion.
- :class:`SegmentLoad`: a force (N, world frame) at a point fixed in a named
  segment and/or a moment (N m) on it, constant or trajectories; it enters the
  equations of motion as ``J(q)^T F`` (J the Jacobian of the point) plus the
  moment on every coordinate that rotates the segment, through RNEA.

Signals that vary in time read an extra state ``intervention_clock`` (``d/dt clock
= 1``, from the problem's start time); a non-autonomous base gets the time itself.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import casadi as ca
import numpy as np

from ocp.errors import ProblemError, suggestion
from ocp.models.base import Model
from ocp.models.multibody import PointForce, inverse_dynamics, mass_matrix, point_positions
from ocp.models.protocols import MuscleModel, OsimModel, TreeModel
from ocp.problem import PathConstraint, Problem, as_range

CLOCK = "intervention_clock"


def _signal_expression(value, clock):
    """A constant, or linear interpolation of (times_s, values) held outside the data."""
    if np.isscalar(value):
        return ca.SX(float(value))
    times, values = (np.asarray(a, dtype=float) for a in value)
    t = ca.fmin(ca.fmax(clock, times[0]), times[-1])
    return ca.pw_lin(t, ca.DM(times), ca.DM(values))


def is_trajectory(value) -> bool:
    return not np.isscalar(value)


def _signal_values(value):
    return np.atleast_1d(np.asarray(value[1] if is_trajectory(value) else value, float))


@dataclass(frozen=True)
class SetSignal:
    """do(node = value): a control or an activation state set from outside.

    ``value`` is a number or ``(times_s, values)`` (linear in between, held
    outside); units of the node (dimensionless for excitations/activations).
    """

    node: str
    value: object

    def describe(self) -> str:
        v = self.value if not is_trajectory(self.value) else \
            f"a trajectory of {len(self.value[0])} samples"
        return f"do({self.node} = {v})"


@dataclass(frozen=True)
class ScaleMaxForce:
    """Weakness (factor < 1) or strength (> 1) of one muscle's maximum isometric force."""

    muscle: str
    factor: float

    def describe(self) -> str:
        return f"do({self.muscle}_max_isometric_force = {self.factor:g} x original)"


@dataclass(frozen=True)
class RemoveMuscle:
    muscle: str

    def describe(self) -> str:
        return f"do({self.muscle}_force = 0) (muscle removed)"


@dataclass(frozen=True)
class LockJoint:
    """do(coordinate = angle_rad) with zero speed, over the whole movement."""

    coordinate: str
    angle: float

    def describe(self) -> str:
        return f"do({self.coordinate} = {math.degrees(self.angle):.4g} deg) (joint locked)"


@dataclass(frozen=True)
class ExternalLoad:
    """An extra generalised force on ``coordinate`` (N m or N): a number or (times_s, values)."""

    coordinate: str
    value: object

    def describe(self) -> str:
        v = self.value if not is_trajectory(self.value) else "a trajectory"
        return f"do({self.coordinate}_external_load = {v})"


@dataclass(frozen=True)
class SegmentLoad:
    """A force and/or moment on a segment, each constant or ``(times_s, values)``.

    ``point_m``: point of application in the segment's frame (m); ``force_x``,
    ``force_y``: world-frame components (N); ``moment``: about z (N m,
    counter-clockwise positive).
    """

    segment: str
    point_m: tuple = (0.0, 0.0)
    force_x: object = 0.0
    force_y: object = 0.0
    moment: object = 0.0

    @property
    def value(self):  # the signal that decides whether the model needs a clock
        parts = [v for v in (self.force_x, self.force_y, self.moment) if is_trajectory(v)]
        return parts[0] if parts else 0.0

    def describe(self) -> str:
        def text(v):
            return "a trajectory" if is_trajectory(v) else f"{v:g}"
        return (f"do({self.segment}_load = force ({text(self.force_x)}, {text(self.force_y)}) N "
                f"at {tuple(self.point_m)} m, moment {text(self.moment)} N*m)")


class IntervenedModel(Model):
    """A model with set signals, locked joints and external loads (see module docstring).

    A wrapper (ocp.models.protocols.WrapperModel) that declares what its base
    is: built around a tree model it is an IntervenedTreeModel (``tree``
    forwarded), around a muscle model an IntervenedMuscleModel (``muscles``,
    ``tendon`` and ``activation_dynamics`` too); ``IntervenedModel(base, ...)``
    picks the class.
    """

    def __new__(cls, base: Model | None = None, *args, **kwargs):
        if base is None:  # copy and pickle make the object first, then fill its __dict__
            return super().__new__(cls)
        if isinstance(base, MuscleModel):
            cls = IntervenedMuscleModel
        elif isinstance(base, TreeModel):
            cls = IntervenedTreeModel
        else:
            cls = IntervenedModel
        return super().__new__(cls)

    def __init__(self, base: Model, signals=(), locks=(), loads=(), start_time: float = 0.0,
                 segment_loads=()):
        self.base = base
        self.signals, self.locks, self.loads = tuple(signals), tuple(locks), tuple(loads)
        self.segment_loads = tuple(segment_loads)
        self.start_time = float(start_time)
        self.name, self.time_dependent = base.name, base.time_dependent
        self.uses_clock = any(is_trajectory(s.value)
                              for s in self.signals + self.loads + self.segment_loads)
        extra = (CLOCK,) if self.uses_clock else ()
        self.state_names = tuple(base.state_names) + extra
        self.state_units = tuple(base.state_units) + (("s",) if extra else ())
        self.control_names, self.control_units = base.control_names, base.control_units
        self.algebraic_names, self.algebraic_units = base.algebraic_names, base.algebraic_units
        if (self.locks or self.loads or self.segment_loads) and not isinstance(base, TreeModel):
            raise ValueError(f"model '{base.name}' has no kinematic tree to lock or load")

    def arguments(self) -> dict:
        """The constructor's arguments (Model.replace)."""
        return dict(base=self.base, signals=self.signals, locks=self.locks, loads=self.loads,
                    start_time=self.start_time, segment_loads=self.segment_loads)

    # -- the rewrite ----------------------------------------------------------
    def _clock(self, x):
        return x[self.base.nx] if self.uses_clock else None

    def _set(self, x, u):
        """x, u of the base model with the set nodes replaced by their values."""
        xb = [x[i] for i in range(self.base.nx)]
        ub = [u[i] for i in range(self.base.nu)]
        clock = self._clock(x)
        for s in self.signals:
            v = _signal_expression(s.value, clock)
            if s.node in self.base.state_names:
                xb[self.base.state_names.index(s.node)] = v
            else:
                ub[self.base.control_names.index(s.node)] = v
        for lock in self.locks:
            i = self.tree.coordinates.index(lock.coordinate)
            xb[i], xb[self.tree.n + i] = ca.SX(lock.angle), ca.SX(0.0)
        col = lambda v: ca.vertcat(*v) if v else ca.SX(0, 1)  # noqa: E731
        return col(xb), col(ub)

    def _load(self, x):
        """Generalised forces (n, 1) of the loads: on coordinates, and J^T F on segments."""
        tau = ca.SX.zeros(self.tree.n, 1)
        for load in self.loads:
            tau[self.tree.coordinates.index(load.coordinate)] += \
                _signal_expression(load.value, self._clock(x))
        if self.segment_loads:
            n, clock = self.tree.n, self._clock(x)
            q, zero = x[:n], ca.DM.zeros(n, 1)
            forces = []
            for sl in self.segment_loads:
                point = point_positions(self.tree, q, [(sl.segment, sl.point_m)])[0]
                force = ca.vertcat(_signal_expression(sl.force_x, clock),
                                   _signal_expression(sl.force_y, clock))
                forces.append(PointForce(sl.segment, point, force,
                                         _signal_expression(sl.moment, clock)))
            # RNEA at rest without gravity returns -J^T F - (moment terms)
            tau = tau - inverse_dynamics(self.tree, q, zero, zero, gravity=False,
                                         external_forces=tuple(forces))
        return tau

    def _free(self) -> list[int]:
        locked = {self.tree.coordinates.index(lk.coordinate) for lk in self.locks}
        return [i for i in range(self.tree.n) if i not in locked]

    def _state_rates(self, x, xdot):
        """Rates of set states follow their set values (d/dt of the signal)."""
        xdot = [xdot[i] for i in range(self.base.nx)]
        clock = self._clock(x)
        for s in self.signals:
            if s.node in self.base.state_names:
                i = self.base.state_names.index(s.node)
                xdot[i] = ca.jacobian(_signal_expression(s.value, clock), clock) \
                    if clock is not None and is_trajectory(s.value) else ca.SX(0.0)
        if self.uses_clock:
            xdot.append(ca.SX(1.0))
        return xdot

    def dynamics(self, x, u):
        return self.dynamics_at(x, u, None)

    def dynamics_at(self, x, u, t):  # t (s) passed on to a non-autonomous base
        xb, ub = self._set(x, u)
        f = self.base.dynamics(xb, ub) if t is None else self.base.dynamics_at(xb, ub, t)
        if self.locks or self.loads or self.segment_loads:
            n = self.tree.n
            M = mass_matrix(self.tree, xb[:n])
            # generalised force balance of the base model, plus the loads:
            # M q'' = tau - bias + load; locked rows take the constraint force
            h = ca.mtimes(M, f[n:2 * n]) + self._load(x)
            free = self._free()
            qdd = ca.SX.zeros(n, 1)
            if free:
                qdd[free] = ca.solve(M[free, free], h[free])
            f = ca.vertcat(xb[n:2 * n], qdd, f[2 * n:])
        return ca.vertcat(*self._state_rates(x, f))

    def implicit_dynamics(self, x, u, z):
        xb, ub = self._set(x, u)
        f, residual = self.base.implicit_dynamics(xb, ub, z)
        if self.locks or self.loads or self.segment_loads:
            n = self.tree.n
            residual = residual - self._load(x)
            rows = [residual[i] for i in range(n)]
            for lock in self.locks:
                rows[self.tree.coordinates.index(lock.coordinate)] = z[
                    self.tree.coordinates.index(lock.coordinate)]
            residual = ca.vertcat(*rows, residual[n:])
            f = ca.vertcat(xb[n:2 * n], f[n:])
        return ca.vertcat(*self._state_rates(x, f)), residual

    @property
    def has_implicit_form(self) -> bool:
        return self.base.has_implicit_form

    def outputs(self, x, u):
        return self.base.outputs(*self._set(x, u))

    def outputs_at(self, x, u, t):
        return self.base.outputs_at(*self._set(x, u), t)

    def output_units(self):
        return self.base.output_units()

    def joint_torques(self, x, u):
        return self.base.joint_torques(*self._set(x, u))

    def activations(self, x, u):
        return self.base.activations(*self._set(x, u))

    def path_residuals(self, x, u):
        return self.base.path_residuals(*self._set(x, u))

    def default_bounds(self):
        return self.base.default_bounds()

    def parameters(self):
        out = dict(self.base.parameters())
        out["interventions"] = "; ".join(i.describe() for i in self.signals + self.locks
                                         + self.loads + self.segment_loads)
        return out


class IntervenedTreeModel(IntervenedModel):
    """An intervened tree model: the base's kinematic tree (a TreeModel)."""

    @property
    def tree(self):
        return self.base.tree


class IntervenedMuscleModel(IntervenedTreeModel):
    """An intervened muscle model: the base's muscles (a MuscleModel)."""

    @property
    def muscles(self):
        return self.base.muscles

    @property
    def tendon(self) -> str:
        return self.base.tendon

    @property
    def activation_dynamics(self) -> bool:
        return self.base.activation_dynamics


# -- applying a list of interventions to a problem ---------------------------

def _muscle_model(model, key):
    from ocp.models.muscle_driven import MuscleDrivenTree
    if not isinstance(model, MuscleDrivenTree):
        raise ProblemError(f"model '{model.name}' has no muscles", key)
    return model


def _rebuild_muscles(model, muscles):
    """The same muscle-driven model (same class, contacts, bounds) with another list of muscles."""
    changes = {"muscles": muscles}
    if isinstance(model, OsimModel):  # read from an .osim file: keep the file's other bounds
        names = {m.name for m in muscles}
        removed = [m.name for m in model.muscles if m.name not in names]
        changes["bounds"] = {k: v for k, v in model.file_bounds.items()
                             if not any(k.startswith(r + "_") for r in removed)}
    return model.replace(**changes)


def nodes(model) -> list[str]:
    """Names an intervention can act on: controls, activation states, muscles, coordinates."""
    out = list(model.control_names)
    out += [n for n in model.state_names if n.endswith("_activation")]
    out += [m.name for m in model.muscles] if isinstance(model, MuscleModel) else []
    out += list(model.tree.coordinates) if isinstance(model, TreeModel) else []
    return out


def intervene(problem: Problem, interventions, keys=None) -> Problem:
    """A new Problem with every intervention applied; ``problem`` is unchanged.

    ``keys`` (one dotted problem-file key per intervention) name the culprit
    in a ProblemError: an unknown node (with the closest name suggested), or
    a do() that contradicts a bound or a condition of the problem.
    """
    interventions = list(interventions)
    keys = list(keys) if keys is not None else [f"intervention.{i}" for i in
                                                range(len(interventions))]
    model = problem.model
    bounds, initial, final = dict(problem.bounds), dict(problem.initial), dict(problem.final)
    guess_values = dict(problem.guess_values)
    costs = [dataclasses.replace(c) for c in problem.costs]
    path_constraints = list(problem.path_constraints)
    merged = problem.merged_bounds()

    # 1. muscle rewrites (a new muscle list)
    removed = set()
    for item, key in zip(interventions, keys):
        if isinstance(item, (ScaleMaxForce, RemoveMuscle)):
            _muscle_model(model, key)
            names = [m.name for m in model.muscles]
            if item.muscle not in names:
                raise ProblemError(f"model '{model.name}' has no muscle '{item.muscle}'"
                                   + suggestion(item.muscle, names), f"{key}.muscle")
            if isinstance(item, ScaleMaxForce):
                if not item.factor > 0:
                    raise ProblemError(f"the factor must be positive, got {item.factor} "
                                       f"(to take the muscle out, use do = 'remove_muscle')",
                                       f"{key}.factor")
                muscles = [dataclasses.replace(m, parameters=dataclasses.replace(
                    m.parameters, max_isometric_force_N=m.parameters.max_isometric_force_N
                    * item.factor)) if m.name == item.muscle else m for m in model.muscles]
            else:
                muscles = [m for m in model.muscles if m.name != item.muscle]
                if not muscles:
                    raise ProblemError("cannot remove the model's last muscle", key)
                removed.add(item.muscle)
            model = _rebuild_muscles(model, muscles)
    if removed:
        gone = lambda name: any(name.startswith(f"{m}_") for m in removed)  # noqa: E731
        for table in (bounds, initial, final, guess_values):
            for name in [n for n in table if gone(n)]:
                del table[name]
        for c in costs:
            if getattr(c, "controls", None):
                c.controls = tuple(n for n in c.controls if not gone(n)) or None
            if getattr(c, "reference", None):
                c.reference = {n: r for n, r in c.reference.items() if not gone(n)}

    # 2. set signals, locks and loads (the wrapper)
    signals, locks, loads, segment_loads = [], [], [], []
    for item, key in zip(interventions, keys):
        if isinstance(item, SetSignal):
            settable = list(model.control_names) + [
                n for n in model.state_names if n.endswith("_activation")]
            if item.node not in settable:
                raise ProblemError(f"'{item.node}' is not a control or activation of model "
                                   f"'{model.name}'" + suggestion(item.node, settable),
                                   f"{key}.node")
            lo, hi = merged.get(item.node, (-math.inf, math.inf))
            values = _signal_values(item.value)
            if np.any(values < lo) or np.any(values > hi):
                raise ProblemError(f"do({item.node}) sets values in [{values.min():g}, "
                                   f"{values.max():g}] outside its bounds [{lo:g}, {hi:g}]",
                                   f"{key}.value")
            signals.append(item)
        elif isinstance(item, LockJoint):
            coords = list(model.tree.coordinates) if isinstance(model, TreeModel) else []
            if item.coordinate not in coords:
                raise ProblemError(f"'{item.coordinate}' is not a coordinate of model "
                                   f"'{model.name}'" + suggestion(item.coordinate, coords),
                                   f"{key}.coordinate")
            lo, hi = merged.get(item.coordinate, (-math.inf, math.inf))
            if not lo <= item.angle <= hi:
                raise ProblemError(f"the lock angle {item.angle:g} lies outside the bounds "
                                   f"[{lo:g}, {hi:g}] of '{item.coordinate}'", f"{key}.angle")
            for section, table in (("initial", initial), ("final", final)):
                for name, target in ((item.coordinate, item.angle),
                                     (f"{item.coordinate}_speed", 0.0)):
                    if name in table:
                        a, b = as_range(table[name])
                        if not a - 1e-12 <= target <= b + 1e-12:
                            raise ProblemError(
                                f"locking '{item.coordinate}' at {target:g} contradicts "
                                f"{section}.{name} = {table[name]}", key)
                        del table[name]
            locks.append(item)
        elif isinstance(item, ExternalLoad):
            coords = list(model.tree.coordinates) if isinstance(model, TreeModel) else []
            if item.coordinate not in coords:
                raise ProblemError(f"'{item.coordinate}' is not a coordinate of model "
                                   f"'{model.name}'" + suggestion(item.coordinate, coords),
                                   f"{key}.coordinate")
            loads.append(item)
        elif isinstance(item, SegmentLoad):
            segments = [seg.name for seg in model.tree.segments] \
                if isinstance(model, TreeModel) else []
            if item.segment not in segments:
                raise ProblemError(f"'{item.segment}' is not a segment of model "
                                   f"'{model.name}'" + suggestion(item.segment, segments),
                                   f"{key}.segment")
            segment_loads.append(item)
    if signals or locks or loads or segment_loads:
        model = IntervenedModel(model, signals, locks, loads, problem.start_time,
                                segment_loads)
        for s in signals:
            for table in (initial, final, guess_values):
                table.pop(s.node, None)
            if s.node in model.control_names:
                if is_trajectory(s.value):
                    path_constraints.append(_pin(s, model))
                else:
                    bounds[s.node] = (float(s.value), float(s.value))
            else:
                initial[s.node] = float(np.interp(problem.start_time, *s.value)) \
                    if is_trajectory(s.value) else float(s.value)
        for lock in locks:
            bounds[lock.coordinate] = (lock.angle, lock.angle)
            bounds[f"{lock.coordinate}_speed"] = (0.0, 0.0)
            guess_values[lock.coordinate] = lock.angle
            guess_values[f"{lock.coordinate}_speed"] = 0.0
        if model.uses_clock:
            initial[CLOCK] = problem.start_time
    return dataclasses.replace(
        problem, model=model, bounds=bounds, initial=initial, final=final,
        guess_values=guess_values, costs=costs, path_constraints=path_constraints,
        guess=None)


def _pin(signal: SetSignal, model: IntervenedModel) -> PathConstraint:
    """control(t) == value(t): the control variable shows the value the model reads."""
    def function(v):
        return v.control(signal.node) - _signal_expression(signal.value, v.t)
    return PathConstraint(f"do_{signal.node}", function, 0.0, 0.0)
