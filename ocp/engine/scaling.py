"""Variable scaling of the trajectory (``[solver] scale_variables = true``).

IPOPT scales the objective and the constraints (gradient-based), not the variables.
With ``scale_variables`` the NLP's trajectory variables are each state, control and
algebraic divided by the larger magnitude of its bounds (PredSim's rule, Betts 2010,
sec. 4.8: q, q' and q'' by their bound magnitudes, F~T by 5), so that every variable
is of order one: a quasi-Newton (L-BFGS) Hessian starts from a multiple of the
identity, which fits variables of one size. A variable without two finite bounds, or
with both 0, keeps scale 1. The model and the cost terms still see SI values: the
per-point functions (and their compiled derivative blocks) are unchanged, only the
constant maps from the decision vector to their inputs carry the scales.
"""
from __future__ import annotations

import math

import casadi as ca
import numpy as np

__all__ = ["trajectory_scales", "scaled_trajectory", "scaled_bounds"]


def trajectory_scales(problem, model, nz: int) -> np.ndarray:
    """The scale of each trajectory row (the model's states, controls, then its
    algebraics if ``nz``): 1 everywhere unless the problem's solver asks for scaling."""
    names = list(model.state_names) + list(model.control_names) + \
        (list(model.algebraic_names) if nz else [])
    out = np.ones(len(names))
    if not problem.solver.scale_variables:
        return out
    bounds = problem.merged_bounds()
    for i, name in enumerate(names):
        lo, hi = bounds.get(name, (-math.inf, math.inf))
        size = max(abs(lo), abs(hi))
        if math.isfinite(size) and size > 0:
            out[i] = size
    return out


def scaled_trajectory(problem, model, nz: int, W):
    """The trajectory in SI units from the decision variables ``W`` (one row per
    state, control and algebraic, one column per point): ``W`` times each row's
    scale; ``W`` itself when unscaled."""
    scale = trajectory_scales(problem, model, nz)
    if np.all(scale == 1.0):
        return W
    return W * ca.DM(np.repeat(scale[:, None], W.shape[1], axis=1))


def scaled_bounds(problem, model, nz: int, lbx, ubx):
    """(lbx, ubx) of shape (rows, points) in SI units, divided by each row's scale."""
    scale = trajectory_scales(problem, model, nz)[:, None]
    return lbx / scale, ubx / scale
