"""Squared generalised accelerations: a smoothness regulariser."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import casadi as ca

from ocp.costs.base import CostTerm


@dataclass
class SquaredAccelerations(CostTerm):
    """``integral of sum_j q''_j^2 dt`` over the coordinates ((rad/s^2)^2 s).

    A regulariser that keeps predicted motions smooth where the mesh could
    otherwise be exploited (impacts, chattering). Uses the accelerations that
    are variables in the implicit form, or the model's explicit q''.
    """

    toml_name: ClassVar[str] = "squared_accelerations"

    def check(self, model):
        if not model.algebraic_names:
            raise ValueError(f"model '{model.name}' has no generalised accelerations")

    def integrand(self, v):
        n = len(v.model.algebraic_names)
        if v.z.shape[0] == n:
            return ca.sumsqr(v.z)
        return ca.sumsqr(v.state_derivative()[n:2 * n])
