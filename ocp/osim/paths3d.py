"""Exact 3-D muscle paths of an .osim model, wrapping included, in numpy.

``MusclePath3D.length(poses, q)`` is OpenSim's GeometryPath length: the active
path points (fixed, moving and conditional), with the wrap objects of the
muscle's PathWrapSet applied as OpenSim applies them
(GeometryPath::applyWrapObjects): for each wrap object, every segment of its
point range is wrapped and the mandatory wrap, else the one that lengthens the
path least, is kept, its two tangent points inserted in the path; with two or
more wrap objects this is repeated (at most 8 times) until the length changes
by less than 0.5 mm, the second object first when the first misses and a point
lies inside the second. The length is the sum of the straight segments and the
lengths on the surfaces.

``poses`` is {body: (R (3x3), p (3,))}, each body frame in ground (the ground
itself may be left out), ``q`` {coordinate: value} (rad or m) for the
coordinates that move or switch points. The path is independent of how the
poses were computed: OpenSim's own poses (tests), or ocp's spatial tree.

This is the reference, not what the NLP differentiates: it branches and
iterates like OpenSim. Moment arms are minus the derivative of this length
(:func:`moment_arm`, a central difference of ``length`` through a function
q -> poses).
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import casadi as ca
import numpy as np

from ocp.osim.functions import Constant, Linear, Multiplier, SimmSpline, simm_spline_coefficients
from ocp.osim.wrapping.geometry import INSIDE_RADIUS, MANDATORY_WRAP, NO_WRAP, WRAPPED

#: OpenSim's margin on a conditional point's range (ConditionalPathPoint::isActive).
CONDITIONAL_MARGIN = 1e-5
#: GeometryPath::applyWrapObjects: at most 8 passes over two or more wrap
#: objects, until the path length changes by less than this (m).
MAX_WRAP_PASSES = 8
WRAP_LENGTH_TOLERANCE_M = 0.0005
GROUND = "ground"
IDENTITY = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))


@functools.cache
def spline_table(spline: SimmSpline):
    return (np.asarray(spline.x, float), np.asarray(spline.y, float),
            *simm_spline_coefficients(spline.x, spline.y))


def function_value(fn, x: float) -> float:
    """Value of an OpenSim function of ``ocp.osim.functions`` at a number x."""
    if isinstance(fn, Constant):
        return float(fn.value)
    if isinstance(fn, Linear):
        return fn.slope * x + fn.intercept
    if isinstance(fn, Multiplier):
        return fn.scale * function_value(fn.function, x)
    if isinstance(fn, SimmSpline):
        xs, ys, b, c, d = spline_table(fn)
        if x < xs[0]:
            return float(ys[0] + (x - xs[0]) * b[0])
        if x > xs[-1]:
            return float(ys[-1] + (x - xs[-1]) * b[-1])
        k = min(int(np.searchsorted(xs, x, side="left")) - 1, len(xs) - 2)
        k = max(k, 0)
        dx = x - xs[k]
        return float(ys[k] + dx * (b[k] + dx * (c[k] + dx * d[k])))
    return float(fn(ca.DM(x))[0])   # any other function of functions.py, through CasADi


@dataclass(frozen=True)
class PathPoint3D:
    """A path point of kind PathPoint, MovingPathPoint or ConditionalPathPoint.

    ``location`` (m) is in the point's frame, which sits in ``body`` at
    (``frame_rotation``, ``frame_translation``). A moving point's x, y, z are
    ``functions``: three (coordinate or None, function, (min, max) of that
    coordinate), its coordinate clamped to its range as OpenSim does. A
    conditional point is on the path while ``coordinate`` is within ``range``
    widened by 1e-5 on each side (OpenSim's test, boundary included).
    """

    name: str
    body: str
    location: tuple = (0.0, 0.0, 0.0)
    kind: str = "PathPoint"
    frame_rotation: tuple = IDENTITY
    frame_translation: tuple = (0.0, 0.0, 0.0)
    functions: tuple = ()
    coordinate: str | None = None
    range: tuple = ()
    line: int = 0

    def local(self, q: dict) -> np.ndarray:
        """Position (3,) in the body frame, m."""
        if self.functions:
            xyz = []
            for coord, fn, (lo, hi) in self.functions:
                x = 0.0 if coord is None else min(max(coordinate_value(q, coord, self), lo), hi)
                xyz.append(function_value(fn, x))
            loc = np.array(xyz)
        else:
            loc = np.asarray(self.location, float)
        return np.asarray(self.frame_rotation) @ loc + np.asarray(self.frame_translation)

    def is_active(self, q: dict) -> bool:
        if self.kind != "ConditionalPathPoint":
            return True
        if self.coordinate is None:
            return False
        value = coordinate_value(q, self.coordinate, self)
        return (self.range[0] - CONDITIONAL_MARGIN <= value
                <= self.range[1] + CONDITIONAL_MARGIN)


def coordinate_value(q: dict, name: str, point) -> float:
    try:
        return float(q[name])
    except KeyError:
        raise KeyError(f"path point '{point.name}' needs coordinate '{name}'; "
                       f"q holds {sorted(q)}") from None


@dataclass(frozen=True)
class PathWrap3D:
    """One entry of a muscle's PathWrapSet: its wrap object, ``method`` (used by
    ellipsoids: hybrid, midpoint or axial) and ``range``, the 1-based first and
    last path points it may wrap between (-1: the first / last)."""

    wrap: object
    method: str = "hybrid"
    range: tuple = (-1, -1)


@dataclass
class PathState:
    """A computed path: its length (m) and, for drawing, its points in ground (the
    path points, tangent points and points along each surface)."""

    length: float
    points: list = field(default_factory=list)
    tangent_points: dict = field(default_factory=dict)   # wrap name -> (r1, r2) in ground


def pose_of(poses: dict, body: str):
    if body == GROUND and body not in poses:
        return np.eye(3), np.zeros(3)
    try:
        rot, pos = poses[body]
    except KeyError:
        raise KeyError(f"no pose for body '{body}'; poses hold {sorted(poses)}") from None
    return np.asarray(rot, float), np.asarray(pos, float).reshape(3)


@dataclass(frozen=True)
class MusclePath3D:
    """A muscle's GeometryPath: path points and PathWraps."""

    name: str
    points: tuple
    wraps: tuple = ()

    def length(self, poses: dict, q: dict, opensim_cache: bool = True) -> float:
        """Muscle-tendon length (m), OpenSim's GeometryPath::getLength."""
        return self.compute(poses, q, draw=False, opensim_cache=opensim_cache).length

    def held_length(self, at: tuple, poses: dict, q: dict) -> float:
        """Length at (``poses``, ``q``) of the path found at ``at`` = (poses, q), its
        tangent points held where they were in their wrap objects' bodies and its
        lengths on the surfaces unchanged. Its derivative is what OpenSim's
        computeMomentArm reports (a unit tension along the straight segments):
        the derivative of the length only where the path is tangent to the
        surfaces, which OpenSim's single-wrap cylinders, for one, are not."""
        found = WrappedPath(self, at[0], at[1], opensim_cache=False)
        if self.wraps:
            found.apply_wraps()
        moved = WrappedPath(self, poses, q, opensim_cache=False)
        moved.items, moved.wrapped = found.items, found.wrapped
        return moved.total_length()

    def compute(self, poses: dict, q: dict, draw: bool = True,
                opensim_cache: bool = True) -> PathState:
        """The path: its length and (``draw``) its points in ground.

        ``opensim_cache`` (default): measure as OpenSim 4.6 does. OpenSim caches
        a point's ground position the first time it is asked for it in a state
        (Point::getLocationInGround), and a wrap point moved by a later pass
        over two or more wrap objects keeps its first position there, while
        the wrapping itself sees the moved point. So a path with two or more
        wrap objects is measured with straight segments to where its tangent
        points were after their first placement (a few mm off for Rajagopal's
        gastrocnemii). False: every segment to where its points are.
        """
        return WrappedPath(self, poses, q, opensim_cache).run(draw)


