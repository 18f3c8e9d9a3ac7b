"""Surrogate uncertainty carried to the movement: solve once per ensemble member.

Each member is a complete drop-in surrogate (``OUT_member<k>.casadi``,
written by ``ocp train`` for an ensemble: geometry, contact, activation step
or graph dynamics). Solving the same problem with each gives a sample of the
movements the surrogate's epistemic uncertainty allows; their spread (of the
objective, of every coordinate and ground reaction over time) is the
reported uncertainty of the prediction. The functions live in
:mod:`ocp.analysis.members` (``ocp solve --members KEY`` uses them); they are
named here too for the training side. Needs no torch.
"""
from __future__ import annotations

from ocp.analysis.members import member_files, output_spread, solve_per_member, spread

__all__ = ["member_files", "output_spread", "solve_per_member", "spread"]
