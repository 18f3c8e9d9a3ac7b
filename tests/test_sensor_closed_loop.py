"""Closed loop of issue #22: markers and IMU signals made by a 3D model from a known
motion, with noise, tracked back in an optimal-control problem.

The model is the walking trial's scaled gait2392 (problems/data/walking3d), its
pelvis and every joint held but the right hip (flexion, adduction), knee and
ankle, which move smoothly. From that motion the model's own outputs give

- the positions of the right leg's markers at 100 Hz (a .trc, mm), and
- a gyroscope (angular velocity) and accelerometer (specific force, gravity
  included) of IMUs on the femur, tibia and calcaneus, each turned on its body
  (placed by ``[model] imu_placement`` from a calibration file made for that), at
  200 Hz (a .csv per sensor, each at its own rate),

which the problem file tracks (``type = "tracking"``: the markers by name, the
sensors' columns mapped onto the frame outputs, anti-aliased to the mesh's rate).

Independent check (default run): the generated gyroscope and accelerometer
signals equal finite differences of the frames' poses along the motion,
omega_F = vee(R^T dR/dt) and f = R^T (d^2 p / dt^2 - g).

Must show (slow): the motion recovered to 0.5 degrees RMS at the lowest noise
level, the error growing with the noise over three levels (each level the same
draws, scaled).
"""
import math
import textwrap

import casadi as ca
import numpy as np
import pytest
from conftest import PROBLEMS

from ocp import data
from ocp.models.spatial.outputs import frame_outputs
from ocp.models.spatial.rotations import vee
from ocp.osim import build_osim_model

MODEL = PROBLEMS / "data" / "walking3d" / "subject01_skeleton.osim"
FREE = ("hip_flexion_r", "hip_adduction_r", "knee_angle_r", "ankle_angle_r")
SENSORS = ("femur_r_imu", "tibia_r_imu", "calcn_r_imu")
#: how each sensor sits on its body (R_BS)
ON_BODY = {"femur_r_imu": ((0, 0, 1), (0, 1, 0), (-1, 0, 0)),
           "tibia_r_imu": ((0.8, -0.6, 0), (0.6, 0.8, 0), (0, 0, 1)),
           "calcn_r_imu": ((1, 0, 0), (0, 0, -1), (0, 1, 0))}
MARKERS = ("R.Thigh.Upper", "R.Thigh.Front", "R.Thigh.Rear", "R.Knee.Lat", "R.Shank.Upper",
           "R.Shank.Front", "R.Shank.Rear", "R.Ankle.Lat", "R.Heel", "R.Midfoot.Sup",
           "R.Toe.Tip")
FINAL_S = 0.5
#: the known motion q = a + b sin(w t + phi) (rad)
OFFSET = np.array([0.3, 0.05, -0.6, 0.1])
AMPLITUDE = np.array([0.35, 0.08, 0.5, 0.25])
PHASE = np.array([0.0, 1.0, 2.0, -1.0])
OMEGA = 2 * math.pi * 1.2
#: noise levels (standard deviations): markers (m), gyroscope (rad/s), accelerometer (m/s^2)
BASE_NOISE = (0.5e-3, 0.005, 0.025)
LEVELS = (1.0, 3.0, 9.0)


def motion(t):
    """(q, q', q'') (n, len(t)) of the free coordinates at times t."""
    t = np.atleast_1d(t)[None, :]
    phase = OMEGA * t + PHASE[:, None]
    return (OFFSET[:, None] + AMPLITUDE[:, None] * np.sin(phase),
            AMPLITUDE[:, None] * OMEGA * np.cos(phase),
            -AMPLITUDE[:, None] * OMEGA ** 2 * np.sin(phase))


def write_calibration(path):
    """An OpenSense calibration .sto: each sensor's orientation R_GB R_BS with the model
    in its default pose (what ``imu_placement`` reads back into R_BS)."""
    from scipy.spatial.transform import Rotation

    from ocp.osim.spatial_skeleton import read_spatial, reduced_tree
    doc = read_spatial(MODEL)
    tree = reduced_tree(doc)
    q = ca.DM([doc.coordinates()[c].default_value for c in tree.coordinates])
    states = tree.body_states(q)
    cells = []
    for sensor in SENSORS:
        r_gs = np.array(states[sensor[:-4]].R) @ np.array(ON_BODY[sensor], float)
        x, y, z, w = Rotation.from_matrix(r_gs).as_quat()
        cells.append(",".join(repr(float(v)) for v in (w, x, y, z)))
    path.write_text("DataRate=100.000000\nDataType=Quaternion\nversion=3\nendheader\n"
                    + "\t".join(("time",) + SENSORS) + "\n" + "\t".join(["0"] + cells)
                    + "\n")
    return path


def leg_model(calibration):
    from ocp.osim.spatial_skeleton import read_spatial, reduced_tree
    from ocp.sensors.imu_frames import placed_imu_frames
    hold = {c: 0.0 for c in reduced_tree(read_spatial(MODEL)).coordinates if c not in FREE}
    frames, _ = placed_imu_frames(MODEL, calibration)
    for f in frames:
        np.testing.assert_allclose(np.array(f.rotation), ON_BODY[f.name], atol=1e-12)
    return build_osim_model(MODEL, spatial={"hold": hold, "frames": frames}), hold


