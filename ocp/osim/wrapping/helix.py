"""The helix of a cylinder wrap and OpenSim's tangent-point adjustment
(WrapCylinder::_make_spiral_path and _adjust_tangent_point), in plain floats.

A path over two or more wrap objects slides its tangent points along the
cylinder's axis up to 100 times per wrap, and the wrap is redone on up to 8
passes: this loop is where an exact path spends its time, so it works on
tuples of floats with the operations, and their order, of SimTK's small
vectors (a rotation about the axis built from its quaternion, as
SimTK::Rotation(angle, axis) builds it).
"""
from __future__ import annotations

import math

#: SimTK::Eps; WrapCylinder.cpp: 100 adjustments, to within 0.1 degree.
EPS = 2.220446049250313e-16
ROUNDOFF_ERROR = 2e-13
MAX_ITERATIONS = 100
TANGENCY_THRESHOLD_RAD = 0.1 * math.pi / 180.0
SEGMENT_M = 0.002
DRAWN_POINTS = 32
#: The cylinder's axis: a point on it and its direction (z).
AXIS_POINT = (0.0, 0.0, -1.0)


def sub(a, b):
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2])


def dot(a, b):
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def cross(a, b):
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def normalize(v):
    mag = math.sqrt(dot(v, v))
    if mag >= EPS:
        inv = 1.0 / mag
        return (v[0] * inv, v[1] * inv, v[2] * inv), mag
    return (0.0, 0.0, 0.0), mag


def closest_on_line(pt, line_pt, line):
    """WrapMath::GetClosestPointOnLineToPoint (the point only)."""
    v1, mag = normalize(sub(pt, line_pt))
    v2, _ = normalize(line)
    t = dot(v1, v2) * mag
    return (line_pt[0] + t * v2[0], line_pt[1] + t * v2[1], line_pt[2] + t * v2[2])


def on_axis(p):
    """The point of the axis nearest p (the z axis, as OpenSim computes it)."""
    return closest_on_line(p, AXIS_POINT, (0.0, 0.0, 1.0))


def det3(m0, m1, m2):
    return (m0[0] * (m1[1] * m2[2] - m1[2] * m2[1]) - m0[1] * (m1[0] * m2[2] - m1[2] * m2[0])
            + m0[2] * (m1[0] * m2[1] - m1[1] * m2[0]))


def nearest_on_second_line(p1, p2, p3, p4):
    """WrapMath::IntersectLines: the point of line p3-p4 nearest line p1-p2, or nan."""
    vec1, _ = normalize(sub(p2, p1))
    vec2, _ = normalize(sub(p4, p3))
    normal = cross(vec1, vec2)
    denom = dot(normal, normal)
    if abs(denom) <= ROUNDOFF_ERROR:
        return (math.nan, math.nan, math.nan)
    t = det3(sub(p3, p1), vec1, normal) / denom
    return (p3[0] + t * vec2[0], p3[1] + t * vec2[1], p3[2] + t * vec2[2])


def acos(x):
    return math.acos(x) if -1.0 <= x <= 1.0 else math.nan


def rotate_about_axis(angle, v):
    """SimTK::Rotation(angle, z) * v, through the canonical quaternion."""
    ca2, sa2 = math.cos(angle / 2), math.sin(angle / 2)
    if ca2 < 0:
        ca2, sa2 = -ca2, -sa2
    q00, q33, q03 = ca2 * ca2, sa2 * sa2, ca2 * sa2
    r00 = q00 - q33
    return (r00 * v[0] + (2 * -q03) * v[1], (2 * q03) * v[0] + r00 * v[1], (q00 + q33) * v[2])


def adjust(pt, r, w):
    """_adjust_tangent_point: r slid along the axis, or None when within tangency."""
    pr, _ = normalize(sub(r, pt))
    rw, _ = normalize(sub(w, r))
    if not abs(acos(pr[2]) - acos(rw[2])) > TANGENCY_THRESHOLD_RAD:
        return None
    p1a = closest_on_line(pt, r, (0.0, 0.0, 1.0))
    w1a = closest_on_line(w, r, (0.0, 0.0, 1.0))
    hit = nearest_on_second_line(pt, w, p1a, w1a)
    return (r[0] + 1.5 * (hit[0] - r[0]), r[1] + 1.5 * (hit[1] - r[1]),
            r[2] + 1.5 * (hit[2] - r[2]))


def spiral(p1, p2, r1, r2, radius, far_side, single_wrap):
    """(r1, r2, length, drawn points) of the helix from r1 to r2 on a cylinder of
    ``radius`` about z; unless ``single_wrap``, r1 and r2 are adjusted first."""
    p1, p2, r1, r2 = (tuple(float(c) for c in v) for v in (p1, p2, r1, r2))
    sense = -1.0 if far_side else 1.0
    for iteration in range(MAX_ITERATIONS + 1):
        r1a, r2a = on_axis(r1), on_axis(r2)
        axial = r2a[2] - r1a[2]
        uu, vv = sub(r1, r1a), sub(r2, r2a)
        theta = math.atan2(uu[0] * vv[1] - uu[1] * vv[0], dot(uu, vv))
        if far_side:
            theta = 2.0 * math.pi - theta
        length = math.sqrt((radius * theta) ** 2 + axial * axial)

        def point(t, theta=theta, axial=axial, start=r1):
            x, y, z = rotate_about_axis(sense * t * theta, start)
            return (x, y, z + t * axial)

        count = max(1, int(length / SEGMENT_M))
        if single_wrap or count < 2 or iteration >= MAX_ITERATIONS:
            break
        t = 1.0 / count
        new1 = adjust(p1, r1, point(t))
        r1 = r1 if new1 is None else new1          # r2's check sees the moved r1
        new2 = adjust(p2, r2, point(1.0 - t, start=r1))
        r2 = r2 if new2 is None else new2
        if new1 is None and new2 is None:
            break
    drawn = min(count, DRAWN_POINTS)
    return r1, r2, length, [point(k / drawn) for k in range(drawn + 1)]
