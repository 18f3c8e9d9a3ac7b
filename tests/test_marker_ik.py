"""Marker inverse kinematics (issue #22): against OpenSim's InverseKinematicsTool on the
3D walking trial, against the known motion of markers the model itself generated, and
bad input on the command line.

OpenSim runs in a subprocess (tests/opensim_ik_reference.py): its wheel bundles a
CasADi library that cannot share a process with casadi.
"""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ocp.cli import main
from ocp.data.opensim_text import read_storage, read_trc, write_trc
from ocp.data.tables import Table
from ocp.osim.spatial_skeleton import read_spatial, reduced_tree
from ocp.sensors.ik_setup import read_ik_setup
from ocp.sensors.inverse_kinematics import inverse_kinematics

ROOT = Path(__file__).resolve().parents[1]
WALK = ROOT.parent / "shared" / "data" / "walking3d"
MODEL = WALK / "subject01_simbody.osim"
TRIAL = WALK / "subject01_walk1.trc"
SETUP = WALK / "subject01_Setup_IK.xml"
RAJAGOPAL = ROOT.parent / "shared" / "data" / "models3d" / "Rajagopal2016.osim"

pytestmark = pytest.mark.skipif(not SETUP.exists(),
                                reason="../shared/data/walking3d is absent")
needs_opensim = pytest.mark.skipif(importlib.util.find_spec("opensim") is None,
                                   reason="opensim is not installed")


def test_setup_paths_are_relative_to_its_folder_and_hold_its_tasks():
    setup = read_ik_setup(SETUP)
    assert setup.model_file == WALK / "subject01_simbody.osim"
    assert setup.marker_file == WALK / "subject01_walk1.trc"
    assert setup.time_range_s == (0.5, 2.5) and setup.accuracy == 1e-5
    assert len(setup.marker_weights) == 31 and setup.marker_weights["R.Heel"] == 10
    assert setup.marker_weights["Top.Head"] == 0.1
    assert {t.name: t.weight for t in setup.coordinate_tasks} == {
        "subtalar_angle_r": 1000, "mtp_angle_r": 1000, "subtalar_angle_l": 1000,
        "mtp_angle_l": 1000}


def synthetic_trial(tmp_path, model, q_of_t, drop=()):
    """A .trc in mm of the model's own markers along a known motion (rad, m);
    ``drop``: (frame, marker index) pairs left empty (gaps)."""
    tree = reduced_tree(read_spatial(model))
    time_s = np.arange(12) / 60.0
    names = [m.name for m in tree.markers]
    rows = []
    for t in time_s:
        x = tree.marker_positions(q_of_t(t))
        rows.append(np.concatenate([np.asarray(x[m]).ravel() * 1e3 for m in names]))
    values = np.array(rows)
    for frame, j in drop:
        values[frame, 3 * j:3 * j + 3] = np.nan
    table = Table(time_s, values, tuple(f"{m}_{a}" for m in names for a in "xyz"),
                  ("mm",) * values.shape[1], 60.0)
    path = write_trc(tmp_path / "synthetic.trc", table)
    return path, tree, time_s


