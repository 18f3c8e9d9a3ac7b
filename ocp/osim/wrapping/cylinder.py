"""WrapCylinder: a cylinder of ``radius`` along the z axis of its frame, centred,
``length`` long (OpenSim/Simulation/Wrap/WrapCylinder.cpp, wrapLine and
_make_spiral_path).

The path leaves the straight line at tangent point r1, follows a helix on the
surface to r2 and leaves again. OpenSim finds r1 and r2 on the circle cut by the
plane through each end point perpendicular to the axis, slides them along the
axis to the plane through both end points and the apex, and, when the path
has more than one wrap object, slides them again until the helix meets the
straight lines within 0.1 degree; the length on the surface is the helix's,
sqrt((radius theta)^2 + axial distance^2). With a quadrant, only that side is
wrapped over and a wrap the long way round is possible.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ocp.osim.wrapping.geometry import (
    MANDATORY_WRAP,
    NO_WRAP,
    WRAPPED,
    WrapObject,
    WrapResult,
    closest_point_on_line,
    cross,
    distance_squared_to_line,
    dot,
    dsign,
    intersect_lines,
    intersect_segment_plane,
    norm,
    normalize_or_zero,
)
from ocp.osim.wrapping.helix import spiral

#: The axis, as OpenSim writes it: a point on it and its direction.
AXIS_POINT = np.array([0.0, 0.0, -1.0])
AXIS = np.array([0.0, 0.0, 1.0])


def _acos(x):
    with np.errstate(invalid="ignore"):
        return float(np.arccos(x))


def tangent_candidates(point, radius):
    """The two points where lines from ``point`` touch the cylinder, in the plane
    through ``point`` perpendicular to the axis; and the axis point nearest
    ``point`` and its distance."""
    near, _ = closest_point_on_line(point, AXIS_POINT, AXIS)
    vv, dist_axis = normalize_or_zero(point - near)
    sin_theta = radius / dist_axis
    d = radius * sin_theta
    pp = near + d * vv
    d = np.sqrt(radius * radius - d * d)
    uu = cross(AXIS, vv)
    return pp + d * uu, pp - d * uu, near, dist_axis


@dataclass(frozen=True)
class WrapCylinder(WrapObject):
    radius: float = 1.0
    length: float = 1.0

    def wrap_line(self, p1, p2, single_wrap, method="hybrid") -> WrapResult:
        r = self.radius
        r2 = r * r
        axis, sign = self.wrap_axis, self.wrap_sign
        constrained = sign != 0
        out = WrapResult(code=WRAPPED)
        if (distance_squared_to_line(p1, AXIS_POINT, AXIS) < r2
                or distance_squared_to_line(p2, AXIS_POINT, AXIS) < r2):
            return WrapResult(code=1)   # INSIDE_RADIUS
        start, end = np.array([0, 0, -0.5 * self.length]), np.array([0, 0, 0.5 * self.length])
        near12, t12, near00, _ = intersect_lines(p1, p2, start, end)
        if near12 is None:
            near12 = near00 = np.full(3, np.nan)
        crosses = (dot(near12 - near00, near12 - near00) < r2 and 0.0 < t12 < 1.0)
        if not constrained:
            if not crosses:
                return WrapResult(code=NO_WRAP)
            out.code = MANDATORY_WRAP
        r1a, r1b, p11, p11_dist = tangent_candidates(p1, r)
        r2a, r2b, p22, p22_dist = tangent_candidates(p2, r)
        far_side = long_wrap = False
        if constrained:
            if dsign(p1[axis]) == sign or dsign(p2[axis]) == sign:
                if crosses:
                    out.code = MANDATORY_WRAP
                elif dsign(p1[axis]) != dsign(p2[axis]) and dsign(near12[axis]) != sign:
                    out.code = WRAPPED
                else:
                    return WrapResult(code=NO_WRAP)
            r1am, r1bm, r2am, r2bm = r1a - p11, r1b - p11, r2a - p22, r2b - p22
            alpha = _acos((dot(r1am, r2bm)) / (norm(r1am) * norm(r2bm)))
            beta = _acos((dot(r1bm, r2am)) / (norm(r1bm) * norm(r2am)))
            on_1a, on_1b = dsign(r1a[axis]) == sign, dsign(r1b[axis]) == sign
            b_a = (r1b, r2a, not alpha > beta)     # (r1, r2, far side)
            a_b = (r1a, r2b, alpha > beta)
            if on_1a and on_1b:
                choice = b_a if dsign(r2a[axis]) == sign else a_b
            elif on_1a:
                choice = a_b
            elif on_1b:
                choice = b_a
            elif dsign(r2a[axis]) == sign:
                choice = b_a
            elif dsign(r2b[axis]) == sign:
                choice = a_b
            else:   # no candidate on the active side
                choice = (r1a, r2b, True) if alpha > beta else (r1b, r2a, True)
            out.r1, out.r2, far_side = choice[0].copy(), choice[1].copy(), choice[2]
            sum_musc = (out.r1 - p1) + (out.r2 - p2)
            sum_r = (out.r1 - p11) + (out.r2 - p22)
            long_wrap = dot(sum_r, sum_musc) < 0.0
        else:
            units = [normalize_or_zero(v)[0] for v in (r1a - p11, r1b - p11, r2a - p22,
                                                       r2b - p22)]
            dot1, dot2 = dot(units[0], units[2]), dot(units[0], units[3])
            dot3, dot4 = dot(units[1], units[2]), dot(units[1], units[3])
            if dot1 > dot2 and dot1 > dot3 and dot1 > dot4:
                out.r1, out.r2 = r1a, r2a
            elif dot2 > dot3 and dot2 > dot4:
                out.r1, out.r2 = r1a, r2b
            elif dot3 > dot4:
                out.r1, out.r2 = r1b, r2a
            else:
                out.r1, out.r2 = r1b, r2b
            out.r1, out.r2 = out.r1.copy(), out.r2.copy()
        self._slide_to_apex_plane(p1, p2, out, p11, p22, p11_dist, p22_dist, far_side)
        half = self.length / 2.0
        if ((out.r1[2] < -half or out.r1[2] > half)
                and (out.r2[2] < -half or out.r2[2] > half)):
            return WrapResult(code=NO_WRAP)
        self._spiral(p1, p2, long_wrap, out, single_wrap)
        return out

    def _slide_to_apex_plane(self, p1, p2, out, p11, p22, p11_dist, p22_dist, far_side):
        """Move r1 and r2 along the axis onto the plane through p1, p2 and the apex."""
        r = self.radius
        vv, _ = normalize_or_zero((out.r1 - p11) + (out.r2 - p22))
        t = p11_dist / (p11_dist + p22_dist)
        mpt = p1 + t * (p2 - p1)
        axispt, _ = closest_point_on_line(mpt, AXIS_POINT, AXIS)
        l1, _ = normalize_or_zero(p1 - axispt)
        l2, _ = normalize_or_zero(p2 - axispt)
        normal, _ = normalize_or_zero(cross(l1, l2))
        vert1, _ = normalize_or_zero(cross(AXIS, normal))
        vert2, _ = normalize_or_zero(cross(normal, AXIS))
        apex1, apex2 = axispt + r * vert1, axispt + r * vert2
        d1 = dot(mpt - apex1, mpt - apex1)
        d2 = dot(mpt - apex2, mpt - apex2)
        apex = (apex2 if d1 < d2 else apex1) if far_side else (apex1 if d1 < d2 else apex2)
        uu, _ = normalize_or_zero(p1 - apex)
        vv, _ = normalize_or_zero(p2 - apex)
        normal, _ = normalize_or_zero(cross(uu, vv))   # SimTK::UnitVec3 normalises
        d = -dot(p1, normal)
        r1p = intersect_segment_plane(out.r1 - 10.0 * AXIS, out.r1 + 10.0 * AXIS, normal, d)
        r2p = intersect_segment_plane(out.r2 - 10.0 * AXIS, out.r2 + 10.0 * AXIS, normal, d)
        d_axis = dot(p11 - p22, p11 - p22)
        # OpenSim passes the point p22 (p11 below) where a direction is expected;
        # so does this, to find the same tangent points
        if r1p is not None:
            near, _ = closest_point_on_line(r1p, p11, p22)
            if dot(near - p22, near - p22) < d_axis:
                out.r1 = r1p
        if r2p is not None:
            near, _ = closest_point_on_line(r2p, p11, p22)
            if dot(near - p11, near - p11) < d_axis:
                out.r2 = r2p

    def _spiral(self, p1, p2, far_side, out, single_wrap):
        """Length of the helix from r1 to r2 (WrapCylinder::_make_spiral_path); with
        more than one wrap object in the path, r1 and r2 slide until tangent."""
        r1, r2, out.length, points = spiral(p1, p2, out.r1, out.r2, self.radius, far_side,
                                            single_wrap)
        out.r1, out.r2 = np.array(r1), np.array(r2)
        out.points = [np.array(p) for p in points]
