"""What every OpenSim wrap object shares: its pose in its body, its quadrant, the
result of wrapping one path segment, and OpenSim's small vector helpers (WrapMath).

Conventions (OpenSim 4, OpenSim/Simulation/Wrap/WrapObject.cpp): a wrap object
sits in a body (or the ground) at ``translation`` (m) with ``xyz_body_rotation``
(rad, body-fixed X-Y-Z); its own frame is where its shape is simple (a
cylinder's axis along z, centred at the origin). ``quadrant`` "all" or a signed
axis ("-y"): only that side of the object may be wrapped over. Each type
implements ``wrap_line(p1, p2, single_wrap, method, previous)`` in its own frame,
following OpenSim's algorithm of the same name (written again here, not
copied), so that path lengths agree with OpenSim's to rounding.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

#: Codes of WrapObject::WrapAction, in OpenSim's order.
NO_WRAP, INSIDE_RADIUS, WRAPPED, MANDATORY_WRAP = 0, 1, 2, 3
#: Quadrant names -> (axis index, sign); "all" -> (None, 0).
QUADRANTS = {"all": (None, 0), "x": (0, 1), "+x": (0, 1), "-x": (0, -1),
             "y": (1, 1), "+y": (1, 1), "-y": (1, -1),
             "z": (2, 1), "+z": (2, 1), "-z": (2, -1)}
#: SimTK::Eps: the norm below which WrapMath::NormalizeOrZero returns zero.
EPS = np.finfo(float).eps
#: WrapMath.cpp LINE_EPSILON; SimmMacros.h ROUNDOFF_ERROR.
LINE_EPSILON = 1e-5
ROUNDOFF_ERROR = 2e-13


def body_fixed_xyz(angles) -> np.ndarray:
    """Rotation matrix of body-fixed X-Y-Z angles (rad): Rx(a) Ry(b) Rz(c)."""
    a, b, c = angles
    ca_, sa = np.cos(a), np.sin(a)
    cb, sb = np.cos(b), np.sin(b)
    cc, sc = np.cos(c), np.sin(c)
    rx = np.array([[1, 0, 0], [0, ca_, -sa], [0, sa, ca_]])
    ry = np.array([[cb, 0, sb], [0, 1, 0], [-sb, 0, cb]])
    rz = np.array([[cc, -sc, 0], [sc, cc, 0], [0, 0, 1]])
    return rx @ ry @ rz


def dot(a, b) -> float:
    """a . b of two 3-vectors, summed in SimTK's order (and without numpy's overhead)."""
    return float(a[0] * b[0] + a[1] * b[1] + a[2] * b[2])


def cross(a, b) -> np.ndarray:
    """a x b of two 3-vectors (SimTK's formula)."""
    return np.array([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2],
                     a[0] * b[1] - a[1] * b[0]])


def norm(a) -> float:
    return math.sqrt(dot(a, a))


def det3(m) -> float:
    """Determinant of a 3x3 matrix by SimTK's cofactor formula (SmallMatrixMixed.h)."""
    return float(m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
                 - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
                 + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]))


def dsign(a) -> int:
    """SimmMacros DSIGN: +1 for a >= 0, else -1."""
    return 1 if a >= 0.0 else -1


def normalize_or_zero(v):
    """(unit vector or zeros, norm): WrapMath::NormalizeOrZero."""
    mag = norm(v)
    return ((np.asarray(v, float) * (1.0 / mag)) if mag >= EPS else np.zeros(3)), mag


def closest_point_on_line(pt, line_pt, line):
    """(closest point, t) on the line through ``line_pt`` along ``line`` (any length):
    WrapMath::GetClosestPointOnLineToPoint; t is in units of ``line``'s length."""
    v1, mag = normalize_or_zero(pt - line_pt)
    v2, mag2 = normalize_or_zero(line)
    t = dot(v1, v2) * mag
    with np.errstate(divide="ignore", invalid="ignore"):   # a zero ``line``: inf or nan
        return line_pt + t * v2, float(np.float64(t) / mag2)


def distance_squared_to_line(point, line_pt, line) -> float:
    """WrapMath::CalcDistanceSquaredPointToLine."""
    d = line_pt - point
    n = line / norm(line)
    r = d - dot(d, n) * n
    return dot(r, r)


