"""WrapEllipsoid: an ellipsoid of semi-axes ``dimensions`` centred at the origin of
its frame (OpenSim/Simulation/Wrap/WrapEllipsoid.cpp: wrapLine, calcTangentPoint,
CalcDistanceOnEllipsoid, findClosestPoint, closestPointToEllipse).

A segment wraps only when its straight line passes through the ellipsoid. The
path lies in a plane through both end points and a point c1 on the surface,
which the PathWrap's ``method`` chooses: "midpoint" (nearest the middle of the
chord inside), "axial" (where the chord crosses the plane normal to the axis
most parallel to it: Frans' technique) or "hybrid" (a blend of axial and the
mean of 298 nearest-point directions along the chord, the fan). Tangent points
are found by OpenSim's damped Newton iteration; the length on the surface is
that of OpenSim's polyline of about 1 mm chords in that plane. All of it is
computed, as OpenSim does, in coordinates scaled by 3 / sum(dimensions).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ocp.osim.wrapping.geometry import (
    INSIDE_RADIUS,
    MANDATORY_WRAP,
    NO_WRAP,
    ROUNDOFF_ERROR,
    WrapObject,
    WrapResult,
    cross,
    dot,
    dsign,
    norm,
    normalize_or_zero,
)

#: WrapEllipsoid.cpp constants.
ELLIPSOID_TINY = 1e-8
MU_BLEND_MIN = 0.7073      # 100 % fan below (must exceed cos 45 degrees)
MU_BLEND_MAX = 0.9         # 100 % Frans above
NUM_FAN_SAMPLES = 300
SV_BOUNDARY_BLEND = 0.3
SEGMENT_M = 0.001          # desired chord of the surface polyline
MAX_SEGMENTS = 499


def equal_within_error(a, b) -> bool:
    with np.errstate(invalid="ignore"):
        return abs(a - b) <= ROUNDOFF_ERROR


def closest_point_to_ellipse(a, b, u, v):
    """Point (x, y) of the ellipse (x/a)^2 + (y/b)^2 = 1 nearest (u, v) (Eberly)."""
    a2, b2 = a * a, b * b
    a2u2, b2v2 = a2 * u * u, b2 * v * v
    near_x, near_y = equal_within_error(0.0, u), equal_within_error(0.0, v)
    if near_x and near_y:
        return ((-a if u < 0.0 else a), v) if a < b else (u, (-b if v < 0.0 else b))
    if near_x:
        if a >= b or abs(v) >= b - a2 / b:
            return u, (b if v >= 0 else -b)
        y = b2 * v / (b2 - a2)
        ydb = y / b
        return a * np.sqrt(abs(1 - ydb * ydb)), y
    if near_y:
        if b >= a or abs(u) >= a - b2 / a:
            return (a if u >= 0 else -a), v
        x = a2 * u / (a2 - b2)
        xda = x / a
        return x, b * np.sqrt(abs(1 - xda * xda))
    t = 0.0 if (u / a) ** 2 + (v / b) ** 2 < 1.0 else max(a, b) * np.sqrt(u * u + v * v)
    for _ in range(64):
        p, q = t + a2, t + b2
        p2, q2 = p * p, q * q
        f = p2 * q2 - a2u2 * q2 - b2v2 * p2
        if abs(f) < 1e-9:
            break
        fp = 2.0 * (p * q * (p + q) - a2u2 * q - b2v2 * p)
        t -= f / fp
    return a2 * u / p, b2 * v / q


@dataclass(frozen=True)
class WrapEllipsoid(WrapObject):
    dimensions: tuple = (1.0, 1.0, 1.0)

    def closest_point(self, a, uvw, previous, axis: int = -1):
        """Point of the (scaled) ellipsoid of semi-axes a nearest uvw
        (WrapEllipsoid::findClosestPoint); ``previous`` is returned when its
        Newton iteration fails, as OpenSim then leaves its output untouched."""
        u, v, w = uvw
        if axis < 0:
            least = np.inf
            for i in range(3):
                if equal_within_error(0.0, uvw[i]):
                    total = sum(self.dimensions[j] for j in range(3) if j != i)
                    if least > total:
                        axis, least = i, total
        if axis == 0:
            y, z = closest_point_to_ellipse(a[1], a[2], v, w)
            return np.array([u, y, z])
        if axis == 1:
            z, x = closest_point_to_ellipse(a[2], a[0], w, u)
            return np.array([x, v, z])
        if axis == 2:
            x, y = closest_point_to_ellipse(a[0], a[1], u, v)
            return np.array([x, y, w])
        a2, b2, c2 = a[0] ** 2, a[1] ** 2, a[2] ** 2
        a2u2, b2v2, c2w2 = a2 * u * u, b2 * v * v, c2 * w * w
        if (u / a[0]) ** 2 + (v / a[1]) ** 2 + (w / a[2]) ** 2 < 1.0:
            t = 0.0
        else:
            t = max(a) * np.sqrt(u * u + v * v + w * w)
        for _ in range(64):
            p, q, r = t + a2, t + b2, t + c2
            f = p * p * q * q * r * r - a2u2 * q * q * r * r - b2v2 * p * p * r * r \
                - c2w2 * p * p * q * q
            if abs(f) < 1e-9:
                return np.array([a2 * u / p, b2 * v / q, c2 * w / r])
            pq, pr, qr, pqr = p * q, p * r, q * r, p * q * r
            fp = 2.0 * (pqr * (qr + pr + pq) - a2u2 * qr * (q + r) - b2v2 * pr * (p + r)
                        - c2w2 * pq * (p + q))
            t -= f / fp
        return np.array(previous, float)

    def wrap_line(self, p1_in, p2_in, single_wrap, method="hybrid") -> WrapResult:
        factor = 3.0 / sum(self.dimensions)
        p1, p2 = p1_in * factor, p2_in * factor
        a = np.asarray(self.dimensions, float) * factor
        p1e = -1.0 + float(np.sum((p1 / a) ** 2))
        p2e = -1.0 + float(np.sum((p2 / a) ** 2))
        if p1e < -0.0001 or p2e < -0.0001:
            return WrapResult(code=INSIDE_RADIUS)
        p1p2 = p1 - p2
        p1m, _ = normalize_or_zero(p1)
        p2m, _ = normalize_or_zero(p2)
        if abs(dot(p1m, p2m) - 1.0) < 0.0001:
            return WrapResult(code=NO_WRAP)
        f1, f2 = p1p2 / a, p2 / a
        aa, bb, cc = dot(f1, f1), 2.0 * dot(f1, f2), dot(f2, f2) - 1.0
        disc = bb * bb - 4.0 * aa * cc
        if disc < 0.0:
            return WrapResult(code=NO_WRAP)
        l1 = (-bb + np.sqrt(disc)) / (2.0 * aa)
        l2 = (-bb - np.sqrt(disc)) / (2.0 * aa)
        if not (0.0 < l1 < 1.0) or not (0.0 < l2 < 1.0):
            return WrapResult(code=NO_WRAP)
        r1, r2 = p2 + l1 * p1p2, p2 + l2 * p1p2
        c1, t, best, mu_best, fan_weight = self.wrapping_plane_point(a, r1, r2, p1p2, method)
        if method != "axial" or 0.0 < t[best] < 1.0:
            r1, r2 = c1.copy(), c1.copy()
        axis, sign = self.wrap_axis, self.wrap_sign
        if sign != 0 and dsign(c1[axis]) != sign:
            orig = c1.copy()
            c1[axis] = -c1[axis]
            r1, r2 = c1.copy(), c1.copy()
            if equal_within_error(fan_weight, -np.inf):
                fan_weight = 1.0 - (mu_best - MU_BLEND_MIN) / (MU_BLEND_MAX - MU_BLEND_MIN)
            fan_weight = min(fan_weight, 1.0)
            if fan_weight > 0.0:
                bisection = (orig[axis] + c1[axis]) / 2.0
                c1[axis] = c1[axis] + fan_weight * (bisection - c1[axis])
                c1 = self.closest_point(a, c1.copy(), c1)
        vs, _ = normalize_or_zero(cross(p1p2, p1 - c1))
        vs4 = -dot(vs, c1)
        r1 = tangent_point(p1e, r1.copy(), p1, a, vs, vs4)
        r2 = tangent_point(p2e, r2.copy(), p2, a, vs, vs4)
        far_side = False
        length, points = surface_path(r1, r2, a, vs, vs4, far_side, factor)
        if sign != 0 and len(points) > 2:
            r1p1, _ = normalize_or_zero(p1 - r1)
            r1w1, _ = normalize_or_zero(points[1] - r1)
            r2p2, _ = normalize_or_zero(p2 - r2)
            r2w2, _ = normalize_or_zero(points[-2] - r2)
            if dot(r1p1, r1w1) > 0.0 or dot(r2p2, r2w2) > 0.0:   # wrong way round: the far side
                length, points = surface_path(r1, r2, a, vs, vs4, True, factor)
        return WrapResult(code=MANDATORY_WRAP, r1=r1 / factor, r2=r2 / factor,
                          length=length / factor, points=[p / factor for p in points])

    def wrapping_plane_point(self, a, r1, r2, p1p2, method):
        """(c1, t, best axis, its blended mu, fan weight): the surface point c1 that,
        with the two end points, sets the wrapping plane (OpenSim's "COMPUTE
        WRAPPING PLANE" block; sv, the chord point c1 is nearest, is not needed)."""
        r1r2 = r2 - r1
        mu, _ = normalize_or_zero(p1p2)
        mu = np.abs(mu)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (0.0 - r1) / r1r2
        t_sv = [r1 + t[i] * r1r2 for i in range(3)]
        t_c1 = [self.closest_point(a, t_sv[i], np.full(3, np.nan), i) for i in range(3)]
        best = 0
        for i in (1, 2):
            if mu[i] > mu[best]:
                best = i
        fan_weight = -np.inf
        c1 = sv = np.full(3, np.nan)
        if method in ("hybrid", "axial"):
            if method == "hybrid" and mu[best] > MU_BLEND_MIN:
                s = 1.0
                if t[best] < 0.0 or t[best] > 1.0:
                    s = 0.0
                elif t[best] < SV_BOUNDARY_BLEND:
                    s = t[best] / SV_BOUNDARY_BLEND
                elif t[best] > 1.0 - SV_BOUNDARY_BLEND:
                    s = (1.0 - t[best]) / SV_BOUNDARY_BLEND
                if s < 1.0:
                    mu[best] = MU_BLEND_MIN + s * (mu[best] - MU_BLEND_MIN)
            if method == "axial" or mu[best] > MU_BLEND_MIN:
                c1, sv = t_c1[best].copy(), t_sv[best].copy()
            if method == "hybrid" and mu[best] < MU_BLEND_MAX:
                middle = r1 + 0.5 * r1r2
                blade = np.zeros(3)
                c1_fan = t_c1[0]
                for i in range(1, NUM_FAN_SAMPLES - 1):
                    point = r1 + (i / NUM_FAN_SAMPLES) * r1r2
                    c1_fan = self.closest_point(a, point, c1_fan)
                    v, _ = normalize_or_zero(c1_fan - point)
                    blade = blade + v
                blade, _ = normalize_or_zero(blade)
                tip = middle + blade
                if mu[best] <= MU_BLEND_MIN:
                    c1 = self.closest_point(a, tip, c1)
                    sv = middle
                    fan_weight = 1.0
                else:
                    tt = (mu[best] - MU_BLEND_MIN) / (MU_BLEND_MAX - MU_BLEND_MIN)
                    fan_c1 = self.closest_point(a, tip, t_c1[1])
                    blend = tt * c1 + (1.0 - tt) * fan_c1
                    sv = tt * sv + (1.0 - tt) * middle
                    c1 = self.closest_point(a, blend, c1)
                    fan_weight = 1.0 - tt
        else:   # midpoint
            sv = r1 + 0.5 * (r2 - r1)
            c1 = self.closest_point(a, sv, c1)
        return np.array(c1, float), t, best, float(mu[best]), fan_weight


def squares(ee) -> float:
    """Sum of squares of the four residuals, in OpenSim's order."""
    return float(ee[0] ** 2 + ee[1] ** 2 + ee[2] ** 2 + ee[3] ** 2)


def residuals(r1, d1, p1, a, vs, vs4):
    nr1 = 2.0 * r1 / (a * a)
    return np.array([dot(vs, r1) + vs4, -1.0 + float(np.sum((r1 / a) ** 2)),
                     dot(nr1, r1) + d1, dot(nr1, p1) + d1])


def tangent_point(p1e, r1, p1, a, vs, vs4):
    """Point r1 on the ellipsoid, in the plane (vs, vs4), whose tangent plane holds p1
    (WrapEllipsoid::calcTangentPoint: damped Gauss-Newton on four residuals)."""
    if abs(p1e) < 0.0001:
        return p1.copy()
    d1 = -dot(2.0 * r1 / (a * a), r1)
    ee = residuals(r1, d1, p1, a, vs, vs4)
    ssqo = ssq = squares(ee)
    alpha = 0.01
    nit = 0
    while ssq > ELLIPSOID_TINY and nit < 50:
        nit += 1
        dedth = np.zeros((4, 4))
        dedth[:3, 0] = vs
        dedth[:3, 1] = 2.0 * r1 / (a * a)
        dedth[:3, 2] = 2.0 * (2.0 * r1) / (a * a)
        dedth[:3, 3] = 2.0 * p1 / (a * a)
        dedth[3] = (0.0, 0.0, 1.0, 1.0)
        p1r1, _ = normalize_or_zero(p1 - r1)
        p1m, _ = normalize_or_zero(p1)
        pcos = dot(p1r1, p1m)
        dd = 1.0 - pcos ** 100 if pcos > 0.1 else 1.0
        v = -(dedth @ ee)
        dedth2 = dedth @ dedth.T
        diag = np.diag(dedth2).copy()
        nit2 = 0
        vt = np.zeros(4)
        while ssq >= ssqo and nit2 < 1000:
            np.fill_diagonal(dedth2, diag * (1.0 + alpha))
            inverse = np.linalg.inv(dedth2)
            vt = dd * (inverse @ v) / 16.0
            r1 = r1 + vt[:3]
            d1 += vt[3]
            ee = residuals(r1, d1, p1, a, vs, vs4)
            ssqo, ssq = ssq, squares(ee)
            alpha *= 4.0
            nit2 += 1
        alpha /= 8.0
        fakt = 0.5
        nit2 = 0
        while ssq <= ssqo and nit2 < 1000:
            fakt *= 2.0
            r1 = r1 + vt[:3] * fakt
            d1 += vt[3] * fakt
            ee = residuals(r1, d1, p1, a, vs, vs4)
            ssqo, ssq = ssq, squares(ee)
            nit2 += 1
        r1 = r1 - vt[:3] * fakt
        d1 -= vt[3] * fakt
        ee = residuals(r1, d1, p1, a, vs, vs4)
        ssq = ssqo = squares(ee)
    return r1


def surface_path(r1, r2, a, vs, vs4, far_side, factor):
    """(length, points) of OpenSim's polyline from r1 to r2 on the ellipsoid, in the
    plane (vs, vs4), in scaled units (WrapEllipsoid::CalcDistanceOnEllipsoid)."""
    chord = float(norm(r1 - r2)) / factor
    if chord < SEGMENT_M:
        return chord * factor, [r1, r2]
    count = min(int(chord / SEGMENT_M), MAX_SEGMENTS)
    imax = 0
    for i in (1, 2):
        if abs(vs[i]) > abs(vs[imax]):
            imax = i
    u = np.zeros(3)
    u[imax] = 1.0
    mu = (-vs4) / dot(vs, u)
    a0 = mu * u
    ar1, _ = normalize_or_zero(r1 - a0)
    ar2, _ = normalize_or_zero(r2 - a0)
    with np.errstate(invalid="ignore"):
        phi0 = float(np.arccos(dot(ar1, ar2)))
    dphi = -(2 * np.pi - phi0) / count if far_side else phi0 / count
    vsz, _ = normalize_or_zero(cross(ar1, ar2))
    vsy = cross(vsz, ar1)
    points = [r1]
    f2 = a0 / a
    for i in range(count - 1):
        phi = (i + 1) * dphi
        r = np.cos(phi) * ar1 + np.sin(phi) * vsy
        f1 = r / a
        aa, bb, cc = dot(f1, f1), 2.0 * dot(f1, f2), dot(f2, f2) - 1.0
        mu3 = (-bb + np.sqrt(bb * bb - 4.0 * aa * cc)) / (2.0 * aa)
        points.append(a0 + mu3 * r)
    points.append(r2)
    length = sum(float(norm(q - p)) for p, q in zip(points[:-1], points[1:]))
    return length, points
