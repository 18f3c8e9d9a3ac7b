"""IMU orientations: OpenSense's files, sensor placement and orientation-tracking IK.

- :func:`read_orientations`: an OpenSense ``.sto`` of quaternions (one column
  per sensor, ``w,x,y,z`` in each cell), each checked to be of unit length.
- :func:`read_imu_setup`: an ``IMUPlacer`` or ``IMUInverseKinematicsTool``
  setup (sensor-to-OpenSim rotation, base IMU and heading axis, files, time
  range; paths from its folder).
- :func:`place_imus`, as OpenSense's ``IMUPlacer::run``: the data are turned by
  the sensor-to-OpenSim rotation (space-fixed X-Y-Z angles), then about the
  ground's y axis so that the base IMU's heading axis lines up with the base
  body's x axis (``computeHeadingCorrection``: the angle between the two, its
  sign from the y component of their cross product); with the model in its
  default pose, each ``<body>_imu`` sits on ``<body>`` at R_BS = R_GB^T R_GS.
- :class:`OrientationIKProblem`: per frame, Simbody's ``OrientationSensors``
  goal, sum w_i theta_i^2 / (2 sum w_i), theta_i the angle of R_GS(q)^T R_GO
  (the model sensor against the observed one), solved by Levenberg-Marquardt
  on the rotation vectors (|residual| = theta exactly). As OpenSense's
  ``IMUInverseKinematicsTool``, the data are turned by the sensor-to-OpenSim
  rotation only (no heading correction), translational coordinates are held at
  their default, and the first frame starts from the default pose.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import casadi as ca
import numpy as np

from ocp.data.errors import DataError
from ocp.data.opensim_text import read_lines
from ocp.models.spatial import ReducedTree
from ocp.models.spatial.rotations import vee
from ocp.sensors.marker_ik import FrameErrors, levenberg_marquardt

__all__ = ["IMUSetup", "OrientationIKProblem", "QUATERNION_TOLERANCE", "place_imus",
           "quaternion_matrix", "read_imu_setup", "read_orientations", "space_xyz"]

#: A quaternion whose length differs from 1 by more is refused (OpenSense data are
#: written with about 15 digits; a wrong column or scaling is off by far more).
QUATERNION_TOLERANCE = 1e-3
SUFFIX = "_imu"


def quaternion_matrix(w, x, y, z) -> np.ndarray:
    """The rotation matrix of a unit quaternion (w, x, y, z) (numpy arrays broadcast)."""
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
        [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
        [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)]])


def _axis(axis: int, angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    r = np.eye(3)
    r[i, i], r[i, j], r[j, i], r[j, j] = c, -s, s, c
    return r


def space_xyz(angles) -> np.ndarray:
    """Simbody's space-fixed X-Y-Z rotation: about ground x, then y, then z: Rz Ry Rx."""
    return _axis(2, angles[2]) @ _axis(1, angles[1]) @ _axis(0, angles[0])


def read_orientations(path) -> tuple:
    """(time (N,), sensor names, rotations (N, m, 3, 3)) of an OpenSense quaternion file."""
    path = Path(path)
    lines = read_lines(path)
    try:
        end = next(i for i, line in enumerate(lines) if line.strip().lower() == "endheader")
    except StopIteration:
        raise DataError("no 'endheader' line: not an OpenSim storage file", path) from None
    labels = lines[end + 1].split("\t")
    if not labels or labels[0].strip().lower() != "time" or len(labels) < 2:
        raise DataError("the line after 'endheader' must list 'time' and the sensors", path)
    names = [label.strip() for label in labels[1:]]
    times, rows = [], []
    for number, line in enumerate(lines[end + 2:], start=end + 3):
        if not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) != len(labels):
            raise DataError(f"line {number} has {len(cells)} values, expected {len(labels)}",
                            path)
        try:
            times.append(float(cells[0]))
            quaternions = [[float(v) for v in cell.split(",")] for cell in cells[1:]]
        except ValueError:
            raise DataError(f"line {number}: expected numbers and w,x,y,z quaternions",
                            path) from None
        for name, q in zip(names, quaternions):
            if len(q) != 4:
                raise DataError(f"line {number}: '{name}' holds {len(q)} numbers, a "
                                f"quaternion has 4 (w,x,y,z)", path, name)
            length = math.sqrt(sum(v * v for v in q))
            if abs(length - 1.0) > QUATERNION_TOLERANCE:
                raise DataError(f"line {number}: the quaternion of '{name}' has length "
                                f"{length:.6g}, not 1 (orientations are unit quaternions)",
                                path, name)
        rows.append(quaternions)
    q = np.array(rows, float)                     # (N, m, 4)
    rotations = np.moveaxis(quaternion_matrix(*np.moveaxis(q, -1, 0)), (0, 1), (-2, -1))
    return np.array(times), names, rotations


