"""Velocities and accelerations from sampled positions: strategies to swap.

Differentiating measured angles twice is an ill-posed problem: white noise of
standard deviation ``s`` on angles sampled every ``h`` seconds becomes noise
of standard deviation ``s sqrt(6) / (4 h^2)`` in central-difference
accelerations (``0.5 deg`` at 200 Hz: 214 rad/s^2), and
:func:`acceleration_noise_gain` gives the exact factor for each strategy.
Low-pass filtering first trades that noise for a bias on the movement's own
content above the cut-off.

Each strategy is a small object with one method,
``derivatives(time_s, q) -> (q, qd, qdd)``, arrays (n, m):

- :class:`InterpolatingSpline`: a spline of odd degree (quintic by default,
  as in Woltring's GCVSPL) through every sample, differentiated
  analytically; for noise-free or already filtered data (error O(h^4) in the
  acceleration for the quintic).
- :class:`LowpassSpline`: zero-phase Butterworth low-pass (cut-off = -3 dB
  point of the pair), then the interpolating spline: the classic choice.
  The ends are extended by a fitted quadratic before filtering, which keeps
  the acceleration there (reflection would pull it to zero and with it the
  moments of the first and last tenth of a second).
- :class:`SmoothingSpline`: cubic smoothing spline with the smoothing chosen
  by generalised cross-validation (``scipy.interpolate.make_smoothing_spline``),
  when no cut-off is known.
- :class:`FiniteDifferences`: central differences of the raw samples
  (``numpy.gradient`` twice), no smoothing; to show what not to do.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import integrate, interpolate

from ocp.data.errors import DataError
from ocp.data.filters import DEFAULT_ORDER, design_frequency, zero_phase
from ocp.data.tables import uniform_rate


def _prepare(time_s, q):
    t = np.asarray(time_s, float)
    q = np.asarray(q, float)
    one_d = q.ndim == 1
    q = q.reshape(t.size, -1)
    if np.isnan(q).any():
        raise DataError("positions have missing samples (NaN); fill the gaps first")
    return t, q, one_d


def _shape(one_d, *arrays):
    return tuple(a.ravel() if one_d else a for a in arrays)


@dataclass(frozen=True)
class InterpolatingSpline:
    """Interpolating spline of odd ``degree`` (5: quintic) through every sample."""

    degree: int = 5

    def derivatives(self, time_s, q):
        t, q, one_d = _prepare(time_s, q)
        if t.size <= self.degree:
            raise DataError(f"{t.size} samples are too few for a spline of degree "
                            f"{self.degree}")
        spline = interpolate.make_interp_spline(t, q, k=self.degree, axis=0)
        return _shape(one_d, q, spline.derivative(1)(t), spline.derivative(2)(t))


@dataclass(frozen=True)
class LowpassSpline:
    """Zero-phase Butterworth low-pass at ``cutoff_hz``, then a quintic spline.

    Needs uniform samples; the ends are padded by quadratic extrapolation
    (see :func:`ocp.data.filters.zero_phase`). ``order`` is the order of one pass (2: a 4th-order
    zero-lag filter).
    """

    cutoff_hz: float
    order: int = DEFAULT_ORDER
    degree: int = 5

    def derivatives(self, time_s, q):
        t, q, one_d = _prepare(time_s, q)
        rate = uniform_rate(t)
        if rate is None:
            raise DataError("filtering needs uniformly sampled positions", column="time")
        smooth = zero_phase(q, rate, self.cutoff_hz, "lowpass", self.order,
                            padding="quadratic")
        return InterpolatingSpline(self.degree).derivatives(t, smooth if not one_d
                                                            else smooth.ravel())


@dataclass(frozen=True)
class SmoothingSpline:
    """Cubic smoothing spline per column; ``lam=None`` chooses the smoothing by GCV."""

    lam: float | None = None

    def derivatives(self, time_s, q):
        t, q, one_d = _prepare(time_s, q)
        splines = [interpolate.make_smoothing_spline(t, q[:, j], lam=self.lam)
                   for j in range(q.shape[1])]
        out = [np.column_stack([s.derivative(d)(t) if d else s(t) for s in splines])
               for d in range(3)]
        return _shape(one_d, *out)


@dataclass(frozen=True)
class FiniteDifferences:
    """Second-order central differences of the raw samples, no smoothing."""

    def derivatives(self, time_s, q):
        t, q, one_d = _prepare(time_s, q)
        qd = np.gradient(q, t, axis=0)
        return _shape(one_d, q, qd, np.gradient(qd, t, axis=0))


def acceleration_noise_gain(rate_hz: float, cutoff_hz: float | None = None,
                            order: int = DEFAULT_ORDER) -> float:
    """Standard deviation of acceleration noise per unit of white position noise (1/s^2).

    Without a cut-off: central differences applied twice (numpy.gradient),
    ``(x[k+2] - 2 x[k] + x[k-2]) / (4 h^2)``, gain ``sqrt(6) / (4 h^2)``.
    With a cut-off: the zero-phase Butterworth pair followed by exact
    differentiation, gain ``sqrt((2 / fs) int_0^{fs/2} |H(f)|^4 (2 pi f)^4 df)``
    where ``|H|`` is one pass of the digital filter (evaluated numerically).
    """
    if cutoff_hz is None:
        return math.sqrt(6.0) / 4.0 * rate_hz ** 2
    design = design_frequency(cutoff_hz, rate_hz, order, "lowpass")
    from scipy import signal  # here, not at import: a third of import ocp
    sos = signal.butter(order, design, fs=rate_hz, output="sos")
    f, h = signal.sosfreqz(sos, worN=2 ** 16, fs=rate_hz)
    integrand = np.abs(h) ** 4 * (2 * np.pi * f) ** 4
    return math.sqrt(2.0 / rate_hz * integrate.trapezoid(integrand, f))
