"""OpenSim's low-pass filter of a table (TabOpLowPassFilter), reproduced.

Moco's tracking examples filter their reference kinematics with
``TableProcessor(file) | TabOpLowPassFilter(6)``. That filter is not the
zero-phase Butterworth of :func:`ocp.data.filters.zero_phase` (whose cut-off
is the -3 dB point of the forward-backward pair): OpenSim 4.6
(``TableUtilities::filterLowpass`` with padding, then trimmed to the data's
time range) does, per column,

1. if the time column is not uniform to machine precision (its mean step
   exceeds its smallest step dt by more than 2.2e-16 s: rounded times in a
   file are enough), resample at t_0 + k dt, k = 0, 1, ... while <= t_end,
   through the natural quintic spline of the samples (OpenSim's GCVSpline,
   :class:`ocp.data.natural_spline.NaturalSpline`);
2. pad n // 2 samples at each end by odd reflection about the end samples
   (value and slope continue), times likewise;
3. filter forwards and backwards with a 3rd-order Butterworth low-pass whose
   single-pass -3 dB point is the cut-off (bilinear transform, pre-warped;
   the pair is -6 dB there), each pass copying its first three input samples
   to the output as the recursion's start (OpenSim's Signal::LowpassIIR); a
   cut-off at or above half the sampling rate becomes 0.49 times the rate;
4. keep the samples inside [t_0, t_end].

Agrees with OpenSim 4.6 to ~3e-14 relative on Moco's referenceCoordinates.sto
(tests/test_natural_spline_opensim.py). One difference is known: for a time
column starting at a positive t_0 below the smallest step, OpenSim 4.6
resamples at an interval of t_0 (observed, 0.0013 s instead of 0.008 s);
here the interval is always the smallest step.
"""
from __future__ import annotations

import numpy as np

from ocp.data.errors import DataError
from ocp.data.natural_spline import NaturalSpline

#: OpenSim's Signal::LowpassIIR: a 3rd-order Butterworth.
ORDER = 3


def _odd_reflection(a: np.ndarray, pad: int) -> np.ndarray:
    """``a`` (n, ...) with ``pad`` samples reflected about each end sample
    (OpenSim's Signal::Pad): 2 a_0 - a_k before, 2 a_(n-1) - a_(n-1-k) after."""
    before = 2 * a[0] - a[pad:0:-1]
    after = 2 * a[-1] - a[-2:-2 - pad:-1]
    return np.concatenate([before, a, after])


def _recursion(b: np.ndarray, a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """One causal pass along axis 0, the first ``ORDER`` outputs equal to the inputs."""
    y = x.copy()
    for i in range(ORDER, x.shape[0]):
        y[i] = (np.tensordot(b, x[i - ORDER:i + 1][::-1], axes=1)
                - np.tensordot(a[1:], y[i - ORDER:i][::-1], axes=1)) / a[0]
    return y


def opensim_lowpass(time_s, values, cutoff_hz: float, *, file=None, column=None):
    """``(times, filtered)``: OpenSim's TabOpLowPassFilter(cutoff_hz) of the samples.

    ``time_s`` (n,) strictly increasing (s); ``values`` (n,) or (n, m).
    The returned times are the (possibly resampled) times inside the data's
    range, (k,); ``filtered`` (k,) or (k, m). ``file``/``column`` name the
    data in error messages.
    """
    t = np.asarray(time_s, dtype=float)
    y = np.asarray(values, dtype=float)
    one_d = y.ndim == 1
    y = y.reshape(t.size, -1)
    if not cutoff_hz > 0:
        raise DataError(f"cut-off must be positive, got {cutoff_hz} Hz", file, column)
    if t.size < 2 * ORDER or not np.all(np.diff(t) > 0):
        raise DataError(f"OpenSim's low-pass filter needs at least {2 * ORDER} samples at "
                        f"strictly increasing times", file, column or "time")
    step = float(np.min(np.diff(t)))
    if (t[-1] - t[0]) / (t.size - 1) - step > np.finfo(float).eps:
        resampled = t[0] + np.arange(np.floor((t[-1] - t[0]) / step) + 1) * step
        resampled = resampled[resampled <= t[-1]]
        y = np.column_stack([NaturalSpline(t, y[:, j], 5)(resampled)
                             for j in range(y.shape[1])])
        t = resampled
    pad = t.size // 2
    rate_hz = 1.0 / step
    if cutoff_hz >= 0.5 * rate_hz:
        cutoff_hz = 0.49 * rate_hz
    from scipy import signal  # here, not at import: a third of import ocp
    b, a = signal.butter(ORDER, cutoff_hz, fs=rate_hz)
    x = _odd_reflection(y, pad)
    forward = _recursion(b, a, x)
    both = _recursion(b, a, forward[::-1])[::-1]
    out = both[pad:pad + t.size]
    return t, (out.ravel() if one_d else out)


def storage_lowpass(time_s, values, cutoff_hz: float, *, file=None, column=None):
    """``(times, filtered)`` as OpenSim's InverseDynamicsTool filters its coordinates.

    The tool calls ``Storage::pad(n // 2)`` and then ``Storage::lowpassIIR``
    (opensim-core ``InverseDynamicsTool::run``): unlike
    :func:`opensim_lowpass`, the padding comes first (times reflected too),
    a non-uniform time column is resampled after it (natural quintic, from the
    first padded time in steps of the smallest step, accumulated as
    ``t += dt`` while ``t <= t_last``), and the padded samples are kept: the
    tool splines the whole padded, filtered storage. Returns every sample,
    padded ones included, (k,) and (k, m).
    """
    t = np.asarray(time_s, dtype=float)
    y = np.asarray(values, dtype=float).reshape(t.size, -1)
    if not cutoff_hz > 0:
        raise DataError(f"cut-off must be positive, got {cutoff_hz} Hz", file, column)
    if t.size < 2 * ORDER or not np.all(np.diff(t) > 0):
        raise DataError(f"OpenSim's low-pass filter needs at least {2 * ORDER} samples at "
                        f"strictly increasing times", file, column or "time")
    pad = t.size // 2
    t = _odd_reflection(t, pad)
    y = _odd_reflection(y, pad)
    step = float(np.min(np.diff(t)))
    if (t[-1] - t[0]) / (t.size - 1) - step > np.finfo(float).eps:
        grid = []
        x = t[0]
        while x <= t[-1]:
            grid.append(x)
            x += step
        grid = np.array(grid)
        y = np.column_stack([NaturalSpline(t, y[:, j], 5)(grid) for j in range(y.shape[1])])
        t = grid
    rate_hz = 1.0 / step
    if cutoff_hz >= 0.5 * rate_hz:
        cutoff_hz = 0.49 * rate_hz
    from scipy import signal  # here, not at import: a third of import ocp
    b, a = signal.butter(ORDER, cutoff_hz, fs=rate_hz)
    forward = _recursion(b, a, y)
    return t, _recursion(b, a, forward[::-1])[::-1]