@dataclass(frozen=True)
class IMUSetup:
    """An IMUPlacer or IMUInverseKinematicsTool setup; paths absolute or None."""

    sensor_to_opensim: tuple = (0.0, 0.0, 0.0)
    base_imu: str | None = None
    heading_axis: str | None = None
    calibration_file: Path | None = None
    orientations_file: Path | None = None
    time_range_s: tuple | None = None
    source: str = ""


def read_imu_setup(path) -> IMUSetup:
    """Read an OpenSense setup file (IMUPlacer or IMUInverseKinematicsTool)."""
    from ocp.osim.elements import ElementReader, OsimError, parse_xml

    path = Path(path)
    if not path.is_file():
        raise OsimError("the IMU setup file does not exist", None, str(path))
    root, lines = parse_xml(path)
    ctx = ElementReader(str(path), lines)
    tool = None
    if root.tag == "OpenSimDocument":
        tool = next((el for el in root if el.tag in ("IMUPlacer", "IMUInverseKinematicsTool")),
                    None)
    if tool is None:
        raise OsimError("not an OpenSense setup: expected <OpenSimDocument> holding "
                        "<IMUPlacer> or <IMUInverseKinematicsTool>", root.tag, str(path),
                        lines.get(root, 1))

    def file(tag):
        text = ctx.text(tool, tag, "")
        return None if text in ("", "Unassigned") else path.parent / text

    axis = ctx.text(tool, "base_heading_axis", "") or None
    if axis is not None and axis.lower().lstrip("-") not in ("x", "y", "z"):
        raise ctx.error(tool.find("base_heading_axis"), f"<base_heading_axis> must be x, y, "
                                                        f"z, -x, -y or -z, got '{axis}'")
    time_range = ctx.numbers(tool, "time_range", 2, ()) or None
    return IMUSetup(ctx.numbers(tool, "sensor_to_opensim_rotations", 3, (0, 0, 0)),
                    ctx.text(tool, "base_imu_label", "") or None, axis,
                    file("orientation_file_for_calibration"), file("orientations_file"),
                    tuple(time_range) if time_range else None, str(path))


def _body_rotations(tree: ReducedTree, q) -> dict:
    return {name: np.asarray(state.R) for name, state in tree.body_states(q).items()}


