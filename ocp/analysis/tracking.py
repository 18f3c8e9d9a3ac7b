"""Tracking errors: how far a solution is from what its tracking terms follow.

The references themselves are read from data files by
:mod:`ocp.data.references`.

:func:`tracking_errors` measures, after a solve, how far each tracked
quantity is from its reference: the time-weighted RMS and the largest
absolute difference over the solution's grid.

Two sanity warnings of a tracking solve, each a reporter: a reference that
does not cover the solved time span (held constant beyond its samples), and
a model that flies: tracking data under gravity with nothing to hold it up,
its centre of mass follows the free-fall parabola (:func:`flight_warnings`).
"""
from __future__ import annotations

import math

import casadi as ca
import numpy as np
from scipy import integrate

from ocp.costs import Tracking
from ocp.data.natural_spline import NaturalSpline
from ocp.engine.reports import register_reporter
from ocp.errors import ProblemError
from ocp.models.multibody import PRISMATIC, point_positions
from ocp.models.protocols import TreeModel

#: A centre of mass whose fitted vertical acceleration is within this fraction of
#: -g, with a parabola that fits its height to within FLIGHT_FIT_M (RMS, m), is in
#: free fall over the whole motion: no vertical force other than gravity acts on it.
FLIGHT_TOLERANCE = 0.02
FLIGHT_FIT_M = 1e-3


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
        if term.marker_names:   # marker distances, as OpenSim's IK reports them
            from ocp.sensors.marker_tracking import marker_residuals
            residuals = marker_residuals(term, solution)
            if residuals is not None:
                report[term.name] = {"markers": residuals}
            continue
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


def coverage_warnings(problem, solution) -> list[str]:
    """A warning per tracked reference whose samples end before (or start after)
    the solved time span: the cost holds it constant there; and the notes of
    marker references (markers the model lacks, gaps skipped).

    Problem files are refused at load time when the data cannot cover the span
    (:func:`ocp.costs.tracking.check_coverage`); this catches a free final time
    solved beyond the data and references given from Python.
    """
    t = np.asarray(solution.time, float)
    if t.size < 2:
        return []
    out = []
    for term in problem.costs:
        if not isinstance(term, Tracking):
            continue
        out += [f"tracking term '{term.name}': {note}" for note in term.notes]
        for name, ref in term.reference.items():
            if np.isscalar(ref):
                continue
            times = ref.times if isinstance(ref, NaturalSpline) else np.asarray(ref[0], float)
            spacing = float(np.median(np.diff(times))) if times.size > 1 else 0.0
            if times[0] > t[0] + spacing or times[-1] < t[-1] - spacing:
                out.append(f"tracking term '{term.name}': the reference of '{name}' covers "
                           f"{times[0]:g} to {times[-1]:g} s, the solution {t[0]:g} to "
                           f"{t[-1]:g} s; it is held constant beyond its samples")
    return out


def _centre_of_mass_height(tree, solution):
    """Height (m) of the whole body's centre of mass at the solution's grid points."""
    masses = np.array([float(s.mass_kg) for s in tree.segments])
    q = ca.SX.sym("q", tree.n)
    heights = [p[1] for p in point_positions(tree, q, [(s.name, s.com_m) for s in tree.segments])]
    f = ca.Function("com_y", [q], [ca.dot(ca.DM(masses), ca.vertcat(*heights)) / masses.sum()])
    Q = np.column_stack([solution.state(c) for c in tree.coordinates])
    return np.array(f.map(Q.shape[0])(Q.T)).ravel()


def _ballistic(t, y, g) -> tuple[bool, float]:
    """(whether height y(t) is a free-fall parabola, its fitted acceleration m/s^2)."""
    coefficients = np.polyfit(t - t[0], y, 2)
    fit = np.polyval(coefficients, t - t[0])
    acceleration = 2.0 * coefficients[0]
    ballistic = (abs(acceleration + g) <= FLIGHT_TOLERANCE * g
                 and math.sqrt(np.mean((y - fit) ** 2)) <= FLIGHT_FIT_M)
    return ballistic, acceleration


def flight_warnings(problem, model, solution) -> list[str]:
    """A warning when a tree model under gravity tracks data while its centre of
    mass falls freely over the whole motion (it flies: nothing holds it up).

    The centre of mass of a body on which only gravity acts follows a parabola
    of vertical acceleration -g, whatever its joints do; a supported body (by
    contact, or a residual force on its vertical translation) does not. Data
    that fly too (a tracked vertical translation whose own reference is such a
    parabola: a jump's flight) raise no warning.
    """
    if not isinstance(model, TreeModel) or not any(isinstance(c, Tracking)
                                                   for c in problem.costs):
        return []
    tree, t = model.tree, np.asarray(solution.time, float)
    try:
        g = float(tree.gravity_m_s2)
        y = _centre_of_mass_height(tree, solution)
    except (TypeError, ValueError, KeyError, RuntimeError):
        return []   # estimated masses still symbolic, or no q among the states
    if g <= 0 or t.size < 4 or t[-1] - t[0] <= 0 or not np.all(np.isfinite(y)):
        return []
    ballistic, acceleration = _ballistic(t, y, g)
    if not ballistic:
        return []
    vertical = [s.joint.coordinate for s in tree.segments
                if s.joint.kind == PRISMATIC and abs(s.joint.axis[1]) > 0.99]
    for term in problem.costs:
        for name in vertical if isinstance(term, Tracking) else ():
            ref = term.reference.get(name)
            if ref is None or np.isscalar(ref):
                continue
            r = ref(t) if isinstance(ref, NaturalSpline) else np.interp(t, *ref)
            if _ballistic(t, np.asarray(r, float), g)[0]:
                return []   # the data fly too
    where = f" (e.g. on '{vertical[0]}')" if vertical else ""
    return [f"model '{model.name}' flies: its centre of mass falls freely over the whole "
            f"motion (a parabola, vertical acceleration {acceleration:.3g} m/s^2 against "
            f"gravity {-g:.3g}) while it tracks data: nothing holds it up. Add contact "
            f"with the ground or a residual force on its vertical translation{where}"]


def sanity_reporter(problem, model, solution, context) -> dict:
    """Reporter (ocp.engine.reports): references that do not cover the solved span,
    a model that flies."""
    messages = coverage_warnings(problem, solution) + flight_warnings(problem, model, solution)
    return {"warnings": messages} if messages else {}


register_reporter(sanity_reporter, order=12)
