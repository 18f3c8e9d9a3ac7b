"""WrapTorus: a torus about the z axis of its frame, its tube of radius
``inner_radius`` around the circle of radius ``outer_radius`` in the plane z = 0
(OpenSim/Simulation/Wrap/WrapTorus.cpp: wrapLine, findClosestPoint,
calcCircleResids).

OpenSim finds the point of each end's line nearest the circle by a
Levenberg-Marquardt search (MINPACK's lmdif as OpenSim/Common/Lmdif.cpp has it:
forward differences of step 1e-5, tolerances 1e-4), keeps the better one (on the
allowed side when there is a quadrant), and wraps the segment over a cylinder of
the tube's radius tangent to the circle there, on the side facing the torus's
axis (the cylinder's quadrant +x). The search is reproduced step by step (one
unknown, one residual), since the wrap depends on where it stops. A segment
the cylinder does not wrap is reported as "wrapped" with no tangent points, as
OpenSim does, and so never chosen.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ocp.osim.wrapping.cylinder import WrapCylinder
from ocp.osim.wrapping.geometry import (
    MANDATORY_WRAP,
    NO_WRAP,
    WRAPPED,
    WrapObject,
    WrapResult,
    cross,
    dot,
    dsign,
    norm,
)

#: WrapTorus.cpp: the length of the cylinder standing in for the tube.
CYLINDER_LENGTH = 10000.0
#: Lmdif.cpp (MINPACK): machine precision and smallest magnitude it assumes.
MACHEP = 1.2e-16
DWARF = 1.0e-38
#: WrapTorus::findClosestPoint's call of lmdif_C.
FTOL = XTOL = 1e-4
GTOL = 0.0
MAX_EVALUATIONS = 500
STEP_FACTOR = 0.2
JACOBIAN_STEP = 1e-5


def dmax(a, b):
    return a if a >= b else b


def dmin(a, b):
    return a if a <= b else b


def enorm(x: float) -> float:
    return float(np.sqrt(x * x))


def circle_residual(u, p1, p2, radius):
    """WrapTorus::calcCircleResids: derivative of the squared distance from the
    point p1 + u n of the line to the circle."""
    mag = np.sqrt(dot(p2 - p1, p2 - p1))
    n = (p2 - p1) / mag
    c2 = 2.0 * dot(p1, n)
    c3 = p1[0] * n[0] + p1[1] * n[1]
    c4 = n[0] * n[0] + n[1] * n[1]
    c5 = p1[0] * p1[0] + p1[1] * p1[1]
    return c2 + 2.0 * u - 2.0 * radius * (2.0 * c4 * u + 2.0 * c3) / np.sqrt(
        u * u * c4 + 2.0 * c3 * u + c5)


def qrsolv(r, diag, qtb):
    """MINPACK qrsolv for one unknown: (x, sdiag)."""
    rr, wa = r, qtb
    sdiag = r
    if diag != 0.0:
        if abs(rr) < abs(diag):
            cotan = rr / diag
            sin = 0.5 / np.sqrt(0.25 + 0.25 * cotan * cotan)
            cos = sin * cotan
        else:
            tan = diag / rr
            cos = 0.5 / np.sqrt(0.25 + 0.25 * tan * tan)
            sin = cos * tan
        sdiag = cos * rr + sin * diag
        wa = cos * wa
    if sdiag == 0.0:
        return 0.0, sdiag
    return wa / sdiag, sdiag


def lmpar(r, diag, qtb, delta, par):
    """MINPACK lmpar for one unknown: (x, par)."""
    singular = r == 0.0
    x = 0.0 if singular else qtb / r
    it = 0
    wa2 = diag * x
    dxnorm = enorm(wa2)
    fp = dxnorm - delta
    if fp <= 0.1 * delta:
        return x, 0.0
    parl = 0.0
    if not singular:
        wa1 = diag * (wa2 / dxnorm) / r
        temp = enorm(wa1)
        parl = ((fp / delta) / temp) / temp
    gnorm = enorm(r * qtb / diag)
    paru = gnorm / delta
    if paru == 0.0:
        paru = DWARF / dmin(delta, 0.1)
    par = dmax(par, parl)
    par = dmin(par, paru)
    if par == 0.0:
        par = gnorm / dxnorm
    while True:
        it += 1
        if par == 0.0:
            par = dmax(DWARF, 0.001 * paru)
        x, sdiag = qrsolv(r, np.sqrt(par) * diag, qtb)
        wa2 = diag * x
        dxnorm = enorm(wa2)
        temp, fp = fp, dxnorm - delta
        if abs(fp) <= 0.1 * delta or (parl == 0.0 and fp <= temp and temp < 0.0) or it == 10:
            return x, par
        wa1 = diag * (wa2 / dxnorm) / sdiag
        temp = enorm(wa1)
        parc = ((fp / delta) / temp) / temp
        if fp > 0.0:
            parl = dmax(parl, par)
        if fp < 0.0:
            paru = dmin(paru, par)
        par = dmax(parl, par + parc)


def lmdif(fcn, x: float) -> float:
    """MINPACK lmdif_C as OpenSim calls it (mode 1, one residual, one unknown)."""
    fvec = fcn(x)
    nfev = 1
    fnorm = enorm(fvec)
    par = 0.0
    it = 1
    diag = delta = xnorm = 0.0
    while True:   # outer loop (L30): a new Jacobian
        fjac = (fcn(x + JACOBIAN_STEP) - fvec) / JACOBIAN_STEP
        acnorm = enorm(fjac)
        if acnorm == 0.0:
            rdiag, house = -0.0, 0.0
        else:
            ajnorm = -acnorm if fjac < 0.0 else acnorm
            rdiag, house = -ajnorm, fjac / ajnorm + 1.0
        if it == 1:
            diag = acnorm if acnorm != 0.0 else 1.0
            xnorm = enorm(diag * x)
            delta = STEP_FACTOR * xnorm
            if abs(delta) <= 1e-4:
                delta = STEP_FACTOR
        qtf = fvec
        if house != 0.0:
            qtf = fvec + house * (-(house * fvec) / house)
        r = rdiag
        gnorm = 0.0
        if fnorm != 0.0 and acnorm != 0.0:
            gnorm = dmax(gnorm, abs(r * (qtf / fnorm) / acnorm))
        if gnorm <= GTOL:
            return x
        diag = dmax(diag, acnorm)
        while True:   # inner loop (L200)
            step, par = lmpar(r, diag, qtf, delta, par)
            step = -step
            trial = x + step
            pnorm = enorm(diag * step)
            if it == 1:
                delta = dmin(delta, pnorm)
            fvec1 = fcn(trial)
            nfev += 1
            fnorm1 = enorm(fvec1)
            actred = -1.0
            if 0.1 * fnorm1 < fnorm:
                actred = 1.0 - (fnorm1 / fnorm) ** 2
            temp1 = enorm(r * step) / fnorm
            temp2 = (np.sqrt(par) * pnorm) / fnorm
            prered = temp1 * temp1 + (temp2 * temp2) / 0.5
            dirder = -(temp1 * temp1 + temp2 * temp2)
            ratio = actred / prered if prered != 0.0 else 0.0
            if ratio <= 0.25:
                temp = 0.5 if actred >= 0.0 else 0.5 * dirder / (dirder + 0.5 * actred)
                if 0.1 * fnorm1 >= fnorm or temp < 0.1:
                    temp = 0.1
                delta = temp * dmin(delta, pnorm / 0.1)
                par = par / temp
            elif par == 0.0 or ratio >= 0.75:
                delta = pnorm / 0.5
                par = 0.5 * par
            if ratio >= 1e-4:
                x, fvec = trial, fvec1
                xnorm = enorm(diag * x)
                fnorm = fnorm1
                it += 1
            small = abs(actred) <= FTOL and prered <= FTOL and 0.5 * ratio <= 1.0
            if small or delta <= XTOL * xnorm:
                return x
            if (nfev >= MAX_EVALUATIONS or delta <= MACHEP * xnorm or gnorm <= MACHEP
                    or (abs(actred) <= MACHEP and prered <= MACHEP and 0.5 * ratio <= 1.0)):
                return x
            if ratio >= 1e-4:
                break


def nearest_on_line(p1, p2, radius):
    """The point of the line from p1 towards p2 nearest the circle, by lmdif."""
    u = lmdif(lambda v: circle_residual(v, p1, p2, radius), 0.0)
    mag = np.sqrt(dot(p2 - p1, p2 - p1))
    a = p1 + u * (p2 - p1) / mag
    return a, np.sqrt(dot(a, a) + radius * radius - 2.0 * radius * np.hypot(a[0], a[1]))


@dataclass(frozen=True)
class WrapTorus(WrapObject):
    inner_radius: float = 0.5
    outer_radius: float = 1.0

    def closest_circle_point(self, p1, p2):
        """WrapTorus::findClosestPoint: the circle point near the segment, or None."""
        a1, d1 = nearest_on_line(p1, p2, self.outer_radius)
        a2, d2 = nearest_on_line(p2, p1, self.outer_radius)
        axis, sign = self.wrap_axis, self.wrap_sign
        if sign != 0:
            on1, on2 = dsign(a1[axis]) == sign, dsign(a2[axis]) == sign
            if on1 and on2:
                a = a1 if d1 < d2 else a2
            elif on1:
                a = a1
            elif on2:
                a = a2
            else:
                return None
        else:
            a = a1 if d1 < d2 else a2
        mag = np.hypot(a[0], a[1])
        return np.array([a[0] * self.outer_radius / mag, a[1] * self.outer_radius / mag, 0.0])

    def wrap_line(self, p1, p2, single_wrap, method="hybrid") -> WrapResult:
        closest = self.closest_circle_point(p1, p2)
        if closest is None:
            return WrapResult(code=NO_WRAP)
        closest = -closest
        x_axis = closest / norm(closest)
        y_axis = np.array([0.0, 0.0, -1.0])
        rot = np.array([x_axis, y_axis, cross(x_axis, y_axis)])   # rows
        shift = rot @ closest
        cylinder = WrapCylinder(name=self.name, body=self.body, quadrant="+x",
                                radius=self.inner_radius, length=CYLINDER_LENGTH)
        result = cylinder.wrap_line(rot @ p1 + shift, rot @ p2 + shift, single_wrap, method)
        if result.code in (WRAPPED, MANDATORY_WRAP):
            result.r1 = rot.T @ (result.r1 - shift)
            result.r2 = rot.T @ (result.r2 - shift)
            result.points = [rot.T @ (p - shift) for p in result.points]
        else:   # OpenSim reports "wrapped" with tangent points that are not numbers
            result = WrapResult(code=WRAPPED)
        result.code = WRAPPED
        return result