@pytest.mark.parametrize("model", [MODEL, RAJAGOPAL], ids=["subject01", "rajagopal2016"])
def test_recovers_the_motion_that_made_the_markers_through_gaps(tmp_path, model):
    """Markers the model made along a known motion, three of them missing in some frames:
    the motion comes back (Rajagopal's patellae follow the knee through their coupler
    constraints, its locked coordinates stay at their defaults)."""
    if not model.exists():
        pytest.skip(f"{model} is absent")
    doc = read_spatial(model)
    tree = reduced_tree(doc)
    ranges = doc.coordinates()
    rng = np.random.default_rng(0)
    base = np.array([0.05, 0.02, 0.1, 0.6, 0.95, -0.02] + [0.0] * (tree.n - 6))
    amplitude = np.zeros(tree.n)
    for name in ("hip_flexion_r", "knee_angle_r", "ankle_angle_r", "hip_flexion_l",
                 "knee_angle_l", "lumbar_bending", "hip_adduction_l"):
        low, high = ranges[name].range      # inside the range: clamped ones stay there
        i = tree.coordinates.index(name)
        base[i], amplitude[i] = (low + high) / 2, 0.3 * (high - low) / 2
    amplitude[tree.coordinates.index("pelvis_tx")] = 0.2
    phase = rng.uniform(0, 1, tree.n)

    def q_of_t(t):
        return base + amplitude * np.sin(2 * np.pi * (t + phase))

    drop = [(3, 0), (3, 5), (7, 10)]
    path, tree, time_s = synthetic_trial(tmp_path, model, q_of_t, drop)
    result = inverse_kinematics(model, path)
    assert len(result.markers) == len(tree.markers)   # no setup: all markers, weight 1
    for k, t in enumerate(time_s):
        expected = np.asarray(tree.full_map(q_of_t(t))).ravel()
        assert np.max(np.abs(result.values[k] - expected)) < 1e-5, k
        assert result.errors[k].max_m < 1e-6


def test_locked_coordinate_is_held_at_its_default(tmp_path):
    text = MODEL.read_text()
    start = text.index('<Coordinate name="knee_angle_l">')
    end = text.index("</Coordinate>", start)
    locked = text[:start] + text[start:end].replace("<locked>false</locked>",
                                                    "<locked>true</locked>") + text[end:]
    model = tmp_path / "locked.osim"
    model.write_text(locked)
    result = inverse_kinematics(model, TRIAL, SETUP)
    knee = result.coordinates.index("knee_angle_l")
    default = next(c for c in read_spatial(model).coordinates().values()
                   if c.name == "knee_angle_l").default_value
    assert np.all(result.values[:, knee] == default)


def opensim_ik(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "opensim_ik_reference.py"),
                           str(SETUP), str(tmp_path)], capture_output=True, text=True,
                          timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@needs_opensim
