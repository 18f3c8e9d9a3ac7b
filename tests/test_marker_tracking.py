"""Marker tracking in problem files (issue #22): a .trc of marker positions as the
reference of a ``tracking`` term, weights per marker, markers the model lacks, gaps,
and the marker residuals of the summary.

The planar checks are a closed loop: markers made by the pendulum's own outputs
from a known swing, tracked back. The 3D check (slow) solves
problems/gait3d_marker_tracking.toml and compares its marker residuals with those
of ``ocp ik`` over the same frames (ocp ik is within 0.03 degrees of OpenSim's
InverseKinematicsTool on this trial: tests/test_marker_ik.py).
"""
import json
import math
import textwrap
import warnings

import casadi as ca
import numpy as np
import pytest
from bad_input import refused_in_one_line
from conftest import PROBLEMS

import ocp
from ocp import data
from ocp.cli import main
from ocp.costs.tracking import MarkerTrackingNote

PENDULUM = """
[model]
name = "pendulum"
[time]
final = 1.0
[costs.track]
type = "tracking"
reference = "m.trc"
weight = 1e4
[costs.effort]
type = "squared_controls"
weight = 1e-6
[transcription]
intervals = 40
"""


def swing(t):
    """The known motion (rad, rad/s)."""
    return 0.6 * np.sin(2 * np.pi * t) + 0.2 * t, 1.2 * np.pi * np.cos(2 * np.pi * t) + 0.2


def pendulum_markers(path, *, gap=None, ghost=True):
    """A 100 Hz .trc (mm) of the pendulum's tip from its own outputs along :func:`swing`,
    plus a marker the model lacks ("ghost"); ``gap``: a slice of samples made NaN."""
    model = ocp.build_model("pendulum")
    x, u = ca.SX.sym("x", 2), ca.SX.sym("u", 1)
    out = model.outputs(x, u)
    tip = ca.Function("tip", [x], [ca.vertcat(out["tip_x"], out["tip_y"])])
    t = np.arange(101) / 100.0
    xy = np.array(tip(np.vstack(swing(t)))).T * 1000.0
    if gap is not None:
        xy[gap] = np.nan
    columns = [xy[:, 0], xy[:, 1], np.zeros_like(t)]
    names = ["tip_x", "tip_y", "tip_z"]
    if ghost:
        columns += [t * 0 + 5.0, t * 0, t * 0]
        names += ["ghost_x", "ghost_y", "ghost_z"]
    table = data.Table(t, np.column_stack(columns), tuple(names), ("mm",) * len(names))
    data.write(path, table)
    return t


def problem_file(tmp_path, extra=""):
    path = tmp_path / "track.toml"
    path.write_text(PENDULUM.replace('weight = 1e4\n', 'weight = 1e4\n' +
                                     textwrap.dedent(extra)))
    return path


def test_a_trc_is_tracked_marker_by_marker_the_lacking_listed_the_gaps_skipped(tmp_path):
    t = pendulum_markers(tmp_path / "m.trc", gap=slice(40, 46))
    with pytest.warns(MarkerTrackingNote) as caught:
        problem = ocp.load_problem(problem_file(tmp_path))
    notes = " ".join(str(w.message) for w in caught)
    assert "1 markers not tracked" in notes and "ghost" in notes
    assert "gaps skipped" in notes and "tip 6" in notes
    term = problem.costs[0]
    assert term.marker_names == ("tip",)
    assert set(term.reference) == {"tip_x", "tip_y"}          # planar: no z
    times, weights = term.weights["tip_x"]
    np.testing.assert_array_equal(weights, np.where((t >= 0.4 - 1e-9) & (t < 0.46 - 1e-9),
                                                    0.0, 1.0))
    assert np.all(np.isfinite(term.reference["tip_x"][1]))     # bridged, weight 0
    solution = ocp.solve(problem)
    assert solution.success
    error = np.degrees(solution.state("pendulum") - swing(solution.time)[0])
    rms = math.sqrt(np.mean(error ** 2))
    print(f"\npendulum from its tip (6-sample gap): {rms:.4f} deg RMS, "
          f"max {np.max(np.abs(error)):.4f} deg")
    assert rms < 0.5
    residuals = solution.extra["tracking_error"]["track"]["markers"]
    assert residuals["worst_marker"] == "tip" and residuals["unit"] == "m"
    assert residuals["rms"] < 1e-3 and residuals["max_abs"] >= residuals["rms"]
    assert any("ghost" in w for w in solution.warnings)       # in the summary too


