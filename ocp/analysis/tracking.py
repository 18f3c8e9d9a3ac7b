"""Tracking errors: how far a solution is from what its tracking terms follow.

The references themselves are read from data files by
:mod:`ocp.data.references`.

:func:`tracking_errors` measures, after a solve, how far each tracked
quantity is from its reference: the time-weighted RMS and the largest
absolute difference over the solution's grid.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import integrate

from ocp.costs import Tracking
from ocp.data.natural_spline import NaturalSpline
from ocp.engine.reports import register_reporter
from ocp.errors import ProblemError


def _values(solution, name):
    for names, getter in ((solution.state_names, solution.state),
                          (solution.control_names, solution.control),
                          (solution.output_names, solution.output)):
        if name in names:
            return getter(name)
    return None


def tracking_errors(problem, solution) -> dict:
    """``{term: {name: {"rms", "max_abs", "unit"[, "rms_deg", "max_abs_deg"]}}}``.

    For every Tracking term of ``problem``: the time-weighted RMS
    ``sqrt(int (y - r)^2 dt / T)`` (trapezoidal rule over the solution's
    grid) and the largest ``|y - r|`` at the grid points, in the model's
    units; angles also in degrees. The reference is interpolated as the cost
    does (linear or a natural spline, held at its end values).
    """
    t = np.asarray(solution.time, float)
    units = problem.model.units()
    report = {}
    for term in problem.costs:
        if not isinstance(term, Tracking):
            continue
        per = {}
        for name, ref in term.reference.items():
            y = _values(solution, name)
            if y is None or t.size < 2:
                continue
            if np.isscalar(ref):
                r = np.full_like(t, float(ref))
            elif isinstance(ref, NaturalSpline):
                r = ref(t)
            else:
                times, values = (np.asarray(a, float) for a in ref)
                r = np.interp(t, times, values)
            e = np.asarray(y, float) - r
            rms = math.sqrt(integrate.trapezoid(e ** 2, t) / (t[-1] - t[0]))
            entry = {"rms": rms, "max_abs": float(np.max(np.abs(e))),
                     "unit": units.get(name, "")}
            if entry["unit"] in ("rad", "rad/s", "rad/s^2"):
                entry["rms_deg"] = math.degrees(rms)
                entry["max_abs_deg"] = math.degrees(entry["max_abs"])
            per[name] = {k: (v if not isinstance(v, float) or math.isfinite(v) else str(v))
                         for k, v in entry.items()}
        if per:
            report[term.name] = per
    return report


def tracking_summary(problem, solution) -> dict:
    """``{"tracking_error": tracking_errors(...)}``, or ``{}`` when nothing is tracked."""
    try:
        report = tracking_errors(problem, solution)
    except (ValueError, ProblemError):
        return {}
    return {"tracking_error": report} if report else {}


def tracking_reporter(problem, model, solution, context) -> dict:
    """Reporter (ocp.engine.reports): the RMS tracking error per tracked column."""
    return tracking_summary(problem, solution)


register_reporter(tracking_reporter, order=10)