def intersect_lines(p1, p2, p3, p4):
    """Closest points of lines p1-p2 and p3-p4: (pInt1, s, pInt2, t), s and t as
    fractions of p1->p2 and p3->p4; s = t = nan when parallel (WrapMath::IntersectLines)."""
    vec1, mag1 = normalize_or_zero(p2 - p1)
    vec2, mag2 = normalize_or_zero(p4 - p3)
    normal = cross(vec1, vec2)
    denom = dot(normal, normal)
    if abs(denom) <= ROUNDOFF_ERROR:
        return None, np.nan, None, np.nan
    first = p3 - p1
    t = det3((first, vec1, normal)) / denom
    p_int2 = p3 + t * vec2
    s = det3((first, vec2, normal)) / denom
    p_int1 = p1 + s * vec1
    return p_int1, s / mag1, p_int2, t / mag2


def intersect_segment_plane(pt1, pt2, normal, d):
    """Point where segment pt1-pt2 meets the plane n.x + d = 0, or None
    (WrapMath::IntersectLineSegPlane)."""
    vec = pt2 - pt1
    along = dot(vec, normal)
    if abs(along) < LINE_EPSILON:
        return None
    t = (-d - (normal[0] * pt1[0] + normal[1] * pt1[1] + normal[2] * pt1[2])) / along
    if t < -LINE_EPSILON or t > 1.0 + LINE_EPSILON:
        return None
    return pt1 + t * vec


def rotation_about(angle: float, axis) -> np.ndarray:
    """Rotation by ``angle`` (rad) about ``axis`` (any length), Rodrigues' formula."""
    k, _ = normalize_or_zero(axis)
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(angle) * kx + (1 - np.cos(angle)) * kx @ kx


@dataclass
class WrapResult:
    """One segment's wrap: tangent points ``r1``, ``r2`` (m, the wrap object's frame
    inside wrap_line, its body's frame after wrap_segment), the length on the
    surface between them, and the points drawn along it."""

    code: int = NO_WRAP
    r1: np.ndarray = field(default_factory=lambda: np.full(3, np.nan))
    r2: np.ndarray = field(default_factory=lambda: np.full(3, np.nan))
    length: float = 0.0
    points: list = field(default_factory=list)
    start: int = -1          # index in the current path of the segment's first point
    end: int = -1


@dataclass(frozen=True)
class WrapObject:
    """Fields every wrap type has; subclasses add their shape and ``wrap_line``."""

    name: str
    body: str                                # body name, "ground" for the ground
    translation: tuple = (0.0, 0.0, 0.0)     # m, in the body
    xyz_body_rotation: tuple = (0.0, 0.0, 0.0)
    quadrant: str = "all"
    active: bool = True
    line: int = 0
    #: the frame the object is declared in, within ``body`` (identity for a body)
    frame_rotation: tuple = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))
    frame_translation: tuple = (0.0, 0.0, 0.0)

    @property
    def kind(self) -> str:
        return type(self).__name__

    @property
    def wrap_axis(self):
        return QUADRANTS[self.quadrant.lower()][0]

    @property
    def wrap_sign(self) -> int:
        return QUADRANTS[self.quadrant.lower()][1]

    @property
    def rotation(self) -> np.ndarray:
        """Orientation of the wrap object's frame in its body (3x3)."""
        return np.asarray(self.frame_rotation) @ body_fixed_xyz(self.xyz_body_rotation)

    @property
    def shift(self) -> np.ndarray:
        """Origin of the wrap object's frame in its body (3,), m."""
        return (np.asarray(self.frame_rotation) @ np.asarray(self.translation, float)
                + np.asarray(self.frame_translation, float))

    def wrap_segment(self, p1, p2, single_wrap: bool, method: str = "hybrid") -> WrapResult:
        """Wrap the segment p1-p2 (both in this object's body frame, m) over the
        object: WrapObject::wrapPathSegment. Tangent points come back in the body
        frame."""
        rot, shift = self.rotation, self.shift
        local1 = rot.T @ (np.asarray(p1, float) - shift)
        local2 = rot.T @ (np.asarray(p2, float) - shift)
        try:
            result = self.wrap_line(local1, local2, single_wrap, method)
        except ZeroDivisionError:   # degenerate geometry (two equal points): OpenSim's
            return WrapResult(code=NO_WRAP)   # C++ gets nan there and wraps nothing
        if result.code > 0 and result.code != INSIDE_RADIUS:
            result.r1 = rot @ result.r1 + shift
            result.r2 = rot @ result.r2 + shift
            result.points = [rot @ p + shift for p in result.points]
        return result

    def wrap_line(self, p1, p2, single_wrap: bool, method: str) -> WrapResult:
        raise NotImplementedError
