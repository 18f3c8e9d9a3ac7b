"""Muscle-driven models: geometry, tendons, problem-file declarations, the reach."""
import math

import casadi as ca
import numpy as np
import pytest
from conftest import PROBLEMS

import ocp
from ocp.models.library import build_model
from ocp.models.muscles.hill import (
    MuscleParameters,
    compliant_tendon,
    rigid_tendon,
    tendon_force_norm_at_rest,
)

ARM = build_model("six_muscle_arm")


@pytest.mark.parametrize("shoulder, elbow", [(0.0, 0.2), (0.5, 1.57), (1.2, 2.4), (-0.4, 0.9)])
def test_moment_arms_are_minus_the_derivative_of_length(shoulder, elbow):
    """AD moment arms vs central finite differences of the muscle-tendon length."""
    q = np.array([shoulder, elbow])
    _, arms = (np.array(a) for a in ARM.geometry(q))
    step = 1e-6
    for j in range(2):
        dq = np.zeros(2)
        dq[j] = step
        plus, minus = (np.array(ARM.geometry(q + s * dq)[0]).ravel() for s in (1, -1))
        np.testing.assert_allclose(arms[j], -(plus - minus) / (2 * step), atol=1e-6, rtol=0)


def test_brachialis_moment_arm_matches_the_geometry_by_hand():
    """Straight path from O (upper arm) to I (forearm): r = (I x O) / |I - O| about the elbow."""
    elbow = 1.1
    muscle = next(m for m in ARM.muscles if m.name == "BRA")
    (seg_o, origin), (seg_i, insertion) = muscle.geometry.points
    assert (seg_o, seg_i) == ("upper_arm", "forearm")
    O = np.array(origin) - np.array([0.30, 0.0])             # relative to the elbow
    c, s = math.cos(elbow), math.sin(elbow)
    I = np.array([c * insertion[0] - s * insertion[1], s * insertion[0] + c * insertion[1]])
    expected = (I[0] * O[1] - I[1] * O[0]) / np.linalg.norm(I - O)
    _, arms = ARM.geometry(np.array([0.7, elbow]))
    assert float(arms[1, [m.name for m in ARM.muscles].index("BRA")]) == pytest.approx(
        expected, abs=1e-12)


def test_flexors_and_extensors_pull_the_right_way_over_the_whole_range():
    names = [m.name for m in ARM.muscles]
    for shoulder in np.radians(np.linspace(-30, 150, 10)):
        for elbow in np.radians(np.linspace(10, 150, 10)):
            arms = np.array(ARM.geometry(np.array([shoulder, elbow]))[1])
            assert arms[0, names.index("DELTant")] > 0 and arms[0, names.index("DELTpost")] < 0
            assert arms[1, names.index("BRA")] > 0 and arms[1, names.index("TRIlat")] < 0
            assert np.all(arms[:, names.index("BIClong")] > 0)
            assert np.all(arms[:, names.index("TRIlong")] < 0)


def test_compliant_tendon_approaches_the_rigid_one_when_stiff():
    p = MuscleParameters(600.0, 0.10, 0.20, 0.2, tendon_strain_at_one_norm_force=1e-5)
    length, activation = 0.30, 0.6
    rigid = rigid_tendon(p, activation, length, 0.0)
    ft = tendon_force_norm_at_rest(p, length, activation)
    compliant = compliant_tendon(p, activation, length, 0.0, ft, 0.0)
    assert float(ca.evalf(compliant.equilibrium_residual)) == pytest.approx(0, abs=1e-9)
    assert float(ca.evalf(compliant.tendon_force_N)) == pytest.approx(
        float(ca.evalf(rigid.tendon_force_N)), rel=2e-3)


def test_isometric_force_at_optimal_length_is_max_isometric_force_times_cos_pennation():
    alpha = 0.3
    p = MuscleParameters(500.0, 0.1, 0.2, alpha)
    # fibre at optimal length: l_MT = l_slack + l_opt cos(alpha)
    s = rigid_tendon(p, 1.0, 0.2 + 0.1 * math.cos(alpha), 0.0, passive=False)
    assert float(ca.evalf(s.tendon_force_N)) == pytest.approx(500.0 * math.cos(alpha), rel=1e-12)


def muscle_problem(tmp_path, model_lines):
    """The reach problem with extra [model] keys, or [model.muscles.X] tables (at the end)."""
    text = (PROBLEMS / "arm_reach_muscles.toml").read_text()
    keys = "\n".join(line for line in model_lines.splitlines()
                     if line.startswith("remove_muscles"))
    tables = "\n".join(line for line in model_lines.splitlines()
                       if not line.startswith("remove_muscles"))
    text = text.replace('[model]\nname = "six_muscle_arm"',
                        '[model]\nname = "six_muscle_arm"\n' + keys)
    if "BIClong" in keys:  # its initial activation goes with it
        text = text.replace("BIClong_activation = 0\n", "")
    path = tmp_path / "arm.toml"
    path.write_text(text + "\n" + tables + "\n")
    return path


