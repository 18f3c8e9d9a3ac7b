"""PredSim's passive joint moments and per-muscle tendon stiffness on .osim models.

The passive moment of a coordinate is checked against its closed form
``k1 exp(k2 (q - theta_up)) + k3 exp(k4 (q - theta_low)) - d q'`` with the
coefficients written out here (PredSim's default_coord_lim_torq_coeff.csv);
a tendon stiffness kT against the tendon curve it must give,
``f_T(l~T) = 0.2 (exp(kT (l~T - 1)) - 1)`` (De Groote et al. 2016 with
OpenSim's constants): one normalised force at strain ln(6)/kT, zero at slack
length whatever kT.
"""
import math

import casadi as ca
import numpy as np
import pytest
from bad_input import no_solve, refused_in_one_line, solve_args  # noqa: F401
from conftest import ROOT
from osim_pendulum import pendulum_osim

from ocp.io.problem_file import load_problem
from ocp.models.muscles.curves import tendon_force_length, tendon_stiffness_shape
from ocp.models.passive import floating_base

MUSCLE = """<DeGrooteFregly2016Muscle name="flexor">
        <max_isometric_force>100</max_isometric_force>
        <optimal_fiber_length>0.1</optimal_fiber_length>
        <tendon_slack_length>0.2</tendon_slack_length>
        <GeometryPath><PathPointSet><objects>
          <PathPoint name="origin"><location>0.1 0 0</location>
            <socket_parent_frame>/ground</socket_parent_frame></PathPoint>
          <PathPoint name="insertion"><location>0 -0.3 0</location>
            <socket_parent_frame>/bodyset/rod</socket_parent_frame></PathPoint>
        </objects></PathPointSet></GeometryPath></DeGrooteFregly2016Muscle>"""

PROBLEM = """
[model]
file = "pendulum.osim"
{model}

[time]
final = 1.0

[transcription]
intervals = 5

[costs.effort]
type = "squared_controls"
"""


def problem(tmp_path, model_lines: str, osim: str = ""):
    (tmp_path / "pendulum.osim").write_text(osim or pendulum_osim())
    path = tmp_path / "problem.toml"
    path.write_text(PROBLEM.format(model=model_lines))
    return path


def test_a_coordinates_limit_torque_and_damping_from_the_problem_file(tmp_path):
    lines = """[model.passive_moments.angle]
k = [-6.09, 33.94, 11.03, -11.33]
theta = ["-137.50987 deg", "7.44845 deg"]
damping = 0.1"""
    model = load_problem(problem(tmp_path, lines)).model
    x = ca.SX.sym("x", model.nx)
    f = ca.Function("f", [x], [model.outputs_at(x, ca.DM.zeros(model.nu), 0)
                               ["angle_passive_moment"]])
    for q, qd in [(0.0, 0.0), (0.2, 1.0), (-2.5, -0.5)]:
        expected = (-6.09 * math.exp(33.94 * (q - 0.13)) + 11.03 * math.exp(-11.33 * (q + 2.4))
                    - 0.1 * qd)
        assert float(f([q, qd])) == pytest.approx(expected, rel=1e-5)
    # the passive moment is a generalised force on the coordinate, with the motor's
    tau = ca.Function("t", [x], [model.joint_torques(x, ca.DM.zeros(model.nu))])
    q = 0.2
    assert float(tau([q, 0.0])) == pytest.approx(
        -6.09 * math.exp(33.94 * (q - 0.13)) + 11.03 * math.exp(-11.33 * (q + 2.4)), rel=1e-5)


def test_a_linear_spring_beside_the_stops_as_predsim_s_mtp(tmp_path):
    """PredSim's mtp (settings_Falisse_et_al_2022.m): its limit torques, damping 2 N m s/rad
    and a spring of 25 N m/rad about 0: M = -0.9 e^(14.87 (q - 1.1345)) + 0.18 e^(-70.08 q)
    - 25 q - 2 q'."""
    lines = """[model.passive_moments.angle]
k = [-0.9, 14.87, 0.18, -70.08]
theta = [0, 1.13446401379631]
stiffness = 25
damping = 2"""
    model = load_problem(problem(tmp_path, lines)).model
    x = ca.SX.sym("x", model.nx)
    f = ca.Function("f", [x], [model.outputs_at(x, ca.DM.zeros(model.nu), 0)
                               ["angle_passive_moment"]])
    for q, qd in [(0.0, 0.0), (0.3, 1.0), (-0.05, -0.5), (1.2, 0.0)]:
        expected = (-0.9 * math.exp(14.87 * (q - 1.13446401379631))
                    + 0.18 * math.exp(-70.08 * q) - 25 * q - 2 * qd)
        assert float(f([q, qd])) == pytest.approx(expected, rel=1e-9)


