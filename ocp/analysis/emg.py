"""The EMG tracking report: each muscle's estimated scale and how well it fits.

For the ``[emg]`` term (ocp.costs.emg_tracking): per muscle the scale
``s_m`` found by the NLP, its bounds, whether it ended at one (then the
bounds, not the data, set it), and the RMS over the solution's points of
``y_m - s_m e_m`` (excitation or activation minus scaled envelope), with the
scaled envelope at the solution's times for plots (ocp.io.plotting).
"""
from __future__ import annotations

import numpy as np

from ocp.costs.emg_tracking import SCALE_PREFIX, EmgTracking
from ocp.engine.reports import register_reporter

#: a scale within this fraction of its bound's size is reported as at the bound
AT_BOUND = 1e-4


def emg_report(term: EmgTracking, scales: dict, bounds: dict, time, signals) -> dict:
    """summary.json's ``emg``: ``scales`` and ``bounds`` by muscle, ``signals`` (n_t, k)
    the tracked excitations or activations at ``time`` (n_t,)."""
    envelope = term.envelope_at(time)
    muscles = {}
    for j, m in enumerate(term.muscles):
        scaled = scales[m] * envelope[:, j]
        lo, hi = bounds[m]
        muscles[m] = {
            "scale": float(scales[m]), "lower": lo, "upper": hi,
            "at_bound": bool(min(abs(scales[m] - lo), abs(scales[m] - hi))
                             <= AT_BOUND * max(abs(lo), abs(hi))),
            "rms": float(np.sqrt(np.mean((signals[:, j] - scaled) ** 2))),
            "scaled_emg": [float(v) for v in scaled]}
    return {"file": term.file, "signal": term.signal, "muscles": muscles}


def emg_reporter(problem, model, solution, context) -> dict:
    """Reporter (ocp.engine.reports): the [emg] term's scales and fit, with a warning for
    a scale at its bound."""
    terms = [c for c in problem.costs if isinstance(c, EmgTracking)]
    if not terms:
        return {}
    term = terms[0]
    values = np.array(context.transcribed.parameters(context.w), float).ravel()
    found = {q.name: (float(v), (q.lower, q.upper)) for q, v in zip(problem.parameters, values)}
    scales = {m: found[SCALE_PREFIX + m][0] for m in term.muscles}
    bounds = {m: found[SCALE_PREFIX + m][1] for m in term.muscles}
    signals = np.column_stack([solution.control(term.tracked(m))
                               if term.tracked(m) in solution.control_names
                               else solution.state(term.tracked(m)) for m in term.muscles])
    report = emg_report(term, scales, bounds, solution.time, signals)
    warnings = [f"EMG scale of {m} = {e['scale']:.4g} is at its bound [{e['lower']:g}, "
                f"{e['upper']:g}]: widen scale_bounds" for m, e in report["muscles"].items()
                if e["at_bound"]]
    return {"emg": report, **({"warnings": warnings} if warnings else {})}


register_reporter(emg_reporter, order=27)
