"""IMUs placed in problem files (``[model] imu_placement``), their signals as outputs,
and the bad input of sensors (issue #22).

A calibration file is made from chosen sensor-on-body rotations R_BS and the
model's default pose (R_GS = R_GB R_BS, written as OpenSense's quaternions by
scipy, a second implementation): placing the sensors must give R_BS back. The
placement itself is compared with OpenSense's IMUPlacer in tests/test_imu_ik.py.
"""
import textwrap
import warnings

import casadi as ca
import numpy as np
import pytest
from bad_input import refused_in_one_line
from conftest import PROBLEMS
from scipy.spatial.transform import Rotation

import ocp
from ocp.sensors.imu_frames import IMUPlacementNote

MODEL = PROBLEMS / "data" / "walking3d" / "subject01_skeleton.osim"
CHOSEN = {"femur_r_imu": Rotation.from_euler("xyz", [20, -35, 80], degrees=True),
          "tibia_r_imu": Rotation.from_euler("zyx", [-90, 10, 5], degrees=True)}


def body_rotations():
    from ocp.osim.spatial_skeleton import read_spatial, reduced_tree
    doc = read_spatial(MODEL)
    tree = reduced_tree(doc)
    coordinates = doc.coordinates()
    q = ca.DM([coordinates[c].default_value for c in tree.coordinates])
    return {b: np.array(s.R) for b, s in tree.body_states(q).items()}


def calibration(path, extra=(), scale=1.0):
    """An OpenSense calibration .sto of the CHOSEN sensors (and ``extra`` columns)."""
    rotations = body_rotations()
    cells, names = [], []
    for name, r_bs in CHOSEN.items():
        r_gs = rotations[name[:-4]] @ r_bs.as_matrix()
        x, y, z, w = Rotation.from_matrix(r_gs).as_quat()
        cells.append(",".join(f"{scale * v:.15g}" for v in (w, x, y, z)))
        names.append(name)
    for name in extra:
        cells.append("1,0,0,0")
        names.append(name)
    path.write_text("DataRate=100.000000\nDataType=Quaternion\nversion=3\n"
                    "OpenSimVersion=4.1\nendheader\n" + "\t".join(["time"] + names) + "\n"
                    + "\t".join(["0"] + cells) + "\n")
    return path


def problem(tmp_path, placement="cal.sto", frames=()):
    path = tmp_path / "imu.toml"
    path.write_text(textwrap.dedent(f"""
        [model]
        file = "{MODEL}"
        imu_placement = "{placement}"
        frames = [{", ".join(f'"{f}"' for f in frames)}]
        [time]
        final = 0.5
        [costs.effort]
        type = "squared_controls"
        """))
    return path


def test_placed_imus_are_frames_with_the_rotation_of_the_calibration(tmp_path):
    calibration(tmp_path / "cal.sto", extra=("wing_imu",))
    with pytest.warns(IMUPlacementNote, match="wing_imu"):
        model = ocp.load_problem(problem(tmp_path)).model
    frames = {f.name: f for f in model.frames}
    assert set(frames) == set(CHOSEN)
    for name, r_bs in CHOSEN.items():
        assert frames[name].body == name[:-4]
        np.testing.assert_allclose(np.array(frames[name].rotation), r_bs.as_matrix(),
                                   atol=1e-12)
    units = model.output_units()
    assert units["tibia_r_imu_angular_velocity_z"] == "rad/s"
    assert units["femur_r_imu_acceleration_x"] == "m/s^2"


@pytest.mark.parametrize("case, words", [
    ("not_unit", ["imu_placement", "cal.sto", "femur_r_imu", "length", "not 1"]),
    ("no_body", ["imu_placement", "cal.sto", "no sensor names a body", "wing_imu"]),
])
def test_bad_sensor_input_is_one_line_before_any_solve(tmp_path, capsys, no_solve, case,
                                                       words):
    if case == "not_unit":
        calibration(tmp_path / "cal.sto", scale=1.01)
    else:
        (tmp_path / "cal.sto").write_text(
            "DataRate=100\nDataType=Quaternion\nversion=3\nendheader\n"
            "time\twing_imu\n0\t1,0,0,0\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IMUPlacementNote)
        refused_in_one_line(["solve", str(problem(tmp_path)), "--quiet", "--out",
                             str(tmp_path / "o")], words, capsys)


def test_a_placed_imu_reads_its_bodys_signals_turned_into_the_sensor(tmp_path):
    """A sensor at the body's origin turned by R_BS reads omega_S = R_BS^T omega_B and
    f_S = R_BS^T f_B, f_B the body frame's own accelerometer (a closed form)."""
    calibration(tmp_path / "cal.sto")
    model = ocp.load_problem(problem(tmp_path, frames=("femur_r", "tibia_r"))).model
    x, u = ca.SX.sym("x", model.nx), ca.SX.sym("u", model.nu)
    out = model.outputs(x, u)
    names = [f"{s}_{kind}_{a}" for s in ("femur_r", "femur_r_imu", "tibia_r", "tibia_r_imu")
             for kind in ("angular_velocity", "acceleration") for a in "xyz"]
    f = ca.Function("signals", [x, u], [ca.vertcat(*[out[n] for n in names])])
    rng = np.random.default_rng(3)
    values = np.array(f(rng.uniform(-0.5, 0.5, model.nx),
                        rng.uniform(-20, 20, model.nu))).reshape(4, 2, 3)
    for k, sensor in enumerate(("femur_r_imu", "tibia_r_imu")):
        r_bs = CHOSEN[sensor].as_matrix()
        body, placed = values[2 * k], values[2 * k + 1]
        np.testing.assert_allclose(placed[0], r_bs.T @ body[0], rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(placed[1], r_bs.T @ body[1], rtol=1e-10, atol=1e-9)


def test_opensense_vec3_signals_read_as_three_columns_per_sensor(tmp_path):
    """OpenSense's raw accelerometer/gyroscope files (DataType=Vec3, one "x,y,z" cell per
    sensor) read as <sensor>_x, _y, _z columns holding the numbers written."""
    from ocp.data.errors import DataError
    from ocp.data.opensim_text import read_storage
    t = np.arange(5) / 100.0
    acc = np.column_stack([np.sin(t), 9.81 + t, -t ** 2, 2 * t, np.cos(t), 0 * t])
    rows = [f"{ti:.2f}\t" + "\t".join(",".join(repr(float(v)) for v in a[3 * k:3 * k + 3])
                                      for k in range(2)) for ti, a in zip(t, acc)]
    head = "DataRate=100.000000\nDataType=Vec3\nversion=3\nOpenSimVersion=4.6\nendheader\n"
    path = tmp_path / "walk_accelerations.sto"
    path.write_text(head + "time\tfemur_r_imu\ttibia_r_imu\n" + "\n".join(rows) + "\n")
    table = read_storage(path)
    assert table.columns == ("femur_r_imu_x", "femur_r_imu_y", "femur_r_imu_z",
                             "tibia_r_imu_x", "tibia_r_imu_y", "tibia_r_imu_z")
    np.testing.assert_array_equal(table.values, acc)
    np.testing.assert_allclose(table.time_s, t)
    path.write_text(head + "time\tfemur_r_imu\n0.00\t1.0,2.0\n")
    with pytest.raises(DataError, match="femur_r_imu.*|Vec3 cell has 3"):
        read_storage(path)
