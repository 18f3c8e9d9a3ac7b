"""Smooth foot-ground contact: closed forms, derivatives, smoothness, standing."""
import math

import casadi as ca
import numpy as np
import pytest
from scipy.optimize import brentq

from ocp.models.contact import ContactSphere, friction_force, normal_force, smooth_min_one
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


#: OpenSim's law (.osim models) with a Stribeck peak: mu_s = 1.2 > mu_d = 0.8
STRIBECK = ContactSphere("heel", "foot", (0.0, 0.0), 0.035, friction_law="opensim",
                         static_friction=1.2)
COULOMB = ContactSphere("heel", "foot", (0.0, 0.0), 0.035, friction_law="opensim")


def opensims_friction(s, normal, v):
    """SmoothSphereHalfSpaceForce's friction, its min(v_rel, 1) kink included."""
    v_slip = math.sqrt(v * v + s.derivative_smoothing)
    x = v_slip / s.transition_velocity_m_s
    mu_d = s.dynamic_friction
    mu_s = mu_d if s.static_friction is None else s.static_friction
    return -normal * (min(x, 1.0) * (mu_d + 2 * (mu_s - mu_d) / (1 + x * x))
                      + s.viscous_friction_s_m * v_slip) * v / v_slip


def test_own_models_keep_the_tanh_law_and_unknown_laws_are_refused():
    assert SPHERE.friction_law == "tanh"
    assert all(s.friction_law == "tanh" for s in gait2d_torque(Gait2DParameters()).contacts)
    with pytest.raises(ValueError, match="friction_law must be one of"):
        ContactSphere("heel", "foot", (0.0, 0.0), 0.035, friction_law="coulomb").check()


def test_smooth_min_error_is_w_t_over_one_plus_exp_2t_and_peaks_at_0_139_w():
    """m(x) - min(x, 1) = w g(t), g(t) = t / (1 + e^(2t)), t = |x - 1| / w: zero at
    x = 1, largest where 1 + e^(2t) = 2t e^(2t) (t* = 0.6392, g = 0.1392 w), below
    t e^(-2t) w, 2.1e-10 for w = 0.01 and t >= 10."""
    w = 1e-2
    x = np.concatenate([np.linspace(0.0, 3.0, 3001), [1.0]])
    ours = np.array(ca.evalf(smooth_min_one(ca.DM(x), w))).ravel()
    t = np.abs(x - 1) / w
    np.testing.assert_allclose(ours - np.minimum(x, 1), w * t / (1 + np.exp(2 * t)),
                               rtol=0, atol=1e-15)
    assert float(smooth_min_one(1.0, w)) == 1.0
    t_star = brentq(lambda s: 1 + math.exp(2 * s) - 2 * s * math.exp(2 * s), 0.1, 2.0)
    assert t_star == pytest.approx(0.6392, abs=1e-4)
    assert t_star / (1 + math.exp(2 * t_star)) == pytest.approx(0.1392, abs=1e-4)
    assert w * 10 * math.exp(-20) < 2.1e-10


def test_opensim_friction_law_is_opensims_away_from_its_kink():
    """To 1e-12 of F_N wherever |v_rel - 1| >= 0.15: zero at rest, the Stribeck rise
    while sticking, fast slip; and in closed form without a Stribeck peak (mu_s = mu_d):
    linear, F = -F_N v (mu_d / v_t + mu_v), below the kink."""
    normal = 500.0
    v_t, c_f = STRIBECK.transition_velocity_m_s, STRIBECK.derivative_smoothing
    assert float(friction_force(STRIBECK, normal, 0.0)) == 0.0
    checked = 0
    for v in np.concatenate([np.linspace(-4.0, 4.0, 801), np.geomspace(1e-6, 0.1, 50)]):
        x = math.sqrt(v * v + c_f) / v_t
        if abs(x - 1) < 0.15:
            continue
        checked += 1
        for s in (STRIBECK, COULOMB):
            assert float(friction_force(s, normal, v)) == pytest.approx(
                opensims_friction(s, normal, v), abs=1e-12 * normal)
        if x < 1:
            assert float(friction_force(COULOMB, normal, v)) == pytest.approx(
                -normal * v * (COULOMB.dynamic_friction / v_t + COULOMB.viscous_friction_s_m),
                rel=1e-12, abs=1e-12 * normal)
    assert checked > 800


