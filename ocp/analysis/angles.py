"""Angles that wrap: an unbounded angle whose solution turns by more than 2 pi.

An angle enters the equations through its sine and cosine (a direction of
thrust, a joint angle), so theta and theta + 2 pi are the same point for
the dynamics but not for the NLP: an angle with no bounds may drift or jump
by whole turns (aliasing), and a cost or a condition on it then measures the
wrong number. :func:`wrap_warnings` names every angle (unit ``rad``, a state
or a control) with no bound on either side whose solution spans more than a
full turn; bounding it to one turn (``[bounds] theta = [-3.1416, 3.1416]``)
removes the ambiguity.
"""
from __future__ import annotations

import math

import numpy as np

from ocp.engine.reports import register_reporter

#: Units of an angle, as models declare them.
ANGLE_UNITS = ("rad",)


def wrap_warnings(problem, solution) -> list[str]:
    """A warning per unbounded angle (state or control) that turns by more than 2 pi."""
    bounds = problem.merged_bounds()
    out = []
    for kind, names, units, values in (
            ("state", solution.state_names, solution.state_units, solution.states),
            ("control", solution.control_names, solution.control_units, solution.controls)):
        for k, (name, unit) in enumerate(zip(names, units)):
            lower, upper = bounds.get(name, (-math.inf, math.inf))
            if unit not in ANGLE_UNITS or (math.isfinite(lower) and math.isfinite(upper)):
                continue
            column = np.asarray(values, float)[:, k]
            column = column[np.isfinite(column)]
            span = float(column.max() - column.min()) if column.size else 0.0
            if span > 2.0 * math.pi:
                out.append(f"{kind} '{name}' is an angle with no bounds and turns by "
                           f"{span:.4g} rad ({span / (2.0 * math.pi):.2f} turns) over the "
                           f"motion: angles 2 pi apart are the same, so it may alias; bound "
                           f"it to one turn ([bounds] {name} = [-3.1416, 3.1416]) if it is "
                           f"a direction")
    return out


def wrap_reporter(problem, model, solution, context) -> dict:
    """Reporter (ocp.engine.reports): unbounded angles that wrap."""
    messages = wrap_warnings(problem, solution)
    return {"warnings": messages} if messages else {}


register_reporter(wrap_reporter, order=15)