def test_a_muscle_is_weakened_removed_and_added_from_the_problem_file(tmp_path):
    path = muscle_problem(tmp_path, """
remove_muscles = ["BIClong"]
[model.muscles.BRA]
max_isometric_force_N = 300
[model.muscles.BRD]
max_isometric_force_N = 200
optimal_fiber_length_m = 0.17
tendon_slack_length_m = 0.13
path = [["upper_arm", 0.08, 0.03], ["forearm", 0.25, 0.01]]
""")
    problem = ocp.load_problem(path)
    muscles = {m.name: m for m in problem.model.muscles}
    assert "BIClong" not in muscles and "BIClong_excitation" not in problem.model.control_names
    assert muscles["BRA"].parameters.max_isometric_force_N == 300
    assert muscles["BRA"].parameters.optimal_fiber_length_m == 0.0858  # unchanged
    assert "BRD_activation" in problem.model.state_names


@pytest.mark.parametrize("lines, fragment", [
    ('[model.muscles.BRA]\noptimal_fiber_length_m = -0.1',
     "optimal_fiber_length_m must be positive"),
    ('[model.muscles.BRA]\npennation_angle_at_optimal_rad = 1.6', "pennation"),
    ('remove_muscles = ["BRAA"]', "did you mean 'BRA'"),
    ('[model.muscles.NEW]\nmax_isometric_force_N = 100\noptimal_fiber_length_m = 0.1\n'
     'tendon_slack_length_m = 0.1\npath = [["upper_arm", 0.05, 0.02], ["upper_arm", 0.2, 0.02]]',
     "crosses no joint"),
    ('[model.muscles.NEW]\nmax_isometric_force_N = 100\npath = [["upper_arm", 0.05, 0.02]]',
     "needs optimal_fiber_length_m"),
    ('[model.muscles.BRA]\nmax_isometric_forse_N = 100', "did you mean 'max_isometric_force_N'"),
])
def test_non_physical_muscles_are_refused_by_name(tmp_path, lines, fragment):
    with pytest.raises(ocp.ProblemError) as info:
        ocp.load_problem(muscle_problem(tmp_path, lines))
    assert fragment in str(info.value)
    assert "arm.toml" in str(info.value)


@pytest.fixture(scope="module")
def reach():
    return ocp.solve(ocp.load_problem(PROBLEMS / "arm_reach_muscles.toml"))


def test_reach_has_a_single_peaked_hand_speed_near_mid_movement(reach):
    assert reach.success
    v = np.hypot(reach.output("hand_vx"), reach.output("hand_vy"))
    interior_peaks = np.sum((v[1:-1] > v[:-2]) & (v[1:-1] > v[2:]))
    assert interior_peaks == 1
    assert abs(reach.time[np.argmax(v)] / reach.final_time - 0.5) < 0.1


def test_reach_hand_path_is_nearly_straight(reach):
    xy = np.column_stack([reach.output("hand_x"), reach.output("hand_y")])
    chord = xy[-1] - xy[0]
    normal = np.array([-chord[1], chord[0]]) / np.linalg.norm(chord)
    deviation = np.abs((xy - xy[0]) @ normal).max()
    assert deviation < 0.1 * np.linalg.norm(chord)


def test_reach_joint_moments_equal_the_inverse_dynamics_of_the_motion(reach):
    """Second method: moments from muscle forces vs M q'' + C q' from the trajectory."""
    problem = ocp.load_problem(PROBLEMS / "arm_reach_muscles.toml")
    model = problem.model
    f = model.dynamics_function()
    X, U = reach.states, reach.controls
    from ocp.models.multibody import inverse_dynamics
    q, qd, qdd = ca.SX.sym("q", 2), ca.SX.sym("qd", 2), ca.SX.sym("qdd", 2)
    ID = ca.Function("id", [q, qd, qdd], [inverse_dynamics(model.tree, q, qd, qdd)])
    for k in range(0, len(reach.time), 7):
        xdot = np.array(f(X[k], U[k])).ravel()
        tau = np.array(ID(X[k, :2], X[k, 2:4], xdot[2:4])).ravel()
        moments = [reach.output("shoulder_moment")[k], reach.output("elbow_moment")[k]]
        np.testing.assert_allclose(moments, tau, atol=1e-9)


def test_contact_forces_enter_explicit_and_implicit_dynamics_alike():
    """A muscle-driven arm pressing its hand on the 'ground' y = 0: the implicit residual
    vanishes at the explicit accelerations, and the contact force is not zero."""
    from ocp.models.contact import ContactSphere
    from ocp.models.muscle_driven import MuscleDrivenTree
    hand = ContactSphere("hand_r", "forearm", (0.33, 0.0), 0.03)
    model = MuscleDrivenTree("arm_on_table", ARM.tree, ARM.muscles, contacts=(hand,))
    # shoulder -45 deg, elbow 90 deg puts the hand 2.1 cm above y = 0: 9 mm indentation
    x = ca.DM([math.radians(-45), math.radians(90), 0.3, -0.2] + [0.2] * 6)
    u = ca.DM([0.1] * 6)
    assert float(ca.evalf(model.outputs(x, u)["grf_y_forearm"])) > 10.0
    xdot = model.dynamics(x, u)
    _, residual = model.implicit_dynamics(x, u, xdot[2:4])
    assert float(ca.norm_inf(ca.evalf(residual))) < 1e-9