def test_marker_weights_from_a_table_or_an_ik_setup_and_the_summary_line(tmp_path, capsys):
    pendulum_markers(tmp_path / "m.trc", ghost=False)
    (tmp_path / "ik.xml").write_text(textwrap.dedent("""\
        <?xml version="1.0" encoding="UTF-8" ?>
        <OpenSimDocument Version="30000">
          <InverseKinematicsTool name="ik">
            <IKTaskSet><objects>
              <IKMarkerTask name="tip"><apply>true</apply><weight>7</weight></IKMarkerTask>
            </objects></IKTaskSet>
          </InverseKinematicsTool>
        </OpenSimDocument>
        """))
    problem = ocp.load_problem(problem_file(tmp_path, 'ik_setup = "ik.xml"\n'))
    assert float(np.max(problem.costs[0].weights["tip_y"][1])) == 7.0
    problem = ocp.load_problem(problem_file(tmp_path, 'markers = { tip = 3 }\n'))
    assert float(np.max(problem.costs[0].weights["tip_y"][1])) == 3.0
    # the weighted mean over markers: one marker's weight does not scale the term
    x = ca.SX.sym("x", 2)
    from ocp.costs.base import PointVariables
    term = problem.costs[0]
    value = ca.Function("f", [x], [term.integrand(PointVariables(
        problem.model, 0.3, x, ca.SX.zeros(1), ca.SX(0, 1)))])
    tip = ca.Function("tip", [x], [ca.vertcat(*[problem.model.outputs(x, ca.SX.zeros(1))[n]
                                                for n in ("tip_x", "tip_y")])])
    q = np.array([0.1, 0.0])
    r = np.array([np.interp(0.3, *term.reference[n]) for n in ("tip_x", "tip_y")])
    assert float(value(q)) == pytest.approx(float(np.sum((np.array(tip(q)).ravel() - r)
                                                         ** 2)), rel=1e-12)
    path = problem_file(tmp_path, 'markers = ["tip"]\n')
    assert main(["solve", str(path), "--quiet", "--out", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    assert "tracking     track: markers RMS" in out and "worst tip" in out
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["tracking_error"]["track"]["markers"]["per_marker"]["tip"] < 1e-3


@pytest.mark.parametrize("extra, words", [
    ('markers = ["nose"]\n', ["costs.track.markers", "m.trc", "no marker 'nose'", "tip"]),
    ('markers = { tip = -1 }\n', ["costs.track.markers", "tip", "weight -1",
                                  "a number >= 0"]),
    ('markers = ["ghost"]\n', ["costs.track.reference", "m.trc", "none of its markers",
                               "pendulum"]),
    ('columns = ["tip_x"]\nmarkers = ["tip"]\n', ["costs.track.columns",
                                                  "marker tracking"]),
    ('markers = 3\n', ["costs.track.markers", "a list of marker names"]),
])
def test_bad_marker_input_is_one_line_before_any_solve(tmp_path, capsys, no_solve, extra,
                                                       words):
    pendulum_markers(tmp_path / "m.trc")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkerTrackingNote)
        refused_in_one_line(["solve", str(problem_file(tmp_path, extra)), "--quiet", "--out",
                             str(tmp_path / "o")], words, capsys)


WALK = PROBLEMS / "data" / "walking3d"
SHARED = PROBLEMS.parent.parent / "shared" / "data" / "walking3d"


@pytest.mark.skipif(not SHARED.exists(), reason="../shared/data/walking3d is absent")
def test_shipped_trial_and_setup_are_the_pipeline_files():
    for name in ("subject01_walk1.trc", "subject01_Setup_IK.xml"):
        assert (WALK / name).read_bytes() == (SHARED / name).read_bytes()


@pytest.mark.slow
def test_gait3d_marker_tracking_converges_to_the_marker_residuals_of_ik():
    from ocp.sensors.inverse_kinematics import inverse_kinematics

    problem = ocp.load_problem(PROBLEMS / "gait3d_marker_tracking.toml")
    solution = ocp.solve(problem)
    assert solution.success
    residuals = solution.extra["tracking_error"]["markers"]["markers"]
    ik = inverse_kinematics(WALK / "subject01_skeleton.osim", WALK / "subject01_walk1.trc",
                            WALK / "subject01_Setup_IK.xml")     # the setup's weights, tasks
    t = np.asarray(ik.time_s)
    frames = [e for e, s in zip(ik.errors, t) if 0.6 - 1e-9 <= s <= 1.0 + 1e-9]
    ik_rms = math.sqrt(np.mean([e.rms_m ** 2 for e in frames]))
    ik_max = max(e.max_m for e in frames)
    print(f"\nmarker tracking: RMS {residuals['rms'] * 1000:.2f} mm, max "
          f"{residuals['max_abs'] * 1000:.2f} mm ({residuals['worst_marker']}); ocp ik over "
          f"the same frames: RMS {ik_rms * 1000:.2f} mm, max {ik_max * 1000:.2f} mm; "
          f"{solution.iterations} iterations, {solution.solve_time_s:.1f} s in IPOPT")
    assert abs(residuals["rms"] - ik_rms) < 1e-3
    assert abs(residuals["max_abs"] - ik_max) < 2e-3
    assert residuals["worst_marker"] == max(frames, key=lambda e: e.max_m).worst_marker


def test_markers_of_a_planar_osim_file_are_outputs_where_the_3d_reader_puts_them(tmp_path):
    """A planar .osim's markers (on a body, and on an offset frame of it) are outputs
    ``M_x``, ``M_y``: equal to the positions that the 3D reader's tree gives."""
    from osim_pendulum import pendulum_osim

    from ocp.osim import build_osim_model
    from ocp.osim.spatial_skeleton import read_spatial, spatial_tree
    frame = ("<components><PhysicalOffsetFrame name=\"rod_end\">"
             "<socket_parent>/bodyset/rod</socket_parent>"
             "<translation>0.02 -1 0.1</translation><orientation>0 0 0.7</orientation>"
             "</PhysicalOffsetFrame></components>")
    markers = ("<MarkerSet name=\"markerset\"><objects>"
               "<Marker name=\"R.Mid\"><socket_parent_frame>/bodyset/rod</socket_parent_frame>"
               "<location>0.05 -0.5 0.03</location></Marker>"
               "<Marker name=\"end\"><socket_parent_frame>/bodyset/rod/rod_end"
               "</socket_parent_frame><location>0.1 0.2 0</location></Marker>"
               "</objects></MarkerSet>")
    path = tmp_path / "bar.osim"
    path.write_text(pendulum_osim(model_extra=markers, body_extra=frame))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = build_osim_model(path)
    x, u = ca.SX.sym("x", 2), ca.SX.sym("u", model.nu)
    out = model.outputs(x, u)
    names = [f"{m}_{a}" for m in ("R.Mid", "end") for a in "xy"]
    planar = ca.Function("planar", [x], [ca.vertcat(*[out[n] for n in names])])
    tree = spatial_tree(read_spatial(path))
    q = ca.SX.sym("q", tree.n)
    positions = tree.marker_positions(q)
    spatial = ca.Function("spatial", [q], [ca.vertcat(*[positions[m][k] for m in ("R.Mid", "end")
                                                        for k in (0, 1)])])
    for angle in (-1.2, 0.0, 0.4, 2.5):
        np.testing.assert_allclose(np.array(planar([angle, 0.3])).ravel(),
                                   np.array(spatial([angle])).ravel(), atol=1e-12)
    assert model.output_units()["end_y"] == "m"
    # a marker named as in gait labs ("R.Mid_x": not a CasADi name) is tracked
    from ocp.engine.nlp import transcribe
    reference = {"R.Mid_x": (np.array([0.0, 0.5]), np.array([0.1, 0.2]))}
    transcribe(ocp.Problem(model=model, final_time=0.5,
                           costs=[ocp.Tracking("track", 1.0, reference=reference)]))
