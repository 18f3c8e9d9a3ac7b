"""The duration of the movement."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ocp.costs.base import CostTerm


@dataclass
class FinalTime(CostTerm):
    """Duration of the movement ``t_f - t_0`` (s): ``integral of 1 dt``."""

    toml_name: ClassVar[str] = "final_time"

    def value_unit(self, model):
        return "s"

    def endpoint(self, e):
        return e.tf - e.t0
