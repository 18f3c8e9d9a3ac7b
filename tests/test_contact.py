"""Smooth foot-ground contact: closed forms, derivatives, smoothness, standing."""
import math

import casadi as ca
import numpy as np
import pytest
from scipy.optimize import brentq

from ocp.models.contact import ContactSphere, friction_force, normal_force
from ocp.models.gait2d import Gait2DParameters, gait2d_torque, standing_height

SPHERE = ContactSphere("heel", "foot", (0.0, 0.0), 0.035)
d, v = ca.SX.sym("d"), ca.SX.sym("v")
FN = ca.Function("fn", [d, v], [normal_force(SPHERE, d, v)])


def test_deep_static_contact_follows_hertz():
    """F = 4/3 E* sqrt(R) d^(3/2) with E* = E / 2^(3/2) for the model's k = E^(2/3) / 2.

    The smoothing replaces d by sqrt(d^2 + 1e-5 m^2): negligible (< 0.1 %) once
    d is well beyond 3 mm.
    """
    for depth in (0.1, 0.2):
        hertz = 4.0 / 3.0 * SPHERE.stiffness_N_m2 / 2 ** 1.5 * math.sqrt(SPHERE.radius_m) \
            * depth ** 1.5
        assert float(FN(depth, 0.0)) == pytest.approx(hertz, rel=2e-3)


def test_hunt_crossley_damping_scales_the_force_by_one_plus_three_halves_c_v():
    """Away from the cut-off speed -2/(3c), where the tanh switch is within 1e-5 of one."""
    static = float(FN(0.01, 0.0))
    for speed in (-0.2, 0.1, 0.5):
        assert float(FN(0.01, speed)) / static == pytest.approx(
            1 + 1.5 * SPHERE.dissipation_s_m * speed, rel=1e-5)


def test_force_is_negligible_above_the_ground_and_smooth_through_touchdown():
    assert float(FN(-0.02, 0.0)) < 0.1  # N, 2 cm above the ground
    x = ca.SX.sym("x")
    f = normal_force(SPHERE, x, 0.3)
    d1 = ca.jacobian(f, x)
    d2 = ca.jacobian(d1, x)
    fun = ca.Function("f", [x], [f, d1, d2, ca.jacobian(d2, x)])
    grid = np.linspace(-0.01, 0.01, 20001)
    values = np.array(fun.map(grid.size)(grid)).reshape(4, -1)
    step = grid[1] - grid[0]
    for k in range(3):  # no jump in F, F', F'' (mean value bound)
        assert np.max(np.abs(np.diff(values[k]))) <= 1.0001 * np.max(np.abs(values[k + 1])) * step


def test_derivatives_match_finite_differences():
    J = ca.Function("J", [d, v], [ca.jacobian(normal_force(SPHERE, d, v), ca.vertcat(d, v))])
    for depth, speed in [(-0.003, 0.1), (0.0, -0.05), (0.004, 0.3), (0.012, -0.2)]:
        h = 1e-7
        fd = [(float(FN(depth + h, speed)) - float(FN(depth - h, speed))) / (2 * h),
              (float(FN(depth, speed + h)) - float(FN(depth, speed - h))) / (2 * h)]
        np.testing.assert_allclose(np.array(J(depth, speed)).ravel(), fd, rtol=1e-6, atol=1e-4)


def test_friction_opposes_slip_and_saturates_at_mu_times_normal_force():
    normal = 500.0
    assert float(friction_force(SPHERE, normal, 0.0)) == 0.0
    fast = float(friction_force(SPHERE, normal, 2.0))
    assert fast < 0
    expected = normal * (SPHERE.dynamic_friction * math.tanh(2.0 / 0.2)
                         + SPHERE.viscous_friction_s_m * 2.0)
    assert -fast == pytest.approx(expected, rel=1e-12)
    assert float(friction_force(SPHERE, normal, -2.0)) == pytest.approx(-fast)


def test_gait_model_segment_masses_add_up_to_body_mass():
    model = gait2d_torque(Gait2DParameters(body_mass_kg=80.0))
    assert sum(s.mass_kg for s in model.tree.segments) == pytest.approx(80.0, rel=1e-12)


def test_quiet_standing_ground_reaction_carries_body_weight():
    """Find the pelvis height where the four spheres carry the body: a few mm of indentation."""
    p = Gait2DParameters()
    model = gait2d_torque(p)
    x = ca.SX.sym("x", model.nx)
    outputs = model.outputs(x, ca.DM.zeros(model.nu))
    vertical = ca.Function("fy", [x], [outputs["grf_y_r"] + outputs["grf_y_l"]])

    def excess(height):
        state = np.zeros(model.nx)
        state[model.state_names.index("pelvis_ty")] = height
        return float(vertical(state)) - p.body_mass_kg * p.gravity_m_s2

    height = brentq(excess, standing_height(p) - 0.02, standing_height(p) + 0.01)
    sinking = standing_height(p) - height
    assert 0.0 < sinking < 0.01  # m


def test_a_learned_contact_model_drops_in_with_one_key(tmp_path):
    """[model] contact = surrogate: the walker's ground reactions at quiet standing stay
    within the surrogate's recorded accuracy of the analytic contact law (heel and toe
    per side, the toe's error scaled by sqrt(r_toe / r_heel) like its force)."""
    import ocp
    from conftest import PROBLEMS
    text = (PROBLEMS / "gait2d_torque.toml").read_text().replace(
        'name = "gait2d_torque"',
        'name = "gait2d_torque"\ncontact = "%s"'
        % (PROBLEMS / "surrogates" / "contact_heel_normal_force.casadi"))
    path = tmp_path / "walk.toml"
    path.write_text(text)
    learned = ocp.load_problem(path).model
    analytic = ocp.load_problem(PROBLEMS / "gait2d_torque.toml").model
    state = np.zeros(analytic.nx)
    state[analytic.state_names.index("pelvis_ty")] = standing_height(Gait2DParameters()) - 0.004
    state[analytic.state_names.index("pelvis_tx_speed")] = 0.05
    u = ca.DM.zeros(analytic.nu)
    recorded = learned.surrogates["contact"].metadata["training"]["validation_max_abs_error"]
    tolerance = recorded * (1 + np.sqrt(0.015 / 0.035))  # N; 15 N for the shipped one
    for side in ("r", "l"):
        a = float(ca.evalf(analytic.outputs(ca.DM(state), u)[f"grf_y_{side}"]))
        b = float(ca.evalf(learned.outputs(ca.DM(state), u)[f"grf_y_{side}"]))
        assert a > 100.0 and abs(a - b) < tolerance
