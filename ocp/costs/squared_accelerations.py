"""Squared generalised accelerations: a smoothness regulariser."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import casadi as ca

from ocp.costs.base import CostContext, CostTerm
from ocp.errors import suggestion
from ocp.io.declarations import option, read_options


@dataclass
class SquaredAccelerations(CostTerm):
    """``integral of sum_j (q''_j / s_j)^2 dt`` over the coordinates ((rad/s^2)^2 s).

    A regulariser that keeps predicted motions smooth where the mesh could
    otherwise be exploited (impacts, chattering). Uses the accelerations that
    are variables in the implicit form, or the model's explicit q''.
    ``coordinates`` limits it to some coordinates (default: all), ``scales``
    (a table ``[costs.NAME.scales]``, coordinate = s_j in the coordinate's
    acceleration unit; 1 where not given) divides each acceleration before it
    is squared, and ``reduction = "mean"`` divides the sum by the number of
    coordinates. PredSim's ``W.q_dotdot`` term is the mean over the coordinates
    other than the arms', each scaled by the larger magnitude of its bounds.
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
    coordinates: tuple[str, ...] | None = option(
        None, doc="the coordinates penalised (default: all)")
    reduction: str = option("sum", choices=("sum", "mean"),
                            doc="sum or mean over the coordinates (PredSim: mean)")
    #: coordinate -> s_j, the divisor of its acceleration (``[costs.NAME.scales]``)
    scales: dict = option(default_factory=dict, in_file=False)

    @classmethod
    def from_table(cls, name, reader, context: CostContext):
        reader.only(cls.file_keys() | {"scales"})
        values = read_options(cls, reader)
        known = coordinate_names(context.model)
        for c in values.get("coordinates") or ():
            if c not in known:
                raise reader.error("coordinates", f"unknown coordinate '{c}'" +
                                   suggestion(c, known))
        scales = reader.sub("scales")
        for c in scales.table:
            if c not in known:
                raise scales.error(c, f"unknown coordinate '{c}'" + suggestion(c, known))
            value = scales.number(c)
            if not value > 0:
                raise scales.error(c, f"expected a positive scale, got {value}")
        values["scales"] = {c: scales.number(c) for c in scales.table}
        return cls(name, **values)

    def check(self, model):
        if not model.algebraic_names:
            raise ValueError(f"model '{model.name}' has no generalised accelerations")
        known = coordinate_names(model)
        for c in (*(self.coordinates or ()), *self.scales):
            if c not in known:
                raise ValueError(f"unknown coordinate '{c}'" + suggestion(c, known))

    def integrand(self, v):
        n = len(v.model.algebraic_names)
        if v.z.shape[0] == n:
            qdd = v.z
        elif self.reuse_dynamics_blocks:
            qdd = v.state_derivative()[n:2 * n]
        else:
            qdd = v.model.dynamics_at(v.x, v.u, v.t)[n:2 * n]
        if self.coordinates is None and not self.scales and self.reduction == "sum":
            return ca.sumsqr(qdd)   # as before the options: shipped problems unchanged
        names = coordinate_names(v.model)
        chosen = self.coordinates or names
        rows = [qdd[names.index(c)] / self.scales.get(c, 1.0) for c in chosen]
        total = ca.sumsqr(ca.vertcat(*rows))
        return total / len(rows) if self.reduction == "mean" else total


def coordinate_names(model) -> list:
    """The coordinates whose accelerations the model has, in their order."""
    suffix = "_acceleration"
    return [a[:-len(suffix)] if a.endswith(suffix) else a for a in model.algebraic_names]
