"""External loads (OpenSim's ExternalLoads .xml), kinematics files and ``ocp id``'s bad input.

References: scipy's natural cubic spline (OpenSim's GCVSpline of degree 3 with
zero error variance is the natural interpolating cubic), the spatial tree's
pose of a welded body (the planar reader's merged offset must equal it),
the planar tree's own inverse dynamics (loads on the surviving segment must
give the spatial tree's moments), degrees converted by hand.
"""
import math
from pathlib import Path

import casadi as ca
import numpy as np
import pytest
from scipy.interpolate import CubicSpline

import ocp
from ocp.analysis.id_tool import inverse_dynamics_tool
from ocp.analysis.inverse_dynamics import ExternalLoad, joint_moments
from ocp.cli import main
from ocp.data.errors import DataError
from ocp.data.external_loads import body_in_tree, read_external_loads
from ocp.data.files import read, write
from ocp.data.kinematics import check_covers, read_kinematics
from ocp.data.opensim_text import read_storage, write_storage
from ocp.data.tables import Table

ROOT = Path(__file__).resolve().parents[1]
WALK = ROOT.parent / "shared" / "data" / "walking"
MODEL, IK, GRF = (WALK / n for n in ("gait10dof18musc.osim", "subject01_walk_IK.mot",
                                     "subject01_walk_grf.xml"))
PROBLEMS = ROOT / "problems"

pytestmark = [pytest.mark.skipif(not IK.exists(), reason="../shared/data/walking is absent"),
              pytest.mark.filterwarnings("ignore::ocp.osim.OsimConversionNote")]


def test_loads_follow_opensim_natural_cubic_spline_of_their_samples():
    loads = read_external_loads(GRF)
    assert [f.applied_to_body for f in loads.forces] == ["calcn_r", "calcn_l"]
    table = read(WALK / "subject01_walk_grf.mot")
    t = np.linspace(0.3, 2.2, 37) + 1e-4            # between samples
    right = loads.at(t, loads.forces[0])
    for k, axis in enumerate("xyz"):
        for got, column in ((right.force, f"ground_force_v{axis}"),
                            (right.point, f"ground_force_p{axis}"),
                            (right.torque, f"ground_torque_{axis}")):
            spline = CubicSpline(table.time_s, table.column(column), bc_type="natural")
            np.testing.assert_allclose(got[:, k], spline(t), rtol=1e-9,
                                       atol=1e-9 * np.ptp(table.column(column)))


def test_merged_calcaneus_keeps_its_offset_from_the_talus():
    from ocp.osim.reader import read_osim
    from ocp.osim.spatial_skeleton import read_spatial_tree
    from ocp.osim.tree import build_skeleton
    skeleton = build_skeleton(read_osim(MODEL))
    segment, pose = body_in_tree("calcn_r", skeleton.merged, skeleton.body_pose)
    assert segment == "talus_r" and skeleton.merged["calcn_r"] == "talus_r"
    tree = read_spatial_tree(MODEL)
    states = tree.body_states(ca.DM.zeros(tree.n, 1))
    talus, calcn = states["talus_r"], states["calcn_r"]
    offset = np.array(ca.mtimes(talus.R.T, calcn.p - talus.p)).ravel()
    np.testing.assert_allclose((pose.x, pose.y, pose.z), offset, atol=1e-12)
    relative = np.array(ca.mtimes(talus.R.T, calcn.R))
    assert math.isclose(pose.angle, math.atan2(relative[1, 0], relative[0, 0]), abs_tol=1e-12)


def test_planar_tree_with_loads_on_the_surviving_segment_gives_the_spatial_moments():
    from ocp.osim.reader import read_osim
    from ocp.osim.tree import build_skeleton
    result = inverse_dynamics_tool(MODEL, IK, GRF, lowpass_hz=6, time_range=(0.5, 1.5))
    skeleton = build_skeleton(read_osim(MODEL))
    planar = [(c, result.coordinates.index(c)) for c in skeleton.tree.coordinates]
    columns = [j for _, j in planar]
    q, qd, qdd = (x[:, columns] for x in (result.q, result.qd, result.qdd))
    loads = read_external_loads(GRF)
    external = []
    for s in loads.at(result.time_s):
        segment, _ = body_in_tree(s.spec.applied_to_body, skeleton.merged, skeleton.body_pose)
        external.append(ExternalLoad(segment, s.force[:, :2], s.point[:, :2], s.torque[:, 2]))
    ours = joint_moments(skeleton, result.time_s, q, qd=qd, qdd=qdd,
                         external_loads=tuple(external))
    for k, (c, j) in enumerate(planar):
        np.testing.assert_allclose(ours.moments[:, k], result.values[:, j],
                                   atol=1e-9 * np.ptp(result.values[:, j]), err_msg=c)


