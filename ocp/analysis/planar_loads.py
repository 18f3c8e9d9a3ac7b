"""Measured external loads (OpenSim ExternalLoads .xml + its data file) on a planar tree.

OpenSim's ``ExternalLoads`` file names, for each ``ExternalForce``, the body
it acts on (``applied_to_body``), the frames its force and point are
expressed in, and the column prefixes of its force (``..vx, vy, vz``), point
(``..px, py, pz``) and free torque (``..x, y, z``) in the data file
(``<datafile>``, a ``.mot``/``.sto``). On a planar model (x forward, y up,
rotations about z) only ``Fx, Fy``, the point's ``px, py`` and the torque's
``z`` component do work: the reduction is exact. A body the planar reader
merged into its parent across a weld (``calcn_r`` into ``talus_r``) takes the
load on that segment, at the same point in the world.

Forces and points expressed in ground are supported (what force-plate files
use); a body-fixed frame is refused with the element named. The data are
interpolated linearly in time (600 Hz force plates). The file is read by
:mod:`ocp.data.external_loads`; this module maps its rows onto the planar
tree as sampled data (:mod:`ocp.analysis.external_forces` gives the same
loads as symbolic forces, in any frame).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ocp.data.errors import DataError


@dataclass(frozen=True, eq=False)
class PlanarLoad:
    """One ExternalForce on a segment of the planar tree, sampled at ``time_s``.

    ``force_N`` (n, 2) and ``point_m`` (n, 2) in the world frame, ``torque_N_m``
    (n,) about z (the free moment); ``body`` is the OpenSim body of the file.
    """

    name: str
    body: str
    segment: str
    time_s: np.ndarray
    force_N: np.ndarray
    point_m: np.ndarray
    torque_N_m: np.ndarray

    def at(self, time_s) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(force (n, 2), point (n, 2), torque (n,)) linearly interpolated at ``time_s``."""
        t = np.asarray(time_s, float)
        f = np.column_stack([np.interp(t, self.time_s, c) for c in self.force_N.T])
        p = np.column_stack([np.interp(t, self.time_s, c) for c in self.point_m.T])
        return f, p, np.interp(t, self.time_s, self.torque_N_m)


def read_planar_loads(path, skeleton) -> tuple[PlanarLoad, ...]:
    """The ExternalForces of an ExternalLoads file on ``skeleton`` (ocp.osim.tree.Skeleton).

    The file is read by :func:`ocp.data.external_loads.read_external_loads`
    (its checks: missing columns, milliseconds, glitches, NaN). Raises
    DataError naming the file and the element for a body the model lacks, or a
    force or point not expressed in ground.
    """
    from ocp.data.external_loads import GROUND, body_in_tree, read_external_loads
    path = Path(path)
    loads = read_external_loads(path)
    loads.check_bodies([b for b in skeleton.body_pose if b != GROUND], "the model")
    out = []
    for f in loads.forces:
        where = f"ExternalForce '{f.name}'"
        for key, frame in (("force_expressed_in_body", f.force_expressed_in_body),
                           ("point_expressed_in_body", f.point_expressed_in_body)):
            if frame != GROUND:
                raise DataError(f"{where}: {key} '{frame}' is not supported on planar "
                                f"models (ground only)", path)
        if not f.has_point:
            raise DataError(f"{where}: no point_identifier; a point in ground is needed "
                            f"on planar models", path)
        s = loads.samples(f)
        segment, _ = body_in_tree(f.applied_to_body, skeleton.merged, skeleton.body_pose)
        torque = s.torque[:, 2] if s.torque is not None else np.zeros(s.time_s.size)
        out.append(PlanarLoad(f.name, f.applied_to_body, segment, np.asarray(s.time_s, float),
                              np.asarray(s.force[:, :2], float), np.asarray(s.point[:, :2], float),
                              np.asarray(torque, float)))
    return tuple(out)
