"""Passive joint moments (Anderson 1999 soft stops plus damping): closed form, derivatives,
inputs."""
import math

import casadi as ca
import numpy as np
import pytest
from conftest import PROBLEMS

import ocp
from ocp.models.gait2d import Gait2DParameters, gait2d_torque
from ocp.models.passive import ANDERSON_1999, PassiveJointMoment

KNEE = ANDERSON_1999["knee_angle"]
q, qd = ca.SX.sym("q"), ca.SX.sym("qd")


def test_knee_moment_is_anderson_s_closed_form():
    """M = -6.09 e^(33.94 (q - 0.13)) + 11.03 e^(-11.33 (q + 2.4)) - 0.1 q' (N m)."""
    for angle, speed in [(0.13, 0.0), (0.0, 2.0), (-1.0, -3.0), (-2.4, 0.5), (0.2, 0.0)]:
        expected = (-6.09 * math.exp(33.94 * (angle - 0.13))
                    + 11.03 * math.exp(-11.33 * (angle + 2.4)) - 0.1 * speed)
        assert float(KNEE.moment(angle, speed)) == pytest.approx(expected, rel=1e-12)
    # at the upper limit the extension stop gives k1 (plus a negligible flexion term)
    assert float(KNEE.moment(0.13, 0.0)) == pytest.approx(-6.09, abs=1e-9)


def test_stops_resist_leaving_the_range_of_motion():
    for joint, element in ANDERSON_1999.items():
        beyond_upper = float(element.moment(element.theta_up_rad + 0.1, 0.0))
        beyond_lower = float(element.moment(element.theta_low_rad - 0.1, 0.0))
        assert beyond_upper < 0 < beyond_lower, joint


def test_derivatives_are_the_analytic_ones_and_match_finite_differences():
    """dM/dq = k1 k2 e^(k2 (q - up)) + k3 k4 e^(k4 (q - low)); dM/dq' = -d."""
    e = KNEE
    jac = ca.Function("J", [q, qd], [ca.jacobian(e.moment(q, qd), ca.vertcat(q, qd))])
    for angle, speed in [(0.1, 1.0), (-0.5, -2.0), (-2.3, 0.0)]:
        analytic = [e.k1_Nm * e.k2_1_rad * math.exp(e.k2_1_rad * (angle - e.theta_up_rad))
                    + e.k3_Nm * e.k4_1_rad * math.exp(e.k4_1_rad * (angle - e.theta_low_rad)),
                    -e.damping_Nm_s_rad]
        np.testing.assert_allclose(np.array(jac(angle, speed)).ravel(), analytic, rtol=1e-12)
        h = 1e-6
        fd = (float(e.moment(angle + h, speed)) - float(e.moment(angle - h, speed))) / (2 * h)
        assert fd == pytest.approx(analytic[0], rel=1e-6, abs=1e-8)


def test_gait_model_adds_the_passive_moments_to_the_actuators():
    p = Gait2DParameters()
    plain, passive = gait2d_torque(p), gait2d_torque(p, passive_joint_moments="anderson1999")
    rng = np.random.default_rng(1)
    x = rng.uniform(-0.5, 0.3, plain.nx)
    u = rng.uniform(-1, 1, plain.nu)
    difference = np.array(passive.joint_torques(x, u) - plain.joint_torques(x, u)).ravel()
    coords = plain.tree.coordinates
    n = len(coords)
    for k, c in enumerate(coords):
        joint = c.rsplit("_", 1)[0]
        expected = float(ANDERSON_1999[joint].moment(x[k], x[n + k])) if joint in ANDERSON_1999 \
            else 0.0
        assert difference[k] == pytest.approx(expected, rel=1e-12, abs=1e-12), c
    out = passive.outputs(x, u)
    assert float(out["knee_angle_r_passive_moment"]) == pytest.approx(
        float(KNEE.moment(x[coords.index("knee_angle_r")], x[n + coords.index("knee_angle_r")])))
    assert passive.output_units()["knee_angle_r_passive_moment"] == "N*m"


def test_an_unknown_passive_moment_set_is_named_with_the_choices():
    with pytest.raises(ocp.ProblemError, match=r"passive_joint_moments.*'anderson1999'"):
        ocp.load_problem(PROBLEMS / "gait2d_torque.toml",
                         {"model.passive_joint_moments": "andersen1999"})


def test_passive_moments_on_a_model_without_them_are_refused():
    with pytest.raises(ocp.ProblemError, match="passive_joint_moments"):
        ocp.load_problem(PROBLEMS / "pendulum_swingup.toml",
                         {"model.passive_joint_moments": "anderson1999"})


def test_a_stop_that_pushes_out_of_the_range_is_refused():
    with pytest.raises(ValueError, match="k1 <= 0 <= k2"):
        PassiveJointMoment(6.09, 33.94, 11.03, -11.33, -2.4, 0.13).check("knee_angle_r")
