"""Squared generalised accelerations: a smoothness regulariser."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import casadi as ca

from ocp.costs.base import CostTerm
from ocp.io.declarations import option


@dataclass
class SquaredAccelerations(CostTerm):
    """``integral of sum_j q''_j^2 dt`` over the coordinates ((rad/s^2)^2 s).

    A regulariser that keeps predicted motions smooth where the mesh could
    otherwise be exploited (impacts, chattering). Uses the accelerations that
    are variables in the implicit form, or the model's explicit q''.
    """

    toml_name: ClassVar[str] = "squared_accelerations"

    #: On the lifted graph, the explicit q'' is read from the dynamics' lifted
    #: outputs, so the term builds and compiles no derivative blocks of its own
    #: (the muscle walk's first compile: 0.43 M operations, 11 MB of C fewer). The
    #: derivatives are the same to rounding, but rounding can steer IPOPT to another
    #: local optimum: gait2d_muscles.toml ends at J = 0.0310 (139 iterations, first
    #: GRF peak 1.44 body weights) instead of 0.0194 (212 iterations), measured
    #: 2026-12-06. Off by default so that shipped problems keep their results.
    reuse_dynamics_blocks: bool = option(
        False, doc="read q'' from the dynamics' lifted blocks (no blocks of its own: a "
                   "faster first compile; rounding may lead IPOPT elsewhere)")

    def check(self, model):
        if not model.algebraic_names:
            raise ValueError(f"model '{model.name}' has no generalised accelerations")

    def integrand(self, v):
        n = len(v.model.algebraic_names)
        if v.z.shape[0] == n:
            return ca.sumsqr(v.z)
        if self.reuse_dynamics_blocks:
            return ca.sumsqr(v.state_derivative()[n:2 * n])
        return ca.sumsqr(v.model.dynamics_at(v.x, v.u, v.t)[n:2 * n])
