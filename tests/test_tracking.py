"""Tracking measured data from files: the shipped arm problem, units, names, errors, export."""
import importlib.util
import json
import math
import textwrap

import numpy as np
import pytest
from conftest import PROBLEMS

import ocp
from ocp import data
from ocp.cli import main
from ocp.data.references import reference_from_file
from ocp.engine.guess import interpolated_guess
from ocp.engine.nlp import transcribe

ARM_DATA = PROBLEMS / "data" / "arm_reach.mot"


def load_script():
    spec = importlib.util.spec_from_file_location("make_arm_reach",
                                                  PROBLEMS / "data" / "make_arm_reach.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def arm_track():
    problem = ocp.load_problem(PROBLEMS / "arm_track.toml")
    return problem, ocp.solve(problem)


def test_arm_track_from_a_bad_guess_reproduces_the_kinematics_within_a_degree(arm_track,
                                                                              tmp_path):
    problem, solution = arm_track
    measured = data.read(ARM_DATA)
    angles = {"shoulder": "shoulder_flexion", "elbow": "elbow_flexion"}
    # The default guess (no initial or final state given): both joints at 0 deg,
    # tens of degrees from the data.
    X, *_ = interpolated_guess(problem, transcribe(problem).grid)
    for i, name in enumerate(problem.model.state_names[:2]):
        guess_rms = math.sqrt(np.mean((np.degrees(X[i, 0]) - measured.column(angles[name]))
                                      ** 2))
        assert guess_rms > 25.0, f"{name}: the guess should be bad, RMS {guess_rms:.1f} deg"
    assert solution.success
    # The solution's grid (50 Hermite-Simpson intervals, with midpoints) holds
    # every 100 Hz sample time, so the comparison is at the samples themselves.
    for name, column in angles.items():
        at_samples = np.interp(measured.time_s, solution.time, solution.state(name))
        rms_deg = math.degrees(math.sqrt(np.mean(
            (at_samples - np.radians(measured.column(column))) ** 2)))
        reported = solution.extra["tracking_error"]["track"][name]
        print(f"\n{name}: RMS {rms_deg:.4f} deg at the samples, {reported['rms_deg']:.4f} "
              f"deg time-weighted, max {reported['max_abs_deg']:.3f} deg")
        assert rms_deg < 1.0 and reported["rms_deg"] < 1.0
        assert reported["unit"] == "rad"
    # The torques that made the data come back, away from the free ends where
    # the effort term may relax them.
    inner = (solution.time > 0.1) & (solution.time < 0.9)
    for tau in ("tau_shoulder", "tau_elbow"):
        made = np.interp(solution.time, measured.time_s, measured.column(tau))
        assert np.max(np.abs(solution.control(tau) - made)[inner]) < 0.01  # of about 1 N m
    summary = json.loads((solution.save(tmp_path / "run") / "summary.json").read_text())
    assert set(summary["tracking_error"]["track"]) == {"shoulder", "elbow"}


def test_shipped_arm_data_is_what_its_script_makes():
    script = load_script()
    fresh = script.table()
    shipped = data.read(ARM_DATA)
    assert shipped.columns == fresh.columns and shipped.rate_hz == 100.0
    assert "make_arm_reach.py" in " ".join(shipped.metadata["comments"])
    for column in fresh.columns:
        unit = fresh.unit(column)
        np.testing.assert_allclose(shipped.column_in(column, unit), fresh.column(column),
                                   rtol=1e-12, atol=1e-12)
    # and the simulation does follow the nominal reach it was designed from
    q_nominal = np.array([script.nominal(t)[0] for t in fresh.time_s])
    np.testing.assert_allclose(fresh.values[:, :2], q_nominal, atol=1e-8)


PENDULUM = """
[model]
name = "pendulum"
[time]
final = 1.0
[costs.track]
type = "tracking"
"""


def write(tmp_path, body, name="task.toml"):
    path = tmp_path / name
    path.write_text(PENDULUM + textwrap.dedent(body))
    return path


def opensim_ik_file(path, degrees):
    """An OpenSim-style .mot: inDegrees=yes and no units line."""
    lines = ["Coordinates", "version=1", f"nRows={len(degrees)}", "nColumns=2",
             "inDegrees=yes", "", "Units are S.I. units (second, meters, Newtons, ...)",
             "endheader", "time\tpendulum_angle"]
    lines += [f"{0.1 * k:.8f}\t{d:.8f}" for k, d in enumerate(degrees)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_degrees_in_an_opensim_mot_become_radians(tmp_path):
    opensim_ik_file(tmp_path / "ik.mot", [0.0, 45.0, 90.0, 180.0, 90.0, 45.0])
    # the file spans 0.5 s: a 1 s horizon would be refused (data over half of it)
    problem = ocp.load_problem(write(tmp_path, """
        reference = "ik.mot"
        columns = { pendulum = "pendulum_angle" }
    """), {"time.final": 0.5})
    times, values = problem.costs[0].reference["pendulum"]
    np.testing.assert_allclose(values, np.radians([0, 45, 90, 180, 90, 45]))
    np.testing.assert_allclose(times, 0.1 * np.arange(6))


def test_markers_in_millimetres_track_an_output_in_metres(tmp_path):
    t = np.arange(11) / 10.0
    markers = data.Table(t, np.column_stack([300 * t, -1000 + 0 * t, 0 * t]),
                         ("tip_x", "tip_y", "tip_z"), ("mm",) * 3)
    data.write(tmp_path / "m.trc", markers)
    problem = ocp.load_problem(write(tmp_path, """
        reference = "m.trc"
        columns = ["tip_x", "tip_y"]
    """))
    np.testing.assert_allclose(problem.costs[0].reference["tip_x"][1], 0.3 * t)
    np.testing.assert_allclose(problem.costs[0].reference["tip_y"][1], -1.0)


def test_a_c3d_marker_is_found_among_its_tables(tmp_path):
    pytest.importorskip("ezc3d")
    t = np.arange(20) / 100.0
    points = data.Table(t, np.column_stack([500 * t, 0 * t - 1000, 0 * t]),
                        ("tip_x", "tip_y", "tip_z"), ("mm",) * 3)
    analogs = data.Table(np.arange(200) / 1000.0, np.zeros((200, 1)), ("emg",), ("V",))
    data.write_c3d(tmp_path / "trial.c3d", points, analogs)
    reference = reference_from_file(tmp_path / "trial.c3d", ocp.build_model("pendulum"),
                                    ["tip_x"])
    np.testing.assert_allclose(reference["tip_x"][1], 0.5 * t, rtol=1e-6)


def test_a_lowpass_reference_is_smooth(tmp_path):
    t = np.arange(201) / 100.0
    rng = np.random.default_rng(5)
    clean = np.sin(2 * np.pi * 0.5 * t)
    data.write(tmp_path / "r.sto", data.Table(t, clean + 0.05 * rng.standard_normal(t.size),
                                              ("pendulum",), ("rad",)))
    problem = ocp.load_problem(write(tmp_path, """
        reference = "r.sto"
        lowpass_hz = 3
    """))
    filtered = problem.costs[0].reference["pendulum"][1]
    inner = slice(20, -20)
    assert np.std(filtered[inner] - clean[inner]) < 0.015  # the noise was 0.05


@pytest.mark.parametrize("body, file_text, pattern", [
    ('reference = "r.csv"\ncolumns = ["pendulum"]\n', "time,pendulm\n0,1\n1,2\n",
     r"task.toml: key 'costs.track.columns': .*r.csv: column 'pendulum': no column "
     r"'pendulum'; did you mean 'pendulm'"),
    ('reference = "r.csv"\ncolumns = { pendulum = "force" }\n', "time,force [N]\n0,1\n1,2\n",
     r"key 'costs.track.columns': .*r.csv: column 'force': is in 'N', but 'pendulum' of model "
     r"'pendulum' expects 'rad'"),
    ('reference = "r.csv"\ncolumns = { pendulum_angle = "a" }\n', "time,a\n0,1\n1,2\n",
     r"key 'costs.track.columns': .*column 'a': 'pendulum_angle' is not a state, control or "
     r"output of model 'pendulum'"),
    ('reference = "r.csv"\ncolumns = { angle = "pendulum" }\n', "time,angle\n0,1\n1,2\n",
     r"key 'costs.track.columns': .*'angle' is not a state.*the keys are the model's names: "
     r"write \{ pendulum = \"angle\" \}"),
    ('reference = "r.csv"\nlowpass_hz = 6\n', "time,pendulum\n0,1\n1,2\n",
     r"key 'costs.track.reference': .*r.csv: column 'pendulum': cut-off 6 Hz must lie "
     r"between 0 and the Nyquist frequency 0.5 Hz"),
    ('reference = "r.csv"\n', "time,pendulum\n0,1\n0,2\n",
     r"key 'costs.track.reference': .*r.csv: column 'time': time must be strictly increasing"),
    ('reference = "r.csv"\n', "time,pendulum\n0,1\n0.5,\n1,2\n",
     r"key 'costs.track.reference': .*r.csv: column 'pendulum': has 1 missing samples"),
    ('reference = "r.mot"\n', "",
     r"key 'costs.track.reference': file '.*r.mot' does not exist"),
    ('reference = "r.csv"\ncolumns = 3\n', "time,pendulum\n0,1\n1,2\n",
     r"key 'costs.track.columns': expected a list of column names or a table"),
])
def test_bad_references_name_the_problem_key_the_file_and_the_column(tmp_path, body,
                                                                     file_text, pattern):
    if file_text:
        (tmp_path / "r.csv").write_text(file_text)
    with pytest.raises(ocp.ProblemError, match=pattern):
        ocp.load_problem(write(tmp_path, body))


def test_export_writes_files_opensim_and_our_reader_agree_on(arm_track, tmp_path, capsys):
    _, solution = arm_track
    folder = solution.save(tmp_path / "arm")
    for fmt in ("sto", "mot", "csv"):
        assert main(["export", str(folder), "--format", fmt]) == 0
        table = data.read(folder / f"solution.{fmt}")
        np.testing.assert_array_equal(table.time_s, solution.time)
        np.testing.assert_allclose(table.column_in("elbow", "rad"), solution.state("elbow"),
                                   rtol=1e-14, atol=1e-15)
        np.testing.assert_allclose(table.column("tau_elbow"), solution.control("tau_elbow"),
                                   rtol=1e-15)
        assert table.unit("hand_x") == "m"
    assert data.read(folder / "solution.mot").unit("elbow_speed") == "deg/s"
    assert main(["export", str(folder), "--format", "mot", "--out",
                 str(tmp_path / "motion.mot")]) == 0
    assert (tmp_path / "motion.mot").exists()
    assert main(["data", str(folder / "solution.sto")]) == 0
    assert "tau_shoulder [N*m]" in capsys.readouterr().out
    assert main(["export", str(tmp_path / "nowhere")]) == 2
    assert "no solution.npz" in capsys.readouterr().err


def test_cli_solve_reports_the_tracking_error(tmp_path, capsys):
    assert main(["solve", str(PROBLEMS / "arm_track.toml"), "--out", str(tmp_path / "o"),
                 "--quiet", "--set", "transcription.intervals=20"]) == 0
    out = capsys.readouterr().out
    assert "tracking     track: shoulder RMS" in out and "deg)" in out
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["tracking_error"]["track"]["elbow"]["rms_deg"] < 1.0