def test_walking_trial_matches_opensim_inverse_kinematics_tool(tmp_path, capsys):
    reference = opensim_ik(tmp_path)
    out = tmp_path / "IK.mot"
    assert main(["ik", str(MODEL), "--markers", str(TRIAL), "--setup", str(SETUP),
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "R.Bicep" in printed and "R.Temple" in printed     # markers the model lacks
    ours, theirs = read_storage(out), read_storage(reference["mot"])
    assert ours.columns == theirs.columns and ours.metadata["in_degrees"]
    np.testing.assert_allclose(ours.time_s, theirs.time_s, atol=1e-12)
    for j, name in enumerate(theirs.columns):
        rms = np.sqrt(np.mean((ours.values[:, j] - theirs.values[:, j]) ** 2))
        bound = 0.5e-3 if theirs.units[j] == "m" else 0.5     # m, degrees
        assert ours.units[j] == theirs.units[j]
        assert rms < bound, (name, rms)
    mine = read_storage(out.with_name("IK_marker_errors.sto"))
    opensim = read_storage(reference["errors"])
    rms = mine.columns.index("marker_error_RMS")
    difference = mine.values[:, rms] - opensim.values[:, opensim.columns.index("marker_error_RMS")]
    assert np.max(np.abs(difference)) < 1e-3


@pytest.mark.parametrize("case", ["setup_names_missing_file", "unknown_units",
                                  "every_marker_missing", "no_such_setup"])
def test_bad_input_is_one_line_naming_the_file(tmp_path, capsys, case):
    trc = tmp_path / "trial.trc"
    lines = TRIAL.read_text().split("\n")
    args = ["ik", str(MODEL), "--markers", str(trc), "--out", str(tmp_path / "o.mot")]
    named = trc
    if case == "unknown_units":
        lines[2] = lines[2].replace("\tmm\t", "\tfurlongs\t")
    elif case == "every_marker_missing":
        fields = lines[40].split("\t")
        lines[40] = "\t".join(fields[:2] + [""] * (len(fields) - 2))
    elif case == "setup_names_missing_file":
        setup = tmp_path / "setup.xml"
        setup.write_text(SETUP.read_text().replace("subject01_simbody.osim", "gone.osim"))
        args = ["ik", "--setup", str(setup), "--markers", str(TRIAL),
                "--out", str(tmp_path / "o.mot")]
        named = tmp_path / "gone.osim"
    else:
        named = tmp_path / "nosuch.xml"
        args += ["--setup", str(named)]
    trc.write_text("\n".join(lines))
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(named) in err, err
    assert "Traceback" not in err


def test_trc_in_metres_gives_the_same_angles_as_in_millimetres(tmp_path):
    trial = read_trc(TRIAL)
    metres = Table(trial.time_s, trial.values * 1e-3, trial.columns,
                   ("m",) * len(trial.columns), trial.rate_hz)
    path = write_trc(tmp_path / "metres.trc", metres)
    a = inverse_kinematics(MODEL, TRIAL, SETUP, time_range=(1.0, 1.1))
    b = inverse_kinematics(MODEL, path, SETUP, time_range=(1.0, 1.1))
    np.testing.assert_allclose(a.values, b.values, atol=1e-9)


def test_smoothing_over_the_trial_brings_noisy_markers_closer_to_the_motion(tmp_path):
    """Markers of a known motion with 2 mm of noise: one least-squares problem over the
    trial, with a small weight on the squared accelerations, recovers the angles better
    than frame by frame (0.18 against 0.43 degrees RMS here), and the marker fit it gives
    up is small."""
    doc = read_spatial(MODEL)
    tree = reduced_tree(doc)
    ranges = doc.coordinates()
    base = np.array([0.05, 0.02, 0.1, 0.6, 0.95, -0.02] + [0.0] * (tree.n - 6))
    amplitude = np.zeros(tree.n)
    for name in ("hip_flexion_r", "knee_angle_r", "ankle_angle_r", "hip_flexion_l",
                 "knee_angle_l"):
        low, high = ranges[name].range
        i = tree.coordinates.index(name)
        base[i], amplitude[i] = (low + high) / 2, 0.3 * (high - low) / 2
    time_s = np.arange(61) / 60.0
    names = [m.name for m in tree.markers]
    clean = np.array([np.concatenate([np.asarray(x[m]).ravel() * 1e3 for m in names])
                      for x in (tree.marker_positions(base + amplitude * np.sin(2 * np.pi * t))
                                for t in time_s)])
    truth = np.array([np.asarray(tree.full_map(base + amplitude * np.sin(2 * np.pi * t)))
                      .ravel() for t in time_s])
    noisy = clean + np.random.default_rng(1).normal(0.0, 2.0, clean.shape)
    path = write_trc(tmp_path / "noisy.trc", Table(
        time_s, noisy, tuple(f"{m}_{a}" for m in names for a in "xyz"),
        ("mm",) * noisy.shape[1], 60.0))
    angles = [i for i, c in enumerate(tree.tree.coordinates) if not c.startswith("pelvis_t")]
    errors = {}
    for weight in (0.0, 1e-8):
        result = inverse_kinematics(MODEL, path, smoothing=weight)
        errors[weight] = np.degrees(np.sqrt(np.mean((result.values - truth)[:, angles] ** 2)))
        fit = np.mean([e.rms_m for e in result.errors])
    assert errors[1e-8] < 0.6 * errors[0.0], errors
    assert fit < 2e-3 * np.sqrt(3)      # within the noise: 2 mm on each of three axes


def test_markers_the_model_lacks_are_listed_and_the_rest_used():
    result = inverse_kinematics(MODEL, TRIAL, SETUP, time_range=(1.0, 1.05))
    lacking = ("R.Bicep", "L.Bicep", "R.Elbow", "L.Elbow", "R.Wrist.Med", "R.Wrist.Lat",
               "L.Wrist.Med", "L.Wrist.Lat", "R.Temple", "L.Temple")
    assert all(m in result.ignored[0] for m in lacking) and len(result.ignored) == 1
    assert len(result.markers) == 31 and not set(lacking) & set(result.markers)
    assert result.errors[0].rms_m < 0.03