def place_imus(tree: ReducedTree, q_default, names, calibration, sensor_to_opensim,
               base_imu=None, heading_axis=None, source=None) -> tuple:
    """({imu: (body, R_BS)}, heading angle (rad), names matching no body) from one
    calibration row ``calibration`` (m, 3, 3) of sensor orientations, as IMUPlacer."""
    data = np.einsum("ij,mjk->mik", space_xyz(sensor_to_opensim), calibration)
    rotations = _body_rotations(tree, q_default)
    heading = 0.0
    if base_imu and heading_axis:
        if base_imu not in names:
            raise DataError(f"the base IMU '{base_imu}' is not a column (columns: "
                            f"{', '.join(names)})", source)
        sign = -1.0 if heading_axis.startswith("-") else 1.0
        direction = sign * data[names.index(base_imu)][:, "xyz".index(heading_axis[-1])]
        base = next(b for b in tree.bodies if b.parent is None)
        x_base = rotations[base.name][:, 0]
        heading = math.acos(float(np.clip(direction @ x_base, -1.0, 1.0)))
        if np.cross(x_base, direction)[1] > 0:
            heading = -heading
        data = np.einsum("ij,mjk->mik", space_xyz((0.0, heading, 0.0)), data)
    placed, unmatched = {}, []
    for name, r_gs in zip(names, data):
        body = name[:-len(SUFFIX)] if name.endswith(SUFFIX) else None
        if body not in rotations:
            unmatched.append(name)
            continue
        placed[name] = (body, rotations[body].T @ r_gs)
    if not placed:
        raise DataError(f"no sensor names a body of the model: columns must be "
                        f"<body>{SUFFIX} (columns: {', '.join(names)}; bodies: "
                        f"{', '.join(rotations)})", source)
    return placed, heading, unmatched


@dataclass
class OrientationIKProblem:
    """The per-frame orientation problem: ``sensors`` ((name, body, R_BS), ...),
    ``weights`` (m,)."""

    tree: ReducedTree
    sensors: tuple
    weights: np.ndarray
    _terms: ca.Function | None = None

    def gauss_newton(self) -> ca.Function:
        """(q, observed R_GO (9m, column-major), scale (m)) -> (f, J^T r, J^T J, angles)."""
        if self._terms is None:
            n, m = self.tree.n, len(self.sensors)
            q = ca.SX.sym("q", n)
            observed = ca.SX.sym("observed", 9 * m)
            scale = ca.SX.sym("scale", m)
            states = self.tree.body_states(q)
            residuals, angles = [], []
            for i, (_, body, r_bs) in enumerate(self.sensors):
                r_gs = ca.mtimes(states[body].R, ca.DM(r_bs))
                error = ca.mtimes(r_gs.T, ca.reshape(observed[9 * i:9 * i + 9], 3, 3))
                v = vee(error)
                sine = ca.norm_2(v)
                cosine = (ca.trace(error) - 1) / 2
                angle = ca.atan2(sine, cosine)
                ratio = ca.if_else(sine < 1e-9, 1 + sine ** 2 / 6, angle / sine)
                residuals.append(scale[i] * ratio * v)       # |.| = scale * angle
                angles.append(angle)
            r = ca.vertcat(*residuals)
            jac = ca.jacobian(r, q)
            self._terms = ca.Function("orientation_gauss_newton", [q, observed, scale], [
                ca.dot(r, r), ca.mtimes(jac.T, r), ca.mtimes(jac.T, jac), ca.vertcat(*angles)])
        return self._terms

    def solve(self, observed, q0, *, tolerance=1e-5):
        """Every frame of ``observed`` (N, m, 3, 3), each from the previous ones.
        Returns (q (N, n), [FrameErrors] in rad, iterations per frame)."""
        terms = self.gauss_newton()
        scale = np.sqrt(self.weights / (2.0 * self.weights.sum()))
        rows, errors, iterations = [], [], []
        q = np.asarray(q0, float)
        names = [s[0] for s in self.sensors]
        for k in range(observed.shape[0]):
            guess = 2 * rows[-1] - rows[-2] if k >= 2 else q
            flat = np.transpose(observed[k], (0, 2, 1)).ravel()     # column-major 3x3
            q, out, count = levenberg_marquardt(terms, guess, (flat, scale),
                                                tolerance=tolerance)
            angles = np.asarray(out[3]).ravel()
            worst = int(np.argmax(angles))
            total = float(angles @ angles)
            errors.append(FrameErrors(total, math.sqrt(total / len(angles)),
                                      float(angles[worst]), names[worst]))
            rows.append(q.copy())
            iterations.append(count)
        return np.array(rows), errors, iterations
