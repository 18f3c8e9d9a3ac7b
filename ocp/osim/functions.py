"""OpenSim's one-argument functions as CasADi expressions: Constant, LinearFunction,
SimmSpline (and NaturalCubicSpline, which OpenSim 4 reads as a SimmSpline),
PolynomialFunction, PiecewiseLinearFunction and MultiplierFunction.

Each function returns ``(value, first derivative, second derivative)`` at x, so a
joint whose location moves with its coordinate (a knee) gets its velocity and
acceleration terms without differentiating an expression of a number.

SimmSpline is the cubic spline of Forsythe, Malcolm and Moler (Computer Methods
for Mathematical Computations, 1977, routine SPLINE): end conditions match the
third derivative to divided differences of the end points (a natural spline it
is not), and outside the knots the value continues along the end slope. The
coefficients are computed here from that description so that the values equal
OpenSim's ``SimmSpline::calcValue`` to rounding (checked against OpenSim in
tests/test_osim_opensim.py).
"""
from __future__ import annotations

from dataclasses import dataclass

import casadi as ca
import numpy as np

#: OpenSim's lower limit on knot spacing (SimmMacros.h TINY_NUMBER).
_TINY = 1e-7


@dataclass(frozen=True)
class Constant:
    value: float

    def __call__(self, x):
        return self.value + 0 * x, 0 * x, 0 * x


@dataclass(frozen=True)
class Linear:
    """y = slope x + intercept (OpenSim LinearFunction, coefficients [slope, intercept])."""

    slope: float
    intercept: float

    def __call__(self, x):
        return self.slope * x + self.intercept, self.slope + 0 * x, 0 * x


@dataclass(frozen=True)
class Multiplier:
    """scale * f(x) (OpenSim MultiplierFunction)."""

    function: object
    scale: float

    def __call__(self, x):
        return tuple(self.scale * v for v in self.function(x))