def test_no_muscle_moment_keeps_the_muscle_s_force_and_drops_its_moment(tmp_path):
    """PredSim's mtp_type = '2022paper': the muscles crossing a listed coordinate
    change length with it (their force is unchanged) but put no moment on it. Without
    the key the moment is r F, with r = -dl/dq the moment arm of the path."""
    osim = pendulum_osim(extra=MUSCLE)
    plain = load_problem(problem(tmp_path, "", osim)).model
    free = load_problem(problem(tmp_path, 'no_muscle_moment = ["angle"]', osim)).model
    assert free.no_muscle_moment == ("angle",) and plain.no_muscle_moment == ()
    x, u = ca.SX.sym("x", plain.nx), ca.SX.sym("u", plain.nu)
    named = {"angle": 0.4, "angle_speed": 0.5, "flexor_activation": 0.7}
    state = np.array([named.get(n, 0.5) for n in plain.state_names])
    control = np.full(plain.nu, 0.7)
    values = {}
    for label, model in (("plain", plain), ("free", free)):
        f = ca.Function("f", [x, u], [model.joint_torques(x, u),
                                      model.outputs(x, u)["flexor_force"]])
        values[label] = [float(v) for v in f(state, control)]
    q = ca.SX.sym("q")
    length = ca.Function("l", [q], [plain.path_geometry(q)[0]])
    h = 1e-6
    arm = -(float(length(0.4 + h)) - float(length(0.4 - h))) / (2 * h)
    force = values["plain"][1]
    assert force > 1.0 and abs(arm) > 0.01
    assert values["free"][1] == pytest.approx(force, rel=1e-12)
    # the pendulum's motor acts on both; the muscle's moment r F only without the key
    assert values["plain"][0] - values["free"][0] == pytest.approx(arm * force, rel=1e-6)
    weaker = state.copy()
    weaker[list(plain.state_names).index("flexor_activation")] = 0.2
    tau = ca.Function("t", [x, u], [free.joint_torques(x, u)])
    assert float(tau(weaker, control)) == pytest.approx(values["free"][0], abs=1e-12)


def test_the_pendulum_hangs_from_the_ground_so_predsim_leaves_it_free(tmp_path):
    model = load_problem(problem(tmp_path, 'passive_moments = "predsim"')).model
    assert floating_base(model.tree) == ("angle",)
    assert model.passive_moments == {}


def test_tendon_stiffness_sets_the_tendon_curve_of_each_muscle(tmp_path):
    osim = pendulum_osim(extra=MUSCLE)
    lines = 'tendon = "compliant"\ntendon_stiffness = 20'
    model = load_problem(problem(tmp_path, lines, osim)).model
    p = model.muscles[0].parameters
    assert p.tendon_strain_at_one_norm_force == pytest.approx(math.log(6) / 20, rel=1e-12)
    kT = tendon_stiffness_shape(p.tendon_strain_at_one_norm_force, model.curves)
    assert kT == pytest.approx(20, rel=1e-12)
    for l_t in (1.0, 1.02, 1.05):
        assert float(tendon_force_length(l_t, kT, model.curves)) == pytest.approx(
            0.2 * (math.exp(20 * (l_t - 1)) - 1), abs=1e-12)
    per_muscle = load_problem(problem(
        tmp_path, 'tendon = "compliant"\n[model.tendon_stiffness]\ndefault = 20\nflexor = 35',
        osim)).model
    assert per_muscle.muscles[0].parameters.tendon_strain_at_one_norm_force == pytest.approx(
        math.log(6) / 35, rel=1e-12)


