"""Placed IMUs as frames of a model: what their gyroscopes and accelerometers read.

``[model] imu_placement = "placement_orientations.sto"`` (an OpenSense
calibration file of quaternions, one ``<body>_imu`` column per sensor; with
``imu_placer = "imuPlacer_Setup.xml"`` for its sensor-to-OpenSim rotation,
base IMU and heading axis) places each sensor on its body as OpenSense's
IMUPlacer does (:func:`ocp.sensors.imu.place_imus`: the model in its default
pose, the first row of the file) at the body's origin. Each becomes an
:class:`~ocp.models.spatial.outputs.OffsetFrame` named like its column, so the
model's outputs ``<body>_imu_angular_velocity_{x,y,z}`` (rad/s) and
``<body>_imu_acceleration_{x,y,z}`` (m/s^2, gravity included), both in the
sensor's frame, can be tracked against raw gyroscope and accelerometer data.

Columns that name no body are listed (an IMUPlacementNote) and the rest placed;
none placed, or a quaternion that is not of unit length, is a DataError naming
the file.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ocp.data.errors import DataError
from ocp.models.spatial.outputs import OffsetFrame
from ocp.sensors.imu import IMUSetup, place_imus, read_imu_setup, read_orientations

__all__ = ["IMUPlacementNote", "placed_imu_frames"]


class IMUPlacementNote(UserWarning):
    """Sensors of a calibration file that name no body of the model (not placed)."""


def placed_imu_frames(model_path, placement=None, placer_setup=None) -> tuple:
    """(OffsetFrames of the placed sensors, names that match no body) for the 3D
    model file ``model_path``, from the calibration file ``placement`` (or the one
    the IMUPlacer setup ``placer_setup`` names)."""
    from ocp.osim.spatial_skeleton import read_spatial, reduced_tree

    placer = read_imu_setup(placer_setup) if placer_setup is not None else IMUSetup()
    placement = Path(placement) if placement is not None else placer.calibration_file
    if placement is None:
        raise DataError("no calibration file: give imu_placement (or an IMUPlacer setup "
                        "naming one)", placer_setup)
    if not placement.is_file():
        raise DataError("the calibration (placement) file does not exist", placement)
    doc = read_spatial(model_path)
    tree = reduced_tree(doc)
    coordinates = doc.coordinates()
    q_default = np.array([coordinates[c].default_value for c in tree.coordinates])
    _, names, calibration = read_orientations(placement)
    placed, _, unmatched = place_imus(tree, q_default, names, calibration[0],
                                      placer.sensor_to_opensim, placer.base_imu,
                                      placer.heading_axis, placement)
    frames = tuple(OffsetFrame(name, body, tuple(tuple(float(v) for v in row)
                                                 for row in rotation))
                   for name, (body, rotation) in placed.items())
    return frames, tuple(unmatched)
