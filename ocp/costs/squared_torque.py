"""Squared net joint torques."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import casadi as ca

from ocp.costs.base import CostTerm


@dataclass
class SquaredTorque(CostTerm):
    """``integral of |tau|^2 dt`` of the net joint torques the actuators produce (N^2 m^2 s)."""

    toml_name: ClassVar[str] = "squared_torque"

    def check(self, model):
        x, u = ca.SX.sym("x", model.nx), ca.SX.sym("u", model.nu)
        if model.joint_torques(x, u) is None:
            raise ValueError(f"model '{model.name}' reports no joint torques")

    def value_unit(self, model):
        return "(N*m)^2*s"

    def integrand(self, v):
        return ca.sumsqr(v.model.joint_torques(v.x, v.u))
