"""Squared muscle activations: the muscle-redundancy criterion."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import casadi as ca

from ocp.costs.base import CostTerm


@dataclass
class SquaredActivations(CostTerm):
    """``integral of sum_m a_m^2 dt`` over the muscle activations (s).

    The classic muscle-redundancy criterion (De Groote et al. 2016); needs a
    muscle-driven model.
    """

    toml_name: ClassVar[str] = "squared_activations"

    def check(self, model):
        x, u = ca.SX.sym("x", model.nx), ca.SX.sym("u", model.nu)
        if model.activations(x, u) is None:
            raise ValueError(f"model '{model.name}' has no muscle activations")

    def integrand(self, v):
        return ca.sumsqr(v.model.activations(v.x, v.u))
