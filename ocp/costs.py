"""Cost terms: what a movement minimises.

Each term is a small object with a name and a weight that builds the CasADi
expression of its integrand (a Lagrange term, integrated with the
transcription's quadrature) and/or of its endpoint value (a Mayer term). The
objective is ``J = sum_i weight_i * term_i``; the solution reports every
weighted term by name.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import casadi as ca
import numpy as np

from ocp.data.natural_spline import NaturalSpline


class PointVariables:
    """The variables at one time point, by name, for building expressions.

    ``t`` (s), ``x``, ``u``, ``z`` are CasADi symbols; ``state('elbow')``,
    ``control('tau_elbow')`` and ``output('hand_x')`` look up by name.
    """

    def __init__(self, model, t, x, u, z):
        self.model, self.t, self.x, self.u, self.z = model, t, x, u, z
        self._outputs = None

    def state(self, name):
        return self.x[self.model.state_names.index(name)]

    def control(self, name):
        return self.u[self.model.control_names.index(name)]

    def output(self, name):
        if self._outputs is None:
            self._outputs = self.model.outputs(self.x, self.u)
        return self._outputs[name]

    def value(self, name):
        """A state, control or output by name."""
        if name in self.model.state_names:
            return self.state(name)
        if name in self.model.control_names:
            return self.control(name)
        return self.output(name)


@dataclass
class EndpointVariables:
    """Initial and final time (s) and states, for endpoint (Mayer) terms."""

    model: object
    t0: object
    tf: object
    x0: object
    xf: object

    def initial_state(self, name):
        return self.x0[self.model.state_names.index(name)]

    def final_state(self, name):
        return self.xf[self.model.state_names.index(name)]


@dataclass
class CostTerm:
    """Base of all cost terms; ``weight`` multiplies the term in J.

    ``divide_by_displacement`` names a coordinate (``pelvis_tx``): the term is
    divided by that coordinate's change over the motion, e.g. effort per
    metre walked, the cost of transport (Moco's MocoControlGoal option).
    """

    name: str
    weight: float = 1.0
    divide_by_displacement: str | None = None

    def integrand(self, v: PointVariables):
        """Expression integrated over time, or None."""
        return None

    def endpoint(self, e: EndpointVariables):
        """Expression evaluated once at the endpoints, or None."""
        return None

    def check(self, model) -> None:
        """Raise ValueError with a clear message if the term does not fit the model."""


@dataclass
class SquaredControls(CostTerm):
    """``integral of sum_i |u_i|^p dt`` over the listed controls (all by default).

    For muscle-driven models these are excitations or activations; for
    torque-driven models the joint torques themselves (units^p s). The
    exponent ``p`` is 2 by default; ``p = 3`` is the cubed-effort criterion
    of predictive gait (Ackermann and van den Bogert 2010), Moco's
    MocoControlGoal with ``setExponent(3)``. ``|u|^p`` with p >= 2 is twice
    differentiable.
    """

    controls: tuple[str, ...] | None = None
    exponent: float = 2.0

    def check(self, model):
        for c in self.controls or ():
            if c not in model.control_names:
                raise ValueError(f"unknown control '{c}'; the model has "
                                 f"{list(model.control_names)}")

    def integrand(self, v):
        names = self.controls or v.model.control_names
        if not names:
            return 0
        u = ca.vertcat(*[v.control(n) for n in names])
        if self.exponent == 2:
            return ca.sumsqr(u)
        return ca.sum1(ca.fabs(u) ** self.exponent)


@dataclass
class SquaredTorque(CostTerm):
    """``integral of |tau|^2 dt`` of the net joint torques the actuators produce (N^2 m^2 s)."""

    def check(self, model):
        x, u = ca.SX.sym("x", model.nx), ca.SX.sym("u", model.nu)
        if model.joint_torques(x, u) is None:
            raise ValueError(f"model '{model.name}' reports no joint torques")

    def integrand(self, v):
        return ca.sumsqr(v.model.joint_torques(v.x, v.u))


@dataclass
class SquaredActivations(CostTerm):
    """``integral of sum_m a_m^2 dt`` over the muscle activations (s).

    The classic muscle-redundancy criterion (De Groote et al. 2016); needs a
    muscle-driven model.
    """

    def check(self, model):
        x, u = ca.SX.sym("x", model.nx), ca.SX.sym("u", model.nu)
        if model.activations(x, u) is None:
            raise ValueError(f"model '{model.name}' has no muscle activations")

    def integrand(self, v):
        return ca.sumsqr(v.model.activations(v.x, v.u))


@dataclass
class SquaredAccelerations(CostTerm):
    """``integral of sum_j q''_j^2 dt`` over the coordinates ((rad/s^2)^2 s).

    A regulariser that keeps predicted motions smooth where the mesh could
    otherwise be exploited (impacts, chattering). Uses the accelerations that
    are variables in the implicit form, or the model's explicit q''.
    """

    def check(self, model):
        if not model.algebraic_names:
            raise ValueError(f"model '{model.name}' has no generalised accelerations")

    def integrand(self, v):
        n = len(v.model.algebraic_names)
        if v.z.shape[0] == n:
            return ca.sumsqr(v.z)
        return ca.sumsqr(v.model.dynamics(v.x, v.u)[n:2 * n])


@dataclass
class ContactDissipation(CostTerm):
    """``integral of -P_ground dt``: the mechanical energy lost to the ground (J).

    ``P_ground`` is the power of the ground reaction forces on the body
    (:func:`ocp.models.contact.ground_reaction_power`). The elastic part of the
    contact returns what it stores, so over a periodic gait this is the energy
    taken by Hunt-Crossley damping at touchdown and by a slipping foot: the
    collision loss of the step-to-step transition, which a walker pays for
    with positive muscle work (Donelan, Kram and Kuo 2002, J Exp Biol
    205:3717; Kuo, Donelan and Ruina 2005, Exerc Sport Sci Rev 33:88). A
    torque or activation cost alone does not see it: a straight leg carries a
    heel-strike impact through the joint axes at no torque. Divided by the
    distance walked it is in J/m. Smooth wherever the contact model is.
    """

    def check(self, model):
        x = ca.SX.sym("x", model.nx)
        if model.ground_reaction_power(x) is None:
            raise ValueError(f"model '{model.name}' has no contact with the ground")

    def integrand(self, v):
        return -v.model.ground_reaction_power(v.x)


@dataclass
class FinalTime(CostTerm):
    """Duration of the movement ``t_f - t_0`` (s): ``integral of 1 dt``."""

    def endpoint(self, e):
        return e.tf - e.t0


@dataclass
class Tracking(CostTerm):
    """``integral of sum_i (y_i(t) - r_i(t))^2 dt`` for states, controls or outputs.

    ``reference`` maps a name to a constant, to a pair ``(times_s, values)``
    interpolated linearly in time, or to a spline through the samples
    (:class:`ocp.data.natural_spline.NaturalSpline`, Moco's GCV spline); held
    constant outside the data.
    ``scale`` multiplies the squared errors: ``1 / (m g)`` (N^-1) makes a
    ground-reaction tracking term Moco's MocoContactTrackingGoal, which
    divides the integral of squared force errors by the body weight.
    """

    reference: dict = field(default_factory=dict)
    scale: float = 1.0

    def check(self, model):
        known = set(model.state_names) | set(model.control_names) | set(model.output_units())
        for n in self.reference:
            if n not in known:
                raise ValueError(f"cannot track '{n}': not a state, control or "
                                 f"output of model '{model.name}'")

    def integrand(self, v):
        total = 0
        for n, ref in self.reference.items():
            if np.isscalar(ref):
                r = float(ref)
            elif isinstance(ref, NaturalSpline):  # a spline through the samples
                r = ref.expression(v.t)
            else:
                times, values = (np.asarray(a, dtype=float) for a in ref)
                interp = ca.interpolant(f"ref_{n}", "linear", [times], values)
                r = interp(ca.fmin(ca.fmax(v.t, times[0]), times[-1]))
            total += (v.value(n) - r) ** 2
        return self.scale * total


@dataclass
class CustomCost(CostTerm):
    """A term written in Python.

    ``integrand(v: PointVariables) -> expression`` and/or
    ``endpoint(e: EndpointVariables) -> expression``, built from CasADi
    operations so that exact derivatives exist.
    """

    integrand_fn: Callable | None = None
    endpoint_fn: Callable | None = None

    def check(self, model):
        if self.integrand_fn is None and self.endpoint_fn is None:
            raise ValueError("a custom cost needs an integrand or an endpoint function")

    def integrand(self, v):
        return self.integrand_fn(v) if self.integrand_fn else None

    def endpoint(self, e):
        return self.endpoint_fn(e) if self.endpoint_fn else None


#: Names used in problem files -> class.
COST_TYPES = {
    "squared_controls": SquaredControls,
    "control_effort": SquaredControls,
    "squared_torque": SquaredTorque,
    "squared_activations": SquaredActivations,
    "squared_accelerations": SquaredAccelerations,
    "contact_dissipation": ContactDissipation,
    "final_time": FinalTime,
    "tracking": Tracking,
    "custom": CustomCost,
}
