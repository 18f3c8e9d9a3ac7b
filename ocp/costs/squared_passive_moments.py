"""Squared passive joint moments: how hard the joints press on their soft stops."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import casadi as ca

from ocp.costs.base import CostTerm
from ocp.io.declarations import option
from ocp.models.muscle_driven import MuscleDrivenTree
from ocp.models.torque_driven import TorqueDrivenTree


def passive_elements(model) -> dict:
    """coordinate -> PassiveJointMoment of a torque- or muscle-driven tree ({} otherwise)."""
    if isinstance(model, (TorqueDrivenTree, MuscleDrivenTree)):
        return model.passive_moments
    return {}


@dataclass
class SquaredPassiveMoments(CostTerm):
    """``integral of mean_j M_lim,j(q_j)^2 dt`` over the coordinates with limit torques ((N m)^2 s).

    ``M_lim`` is the exponential soft stops of :class:`ocp.models.passive.PassiveJointMoment`
    (``[model] passive_moments``); with ``include_damping`` the damping ``-d q'`` too.
    PredSim's ``W.pass_torq`` term (mean over those coordinates, damping left out by
    default, ``S.weights.pass_torq_includes_damping = 0``): it keeps the joints away
    from the ends of their ranges, where the stops would do the work.
    """

    toml_name: ClassVar[str] = "squared_passive_moments"

    include_damping: bool = option(False, doc="add the damping -d q' to the stops")
    reduction: str = option("mean", choices=("mean", "sum"),
                            doc="mean (PredSim) or sum over the coordinates")

    def coordinates(self, model) -> list:
        return [c for c, e in passive_elements(model).items() if e.has_limits]

    def check(self, model):
        if not self.coordinates(model):
            raise ValueError(f"model '{model.name}' has no passive joint moments with limit "
                             f"torques (give [model] passive_moments)")

    def value_unit(self, model):
        return "N^2*m^2*s"

    def integrand(self, v):
        model = v.model
        elements = passive_elements(model)
        names = list(model.tree.coordinates)
        n = len(names)
        terms = []
        for c in self.coordinates(model):
            i = names.index(c)
            moment = elements[c].limit_moment(v.x[i])
            if self.include_damping:
                moment = moment - elements[c].damping_Nm_s_rad * v.x[n + i]
            terms.append(moment ** 2)
        total = ca.sum1(ca.vertcat(*terms))
        return total / len(terms) if self.reduction == "mean" else total
