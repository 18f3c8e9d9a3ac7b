"""WrapSphere: a sphere of ``radius`` centred at the origin of its frame
(OpenSim/Simulation/Wrap/WrapSphere.cpp, wrapLine).

A segment wraps only when its straight line passes through the sphere. The
path then follows the great circle between the tangent points r1 and r2 that
lie in the plane through the two end points and the centre; the length on the
surface is radius x angle. With a quadrant, the tangent points on the allowed
side are chosen, and a wrap the long way round is possible; for such a
"far side" wrap OpenSim counts the arc as -(2 pi - angle) radius, a negative
length, and so does this code, to give the same path length as OpenSim.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ocp.osim.wrapping.geometry import (
    INSIDE_RADIUS,
    MANDATORY_WRAP,
    NO_WRAP,
    WRAPPED,
    WrapObject,
    WrapResult,
    closest_point_on_line,
    cross,
    dot,
    dsign,
    norm,
    normalize_or_zero,
    rotation_about,
)

#: WrapSphere.cpp: below this |p1p2 x p2| the line passes too near the centre to
#: define the wrapping plane (OpenSim then reuses the previous wrap; here no wrap).
NEAR_CENTRE = 1e-5


def rot_x(angle):
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[1.0, 0, 0], [0, c, -s], [0, s, c]])


def tangent_points(point, n, radius):
    """The two tangent points from ``point`` in the plane of normal ``n``."""
    y, _ = normalize_or_zero(-point)
    z = cross(n, y)
    ra = np.column_stack([n, y, z])
    dist = float(norm(point))
    a = np.arcsin(radius / dist)
    out = []
    for angle in (a, -a):
        aa = ra @ rot_x(angle).T
        out.append(point + aa[:, 1] * dist * np.cos(a))
    return out


@dataclass(frozen=True)
class WrapSphere(WrapObject):
    radius: float = 1.0

    def wrap_line(self, p1, p2, single_wrap, method="hybrid") -> WrapResult:
        radius = self.radius
        axis, sign = self.wrap_axis, self.wrap_sign
        if norm(p1) < radius or norm(p2) < radius:
            return WrapResult(code=INSIDE_RADIUS)
        ri, mp = p1 - p2, -p2
        a = dot(ri, ri)
        b = -2.0 * dot(mp, ri)
        c = dot(mp, mp) - radius * radius
        disc = b * b - 4.0 * a * c
        if disc < 0.0:
            return WrapResult(code=NO_WRAP)
        l1 = (-b + np.sqrt(disc)) / (2.0 * a)
        l2 = (-b - np.sqrt(disc)) / (2.0 * a)
        if not (0.0 < l1 < 1.0) or not (0.0 < l2 < 1.0) or l1 < l2:
            return WrapResult(code=NO_WRAP)
        p1p2, _ = normalize_or_zero(p1 - p2)
        np2, _ = normalize_or_zero(p2)
        hp2 = cross(p1p2, np2)
        if norm(hp2) < NEAR_CENTRE:
            return WrapResult(code=NO_WRAP)
        n, _ = normalize_or_zero(hp2)
        r1a, r1b = tangent_points(p1, n, radius)
        r2a, r2b = tangent_points(p2, n, radius)
        r1am, r1bm, r2am, r2bm = (normalize_or_zero(v)[0] for v in (r1a, r1b, r2a, r2b))
        j1, j2, j3, j4 = dot(r1am, r2am), dot(r1am, r2bm), dot(r1bm, r2am), dot(r1bm, r2bm)
        if j1 > j2 and j1 > j3 and j1 > j4:
            r1, r2, r11, r22 = r1a, r2a, r1b, r2b
        elif j2 > j3 and j2 > j4:
            r1, r2, r11, r22 = r1a, r2b, r1b, r2a
        elif j3 > j4:
            r1, r2, r11, r22 = r1b, r2a, r1a, r2b
        else:
            r1, r2, r11, r22 = r1b, r2b, r1a, r2a
        code, far_side = WRAPPED, False
        if sign != 0:
            if dsign(p1[axis]) == sign or dsign(p2[axis]) == sign:
                mm, tt = closest_point_on_line(np.zeros(3), p1, p1p2)
                tt = -tt   # p1p2 points from p2 to p1
                if dot(mm, mm) < radius * radius and 0.0 < tt < 1.0:
                    code = MANDATORY_WRAP
                elif dsign(p1[axis]) != dsign(p2[axis]) and dsign(mm[axis]) != sign:
                    code = WRAPPED
                else:
                    return WrapResult(code=NO_WRAP)
            if dsign(p1[axis]) != sign or dsign(p2[axis]) != sign:
                wrap_axis = np.zeros(3)
                wrap_axis[axis] = sign
                sum_musc, _ = normalize_or_zero(-p1 - p2)
                r1, r11 = (r1a, r1b) if dot(r1am, sum_musc) > dot(r1bm, sum_musc) else (r1b, r1a)
                r2, r22 = (r2a, r2b) if dot(r2am, sum_musc) > dot(r2bm, sum_musc) else (r2b, r2a)
                sum_musc, _ = normalize_or_zero((r1 - p1) + (r2 - p2))
                if dot(sum_musc, wrap_axis) < 0.0:
                    r1, r2 = r11, r22
                sum_musc = (r1 - p1) + (r2 - p2)
                far_side = dot(r1 + r2, sum_musc) < 0.0
        r1n, _ = normalize_or_zero(r1)
        r2n, _ = normalize_or_zero(r2)
        with np.errstate(invalid="ignore"):
            angle = float(np.arccos(dot(r1n, r2n)))
        if far_side:
            angle = -(2.0 * np.pi - angle)
        axis3, _ = normalize_or_zero(cross(r1n, r2n))
        count = max(2, min(64, int(abs(radius * angle) / 0.002)))
        points = [rotation_about(angle * k / count, axis3) @ r1 for k in range(count + 1)]
        return WrapResult(code=code, r1=r1.copy(), r2=r2.copy(), length=radius * angle,
                          points=points)