@pytest.fixture(scope="module")
def model_and_signals(tmp_path_factory):
    """The model and a function of (q, q', q'') -> {output: value} of its markers and
    frames (the model's own output functions)."""
    calibration = write_calibration(tmp_path_factory.mktemp("imu") / "calibration.sto")
    model, hold = leg_model(calibration)
    assert model.tree.coordinates == FREE
    n = len(FREE)
    q, qd, qdd = (ca.SX.sym(s, n) for s in ("q", "qd", "qdd"))
    out = model.tree.marker_outputs(q, qd)
    out.update(frame_outputs(model.tree, q, qd, qdd, model.frames))
    names = list(out)
    f = ca.Function("signals", [q, qd, qdd], [ca.vertcat(*out.values())])
    return model, (hold, calibration), names, f


def evaluate(model_and_signals, t):
    _, _, names, f = model_and_signals
    values = np.array(f.map(len(t))(*motion(t)))
    return {name: values[i] for i, name in enumerate(names)}


def test_imu_signals_equal_finite_differences_of_the_frame_poses(model_and_signals):
    model = model_and_signals[0]
    t = np.linspace(0.05, 0.45, 9)
    h = 1e-3
    at = {k: evaluate(model_and_signals, t + k * h) for k in (-1, 0, 1)}
    g = np.asarray(model.tree.tree.gravity_m_s2)
    worst_w, worst_f = 0.0, 0.0
    for s in SENSORS:
        def pose(k, i, s=s):
            p = np.array([at[k][f"{s}_position_{a}"][i] for a in "xyz"])
            r = np.array([[at[k][f"{s}_orientation_{r}{c}"][i] for c in (1, 2, 3)]
                          for r in (1, 2, 3)])
            return p, r
        for i in range(t.size):
            (p0, r0), (pm, rm), (pp, rp) = pose(0, i), pose(-1, i), pose(1, i)
            omega = np.array(vee(ca.DM(r0.T @ (rp - rm) / (2 * h)))).ravel()
            specific = r0.T @ ((pp - 2 * p0 + pm) / h ** 2 - g)
            gyro = np.array([at[0][f"{s}_angular_velocity_{a}"][i] for a in "xyz"])
            accel = np.array([at[0][f"{s}_acceleration_{a}"][i] for a in "xyz"])
            worst_w = max(worst_w, float(np.max(np.abs(gyro - omega))))
            worst_f = max(worst_f, float(np.max(np.abs(accel - specific))))
    print(f"\nfinite differences of the poses: gyroscope within {worst_w:.2e} rad/s, "
          f"accelerometer within {worst_f:.2e} m/s^2")
    assert worst_w < 1e-4 and worst_f < 2e-3


def test_the_models_outputs_use_the_dynamics_accelerations(model_and_signals):
    """The model's frame outputs take q'' from its dynamics: with the torques of
    inverse dynamics they equal the signals made from the known q''."""
    model, _, names, f = model_and_signals
    q, qd, qdd = (m[:, 0] for m in motion(np.array([0.2])))
    tau = np.array(model.tree.inverse_dynamics(ca.DM(q), ca.DM(qd), ca.DM(qdd))).ravel()
    u = tau / np.array([model.optimal_torque.get(c, 1.0) for c in model.actuated])
    outputs = model.outputs(ca.DM(np.concatenate([q, qd])), ca.DM(u))
    expected = np.array(f(q, qd, qdd)).ravel()
    for name in ("tibia_r_imu_acceleration_x", "calcn_r_imu_acceleration_y",
                 "femur_r_imu_angular_velocity_z"):
        assert float(outputs[name]) == pytest.approx(expected[names.index(name)], abs=1e-8)


def write_trial(folder, signals_at, level, rng_state=7):
    """The marker .trc (100 Hz) and one .csv per sensor (200 Hz), noise ``level`` times
    BASE_NOISE (the same draws at every level); data from -0.3 to FINAL_S + 0.3 s."""
    rng = np.random.default_rng(rng_state)
    t_m = np.round(np.arange(-30, 100 * FINAL_S + 31) / 100.0, 10)
    s = signals_at(t_m)
    columns, names = [], []
    for m in MARKERS:
        for a in "xyz":
            columns.append(1000 * (s[f"{m}_{a}"] + level * BASE_NOISE[0] *
                                   rng.standard_normal(t_m.size)))
            names.append(f"{m}_{a}")
    data.write(folder / "markers.trc", data.Table(t_m, np.column_stack(columns),
                                                  tuple(names), ("mm",) * len(names)))
    t_i = np.round(np.arange(-60, 200 * FINAL_S + 61) / 200.0, 10)
    s = signals_at(t_i)
    for sensor in SENSORS:
        columns = []
        for kind, noise in (("angular_velocity", BASE_NOISE[1]),
                            ("acceleration", BASE_NOISE[2])):
            for a in "xyz":
                columns.append(s[f"{sensor}_{kind}_{a}"] +
                               level * noise * rng.standard_normal(t_i.size))
        data.write(folder / f"imu_{sensor}.csv", data.Table(
            t_i, np.column_stack(columns), ("gyro_x", "gyro_y", "gyro_z", "acc_x", "acc_y",
                                            "acc_z"), ("rad/s",) * 3 + ("m/s^2",) * 3))


