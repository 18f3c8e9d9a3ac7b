"""OpenSim muscle paths as CasADi expressions of the coordinates.

The length is OpenSim's: the sum of the 3-D distances between consecutive
active points (GeometryPath without wrapping). Out-of-plane offsets are
constant in a planar model and enter as fixed z differences.

- PathPoint: fixed in a segment.
- MovingPathPoint: its x, y, z in the body are functions (SimmSpline,
  MultiplierFunction, ...) of a coordinate, clamped to that coordinate's
  range as OpenSim clamps it.
- ConditionalPathPoint: part of the path only while its coordinate lies in
  ``range`` (OpenSim's test, inclusive with a 1e-5 margin). The exact length
  then has a kink, or a step, where the point switches: ``smoothing_rad`` > 0
  replaces the switch by a logistic blend of the paths with and without the
  point, of that width (rad or m); 0 keeps OpenSim's exact switch.

Moment arms are minus the derivative of this one length (automatic
differentiation), as everywhere in ocp.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import casadi as ca

from ocp.models.multibody import KinematicTree, body_velocities

#: OpenSim's margin on a conditional point's range (ConditionalPathPoint::isActive).
CONDITIONAL_MARGIN = 1e-5


@dataclass(frozen=True)
class FixedPoint:
    segment: str | None      # None: the ground
    xy: tuple                # in the segment frame (m)
    z: float                 # in ground (m)


@dataclass(frozen=True)
class MovingPoint:
    """x, y, z = f(q) in a body whose pose in ``segment`` is ``pose`` (tree.Pose)."""

    segment: str | None
    pose: object
    segment_z: float
    functions: tuple         # three (coordinate or None, function, (min, max))


@dataclass(frozen=True)
class ConditionalPoint:
    point: FixedPoint
    coordinate: str
    range: tuple


def _rotate(angle, v):
    c, s = ca.cos(angle), ca.sin(angle)
    return ca.vertcat(c * v[0] - s * v[1], s * v[0] + c * v[1])


#: the last (tree, q, poses) of _segment_poses
_LAST_POSES: list = []


def _segment_poses(tree: KinematicTree, q) -> dict:
    """body_velocities(tree, q, 0), built once per (tree, q) symbol for all muscles,
    not once per muscle: the model's geometry function
    (MuscleDrivenTree.path_geometry) builds the tree's forward pass once (it took
    two thirds of the time to load gait10dof18musc)."""
    if _LAST_POSES and _LAST_POSES[0] is tree and _LAST_POSES[1] is q:
        return _LAST_POSES[2]
    bodies = body_velocities(tree, q, ca.DM.zeros(tree.n, 1))
    _LAST_POSES[:] = [tree, q, bodies]
    return bodies


@dataclass(frozen=True)
class OsimPathGeometry:
    """A muscle path through fixed, moving and conditional points (OpenSim GeometryPath)."""

    points: tuple
    smoothing_rad: float = 0.0

    def _positions(self, tree: KinematicTree, q):
        """World (x, y, z) of every point, as (3, 1) expressions."""
        index = {c: i for i, c in enumerate(tree.coordinates)}
        bodies = _segment_poses(tree, q)
        out = []
        for p in self.points:
            base = p.point if isinstance(p, ConditionalPoint) else p
            if isinstance(base, FixedPoint):
                local, z = ca.DM(base.xy), base.z
            else:
                values = []
                for coord, fn, (lo, hi) in base.functions:
                    x = 0.0 if coord is None else ca.fmin(ca.fmax(q[index[coord]], lo), hi)
                    values.append(fn(x)[0])
                pose = base.pose
                local = _rotate(pose.angle, ca.vertcat(values[0], values[1])) \
                    + ca.DM([pose.x, pose.y])
                z = base.segment_z + pose.z + values[2]
            if base.segment is None:
                xy = local
            else:
                b = bodies[base.segment]
                xy = b.origin + _rotate(b.angle, local)
            out.append(ca.vertcat(xy, z))
        return out

    def _weights(self, tree, q, conditional):
        index = {c: i for i, c in enumerate(tree.coordinates)}
        out = []
        for k in conditional:
            p = self.points[k]
            lo, hi = p.range
            x = q[index[p.coordinate]]
            if self.smoothing_rad > 0:
                w = self.smoothing_rad
                out.append(0.25 * (1 + ca.tanh((x - lo) / w)) * (1 + ca.tanh((hi - x) / w)))
            else:
                out.append(ca.if_else(ca.logic_and(x >= lo - CONDITIONAL_MARGIN,
                                                    x <= hi + CONDITIONAL_MARGIN), 1, 0))
        return out

    def length(self, tree: KinematicTree, q):
        """Muscle-tendon length (m) at coordinates q, a CasADi expression."""
        positions = self._positions(tree, q)
        conditional = [k for k, p in enumerate(self.points) if isinstance(p, ConditionalPoint)]
        weights = self._weights(tree, q, conditional)
        total = 0
        # every combination of active conditional points, weighted (2^k paths, k <= 4)
        for active in itertools.product((True, False), repeat=len(conditional)):
            on = {k for k, a in zip(conditional, active) if a}
            kept = [positions[k] for k in range(len(self.points))
                    if k not in conditional or k in on]
            if len(kept) < 2:
                continue
            path = sum(ca.norm_2(b - a) for a, b in zip(kept[:-1], kept[1:]))
            weight = 1
            for w, a in zip(weights, active):
                weight = weight * (w if a else 1 - w)
            total = total + weight * path
        return total
