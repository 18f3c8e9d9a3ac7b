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
interpolated linearly in time (600 Hz force plates). S1's ExternalLoads
reader (issue #21) is the general one; this module only maps its rows onto
the planar tree.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ocp.data.errors import DataError
from ocp.errors import suggestion


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


def _text(element, tag, default=None):
    node = element.find(tag)
    return default if node is None or node.text is None else node.text.strip()


def read_planar_loads(path, skeleton) -> tuple[PlanarLoad, ...]:
    """The ExternalForces of an ExternalLoads file on ``skeleton`` (ocp.osim.tree.Skeleton).

    Raises DataError naming the file and the element for a body the model
    lacks, a force or point not expressed in ground, or a missing column.
    """
    from ocp.data.files import read
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise DataError(f"cannot read the ExternalLoads file: {exc}", path) from None
    loads_node = root if root.tag == "ExternalLoads" else root.find("ExternalLoads")
    if loads_node is None:
        raise DataError("no <ExternalLoads> element", path)
    datafile = _text(loads_node, "datafile")
    if not datafile:
        raise DataError("<datafile> is empty: the forces' data file is not named", path)
    data_path = (path.parent / datafile)
    table = read(data_path)
    bodies = sorted(skeleton.body_pose)
    out = []
    for force in loads_node.iter("ExternalForce"):
        name = force.get("name", "")
        where = f"ExternalForce '{name}'"
        if (_text(force, "isDisabled", "false") or "false").lower() == "true":
            continue
        body = _text(force, "applied_to_body")
        if body not in skeleton.body_pose or body == "ground":
            raise DataError(f"{where}: applied_to_body '{body}' is not a body of the model"
                            + suggestion(body or "", bodies), path)
        for tag in ("force_expressed_in_body", "point_expressed_in_body"):
            frame = _text(force, tag, "ground")
            if frame != "ground":
                raise DataError(f"{where}: {tag} '{frame}' is not supported on planar "
                                f"models (ground only)", path)
        prefix_f = _text(force, "force_identifier", "")
        prefix_p = _text(force, "point_identifier", "")
        prefix_t = _text(force, "torque_identifier", "")

        def column(name, where=where):
            if name not in table:
                raise DataError(f"{where} needs column '{name}'"
                                + suggestion(name, list(table.columns)), data_path, name)
            return np.asarray(table.column(name), float)

        fx, fy = column(prefix_f + "x"), column(prefix_f + "y")
        px, py = column(prefix_p + "x"), column(prefix_p + "y")
        tz = column(prefix_t + "z") if prefix_t else np.zeros_like(fx)
        segment = skeleton.body_pose[body][0]
        out.append(PlanarLoad(name, body, segment, np.asarray(table.time_s, float),
                              np.column_stack([fx, fy]), np.column_stack([px, py]), tz))
    if not out:
        raise DataError("no enabled ExternalForce", path)
    return tuple(out)