class WrappedPath:
    """The working state of one path evaluation (GeometryPath::computePath)."""

    def __init__(self, path: MusclePath3D, poses: dict, q: dict, opensim_cache: bool = True):
        self.path, self.poses = path, poses
        self.active = [p.is_active(q) for p in path.points]
        self.ground = {}
        for k, p in enumerate(path.points):
            if self.active[k]:
                rot, pos = pose_of(poses, p.body)
                self.ground[("point", k)] = rot @ p.local(q) + pos
        self.items = [("point", k) for k, a in enumerate(self.active) if a]
        self.wrapped = {}   # wrap index -> WrapResult (r1, r2 in the wrap body frame)
        self.opensim_cache = opensim_cache
        self.seen = {}      # wrap point -> the ground position OpenSim caches

    def position(self, item, cached: bool = False) -> np.ndarray:
        """Ground position of a path item. ``cached``: where OpenSim sees a wrap
        point when it measures lengths (see ``MusclePath3D.compute``)."""
        if item[0] == "point":
            return self.ground[item]
        if cached and self.opensim_cache and item in self.seen:
            return self.seen[item]
        result = self.wrapped[item[1]]
        rot, pos = pose_of(self.poses, self.path.wraps[item[1]].wrap.body)
        out = rot @ (result.r1 if item[2] == 1 else result.r2) + pos
        if cached:
            self.seen.setdefault(item, out)
        return out

    def in_body(self, item, body: str) -> np.ndarray:
        rot, pos = pose_of(self.poses, body)
        return rot.T @ (self.position(item) - pos)

    def wrap_object(self, item):
        return None if item[0] == "point" else self.path.wraps[item[1]].wrap.name

    def total_length(self) -> float:
        """GeometryPath::calcLengthAfterPathComputation."""
        total = 0.0
        for a, b in zip(self.items[:-1], self.items[1:]):
            if a[0] == "wrap" and b[0] == "wrap" and self.wrap_object(a) == self.wrap_object(b):
                total += self.wrapped[b[1]].length if b[2] == 2 else 0.0
            else:
                total += float(np.linalg.norm(self.position(a, True)
                                              - self.position(b, True)))
        return total

    def remove(self, w: int):
        self.items = [it for it in self.items if not (it[0] == "wrap" and it[1] == w)]
        self.wrapped.pop(w, None)

    def range_ends(self, pw: PathWrap3D):
        """Indices in the current path of the first and last active points of the
        wrap's range, or None when the range has no active point."""
        n = len(self.path.points)
        lo = 0 if pw.range[0] < 1 else pw.range[0] - 1
        hi = n - 1 if pw.range[1] < 1 else pw.range[1] - 1
        first = next((j for j in range(lo, hi + 1) if self.active[j]), None)
        last = next((j for j in range(hi, lo - 1, -1) if self.active[j]), None)
        if first is None or last is None:
            return None
        return self.items.index(("point", first)), self.items.index(("point", last))

    def wrap_once(self, w: int) -> int | None:
        """Apply wrap ``w`` to its range (one pass of the loop in applyWrapObjects).
        Returns the code of the last segment tried, None when the range has no
        active point (OpenSim then stops wrapping altogether)."""
        pw = self.path.wraps[w]
        wrap = pw.wrap
        self.remove(w)
        code = NO_WRAP
        if not wrap.active:
            return code
        ends = self.range_ends(pw)
        if ends is None:
            return None
        best, least = None, math.inf
        single = len(self.path.wraps) == 1
        for k in range(ends[0], ends[1]):
            a, b = self.items[k], self.items[k + 1]
            if a[0] == "wrap" and b[0] == "wrap" and self.wrap_object(a) == self.wrap_object(b):
                continue
            result = wrap.wrap_segment(self.in_body(a, wrap.body), self.in_body(b, wrap.body),
                                       single, pw.method)
            result.start, result.end = k, k + 1
            code = result.code
            if code == MANDATORY_WRAP:
                best = result
                break
            if code == WRAPPED:
                change = self.length_change(wrap, result, a, b)
                if change < least:
                    best, least = result, change
        if best is not None:
            self.wrapped[w] = best
            self.items[best.end:best.end] = [("wrap", w, 1), ("wrap", w, 2)]
        return code

    def length_change(self, wrap, result, a, b) -> float:
        """GeometryPath::calcPathLengthChange: wrapped minus straight length (m)."""
        rot, pos = pose_of(self.poses, wrap.body)
        pa, pb = self.position(a, True), self.position(b, True)
        r1, r2 = rot @ result.r1 + pos, rot @ result.r2 + pos
        return (np.linalg.norm(pa - r1) + result.length + np.linalg.norm(pb - r2)
                - np.linalg.norm(pa - pb))

    def apply_wraps(self):
        n = len(self.path.wraps)
        order = list(range(n))
        codes = [NO_WRAP] * n
        last = math.inf
        for kk in range(1 if n < 2 else MAX_WRAP_PASSES):
            for i in range(n):
                code = self.wrap_once(order[i])
                if code is None:
                    return
                codes[i] = code
            length = self.total_length()
            if abs(length - last) < WRAP_LENGTH_TOLERANCE_M:
                break
            last = length
            if kk == 0 and n > 1 and codes[0] == NO_WRAP and codes[1] == INSIDE_RADIUS:
                order[0], order[1] = 1, 0
                self.remove(0)

    def run(self, draw: bool) -> PathState:
        if self.path.wraps:
            self.apply_wraps()
        state = PathState(self.total_length())
        if draw:
            for it in self.items:
                if it[0] == "wrap" and it[2] == 2:
                    w = it[1]
                    rot, pos = pose_of(self.poses, self.path.wraps[w].wrap.body)
                    state.points.extend(rot @ p + pos for p in self.wrapped[w].points[1:-1])
                    state.tangent_points[self.path.wraps[w].wrap.name] = (
                        self.position(("wrap", w, 1)), self.position(it))
                state.points.append(self.position(it))
        return state


def moment_arm(path: MusclePath3D, poses_of, q: dict, coordinate: str,
               step: float = 1e-6) -> float:
    """Minus the derivative of the length with respect to ``coordinate`` (m per rad,
    or m/m), by a central difference of step ``step`` through ``poses_of``, a
    function q (dict) -> poses (``q`` over every coordinate the path and the poses
    need). Where the path switches (a conditional point, a wrap that starts) the
    length has a kink or a step and the difference straddles it."""
    up, down = dict(q), dict(q)
    up[coordinate] = q[coordinate] + step
    down[coordinate] = q[coordinate] - step
    return -(path.length(poses_of(up), up) - path.length(poses_of(down), down)) / (2 * step)
