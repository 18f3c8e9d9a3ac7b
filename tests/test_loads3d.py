"""External loads, reserves and residuals on a 3D .osim model in a problem file.

problems/gait3d_loads_tracking.toml: the gait2392 subject's stride with its two
force plates (subject01_walk1_grf.xml), the pelvis' residuals and the joints'
reserves. References:

- ``ocp id`` (equal to OpenSim's InverseDynamicsTool within 2e-6 % on this
  trial, tests/test_id_tool_opensim.py): at its coordinates, speeds and
  accelerations, with its generalised forces as the reserves and residuals,
  the model's equations of motion with the loads hold (residual below 1e-6 of
  each column's range, at the force plates' sample times);
- geometry: a force plate's centre of pressure lies under the foot it is
  applied to; swapped between the feet, it lies a step away and is reported.
"""
from pathlib import Path

import casadi as ca
import numpy as np
import pytest

from ocp.analysis.id_tool import inverse_dynamics_tool
from ocp.analysis.loads_report import PLATE_DISTANCE_M, plate_distances
from ocp.data.external_loads import read_external_loads
from ocp.data.opensim_text import write_storage
from ocp.data.tables import Table
from ocp.errors import ProblemError
from ocp.io.problem_file import load_problem, problem_from_dict
from ocp.io.tables import read_toml
from ocp.models.measured_loads import SpatialMeasuredLoads

ROOT = Path(__file__).resolve().parents[1]
FILE = ROOT / "problems" / "gait3d_loads_tracking.toml"
W3D = ROOT / "problems" / "data" / "walking3d"
MODEL, IK, GRF = (W3D / n for n in ("subject01_skeleton.osim", "subject01_walk1_ik.mot",
                                    "subject01_walk1_grf.xml"))


@pytest.fixture(scope="module")
def problem():
    return load_problem(FILE)


def swapped_plates(folder: Path) -> Path:
    """The ExternalLoads file with the two force plates applied to the other foot."""
    text = (GRF.read_text().replace("<applied_to_body> calcn_r", "<applied_to_body> CALCN_L")
            .replace("<applied_to_body> calcn_l", "<applied_to_body> calcn_r")
            .replace("CALCN_L", "calcn_l")
            .replace("<datafile> subject01_walk1_grf.mot", f"<datafile> {GRF.with_suffix('.mot')}"))
    path = folder / "swapped.xml"
    path.write_text(text)
    return path


def test_residuals_on_the_pelvis_and_reserves_on_the_joints(problem):
    model = problem.model
    assert isinstance(model, SpatialMeasuredLoads)
    optimal = model.base.optimal_torque
    assert optimal["pelvis_ty"] == 50 and optimal["pelvis_tilt"] == 250
    assert optimal["knee_angle_r"] == 100 and len(optimal) == model.tree.n == 19
    assert {"ExternalForce_1_force_y", "ExternalForce_2_point_x"} <= set(model.output_units())


def test_the_loads_in_the_model_give_the_generalised_forces_of_ocp_id(problem, tmp_path):
    """ocp id's q, q', q'' and generalised forces satisfy the model's equations with the
    loads (implicit residual), at the force plates' sample times."""
    model = problem.model
    smooth = inverse_dynamics_tool(MODEL, IK, GRF, lowpass_hz=6, time_range=(0.6, 1.7))
    times = read_external_loads(GRF).table.time_s
    times = times[(times >= 0.65) & (times <= 1.65)][::6]
    from scipy.interpolate import CubicSpline
    kinematics = tmp_path / "q.mot"
    write_storage(kinematics, Table(times, CubicSpline(smooth.time_s, smooth.q)(times),
                                    smooth.coordinates), in_degrees=False)
    ref = inverse_dynamics_tool(MODEL, kinematics, GRF, lowpass_hz=None)
    assert np.allclose(ref.time_s, times)
    coords = list(model.tree.coordinates)
    index = [list(ref.coordinates).index(c) for c in coords]
    x, u, z, t = (ca.SX.sym(n, k) for n, k in (("x", model.nx), ("u", model.nu),
                                                ("z", model.nz), ("t", 1)))
    residual = ca.Function("r", [x, u, z, t], [model.implicit_dynamics_at(x, u, z, t)[1]])
    optimal = np.array([model.base.optimal_torque[c] for c in coords])
    worst = np.zeros(len(coords))
    for k, tk in enumerate(ref.time_s):
        r = residual(np.r_[ref.q[k, index], ref.qd[k, index]], ref.values[k, index] / optimal,
                     ref.qdd[k, index], tk)
        worst = np.maximum(worst, np.abs(np.array(r).ravel()))
    span = np.ptp(ref.values[:, index], axis=0)
    assert np.max(worst / span) < 1e-6
    # without the loads the same forces do not satisfy it: the loads are applied
    bare = ca.Function("b", [x, u, z], [model.base.implicit_dynamics(x, u, z)[1]])
    k = int(np.argmax(np.abs(ref.values[:, index[coords.index("pelvis_ty")]])))
    r = bare(np.r_[ref.q[k, index], ref.qd[k, index]], ref.values[k, index] / optimal,
             ref.qdd[k, index])
    assert np.max(np.abs(np.array(r).ravel())) > 100.0


def test_a_force_plate_on_the_wrong_foot_lies_a_step_away(problem, tmp_path):
    from ocp.data.kinematics import read_kinematics
    model = problem.model
    angles = read_kinematics(IK, model.tree.coordinates, model.tree.translational)
    keep = (angles.time_s >= 0.6) & (angles.time_s <= 1.7)
    t, q = angles.time_s[keep], angles.values[keep]
    right = plate_distances(model, t, q)
    assert max(d for d, _ in right.values()) < PLATE_DISTANCE_M
    wrong = model.replace(loads=read_external_loads(swapped_plates(tmp_path)))
    assert min(d for d, _ in plate_distances(wrong, t, q).values()) > PLATE_DISTANCE_M


@pytest.mark.parametrize("change, key, words", [
    ({"model.reserves.weight": 1.0}, "model.reserves.weight", "control_effort"),
    ({"model.reserves.coordinates": ["knee_angle"]}, "model.reserves.coordinates",
     "knee_angle_r"),
    ({"model.passive_fiber_force": False}, "model.passive_fiber_force", "torque-driven"),
])
def test_bad_3d_actuators_and_loads_are_named(change, key, words):
    with pytest.raises(ProblemError) as caught:
        load_problem(FILE, change)
    assert caught.value.key == key and words in str(caught.value)


def test_loads_that_do_not_cover_the_horizon_are_named():
    data = read_toml(FILE)
    data["time"] = {"start": "0.6 s", "final": "2.6 s"}
    with pytest.raises(ProblemError) as caught:
        problem_from_dict(data, FILE)
    assert caught.value.key == "external_loads.file" and "cover" in str(caught.value)


@pytest.mark.slow
def test_the_tracked_stride_reports_residuals_and_a_swapped_plate_warns(tmp_path):
    import ocp
    solution = ocp.solve(load_problem(FILE))
    assert solution.success
    assert solution.reserves["pelvis_ty"]["kind"] == "residual"
    assert solution.reserves["knee_angle_r"]["kind"] == "reserve"
    assert not any("wrong foot" in w for w in solution.warnings)
    swapped = ocp.solve(load_problem(FILE, {"external_loads.file":
                                            str(swapped_plates(tmp_path))}))
    assert sum("wrong foot" in w for w in swapped.warnings) == 2, swapped.warnings