def problem_text(setup, intervals=20, markers_tracked=True):
    """The problem file; ``setup``: (coordinates held, the calibration file)."""
    hold, calibration = setup
    sensors = ""
    for s in SENSORS:
        gyro = ", ".join(f'{s}_angular_velocity_{a} = "gyro_{a}"' for a in "xyz")
        acc = ", ".join(f'{s}_acceleration_{a} = "acc_{a}"' for a in "xyz")
        sensors += textwrap.dedent(f"""
            [costs.gyro_{s}]
            type = "tracking"
            reference = "imu_{s}.csv"
            columns = {{ {gyro} }}
            antialias_hz = {2 * intervals / FINAL_S:g}
            weight = {1 / BASE_NOISE[1] ** 2:g}

            [costs.accel_{s}]
            type = "tracking"
            reference = "imu_{s}.csv"
            columns = {{ {acc} }}
            antialias_hz = {2 * intervals / FINAL_S:g}
            weight = {1 / BASE_NOISE[2] ** 2:g}
            """)
    held = ", ".join(f"{c} = {v}" for c, v in hold.items())
    markers = ", ".join(f'"{m}"' for m in MARKERS)
    text = textwrap.dedent(f"""
        [model]
        file = "{MODEL}"
        hold = {{ {held} }}
        imu_placement = "{calibration}"

        [time]
        final = {FINAL_S}

        [costs.markers]
        type = "tracking"
        reference = "markers.trc"
        markers = [{markers}]
        weight = {3 / BASE_NOISE[0] ** 2:g}

        [costs.effort]
        type = "squared_controls"
        weight = 1e-6

        [transcription]
        method = "hermite-simpson"
        intervals = {intervals}
        """) + sensors
    if not markers_tracked:   # the IMUs alone
        start = text.index("[costs.markers]")
        text = text[:start] + text[text.index("[costs.effort]"):]
    return text


def recovered_rms_deg(folder, setup, markers_tracked=True):
    import ocp
    path = folder / "closed_loop.toml"
    path.write_text(problem_text(setup, markers_tracked=markers_tracked))
    problem = ocp.load_problem(path)
    solution = ocp.solve(problem, verbose=False)
    assert solution.success, solution.message
    q_true = motion(solution.time)[0]
    error = np.array([solution.state(c) for c in FREE]) - q_true
    per = np.degrees(np.sqrt(np.mean(error ** 2, axis=1)))
    return math.degrees(math.sqrt(np.mean(error ** 2))), per, solution


@pytest.mark.slow
def test_noisy_markers_and_imus_of_a_known_motion_give_it_back(model_and_signals,
                                                               tmp_path):
    _, setup, _, _ = model_and_signals
    errors = []
    for level in LEVELS:
        folder = tmp_path / f"level{level:g}"
        folder.mkdir()
        write_trial(folder, lambda t: evaluate(model_and_signals, t), level)
        rms, per, solution = recovered_rms_deg(folder, setup)
        residual = solution.extra["tracking_error"]["markers"]["markers"]["rms"]
        print(f"\nnoise x{level:g} (markers {level * BASE_NOISE[0] * 1000:g} mm, gyroscope "
              f"{level * BASE_NOISE[1]:g} rad/s, accelerometer {level * BASE_NOISE[2]:g} "
              f"m/s^2): motion {rms:.3f} deg RMS (" + ", ".join(
                  f"{c} {e:.3f}" for c, e in zip(FREE, per)) + f"), marker residual "
              f"{residual * 1000:.2f} mm, {solution.iterations} iterations, "
              f"{solution.solve_time_s:.1f} s in IPOPT")
        errors.append(rms)
    assert errors[0] < 0.5
    assert errors[0] < errors[1] < errors[2]


@pytest.mark.slow
def test_the_imus_alone_give_the_motion_back(model_and_signals, tmp_path):
    """Gyroscopes and accelerometers only (no markers), at the lowest noise level:
    the accelerometers' gravity fixes the orientation that the gyroscopes integrate."""
    _, setup, _, _ = model_and_signals
    write_trial(tmp_path, lambda t: evaluate(model_and_signals, t), LEVELS[0])
    rms, per, solution = recovered_rms_deg(tmp_path, setup, markers_tracked=False)
    assert not any(t.startswith("markers") for t in solution.cost_terms)
    print(f"\nIMUs alone, noise x{LEVELS[0]:g}: motion {rms:.3f} deg RMS (" + ", ".join(
        f"{c} {e:.3f}" for c, e in zip(FREE, per)) + f"), {solution.iterations} "
        f"iterations, {solution.solve_time_s:.1f} s in IPOPT")
    assert rms < 0.5