@pytest.mark.parametrize("lines, words", [
    ('tendon = "rigid"\ntendon_stiffness = 35', ["tendon_stiffness", "compliant"]),
    ('tendon = "compliant"\n[model.tendon_stiffness]\nflexr = 35', ["flexr", "flexor"]),
    ('tendon = "compliant"\ntendon_stiffness = -1', ["tendon_stiffness", "-1"]),
    ('[model.passive_moments.angel]\nk = [-1, 1, 1, -1]\ntheta = [-1, 1]', ["angel", "angle"]),
    ('[model.passive_moments.angle]\nk = [1, 1, 1, -1]\ntheta = [-1, 1]', ["angle", "k1 <= 0"]),
    ('passive_moments = "predsm"', ["passive_moments", "predsim"]),
    ('[model.passive_moments.angle]\nk = [-1, 1, 1, -1]\ntheta = [-1, 1]\nstiffness = -25',
     ["stiffness", "-25"]),
    ('no_muscle_moment = ["angel"]', ["no_muscle_moment", "angel", "angle"]),
    ('no_muscle_moment = "angle"', ["no_muscle_moment", "list"]),
])
def test_bad_passive_moments_and_tendon_stiffness_are_refused_in_one_line(
        lines, words, tmp_path, capsys, no_solve):  # noqa: F811
    path = problem(tmp_path, lines, pendulum_osim(extra=MUSCLE))
    refused_in_one_line(solve_args(path), ["problem.toml", *words], capsys)


FALISSE = ROOT.parent / "shared" / "data" / "models3d" / "Falisse_et_al_2022.osim"
SQUAT = ROOT / "problems" / "squat3d_falisse2022.toml"


@pytest.mark.skipif(not FALISSE.exists(), reason="../shared/data is absent")
def test_predsim_preset_on_the_falisse_model_is_its_limit_torques_and_damping():
    model = load_problem(SQUAT, {"model.passive_moments": "predsim"}).model
    coords = model.tree.coordinates
    assert not any(c.startswith("pelvis") for c in model.passive_moments)   # floating base
    assert set(model.passive_moments) == set(coords) - {c for c in coords
                                                        if c.startswith("pelvis")}
    knee = model.passive_moments["knee_angle_r"]
    assert (knee.k1_Nm, knee.k2_1_rad, knee.k3_Nm, knee.k4_1_rad) == (-6.09, 33.94, 11.03, -11.33)
    assert (knee.theta_low_rad, knee.theta_up_rad, knee.damping_Nm_s_rad) == (-2.4, 0.13, 0.1)
    x = ca.SX.sym("x", model.nx)
    out = model.outputs_at(x, ca.DM.zeros(model.nu), 0)
    f = ca.Function("f", [x], [out["knee_angle_r_passive_moment"],
                               out["lumbar_extension_passive_moment"]])
    state = np.zeros(model.nx)
    n = len(coords)
    i, j = coords.index("knee_angle_r"), coords.index("lumbar_extension")
    state[i], state[n + i], state[j], state[n + j] = -1.2, 2.0, 0.3, -1.0
    knee_value, lumbar_value = (float(v) for v in f(state))
    assert knee_value == pytest.approx(-6.09 * math.exp(33.94 * (-1.2 - 0.13))
                                       + 11.03 * math.exp(-11.33 * (-1.2 + 2.4)) - 0.2, rel=1e-9)
    assert lumbar_value == pytest.approx(-0.35 * math.exp(30.72 * (0.3 - 0.17))
                                         + 0.25 * math.exp(-20.36 * (0.3 + 0.523598775598299))
                                         + 0.1, rel=1e-9)


def test_squared_passive_moments_is_the_mean_square_of_the_limit_torques(tmp_path):
    lines = """[model.passive_moments.angle]
k = [-6.09, 33.94, 11.03, -11.33]
theta = [-2.4, 0.13]
damping = 0.1"""
    path = problem(tmp_path, lines)
    path.write_text(path.read_text() + """
[costs.stops]
type = "squared_passive_moments"
include_damping = true
""")
    prob = load_problem(path)
    term = next(t for t in prob.costs if t.name == "stops")

    class Point:
        pass
    v = Point()
    v.model, v.x, v.u = prob.model, ca.DM([0.25, -2.0]), ca.DM.zeros(prob.model.nu)
    limit = -6.09 * math.exp(33.94 * (0.25 - 0.13)) + 11.03 * math.exp(-11.33 * (0.25 + 2.4))
    assert float(term.integrand(v)) == pytest.approx((limit + 0.1 * 2.0) ** 2, rel=1e-9)
    term.include_damping = False
    assert float(term.integrand(v)) == pytest.approx(limit ** 2, rel=1e-9)


def test_squared_passive_moments_needs_limit_torques(tmp_path, capsys, no_solve):  # noqa: F811
    path = problem(tmp_path, "")
    path.write_text(path.read_text() + '\n[costs.stops]\ntype = "squared_passive_moments"\n')
    refused_in_one_line(solve_args(path), ["stops", "passive_moments"], capsys)