def test_ik_mot_in_degrees_is_read_in_radians_and_metres():
    kin = read_kinematics(IK, ("pelvis_tx", "hip_flexion_r"), ("pelvis_tx",))
    raw = read_storage(IK)
    np.testing.assert_array_equal(kin.column("pelvis_tx"), raw.column("pelvis_tx"))
    np.testing.assert_allclose(kin.column("hip_flexion_r"),
                               np.radians(raw.column("hip_flexion_r")), rtol=1e-15)


@pytest.mark.parametrize("header", ["time_s", "time [s]", "time"])
def test_project_csv_and_mot_give_the_same_kinematics(tmp_path, header):
    raw = read_storage(IK)
    table = Table(raw.time_s, np.radians(raw.values[:, [3, 4]]), ("hip_flexion_r", "knee_angle_r"),
                  ("rad", "rad"))
    path = write(tmp_path / "angles.csv", table)
    text = path.read_text().split("\n", 1)
    path.write_text(text[0].replace("time [s]", header).replace(" [rad]", "") + "\n" + text[1])
    from_csv = read_kinematics(path, ("hip_flexion_r", "knee_angle_r"))
    from_mot = read_kinematics(IK, ("hip_flexion_r", "knee_angle_r"))
    np.testing.assert_allclose(from_csv.values, from_mot.values, rtol=1e-12)


def test_kinematics_section_reads_ik_mot_and_project_csv(tmp_path):
    data = read(PROBLEMS / "data" / "arm_kinematics.csv")
    angles = Table(data.time_s, data.values[:, :2], ("shoulder", "elbow"), ("rad", "rad"))
    loaded = {}
    for name, writer in (("arm.mot", lambda p: write_storage(p, angles, in_degrees=True)),
                         ("arm.csv", lambda p: write(p, angles))):
        path = writer(tmp_path / name)
        if name.endswith(".mot"):      # as OpenSim's IK writes it: no units line
            lines = [ln for ln in path.read_text().splitlines() if not ln.startswith("units=")]
            path.write_text("\n".join(lines) + "\n")
        text = (PROBLEMS / "arm_muscle_redundancy.toml").read_text().replace(
            '"data/arm_kinematics.csv"', f'"{path}"')
        (tmp_path / "task.toml").write_text(text)
        problem = ocp.load_problem(tmp_path / "task.toml")
        loaded[name] = np.asarray(problem.model.moments[1])
    original = ocp.load_problem(PROBLEMS / "arm_muscle_redundancy.toml")
    reference = np.asarray(original.model.moments[1])
    for name, moments in loaded.items():
        np.testing.assert_allclose(moments, reference, rtol=1e-6,
                                   atol=1e-9 * np.max(np.abs(reference)), err_msg=name)


def test_data_that_do_not_cover_the_span_are_an_error():
    with pytest.raises(DataError, match=r"cover 0 to 2.5 s, but -1 to 2 s"):
        check_covers(read(IK).time_s, -1.0, 2.0, IK)
    loads = read_external_loads(GRF)
    with pytest.raises(DataError, match="loads cover 0 to 2.5 s"):
        loads.at([1.0, 2.6])


def _mot(path: Path, source: Path, edit) -> Path:
    lines = source.read_text().splitlines()
    path.write_text("\n".join(edit(lines)) + "\n")
    return path


def _set_row(lines, row, column, value):
    """Replace one value of data row ``row`` (0-based) of a .mot."""
    end = next(i for i, ln in enumerate(lines) if ln.strip() == "endheader")
    labels = lines[end + 1].split()
    fields = lines[end + 2 + row].split()
    fields[labels.index(column)] = value
    lines[end + 2 + row] = "\t".join(fields)
    return lines