def simm_spline_coefficients(x, y):
    """Coefficients (b, c, d) with y_k + dx (b_k + dx (c_k + dx d_k)) on [x_k, x_k+1].

    x: (n,) increasing knots, y: (n,) values, n >= 2. Returns three (n,) arrays.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    n = len(x)
    if n < 2:
        raise ValueError("a SimmSpline needs at least two points")
    if n == 2:
        slope = (y[1] - y[0]) / max(_TINY, x[1] - x[0])
        return np.full(2, slope), np.zeros(2), np.zeros(2)
    h = np.maximum(_TINY, np.diff(x))           # interval lengths
    slopes = np.diff(y) / h
    # Tridiagonal system for sigma_k (c = 3 sigma): diagonal, off-diagonal h, rhs.
    diag = np.empty(n)
    rhs = np.zeros(n)
    diag[1:-1] = 2.0 * (h[:-1] + h[1:])
    rhs[1:-1] = slopes[1:] - slopes[:-1]
    diag[0], diag[-1] = -h[0], -h[-1]
    if n > 3:
        # third derivative at each end from divided differences of four points
        first = rhs[2] / max(_TINY, x[3] - x[1]) - rhs[1] / max(_TINY, x[2] - x[0])
        last = rhs[-2] / max(_TINY, x[-1] - x[-3]) - rhs[-3] / max(_TINY, x[-2] - x[-4])
        rhs[0] = first * h[0] ** 2 / max(_TINY, x[3] - x[0])
        rhs[-1] = -last * h[-1] ** 2 / max(_TINY, x[-1] - x[-4])
    off = np.append(h, h[-1])
    for i in range(1, n):                       # forward elimination
        t = off[i - 1] / diag[i - 1]
        diag[i] -= t * off[i - 1]
        rhs[i] -= t * rhs[i - 1]
    sigma = np.empty(n)
    sigma[-1] = rhs[-1] / diag[-1]
    for i in range(n - 2, -1, -1):              # back substitution
        sigma[i] = (rhs[i] - off[i] * sigma[i + 1]) / diag[i]
    b = np.empty(n)
    d = np.empty(n)
    b[:-1] = slopes - h * (sigma[1:] + 2.0 * sigma[:-1])
    b[-1] = slopes[-1] + h[-1] * (sigma[-2] + 2.0 * sigma[-1])
    d[:-1] = (sigma[1:] - sigma[:-1]) / h
    d[-1] = d[-2]
    return b, 3.0 * sigma, d


@dataclass(frozen=True)
class SimmSpline:
    """OpenSim's SimmSpline through the points (x_k, y_k)."""

    x: tuple
    y: tuple

    def __post_init__(self):
        if len(self.x) != len(self.y) or len(self.x) < 2:
            raise ValueError(f"a SimmSpline needs as many x as y values, at least two; "
                             f"got {len(self.x)} and {len(self.y)}")
        if np.any(np.diff(self.x) <= 0):
            raise ValueError("SimmSpline x values must increase")

    def numpy(self, x):
        """Value at the points x (numbers), for tests and reports."""
        f = ca.SX.sym("x")
        fn = ca.Function("s", [f], [self(f)[0]])
        return np.array([float(fn(v)) for v in np.atleast_1d(x)])

    def __call__(self, x):
        # Python floats: a numpy scalar times an SX goes through numpy's ufunc
        # dispatch, ten times slower to build (a third of gait10dof18musc's load)
        b, c, d = (v.tolist() for v in simm_spline_coefficients(self.x, self.y))
        xs, ys = self.x, self.y
        n = len(xs)
        # beyond the knots: straight lines with the end slopes
        value = ys[-1] + (x - xs[-1]) * b[-1]
        slope, curvature = b[-1] + 0 * x, 0 * x
        for k in range(n - 2, -1, -1):
            dx = x - xs[k]
            v = ys[k] + dx * (b[k] + dx * (c[k] + dx * d[k]))
            s = b[k] + dx * (2 * c[k] + 3 * dx * d[k])
            cv = 2 * c[k] + 6 * dx * d[k]
            inside = x <= xs[k + 1]
            value = ca.if_else(inside, v, value)
            slope = ca.if_else(inside, s, slope)
            curvature = ca.if_else(inside, cv, curvature)
        below = x < xs[0]
        value = ca.if_else(below, ys[0] + (x - xs[0]) * b[0], value)
        slope = ca.if_else(below, b[0], slope)
        curvature = ca.if_else(below, 0, curvature)
        return value, slope, curvature


@dataclass(frozen=True)
class Polynomial:
    """OpenSim PolynomialFunction: coefficients from the highest power to the constant."""

    coefficients: tuple

    def __call__(self, x):
        value, slope, curvature = 0 * x, 0 * x, 0 * x
        for c in self.coefficients:       # Horner, with its first two derivatives
            curvature = curvature * x + 2 * slope
            slope = slope * x + value
            value = value * x + c
        return value, slope, curvature


@dataclass(frozen=True)
class PiecewiseLinear:
    """OpenSim PiecewiseLinearFunction: straight segments through (x_k, y_k), continued
    beyond the ends with the end segments' slopes (PiecewiseLinearFunction.cpp)."""

    x: tuple
    y: tuple

    def __post_init__(self):
        if len(self.x) != len(self.y) or len(self.x) < 2:
            raise ValueError(f"a PiecewiseLinearFunction needs as many x as y values, at "
                             f"least two; got {len(self.x)} and {len(self.y)}")
        if np.any(np.diff(self.x) <= 0):
            raise ValueError("PiecewiseLinearFunction x values must increase")

    def __call__(self, x):
        xs, ys = self.x, self.y
        slopes = [(ys[k + 1] - ys[k]) / max(_TINY, xs[k + 1] - xs[k]) for k in range(len(xs) - 1)]
        value = ys[-2] + (x - xs[-2]) * slopes[-1]
        slope = slopes[-1] + 0 * x
        for k in range(len(xs) - 3, -1, -1):
            inside = x <= xs[k + 1]
            value = ca.if_else(inside, ys[k] + (x - xs[k]) * slopes[k], value)
            slope = ca.if_else(inside, slopes[k], slope)
        return value, slope, 0 * x
