"""Moving signals to another sampling rate without aliasing.

Keeping every k-th sample of a 600 Hz force-plate signal to match 60 Hz
markers folds everything between 30 and 300 Hz (impact transients, plate
vibration, mains hum) back into 0 to 30 Hz, where it can no longer be told
from the movement. Both functions here remove the content above the new
Nyquist frequency first:

- :func:`resample` (to a rate whose ratio to the old one is a fraction
  ``up/down``, as 600 -> 60 Hz is 1/10): polyphase resampling,
  ``scipy.signal.resample_poly``: upsample by ``up``, apply a linear-phase
  FIR low-pass, keep every ``down``-th sample; the filter's delay is
  compensated, so there is no time shift. The ends are padded along a line
  through the data (``padtype="line"``) so that signals far from zero (a
  standing subject's 700 N) have no edge step.
- :func:`resample_at` (onto any time base, such as another device's clock):
  the same kind of zero-phase FIR low-pass at the source rate (if the target
  is sparser), then cubic-spline interpolation of the filtered signal, which
  is then oversampled and interpolates accurately.

The FIR filter (:func:`lowpass_fir`, Kaiser window designed by
``scipy.signal.kaiserord``) is flat to 1e-4 up to 80 % of the lower Nyquist
frequency and at least 80 dB down from the Nyquist frequency on, so nothing
above it aliases by more than 1e-4 of its amplitude. Its length is about
``25 * ratio`` samples each side: the first and last 25 or so output samples
carry some edge transient, as with any filter.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
from scipy import interpolate

from ocp.data.errors import DataError
from ocp.data.tables import Table, uniform_rate

#: Stop-band attenuation of the anti-aliasing filters (dB), from the Nyquist frequency on.
ATTENUATION_DB = 80.0
#: Fraction of the Nyquist frequency up to which the filters are flat (to 1e-4).
PASSBAND_FRACTION = 0.8


def lowpass_fir(rate_hz: float, nyquist_hz: float) -> np.ndarray:
    """Linear-phase FIR low-pass (odd length) running at ``rate_hz``.

    Pass band to ``PASSBAND_FRACTION * nyquist_hz``, stop band (at least
    ``ATTENUATION_DB`` down) from ``nyquist_hz``; Kaiser window, length and
    shape from Kaiser's formulas (``scipy.signal.kaiserord``). Unit DC gain.
    """
    width = (1.0 - PASSBAND_FRACTION) * nyquist_hz
    from scipy import signal  # here, not at import: a third of import ocp
    numtaps, beta = signal.kaiserord(ATTENUATION_DB, width / (rate_hz / 2.0))
    numtaps |= 1  # odd: a whole-sample delay, removed exactly
    cutoff = 0.5 * (1.0 + PASSBAND_FRACTION) * nyquist_hz
    return signal.firwin(numtaps, cutoff, window=("kaiser", beta), fs=rate_hz)


def _no_gaps(table: Table):
    bad = np.isnan(table.values).any(axis=0)
    if bad.any():
        raise DataError("has missing samples (NaN); fill the gaps before resampling",
                        table.source or None, table.columns[int(np.flatnonzero(bad)[0])])


def resample(table: Table, rate_hz: float, *, max_denominator: int = 1000) -> Table:
    """The table at ``rate_hz`` (Hz), with an anti-aliasing filter when downsampling.

    ``rate_hz / table.rate_hz`` must be a fraction with a denominator up to
    ``max_denominator`` (600 -> 60, 1000 -> 150, 2000 -> 148.148... is not:
    use :func:`resample_at`). The new samples start at the first old one,
    ``t_k = t_0 + k / rate_hz``, and stop at the last old one.
    """
    source = table.require_uniform("resampling")
    _no_gaps(table)
    ratio = Fraction(rate_hz / source).limit_denominator(max_denominator)
    up, down = ratio.numerator, ratio.denominator
    if up == 0 or abs(source * up / down - rate_hz) > 1e-9 * rate_hz:
        raise DataError(f"{rate_hz:g} Hz is not a simple fraction of {source:g} Hz; use "
                        f"resample_at() with the target times", table.source or None, "time")
    if up == down:
        return table
    taps = lowpass_fir(source * up, min(source, rate_hz) / 2.0)
    from scipy import signal  # here, not at import: a third of import ocp
    values = signal.resample_poly(table.values, up, down, axis=0, window=taps,
                                  padtype="line")
    time = table.time_s[0] + np.arange(values.shape[0]) / rate_hz
    keep = time <= table.time_s[-1] + 1e-9 / rate_hz
    return table.replace(time_s=time[keep], values=values[keep], rate_hz=float(rate_hz),
                         metadata=dict(table.metadata, resampled_from_hz=source))


def _odd_extension(values: np.ndarray, pad: int) -> np.ndarray:
    """Extend along axis 0 by point reflection about the end samples (keeps trends)."""
    pad = min(pad, values.shape[0] - 1)
    head = 2 * values[0] - values[pad:0:-1]
    tail = 2 * values[-1] - values[-2:-pad - 2:-1]
    return np.concatenate([head, values, tail]), pad


def antialias(table: Table, new_rate_hz: float) -> Table:
    """Zero-phase FIR low-pass of a uniform table at the Nyquist frequency of ``new_rate_hz``."""
    source = table.require_uniform("anti-alias filtering")
    _no_gaps(table)
    if new_rate_hz >= source:
        return table
    taps = lowpass_fir(source, new_rate_hz / 2.0)
    padded, pad = _odd_extension(table.values, taps.size)
    # A symmetric odd-length kernel, centred ("same"): linear phase, no delay.
    from scipy import signal  # here, not at import: a third of import ocp
    filtered = signal.oaconvolve(padded, taps[:, None], mode="same", axes=0)
    return table.replace(values=filtered[pad:pad + table.n_samples], rate_hz=source)


def resample_at(table: Table, times_s) -> Table:
    """The table at the given times (s), with anti-aliasing when they are sparser.

    The target sampling rate is that of ``times_s`` if uniform, otherwise
    the inverse of its longest step; if it is below the table's rate the
    table is first low-pass filtered at its Nyquist frequency
    (:func:`antialias`). Then a cubic spline through the (filtered) samples
    is evaluated at ``times_s``, which must lie within the data.
    """
    source = table.require_uniform("resampling")
    times = np.asarray(times_s, float)
    if times.ndim != 1 or times.size < 1:
        raise DataError("target times must be a non-empty 1-D array", table.source or None,
                        "time")
    lo, hi = table.time_s[0], table.time_s[-1]
    slack = 1e-6 / source
    if times.min() < lo - slack or times.max() > hi + slack:
        raise DataError(f"target times {times.min():g} to {times.max():g} s reach outside "
                        f"the data ({lo:g} to {hi:g} s); no extrapolation",
                        table.source or None, "time")
    target = uniform_rate(times) if times.size > 1 else None
    if target is None and times.size > 1:
        target = 1.0 / np.max(np.diff(times))
    filtered = antialias(table, target) if target is not None else table
    _no_gaps(table)
    spline = interpolate.CubicSpline(table.uniform_time(), filtered.values, axis=0)
    values = spline(np.clip(times, lo, hi))
    return table.replace(time_s=times, values=values, rate_hz=None,
                         metadata=dict(table.metadata, resampled_from_hz=source))