BAD = {
    "body_the_model_lacks": ("xml", lambda x: x.replace("calcn_l", "calcaneus_l"),
                             "calcaneus_l"),
    "missing_column": ("grf", lambda ls: [ln.replace("1_ground_force_vy", "1_ground_force_VY")
                                          for ls_ in [ls] for ln in ls_], "1_ground_force_vy"),
    "missing_data_file": ("xml", lambda x: x.replace("subject01_walk_grf.mot", "gone.mot"),
                          "gone.mot"),
    "glitch_1e30": ("grf", lambda ls: _set_row(ls, 700, "ground_force_vy", "1e30"), "1e+30"),
    "time_in_ms": ("grf", lambda ls: [ln if i < 7 or not ln.strip() else
                                      "\t".join([repr(1000 * float(ln.split()[0]))]
                                                + ln.split()[1:])
                                      for i, ln in enumerate(ls)], "milliseconds"),
    "degrees_said_radians": ("ik", lambda ls: [ln.replace("inDegrees=yes", "inDegrees=no")
                                               for ln in ls], "degrees and radians"),
    "kinematics_time_in_ms": ("ik", lambda ls: [ln if i < 11 or not ln.strip() else
                                                "\t".join([repr(1000 * float(ln.split()[0]))]
                                                          + ln.split()[1:])
                                                for i, ln in enumerate(ls)], "milliseconds"),
    "kinematics_missing_column": ("ik", lambda ls: [ln.replace("knee_angle_l", "knee_l")
                                                    for ln in ls], "knee_angle_l"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_one_line_naming_the_file_and_exits_2(tmp_path, capsys, case):
    which, edit, expected = BAD[case]
    xml, grf, ik = tmp_path / "grf.xml", tmp_path / "subject01_walk_grf.mot", tmp_path / "ik.mot"
    xml.write_text(edit(GRF.read_text()) if which == "xml" else GRF.read_text())
    _mot(grf, WALK / "subject01_walk_grf.mot", edit if which == "grf" else lambda ls: ls)
    _mot(ik, IK, edit if which == "ik" else lambda ls: ls)
    named = {"xml": xml, "grf": grf, "ik": ik}[which]
    assert main(["id", str(MODEL), "--kinematics", str(ik), "--external-loads", str(xml),
                 "--lowpass", "6", "--out", str(tmp_path / "ID.sto")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert str(named) in err and expected in err, err


def test_loads_given_in_a_merged_body_act_alike_on_the_planar_and_spatial_trees(tmp_path):
    """Force, point and torque expressed in calcn_r (merged into talus_r by the planar
    reader): the planar tree's generalised forces equal the spatial tree's (the 3D
    OpenSim tree) at random poses, so the merged body's offset and turn are kept."""
    from ocp.analysis.external_forces import planar_loads, spatial_loads
    from ocp.models.multibody import inverse_dynamics
    from ocp.osim.reader import read_osim
    from ocp.osim.spatial_skeleton import read_spatial_tree
    from ocp.osim.tree import build_skeleton
    text = GRF.read_text().replace(
        "<force_expressed_in_body>ground", "<force_expressed_in_body>calcn_r", 1).replace(
        "<point_expressed_in_body>ground", "<point_expressed_in_body>calcn_r", 1).replace(
        "subject01_walk_grf.mot", str(WALK / "subject01_walk_grf.mot"))
    (tmp_path / "grf.xml").write_text(text)
    loads = read_external_loads(tmp_path / "grf.xml")
    assert loads.forces[0].point_expressed_in_body == "calcn_r"
    skeleton = build_skeleton(read_osim(MODEL))
    tree = read_spatial_tree(MODEL)
    rng = np.random.default_rng(21)
    for _ in range(5):
        q = rng.uniform(-0.6, 0.6, tree.n)
        F, P, T = rng.normal(0, 300, 6), rng.normal(0, 0.1, 6), rng.normal(0, 5, 6)
        spatial = tree.inverse_dynamics(
            ca.DM(q), ca.DM.zeros(tree.n), ca.DM.zeros(tree.n),
            external_forces=spatial_loads(loads, tree.body_states(ca.DM(q)), F, P, T))
        qp = np.array([q[tree.coordinates.index(c)] for c in skeleton.tree.coordinates])
        planar = inverse_dynamics(skeleton.tree, ca.DM(qp), ca.DM.zeros(len(qp)),
                                  ca.DM.zeros(len(qp)),
                                  external_forces=planar_loads(loads, skeleton, ca.DM(qp),
                                                               F, P, T))
        expected = np.array([float(spatial[tree.coordinates.index(c)])
                             for c in skeleton.tree.coordinates])
        np.testing.assert_allclose(np.array(planar).ravel(), expected, rtol=1e-9, atol=1e-9)


def test_setup_asking_for_joint_reactions_is_told_they_are_not_computed(tmp_path, capsys):
    setup = ROOT / "tests" / "data" / "subject01_walk_Setup_ID.xml"
    text = setup.read_text().replace("<joints_to_report_body_forces />",
                                     "<joints_to_report_body_forces>All"
                                     "</joints_to_report_body_forces>")
    text = text.replace("../../../shared/data/walking", str(WALK))
    (tmp_path / "setup.xml").write_text(text)
    assert main(["id", "--setup", str(tmp_path / "setup.xml"), "--time", "1", "1.2",
                 "--out", str(tmp_path / "ID.sto")]) == 0
    out = capsys.readouterr().out
    assert "note:" in out and "joint reaction forces are not computed" in out
    assert read_storage(tmp_path / "ID.sto").time_s[0] <= 1.0
