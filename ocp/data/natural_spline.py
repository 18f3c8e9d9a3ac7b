"""Natural interpolating splines: OpenSim's GCVSpline as Moco builds it.

Moco's MocoStateTrackingGoal and MocoContactTrackingGoal (and MocoTrack's
``track_reference_position_derivatives``) spline their reference data with
OpenSim's ``GCVSplineSet(table)``: Woltring's generalized cross-validation
spline GCVSPL (Woltring 1986, Adv Eng Softw 8(2):104) of degree 5 with error
variance 0. With zero error variance GCVSPL does not smooth: it returns the
natural spline of degree 2m - 1 (m = 3, quintic) through every sample, the
interpolant that minimises the integral of the squared m-th derivative. Its
knots are the sample times and its end conditions are natural: the
derivatives m ... 2m - 2 (the 3rd and 4th for the quintic) are zero at the
first and last sample (outside them a natural spline is a polynomial of
degree m - 1). That is :class:`NaturalSpline`; a not-a-knot quintic through
the same samples differs from it near the ends (by a third of the signal at
a heel-strike transient in Moco's ground reactions).

Inside the samples' time range it agrees with OpenSim's GCVSpline to
rounding (tests/test_natural_spline_opensim.py); outside it the reference is
held at its end values, as ocp's linearly interpolated references are
(OpenSim extrapolates, which Moco's goals never ask for).
"""
from __future__ import annotations

import math

import casadi as ca
import numpy as np
from scipy import interpolate


class NaturalSpline:
    """The natural spline of odd ``degree`` through the samples ``(times, values)``.

    ``times`` (n,) strictly increasing (s), ``values`` (n,); n >= degree + 1
    (GCVSPL's N >= 2M). Degree 5 (quintic, OpenSim's and Moco's choice), 3
    (natural cubic), 7 or 1 (linear). Unpacks as its samples, ``times, values =
    spline``, like the ``(times, values)`` pair of a linearly interpolated
    reference; ``spline(t)`` evaluates it with numpy, ``spline.expression(t)``
    with CasADi.
    """

    def __init__(self, times, values, degree: int = 5):
        times = np.asarray(times, dtype=float).ravel()
        values = np.asarray(values, dtype=float).ravel()
        if degree not in (1, 3, 5, 7):
            raise ValueError(f"a natural spline has degree 1, 3, 5 or 7 (OpenSim's "
                             f"GCVSpline), got {degree}")
        if times.size != values.size:
            raise ValueError(f"{times.size} times but {values.size} values")
        if times.size < degree + 1:
            raise ValueError(f"a natural spline of degree {degree} needs at least "
                             f"{degree + 1} samples, got {times.size}")
        if not np.all(np.diff(times) > 0):
            raise ValueError("the sample times must increase strictly")
        if not (np.all(np.isfinite(times)) and np.all(np.isfinite(values))):
            raise ValueError("the samples must be finite numbers")
        self.times, self.values, self.degree = times, values, degree
        m = (degree + 1) // 2
        natural = [(j, 0.0) for j in range(m, 2 * m - 1)]  # zero derivatives m .. 2m-2
        self._spline = interpolate.make_interp_spline(
            times, values, k=degree, bc_type=(natural, natural) if natural else None)
        # Each interval's polynomial in its local variable u = (t - t_i) / h_i,
        # ascending powers: well scaled for evaluation in double precision.
        h = np.diff(times)
        middle = times[:-1] + 0.5 * h  # inside each piece: no ambiguity at a knot
        self._local = np.empty((times.size - 1, degree + 1))
        for j in range(degree + 1):
            # the j-th Taylor coefficient at t_i of the piece containing the middle
            taylor = sum(self._spline(middle, nu=j + r) * (-0.5 * h) ** r / math.factorial(r)
                         for r in range(degree + 1 - j))
            self._local[:, j] = taylor / math.factorial(j) * h ** j

    def __iter__(self):
        return iter((self.times, self.values))

    def __getitem__(self, index):
        return (self.times, self.values)[index]

    def __len__(self):
        return 2

    def __repr__(self):
        return (f"NaturalSpline(degree={self.degree}, {self.times.size} samples, "
                f"t = {self.times[0]:g} .. {self.times[-1]:g} s)")

    def __call__(self, t, derivative: int = 0) -> np.ndarray:
        """Values (or the ``derivative``-th derivative) at the times ``t``; held
        at the end values outside the samples (derivatives zero there)."""
        t = np.asarray(t, dtype=float)
        inside = np.clip(t, self.times[0], self.times[-1])
        out = self._spline(inside, nu=derivative)
        if derivative:
            out = np.where(inside == t, out, 0.0)
        return out

    def derivative_at_samples(self) -> np.ndarray:
        """The first derivative at the sample times (n,): MocoTrack's speed
        references from splined positions."""
        return self._spline(self.times, nu=1)

    def expression(self, t):
        """CasADi expression of the spline at the (symbolic) time ``t``.

        The piece i holding t is the floor of a linear interpolant of the
        sample index over the sample times; its start t_i, 1 / h_i and
        coefficients are looked up at the integer i (a linear interpolant
        evaluated at its grid points), then Horner in u = (t - t_i) / h_i.
        Exact first and second derivatives in t follow: the floor's derivative
        is zero, and at a sample time both sides agree (the spline is C^(degree-1)).
        """
        n = self.times.size
        first, last = self.times[0], self.times[-1]
        # held outside the samples; at the end samples themselves the slope is the spline's
        t = ca.if_else(t < first, first, ca.if_else(t > last, last, t))
        index = ca.interpolant("spline_index", "linear", [self.times],
                               np.arange(n, dtype=float))(t)
        piece = ca.fmin(ca.floor(index), n - 2)
        rows = np.column_stack([self.times[:-1], 1.0 / np.diff(self.times), self._local])
        rows = np.vstack([rows, rows[-1:]])  # a grid of n >= 2 points
        lookup = ca.interpolant("spline_pieces", "linear", [np.arange(n, dtype=float)],
                                rows.ravel(order="C"))
        row = lookup(piece)
        u = (t - row[0]) * row[1]
        a = row[2:]
        value = a[self.degree]
        for j in range(self.degree - 1, -1, -1):
            value = value * u + a[j]
        return value
