"""Zero-phase Butterworth filters for kinematics, forces and EMG.

A Butterworth filter run forwards and backwards (``scipy.signal.sosfiltfilt``)
has no phase lag, which matters when forces and kinematics are combined, but
the two passes square its magnitude response, so the -3 dB point of the pair
moves below the design cut-off. ``cutoff_hz`` here is the -3 dB frequency of
the *pair*, what a methods section reports: the single pass is designed at
the corrected frequency (Winter, Biomechanics and Motor Control of Human
Movement, 4th ed. 2009, section 3.4.4.3, generalised to order ``N`` and to
the digital filter's frequency warping): a pass has
``|H|^2 = 1 / (1 + (tan(pi f / fs) / tan(pi f_d / fs))^(2N))``; two passes
are at -3 dB where that equals ``1/sqrt(2)``, i.e. at
``tan(pi f_c / fs) = C tan(pi f_d / fs)`` with ``C = (sqrt(2) - 1)^(1/(2N))``.

``order`` is the order of one pass; the default 2 gives the 4th-order
zero-lag low-pass usual in biomechanics.
"""
from __future__ import annotations

import math

import numpy as np

from ocp.data.errors import DataError
from ocp.data.tables import Table

#: Default order of one pass (2 passes: a 4th-order zero-lag filter).
DEFAULT_ORDER = 2


def design_frequency(cutoff_hz: float, rate_hz: float, order: int, kind: str) -> float:
    """Single-pass cut-off (Hz) that puts the two-pass -3 dB point at ``cutoff_hz``."""
    c = (math.sqrt(2.0) - 1.0) ** (1.0 / (2 * order))
    warped = math.tan(math.pi * cutoff_hz / rate_hz)
    warped = warped / c if kind == "lowpass" else warped * c
    return rate_hz / math.pi * math.atan(warped)


def _label(column) -> str | None:
    """A column name, or the names of several columns, for messages."""
    if column is None or isinstance(column, str):
        return column
    return ", ".join(map(str, column))


def _check(values, rate_hz, cutoffs, file, column):
    nyquist = rate_hz / 2.0
    for f in cutoffs:
        if not 0 < f < nyquist:
            raise DataError(f"cut-off {f:g} Hz must lie between 0 and the Nyquist "
                            f"frequency {nyquist:g} Hz of data sampled at {rate_hz:g} Hz",
                            file, _label(column))
    values = np.asarray(values, float)
    if np.isnan(values).any():
        j = int(np.flatnonzero(np.isnan(values).reshape(values.shape[0], -1).any(axis=0))[0])
        name = column if isinstance(column, str) or column is None else column[j]
        raise DataError("has missing samples (NaN); fill the gaps before filtering",
                        file, name)
    return values


def polynomial_extension(values: np.ndarray, pad: int, window: int,
                         degree: int = 2) -> np.ndarray:
    """Extend along axis 0 by ``pad`` samples each side with the polynomial of
    ``degree`` fitted (least squares) to the first / last ``window`` samples."""
    n = values.shape[0]
    window = min(max(window, degree + 2), n)
    flat = values.reshape(n, -1)
    k = np.arange(window, dtype=float)
    head_fit = np.polynomial.polynomial.polyfit(k, flat[:window], degree)
    tail_fit = np.polynomial.polynomial.polyfit(k, flat[-window:], degree)
    head = np.polynomial.polynomial.polyval(np.arange(-pad, 0.0), head_fit).T
    tail = np.polynomial.polynomial.polyval(np.arange(window, window + pad, dtype=float),
                                            tail_fit).T
    out = np.vstack([head.reshape(pad, -1), flat, tail.reshape(pad, -1)])
    return out.reshape((n + 2 * pad,) + values.shape[1:])


def zero_phase(values, rate_hz: float, cutoff_hz, kind: str = "lowpass",
               order: int = DEFAULT_ORDER, *, padding: str = "odd", file=None,
               column=None) -> np.ndarray:
    """Filter along axis 0 forwards and backwards with a Butterworth filter.

    ``values`` (n,) or (n, m) sampled at ``rate_hz`` (Hz); ``kind`` is
    ``"lowpass"``, ``"highpass"`` or ``"bandpass"`` (then ``cutoff_hz`` is a
    pair); cut-offs are the -3 dB frequencies of the zero-phase pair (Hz).
    The signal is extended at both ends over three periods of the cut-off
    before filtering: ``padding="odd"`` reflects it about its end points
    (scipy's default; keeps value and slope, but makes the second derivative
    zero at the ends), ``"quadratic"`` extrapolates the quadratic fitted to
    one period of the cut-off at each end (keeps value, slope and curvature:
    use it for positions that will be differentiated twice).
    Returns an array of the same shape. ``file``/``column`` name the data in
    error messages.
    """
    if kind == "bandpass":
        low, high = cutoff_hz
        values = zero_phase(values, rate_hz, low, "highpass", order, padding=padding,
                            file=file, column=column)
        return zero_phase(values, rate_hz, high, "lowpass", order, padding=padding,
                          file=file, column=column)
    if padding not in ("odd", "quadratic"):
        raise ValueError(f"padding must be 'odd' or 'quadratic', got {padding!r}")
    if kind not in ("lowpass", "highpass"):
        raise ValueError(f"kind must be 'lowpass', 'highpass' or 'bandpass', got {kind!r}")
    values = _check(values, rate_hz, [cutoff_hz], file, column)
    design = design_frequency(cutoff_hz, rate_hz, order, kind)
    from scipy import signal  # here, not at import: a third of import ocp
    sos = signal.butter(order, design, btype=kind, fs=rate_hz, output="sos")
    minimum = 3 * (2 * len(sos) + 1)
    if values.shape[0] <= minimum:
        raise DataError(f"{values.shape[0]} samples are too few to filter (need more than "
                        f"{minimum})", file, _label(column))
    # Pad by odd extension over about three periods of the cut-off, the length
    # of the filter's impulse response, rather than scipy's few samples: the
    # start-up transient then dies out in the padding, not in the data.
    period = rate_hz / cutoff_hz  # samples
    if padding == "quadratic":
        pad = int(math.ceil(3 * period))
        extended = polynomial_extension(values, pad, int(round(period)), 2)
        return signal.sosfiltfilt(sos, extended, axis=0, padtype=None)[pad:pad + values.shape[0]]
    padlen = min(values.shape[0] - 1, max(minimum, int(math.ceil(3 * period))))
    return signal.sosfiltfilt(sos, values, axis=0, padlen=padlen)


def lowpass(table: Table, cutoff_hz: float, order: int = DEFAULT_ORDER,
            columns=None) -> Table:
    """Zero-phase Butterworth low-pass of a uniformly sampled table (all or listed columns)."""
    return _apply(table, columns, lambda v, names: zero_phase(
        v, table.require_uniform("filtering"), cutoff_hz, "lowpass", order,
        file=table.source or None, column=names))


def highpass(table: Table, cutoff_hz: float, order: int = DEFAULT_ORDER,
             columns=None) -> Table:
    """Zero-phase Butterworth high-pass of a uniformly sampled table."""
    return _apply(table, columns, lambda v, names: zero_phase(
        v, table.require_uniform("filtering"), cutoff_hz, "highpass", order,
        file=table.source or None, column=names))


def _apply(table: Table, columns, fn) -> Table:
    names = list(table.columns if columns is None else columns)
    idx = [table.index(n) for n in names]
    values = table.values.copy()
    values[:, idx] = fn(values[:, idx], names)
    return table.replace(values=values, rate_hz=table.rate_hz)
