"""Whether a converged solve is accurate: its re-simulation against a tolerance.

IPOPT's "converged" says the NLP is solved: the collocation equations hold at
the points. It says nothing of the mesh. The re-simulation of each interval
(:func:`ocp.engine.consistency.interval_state_errors`) does: where it is far
from the collocated states, the trajectory is not a solution of the model and
the objective can be off by any factor (the hyper-sensitive problem of Rao and
Mease on 50 equal intervals: 77 times its optimum, a re-simulation 0.35 off on
a state that spans 1.5). Such a solve is reported ``inaccurate``, not
``success`` (``ocp solve`` exits with status 3).

The rule. With ``[transcription.refinement]``, its ``tolerance`` (state units)
is the accuracy asked for: a refinement that runs out of passes above it is
inaccurate. Otherwise each state's largest interval deviation is divided by
that state's scale, so one number fits metres, radians and their speeds alike;
the largest of these relative errors must stay within ``accuracy`` (default
:data:`DEFAULT_ACCURACY`, ``[transcription] accuracy``). A state's scale is
the larger of its range over the solution and the width of its bounds when
both are finite (variables scaled by their bounds: Betts 2010, sec. 4.8), at
least :data:`RANGE_FLOOR` of its largest magnitude and :data:`SMALLEST_SCALE`:
a muscle activation bounded to [0.01, 1] that moves by 0.03 is judged against
0.99, an unbounded state against how far it moves.
"""
from __future__ import annotations

import math

import numpy as np

#: the largest re-simulation error of a state, as a fraction of its range over the
#: solution, that a solve may have and be reported as a success
DEFAULT_ACCURACY = 0.05
#: a state's scale is at least this fraction of its largest magnitude, so that a
#: state that barely moves is not judged against its noise
RANGE_FLOOR = 0.01
#: and at least this, in its unit: a state that stays at 0
SMALLEST_SCALE = 1e-6
INACCURATE = "inaccurate"


def state_scales(states: np.ndarray, bound_widths=None) -> np.ndarray:
    """(nx,) the scale each state's error is measured against, from (n_t, nx) states
    and (nx,) the widths of their bounds (inf, or absent, where a bound is missing)."""
    states = np.asarray(states, dtype=float)
    if states.size == 0:
        return np.ones(states.shape[1] if states.ndim == 2 else 0)
    span = states.max(axis=0) - states.min(axis=0)
    if bound_widths is not None:
        widths = np.asarray(bound_widths, dtype=float)
        span = np.maximum(span, np.where(np.isfinite(widths), widths, 0.0))
    magnitude = np.abs(states).max(axis=0)
    return np.maximum(np.maximum(span, RANGE_FLOOR * magnitude), SMALLEST_SCALE)


def relative_error(by_state: np.ndarray, states: np.ndarray, names,
                   bound_widths=None) -> tuple[float, str]:
    """(the largest relative re-simulation error, the state it is in).

    ``by_state`` (nx, N): each state's deviation in each interval
    (:func:`ocp.engine.consistency.interval_state_errors`); ``states`` (n_t, nx);
    ``bound_widths`` (nx,) as in :func:`state_scales`.
    NaN (and no name) when the re-simulation failed; 0 with no state.
    """
    if by_state.shape[0] == 0 or by_state.shape[1] == 0:
        return 0.0, ""
    if np.any(np.isnan(by_state)):
        return float("nan"), ""
    ratios = by_state.max(axis=1) / state_scales(states, bound_widths)
    worst = int(np.argmax(ratios))
    return float(ratios[worst]), str(names[worst])


def accuracy_report(by_state: np.ndarray, states: np.ndarray, names, bound_widths,
                    max_error: float, refinement, accuracy: float) -> dict | None:
    """The ``accuracy`` section of a converged solve's summary: the rule, the
    tolerance, the error judged, the state it is in and whether it is ``accurate``;
    None when the solve was not re-simulated (or the re-simulation failed).

    ``by_state`` (nx, N), ``states`` (n_t, nx), ``names`` and ``bound_widths`` as in
    :func:`relative_error`; ``max_error`` the largest deviation (state units);
    ``refinement`` the problem's MeshRefinement or None.
    """
    if refinement is not None:
        if not math.isfinite(max_error):
            return None
        return {"rule": "refinement tolerance (state units)", "tolerance": refinement.tolerance,
                "error": max_error, "accurate": bool(max_error <= refinement.tolerance)}
    error, state = relative_error(by_state, states, names, bound_widths)
    if not math.isfinite(error):
        return None
    return {"rule": "fraction of each state's range", "tolerance": accuracy,
            "error": error, "state": state, "accurate": bool(error <= accuracy)}


def inaccurate_warning(report: dict) -> str:
    """What an inaccurate solve's report says, and what to do."""
    if report["rule"].startswith("refinement"):
        said = (f"the re-simulation is {report['error']:.3g} off (state units), above the "
                f"refinement tolerance {report['tolerance']:g}")
        todo = ("allow more passes (transcription.refinement.passes) or start from more "
                "intervals")
    else:
        said = (f"the re-simulation of '{report['state']}' is off by "
                f"{report['error']:.3g} of its range, above the accuracy "
                f"{report['tolerance']:g} (transcription.accuracy)")
        todo = ("use more intervals (transcription.intervals), a graded mesh where the "
                "motion is fast (transcription.mesh) or refinement "
                "([transcription.refinement] tolerance)")
    return f"inaccurate: {said}; the objective and states may be far from the optimum: {todo}"

