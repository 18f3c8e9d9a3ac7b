"""Squared (or p-th power) controls: the effort of the actuators."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import casadi as ca

from ocp.costs.base import CostContext, CostTerm, squared_integral_unit
from ocp.errors import suggestion
from ocp.io.declarations import option, read_options


@dataclass
class SquaredControls(CostTerm):
    """``integral of sum_i |u_i|^p dt`` over the listed controls (all by default).

    For muscle-driven models these are excitations or activations; for
    torque-driven models the joint torques themselves (units^p s). The
    exponent ``p`` is 2 by default; ``p = 3`` is the cubed-effort criterion
    of predictive gait (Ackermann and van den Bogert 2010), Moco's
    MocoControlGoal with ``setExponent(3)``. ``|u|^p`` with p >= 2 is twice
    differentiable. Known in problem files as ``squared_controls`` and, with
    the same keys, ``control_effort`` (Moco's name).
    """

    toml_name: ClassVar[str] = "squared_controls"
    aliases: ClassVar[tuple[str, ...]] = ("control_effort",)

    controls: tuple[str, ...] | None = option(
        None, doc="the controls penalised (default: all of the model's)")
    exponent: float = option(2.0, minimum=2.0, doc="p of |u|^p; at least 2 (3: cubed effort)")

    @classmethod
    def from_table(cls, name, reader, context: CostContext):
        reader.only(cls.file_keys())
        values = read_options(cls, reader)
        for c in values.get("controls") or ():
            if c not in context.model.control_names:
                raise reader.error("controls", f"unknown control '{c}'" +
                                   suggestion(c, context.model.control_names))
        if not values.get("controls"):
            values["controls"] = None
        return cls(name, **values)

    def check(self, model):
        for c in self.controls or ():
            if c not in model.control_names:
                raise ValueError(f"unknown control '{c}'; the model has "
                                 f"{list(model.control_names)}")

    def value_unit(self, model):
        return squared_integral_unit(self.controls or model.control_names, model)

    def integrand(self, v):
        names = self.controls or v.model.control_names
        if not names:
            return 0
        u = ca.vertcat(*[v.control(n) for n in names])
        if self.exponent == 2:
            return ca.sumsqr(u)
        return ca.sum1(ca.fabs(u) ** self.exponent)
