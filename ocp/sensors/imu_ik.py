"""``imu_inverse_kinematics(model, orientations, placement)``: IMU orientations -> joint angles,
as OpenSense's IMUPlacer followed by its IMUInverseKinematicsTool (:mod:`ocp.sensors.imu`)."""
from __future__ import annotations

import time as clock
from dataclasses import replace
from pathlib import Path

import numpy as np

from ocp.data.errors import DataError
from ocp.models.spatial import ReducedTree
from ocp.sensors.imu import (
    IMUSetup,
    OrientationIKProblem,
    place_imus,
    read_imu_setup,
    read_orientations,
    space_xyz,
)
from ocp.sensors.inverse_kinematics import IKResult, translational

__all__ = ["imu_inverse_kinematics"]


def imu_inverse_kinematics(model, orientations=None, placement=None, setup=None,
                           placer_setup=None, *, time_range=None) -> IKResult:
    """Place the IMUs from the calibration file ``placement`` (its first row, the
    model in its default pose) and track ``orientations`` frame by frame.

    ``setup``: an IMUInverseKinematicsTool file (rotation, time range, orientations
    file); ``placer_setup``: an IMUPlacer file (rotation, base IMU and heading
    axis, calibration file). Arguments given override them. ``IKResult.errors``
    hold orientation errors in rad (total squared, RMS, largest and its sensor).
    """
    from ocp.osim.spatial_skeleton import read_spatial, reduced_tree

    tool = read_imu_setup(setup) if setup is not None else IMUSetup()
    placer = read_imu_setup(placer_setup) if placer_setup is not None else IMUSetup(
        sensor_to_opensim=tool.sensor_to_opensim)
    orientations = Path(orientations) if orientations else tool.orientations_file
    placement = Path(placement) if placement else placer.calibration_file
    if time_range is not None:
        tool = replace(tool, time_range_s=tuple(time_range))
    for path, what in ((Path(model), "model"), (orientations, "orientations"),
                       (placement, "calibration (placement)")):
        if path is None:
            raise DataError(f"no {what} file: give one (or a setup file naming it)")
        if not path.is_file():
            raise DataError(f"the {what} file does not exist", path)
    started = clock.perf_counter()
    doc = read_spatial(model)
    full_tree = reduced_tree(doc)
    coords = doc.coordinates()
    moving = translational(doc)
    held = {c: coords[c].default_value for c in full_tree.coordinates if c in moving}
    tree = ReducedTree(full_tree.tree, full_tree.couplings, {**full_tree.locked, **held})
    q_default = np.array([coords[c].default_value for c in tree.coordinates])

    _, names, calibration = read_orientations(placement)
    placed, heading, unmatched = place_imus(tree, q_default, names, calibration[0],
                                            placer.sensor_to_opensim, placer.base_imu,
                                            placer.heading_axis, placement)
    time_s, trial_names, data = read_orientations(orientations)
    ignored = []
    if unmatched:
        ignored.append(f"sensors of {placement.name} that name no body (not used): "
                       f"{', '.join(unmatched)}")
    missing = [n for n in placed if n not in trial_names]
    if missing:
        ignored.append(f"placed sensors absent from {orientations.name} (not used): "
                       f"{', '.join(missing)}")
    use = [n for n in trial_names if n in placed]
    if not use:
        raise DataError(f"no column is a placed sensor ({', '.join(placed)})", orientations)
    if tool.time_range_s is not None:
        keep = (time_s >= tool.time_range_s[0] - 1e-9) & (time_s <= tool.time_range_s[1] + 1e-9)
        time_s, data = time_s[keep], data[keep]
    if len(time_s) == 0:
        raise DataError(f"no sample in the time range {tool.time_range_s}", orientations)
    index = [trial_names.index(n) for n in use]
    observed = np.einsum("ij,nmjk->nmik", space_xyz(tool.sensor_to_opensim), data[:, index])
    problem = OrientationIKProblem(tree, tuple((n, *placed[n]) for n in use),
                                   np.ones(len(use)))
    problem.gauss_newton()                    # built before the frames are timed
    built = clock.perf_counter()
    q, errors, iterations = problem.solve(observed, q_default)
    solved = clock.perf_counter()
    full = full_tree.tree.coordinates
    values = np.array([np.asarray(tree.full_map(row)).ravel() for row in q])
    return IKResult(time_s, full, values, tuple(c in moving for c in full), errors,
                    tuple(use), (1.0,) * len(use), ignored, iterations,
                    built - started, solved - built, heading,
                    tuple(c.dependent for c in tree.couplings))