def test_opensim_friction_reaches_the_static_peak_at_the_kink_and_stays_close_to_it():
    """At v_rel = 1 the smooth minimum is exact: |F| = F_N (mu_s + mu_v v_t) |v| / v_t;
    inside the band the difference to OpenSim is F_N w g(t) (mu_d + 2 (mu_s - mu_d) /
    (1 + x^2)) |v| / v_slip (previous test's g), about 0.14 w mu_s F_N at most."""
    normal, s = 500.0, STRIBECK
    v_t, c_f, w = s.transition_velocity_m_s, s.derivative_smoothing, s.friction_kink_smoothing
    v_kink = math.sqrt(v_t ** 2 - c_f)
    peak = normal * (s.static_friction + s.viscous_friction_s_m * v_t) * v_kink / v_t
    assert -float(friction_force(s, normal, v_kink)) == pytest.approx(peak, rel=1e-14)
    worst = 0.0
    for x in np.linspace(0.85, 1.15, 601):
        v = math.sqrt((x * v_t) ** 2 - c_f)
        x = math.sqrt(v * v + c_f) / v_t
        t = abs(x - 1) / w
        expected = normal * w * t / (1 + math.exp(2 * t)) \
            * (s.dynamic_friction + 2 * (s.static_friction - s.dynamic_friction) / (1 + x * x)) \
            * v / (x * v_t)
        difference = opensims_friction(s, normal, v) - float(friction_force(s, normal, v))
        assert abs(abs(difference) - expected) <= 1e-12 * normal
        worst = max(worst, abs(difference))
    # the factor falls with x: within the band it is at most its value at x = 0.9
    largest = s.dynamic_friction + 2 * (s.static_friction - s.dynamic_friction) / (1 + 0.9 ** 2)
    assert 0.99 * 0.1392 * w * s.static_friction * normal <= worst <= 0.1393 * w * largest * normal


@pytest.mark.parametrize("centre", ["zero_slip", "kink"])
def test_opensim_friction_is_smooth_through_zero_slip_and_the_kink(centre):
    """F, F', F'' and F''' jump nowhere (mean value bound on a fine grid); F'(0) is
    -F_N ((mu_d + 2 (mu_s - mu_d) / (1 + c_f / v_t^2)) / v_t + mu_v)."""
    normal, s = 500.0, STRIBECK
    v_t, c_f = s.transition_velocity_m_s, s.derivative_smoothing
    v = ca.SX.sym("v")
    f = friction_force(s, normal, v)
    d1 = ca.jacobian(f, v)
    d2 = ca.jacobian(d1, v)
    fun = ca.Function("f", [v], [f, d1, d2, ca.jacobian(d2, v)])
    middle = 0.0 if centre == "zero_slip" else math.sqrt(v_t ** 2 - c_f)
    grid = np.linspace(middle - 0.02, middle + 0.02, 20001)
    values = np.array(fun.map(grid.size)(grid)).reshape(4, -1)
    assert np.all(np.isfinite(values))
    step = grid[1] - grid[0]
    for k in range(3):  # no jump in F, F', F'' (mean value bound)
        assert np.max(np.abs(np.diff(values[k]))) <= 1.0001 * np.max(np.abs(values[k + 1])) * step
    if centre == "zero_slip":
        slope = -normal * ((s.dynamic_friction + 2 * (s.static_friction - s.dynamic_friction)
                            / (1 + c_f / v_t ** 2)) / v_t + s.viscous_friction_s_m)
        assert float(fun(0.0)[1]) == pytest.approx(slope, rel=1e-12)


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
    from conftest import PROBLEMS

    import ocp
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
