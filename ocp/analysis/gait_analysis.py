"""What a walking solution shows: the vertical ground reaction force of one stride.

A symmetric half cycle (one step, legs swapped at its end) holds a whole
stride of each foot: the right foot's force over the step, then the left
foot's force over the step (which is what the right foot does during the
next step). :func:`stride_vertical_grf` joins the two; :func:`grf_humps`
finds the peaks of stance, in body weights, the measure of the field
(walking shows two humps of about 1.0 to 1.4 body weights: weight
acceptance and push-off; Winter 2009, ch. 1).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class GrfHumps:
    """Peaks of the vertical GRF of one stance phase.

    ``peaks_bw``: local maxima (body weights) in time order; ``valley_bw``:
    the lowest value between the first and the last peak (mid-stance);
    ``stance_fraction``: share of the stride's time with the force above 2 % BW;
    ``peaks_at``: where each peak is, as a fraction of that stance phase (0 at
    touchdown, 1 at toe-off).
    """

    peaks_bw: tuple
    valley_bw: float
    stance_fraction: float
    peaks_at: tuple = ()

    @property
    def two_humped(self) -> bool:
        """Two peaks with a mid-stance valley at least 5 % BW below the lower one."""
        return len(self.peaks_bw) == 2 and self.valley_bw < min(self.peaks_bw) - 0.05


def stride_vertical_grf(solution, right: str = "grf_y_r", left: str = "grf_y_l"):
    """(percent of stride, force N) of the right foot over a whole stride.

    The solution is a half cycle whose end state is its start with the legs
    swapped; the right foot's second step is the left foot's first.
    """
    t = np.asarray(solution.time, float)
    fr, fl = solution.output(right), solution.output(left)
    percent = 50.0 * (t - t[0]) / (t[-1] - t[0])
    return np.concatenate([percent, 50.0 + percent[1:]]), np.concatenate([fr, fl[1:]])


def grf_humps(percent, force_N, body_weight_N: float, *, prominence_bw: float = 0.05) -> GrfHumps:
    """The peaks of the longest stance phase of a vertical GRF curve.

    A peak is a local maximum that stands at least ``prominence_bw`` above
    the lowest force between it and its neighbouring peaks (so mesh noise is
    not counted as a hump).
    """
    f = np.asarray(force_N, float) / body_weight_N
    stance = f > 0.02
    # each sample stands for half the time to each neighbour (a refined mesh is graded)
    edges = np.asarray(percent, float)
    share = np.diff(edges, prepend=edges[0]) / 2 + np.diff(edges, append=edges[-1]) / 2
    stance_fraction = float(share[stance].sum() / share.sum())
    # the stride is periodic: start the search where the foot is in the air
    start = int(np.argmin(f)) if not stance.all() else 0
    f, stance = np.roll(f, -start), np.roll(stance, -start)
    # time in the rolled order: the samples moved to the end come one period later
    at = np.roll(edges, -start) + np.where(np.arange(f.size) >= f.size - start,
                                            edges[-1] - edges[0], 0.0)
    runs, i = [], 0
    while i < f.size:
        if stance[i]:
            j = i
            while j + 1 < f.size and stance[j + 1]:
                j += 1
            runs.append((i, j))
            i = j + 1
        else:
            i += 1
    if not runs:
        return GrfHumps((), 0.0, 0.0)
    a, b = max(runs, key=lambda r: r[1] - r[0])
    seg = f[a:b + 1]
    candidates = [k for k in range(1, seg.size - 1) if seg[k] >= seg[k - 1] and seg[k] > seg[k + 1]]
    peaks = []
    for k in candidates:  # keep a maximum only if it is prominent on both sides
        left = seg[:k + 1]
        right = seg[k:]
        higher_left = np.nonzero(left[:-1] > seg[k])[0]
        higher_right = np.nonzero(right[1:] > seg[k])[0]
        lo_left = left[higher_left[-1] + 1:].min() if higher_left.size else left.min()
        lo_right = right[:higher_right[0] + 1].min() if higher_right.size else right.min()
        if seg[k] - max(lo_left, lo_right) >= prominence_bw:
            peaks.append(k)
    valley = float(seg[peaks[0]:peaks[-1] + 1].min()) if len(peaks) > 1 else float("nan")
    t = at[a:b + 1]
    where = tuple(float((t[k] - t[0]) / (t[-1] - t[0])) for k in peaks) if t[-1] > t[0] else ()
    return GrfHumps(tuple(float(seg[k]) for k in peaks), valley, stance_fraction, where)
