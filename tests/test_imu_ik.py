"""IMU inverse kinematics (issue #22): the known motion behind model-made orientations,
OpenSense's IMUPlacer and IMUInverseKinematicsTool on the tutorial data (slow), bad input.

OpenSim runs in a subprocess (tests/opensense_reference.py): its wheel bundles a CasADi
library that cannot share a process with casadi.
"""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from ocp.cli import main
from ocp.data.opensim_text import read_storage
from ocp.osim.spatial_skeleton import read_spatial, reduced_tree
from ocp.sensors.imu import space_xyz
from ocp.sensors.imu_ik import imu_inverse_kinematics

ROOT = Path(__file__).resolve().parents[1]
IMU = ROOT.parent / "shared" / "data" / "imu"
MODEL = IMU / "Rajagopal2015_opensense.osim"
PLACER = IMU / "imuPlacer_Setup.xml"
SETUP = IMU / "imuInverseKinematics_Setup.xml"

pytestmark = pytest.mark.skipif(not MODEL.exists(), reason="../shared/data/imu is absent")
SENSORS = ("pelvis", "femur_r", "tibia_r", "calcn_r", "femur_l", "tibia_l", "calcn_l", "torso")


def write_orientations(path, time_s, names, rotations, scale=1.0):
    """An OpenSense quaternion file (w,x,y,z per cell) from rotations (N, m, 3, 3)."""
    lines = ["DataRate=100.000000", "DataType=Quaternion", "version=3",
             "OpenSimVersion=4.1", "endheader", "\t".join(["time", *names])]
    for t, row in zip(time_s, rotations):
        cells = []
        for r in row:
            x, y, z, w = Rotation.from_matrix(r).as_quat()
            cells.append(",".join(repr(float(scale * v)) for v in (w, x, y, z)))
        lines.append("\t".join([repr(float(t)), *cells]))
    path.write_text("\n".join(lines) + "\n")
    return path


def model_orientations(tree, q_rows, offsets, to_opensim):
    """What sensors fixed at ``offsets`` (body -> R_BS) read along q_rows, in sensor
    space (the inverse of the sensor-to-OpenSim rotation applied)."""
    back = to_opensim.T
    out = []
    for q in q_rows:
        states = tree.body_states(q)
        out.append([back @ np.asarray(states[b].R) @ offsets[b] for b in SENSORS])
    return np.array(out)


def test_recovers_the_motion_behind_orientations_the_model_made(tmp_path):
    """Sensors at random orientations on eight bodies, placed from the default pose,
    then read along a known motion: the motion comes back to 1e-6 rad."""
    doc = read_spatial(MODEL)
    full = reduced_tree(doc)
    from ocp.models.spatial import ReducedTree
    from ocp.sensors.inverse_kinematics import translational
    coords = doc.coordinates()
    held = {c: coords[c].default_value for c in full.coordinates if c in translational(doc)}
    tree = ReducedTree(full.tree, full.couplings, {**full.locked, **held})
    rng = np.random.default_rng(3)
    offsets = {b: Rotation.random(random_state=rng).as_matrix() for b in SENSORS}
    to_opensim = space_xyz((-np.pi / 2, 0, 0))
    q0 = np.array([coords[c].default_value for c in tree.coordinates])
    time_s = np.arange(20) / 100
    amplitude = np.zeros(tree.n)
    for name in ("pelvis_rotation", "hip_flexion_r", "knee_angle_r", "ankle_angle_l",
                 "hip_adduction_l", "pelvis_tilt"):
        low, high = coords[name].range
        amplitude[tree.coordinates.index(name)] = 0.2 * (high - low) / 2
    rows = [q0 + amplitude * np.sin(2 * np.pi * t) for t in time_s]
    names = [f"{b}_imu" for b in SENSORS]
    calibration = write_orientations(tmp_path / "calibration.sto", [0.0], names,
                                     model_orientations(tree, [q0], offsets, to_opensim))
    trial = write_orientations(tmp_path / "trial.sto", time_s, names,
                               model_orientations(tree, rows, offsets, to_opensim))
    setup = tmp_path / "ik.xml"
    setup.write_text(SETUP.read_text().replace("<time_range>10.5 17</time_range>", ""))
    result = imu_inverse_kinematics(MODEL, trial, calibration, setup)
    for k, q in enumerate(rows):
        expected = np.asarray(tree.full_map(q)).ravel()
        assert np.max(np.abs(result.values[k] - expected)) < 1e-6, k
        assert result.errors[k].max_m < 1e-6


@pytest.mark.parametrize("case", ["not_unit", "no_body"])
def test_bad_orientation_files_are_one_line_naming_the_file(tmp_path, capsys, case):
    lines = (IMU / "placement_orientations.sto").read_text().split("\n")
    header = next(i for i, line in enumerate(lines) if line.strip() == "endheader") + 1
    if case == "not_unit":
        cells = lines[header + 1].split("\t")
        cells[3] = ",".join(str(2 * float(v)) for v in cells[3].split(","))
        lines[header + 1] = "\t".join(cells)
    else:
        lines[header] = "\t".join(["time"] + [f"wing{i}_imu" for i in range(8)])
    bad = tmp_path / "calibration.sto"
    bad.write_text("\n".join(lines))
    code = main(["ik", str(MODEL), "--imu", str(IMU / "walking_orientations.sto"),
                 "--placement", str(bad), "--placer-setup", str(PLACER),
                 "--out", str(tmp_path / "o.mot")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and str(bad) in err, err
    assert ("length" in err) if case == "not_unit" else ("wing0_imu" in err)


def opensense(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "opensense_reference.py"),
                           str(MODEL), str(PLACER), str(SETUP), str(tmp_path)],
                          capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("opensim") is None,
                    reason="opensim is not installed")
def test_tutorial_walk_matches_opensense_within_two_degrees(tmp_path, capsys):
    reference = opensense(tmp_path)
    out = tmp_path / "IK.mot"
    assert main(["ik", str(MODEL), "--imu", str(IMU / "walking_orientations.sto"),
                 "--placement", str(IMU / "placement_orientations.sto"), "--setup", str(SETUP),
                 "--placer-setup", str(PLACER), "--out", str(out)]) == 0
    ours, theirs = read_storage(out), read_storage(reference["motion"])
    checked = 0
    for j, name in enumerate(theirs.columns):
        if np.ptp(theirs.values[:, j]) == 0 or name.endswith("_beta"):
            continue     # locked, translations held, patella (a coupled coordinate)
        mine = np.interp(theirs.time_s, ours.time_s, ours.values[:, ours.columns.index(name)])
        rms = np.sqrt(np.mean((mine - theirs.values[:, j]) ** 2))
        assert rms < 2.0, (name, rms)                               # degrees
        checked += 1
    assert checked >= 13
