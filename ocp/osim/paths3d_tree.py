"""Exact 3-D muscle paths as functions of the coordinates alone, through a spatial tree.

:class:`PathKinematics` evaluates every body's pose in ground with the spatial
tree's kinematics (one CasADi function of q, evaluated numerically) and hands
it to the exact path code (:mod:`ocp.osim.paths3d`): the muscle-tendon lengths
at q, and moment arms as minus the derivative of those lengths along each
coordinate (a central difference). With a
:class:`ocp.models.spatial.ReducedTree`, q holds the free coordinates only:
a coupled coordinate follows its independent one (Rajagopal's patellae follow
the knee), so the moment arm about the knee includes the patella's motion, as
OpenSim's does; locked coordinates stay at their value.
"""
from __future__ import annotations

import casadi as ca
import numpy as np

from ocp.models.spatial import ReducedTree
from ocp.osim.paths3d import GROUND
from ocp.osim.paths3d_reader import read_muscle_paths
from ocp.osim.spatial_skeleton import read_spatial, reduced_tree

#: Step (rad or m) of the central difference for moment arms.
MOMENT_ARM_STEP = 1e-6


class PathKinematics:
    """Body poses and muscle paths of a model as functions of its coordinates.

    ``tree``: a SpatialTree or a ReducedTree; ``paths``: {muscle: MusclePath3D}.
    A coordinate vector q is a dict over ``tree.coordinates``.
    """

    def __init__(self, tree, paths: dict):
        self.tree, self.paths = tree, paths
        self.coordinates = tuple(tree.coordinates)
        full = tree.tree.coordinates if isinstance(tree, ReducedTree) else tree.coordinates
        self.full_coordinates = tuple(full)
        q = ca.SX.sym("q", tree.n)
        states = tree.body_states(q)
        names = [b.name for b in tree.bodies]
        outputs = [ca.vertcat(ca.reshape(states[n].R, 9, 1), states[n].p) for n in names]
        q_full = tree.full_map(q) if isinstance(tree, ReducedTree) else q
        self.bodies = names
        self.function = ca.Function("body_poses", [q], [ca.horzcat(*outputs), q_full])

    @classmethod
    def from_osim(cls, path) -> PathKinematics:
        """The model's free coordinates (couplers substituted, locked ones held) and
        every muscle's path."""
        return cls(reduced_tree(read_spatial(path)), read_muscle_paths(path))

    def poses(self, q: dict):
        """({body: (R (3x3), p (3,))} in ground, {coordinate: value} over all the
        tree's coordinates, the dependent and locked ones included)."""
        missing = [c for c in self.coordinates if c not in q]
        if missing:
            raise KeyError(f"q lacks coordinates {missing}")
        values, full = self.function(np.array([q[c] for c in self.coordinates], float))
        values = np.array(values)
        out = {GROUND: (np.eye(3), np.zeros(3))}
        for k, name in enumerate(self.bodies):
            column = values[:, k]
            out[name] = (column[:9].reshape(3, 3, order="F"), column[9:])
        return out, dict(zip(self.full_coordinates, np.array(full).ravel()))

    def lengths(self, q: dict) -> dict:
        """{muscle: muscle-tendon length (m)} at q."""
        poses, full = self.poses(q)
        return {m: p.length(poses, full) for m, p in self.paths.items()}

    def length(self, muscle: str, q: dict) -> float:
        poses, full = self.poses(q)
        return self.paths[muscle].length(poses, full)

    def moment_arm(self, muscle: str, coordinate: str, q: dict,
                   step: float = MOMENT_ARM_STEP) -> float:
        """Minus the derivative of ``muscle``'s length along ``coordinate`` (m), by a
        central difference of step ``step``; the coupled coordinates follow."""
        up, down = dict(q), dict(q)
        up[coordinate] = q[coordinate] + step
        down[coordinate] = q[coordinate] - step
        return -(self.length(muscle, up) - self.length(muscle, down)) / (2 * step)


__all__ = ["MOMENT_ARM_STEP", "PathKinematics"]
