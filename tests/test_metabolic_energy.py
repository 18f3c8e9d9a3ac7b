"""Metabolic energy rates against the closed forms of their papers, and the cost term.

Each model is evaluated at states where its switches are settled (a sharp
``b``) and compared with the formula of the paper written out by hand:
Bhargava et al. 2004's isometric activation + maintenance heat (40 + 74 and
133 + 111 W/kg for slow and fast fibres), the shortening heat
``(0.16 F_iso + 0.18 F)|v|`` and work ``-F v``; Umberger et al. 2003's
isometric ``(1.28 %FT + 25) x 1.5`` W/kg and shortening heat
``(alpha_ST f_ST + alpha_FT f_FT)|v| x 1.5``; the clamps (heat at least
1 W/kg, total not negative); Uchida et al. 2016's recruitment.
"""
import math

import casadi as ca
import numpy as np
import pytest
from bad_input import edited, no_solve, refused_in_one_line, solve_args  # noqa: F401
from conftest import ROOT

from ocp.costs.metabolic_energy import MetabolicEnergy, model_mass_kg
from ocp.io.problem_file import load_problem
from ocp.models.muscles.curves import active_force_length
from ocp.models.muscles.metabolics import (
    FiberState,
    MetabolicMuscle,
    bhargava2004,
    recruited_slow_share,
    uchida2016,
    umberger2010,
)
from ocp.models.muscles.predsim_defaults import predsim_properties

SHARP = 1e4          # b: every tanh switch settled at the states below
F_MAX, L_OPT, VMAX = 1000.0, 0.1, 10.0
MUSCLE = MetabolicMuscle("m", F_MAX, L_OPT, VMAX, slow_twitch_fraction=0.6)
MASS = F_MAX / 0.25e6 * 1059.7 * L_OPT    # PCSA x density x l_opt, kg


def state(e=1.0, a=1.0, l_norm=1.0, v=0.0, f_active=800.0, f_passive=0.0, f_l=1.0):
    return FiberState(e, a, l_norm, v, f_active, f_passive, f_l)


def value(x):
    return float(ca.DM(x))


def test_muscle_mass_is_pcsa_times_density_times_optimal_length():
    assert MUSCLE.muscle_mass_kg == pytest.approx(0.42388, rel=1e-12)
    assert MUSCLE.muscle_mass_kg == pytest.approx(MASS)


def test_bhargava_isometric_heat_is_activation_plus_maintenance_constants():
    f = MUSCLE.slow_twitch_fraction
    r = bhargava2004(MUSCLE, state(), SHARP)
    assert value(r.activation_W) == pytest.approx(MASS * (40 * f + 133 * (1 - f)), rel=1e-12)
    assert value(r.maintenance_W) == pytest.approx(MASS * (74 * f + 111 * (1 - f)), rel=1e-12)
    assert value(r.shortening_W) == 0 and value(r.work_W) == 0
    assert value(r.total_W) == pytest.approx(MASS * (114 * f + 244 * (1 - f)), rel=1e-12)


def test_bhargava_shortening_heat_and_work_at_a_known_velocity():
    v, fce, fpe, f_l, a = -0.3, 500.0, 40.0, 0.9, 0.8
    r = bhargava2004(MUSCLE, state(a=a, e=a, v=v, f_active=fce, f_passive=fpe, f_l=f_l), SHARP)
    f_iso = a * f_l * F_MAX
    assert value(r.shortening_W) == pytest.approx((0.16 * f_iso + 0.18 * (fce + fpe)) * -v,
                                                  rel=1e-12)
    assert value(r.work_W) == pytest.approx(-fce * v, rel=1e-12)   # work rate = -F v
    parts = r.activation_W + r.maintenance_W + r.shortening_W + r.work_W
    assert value(r.total_W) == pytest.approx(value(parts), rel=1e-12)


def test_bhargava_lengthening_fast_keeps_the_heat_at_its_floor_of_one_watt_per_kg():
    # 0.157 F v of lengthening heat outweighs activation and maintenance: the total
    # is raised to zero, then the heat to 1 W/kg (no work is done on a lengthening fibre)
    r = bhargava2004(MUSCLE, state(e=0.2, a=0.2, v=0.5, f_active=1500.0), SHARP)
    assert value(r.work_W) == 0
    assert value(r.total_W) == pytest.approx(MASS * 1.0, rel=1e-9)


def test_umberger_isometric_activation_maintenance_heat():
    f_fast = 1 - MUSCLE.slow_twitch_fraction
    for model in (umberger2010, uchida2016):   # at e = 1 Uchida recruits the muscle's fraction
        r = model(MUSCLE, state(), SHARP)
        assert value(r.activation_W) == pytest.approx(MASS * (128 * f_fast + 25) * 1.5,
                                                      rel=1e-7)
        assert value(r.shortening_W) == pytest.approx(0, abs=1e-9)


def test_umberger_shortening_heat_and_positive_work_at_a_known_velocity():
    f = MUSCLE.slow_twitch_fraction
    v_lopt = -VMAX / 2                       # half the maximum speed, l_opt/s
    v = v_lopt * L_OPT
    r = umberger2010(MUSCLE, state(v=v, f_active=300.0), SHARP)
    alpha_st, alpha_ft = 100 / (VMAX / 2.5), 153 / VMAX
    assert value(r.shortening_W) == pytest.approx(
        MASS * (alpha_st * f + alpha_ft * (1 - f)) * -v_lopt * 1.5, rel=1e-12)
    assert value(r.work_W) == pytest.approx(-300.0 * v, rel=1e-12)


def test_lengthening_heat_and_negative_work_umberger_2010_against_uchida_2016():
    v_lopt, fce = 2.0, 500.0
    alpha_st = 100 / (VMAX / 2.5)
    s = state(v=v_lopt * L_OPT, f_active=fce)
    r2010, r2016 = umberger2010(MUSCLE, s, SHARP), uchida2016(MUSCLE, s, SHARP)
    assert value(r2010.shortening_W) == pytest.approx(MASS * 0.3 * alpha_st * v_lopt * 1.5,
                                                      rel=1e-12)
    assert value(r2010.work_W) == 0                                    # positive work only
    assert value(r2016.work_W) == pytest.approx(-fce * v_lopt * L_OPT, rel=1e-12)
    # Uchida's total: activation-maintenance + 4 alpha_ST v A S + negative work, >= 0
    expected = (value(r2016.activation_W) + MASS * 4 * alpha_st * v_lopt * 1.5
                - fce * v_lopt * L_OPT)
    assert expected > 0
    assert value(r2016.total_W) == pytest.approx(expected, rel=1e-9)


def test_uchida_total_is_never_negative_when_negative_work_dominates():
    r = uchida2016(MUSCLE, state(e=0.1, a=0.1, v=5.0 * L_OPT, f_active=2000.0), SHARP)
    assert value(r.total_W) == pytest.approx(0.0, abs=1e-9)


def test_deactivating_muscle_uses_the_mean_of_excitation_and_activation():
    f_fast = 1 - MUSCLE.slow_twitch_fraction
    r = umberger2010(MUSCLE, state(e=0.2, a=0.6), SHARP)
    assert value(r.activation_W) == pytest.approx(
        MASS * (128 * f_fast + 25) * 0.4 ** 0.6 * 1.5, rel=1e-6)


def test_uchida_recruitment_share_of_slow_fibres():
    f = 0.3
    assert value(recruited_slow_share(1.0, f)) == pytest.approx(f, rel=1e-12)
    assert value(recruited_slow_share(0.0, f)) == 1.0
    e = 0.5
    slow, fast = f * math.sin(math.pi * e / 2), (1 - f) * (1 - math.cos(math.pi * e / 2))
    assert value(recruited_slow_share(e, f)) == pytest.approx(slow / (slow + fast), rel=1e-12)


def test_smoothed_rates_are_differentiable_at_the_switches():
    e, v = ca.SX.sym("e"), ca.SX.sym("v")
    for model in (bhargava2004, umberger2010, uchida2016):
        total = model(MUSCLE, state(e=e, a=e, v=v, f_active=500.0)).total_W
        grad = ca.Function("g", [e, v], [ca.gradient(total, ca.vertcat(e, v))])
        for point in [(0.0, 0.0), (0.5, 0.0), (1.0, -0.2), (0.3, 0.4)]:
            assert np.all(np.isfinite(np.array(grad(*point)))), (model.__name__, point)


def test_predsim_defaults_cover_the_falisse_muscles_on_both_sides():
    assert predsim_properties("soleus_r") == predsim_properties("soleus_l") == (0.803, 0.62703e6)
    assert predsim_properties("not_a_muscle_r") is None


ARM = ROOT / "problems" / "arm_reach_muscles.toml"
METABOLIC = """[costs.metabolic]
type = "metabolic_energy"
model = "umberger2010"
slow_twitch_fraction = 0.5
[costs.metabolic.muscles.BRA]
slow_twitch_fraction = 0.7
specific_tension = "0.6 MPa"

[costs.activation]"""


def test_cost_from_a_problem_file_is_the_sum_of_the_muscle_rates_per_kg(tmp_path):
    problem = load_problem(edited(tmp_path, ARM, "[costs.activation]", METABOLIC))
    term = next(t for t in problem.costs if isinstance(t, MetabolicEnergy))
    model = problem.model
    assert term.muscle_properties["BRA"] == {"slow_twitch_fraction": 0.7,
                                             "specific_tension_Pa": 0.6e6}
    assert term.muscle_properties["BIClong"]["slow_twitch_fraction"] == 0.5
    x = ca.DM(np.random.default_rng(1).uniform(0.2, 0.8, model.nx))
    u = ca.DM(np.random.default_rng(2).uniform(0.2, 0.8, model.nu))

    class Point:   # the variables a cost term reads
        pass
    v = Point()
    v.model, v.x, v.u = model, x, u
    by_hand = 0.0
    for m, (s, _) in zip(term.metabolic_muscles(model), model.muscle_states(x, u)):
        a = value(model.activations(x, u)[[mm.name for mm in model.muscles].index(m.name)])
        fiber = FiberState(a, a, s.fiber_length_norm,
                           s.fiber_velocity_norm * m.max_contraction_velocity_lopt_per_s
                           * m.optimal_fiber_length_m, s.active_fiber_force_N,
                           s.passive_fiber_force_N,
                           active_force_length(s.fiber_length_norm, model.curves))
        by_hand += value(umberger2010(m, fiber).total_W)
    assert value(term.integrand(v)) == pytest.approx(by_hand / model_mass_kg(model), rel=1e-12)
    assert term.value_unit(model) == "J/kg"


def test_a_muscle_without_its_fibre_type_fraction_is_refused_in_one_line(
        tmp_path, capsys, no_solve):  # noqa: F811
    text = METABOLIC.replace("slow_twitch_fraction = 0.5\n", "")
    path = edited(tmp_path, ARM, "[costs.activation]", text)
    refused_in_one_line(solve_args(path), ["problem.toml", "DELTant",
                                           "costs.metabolic.muscles.DELTant.slow_twitch_fraction"],
                        capsys)


def test_an_unknown_muscle_in_the_metabolic_table_is_refused(tmp_path, capsys,
                                                            no_solve):  # noqa: F811
    path = edited(tmp_path, ARM, "[costs.activation]",
                  METABOLIC.replace("muscles.BRA]", "muscles.BRAA]"))
    refused_in_one_line(solve_args(path), ["BRAA", "BRA"], capsys)


MODELS3D = ROOT.parent / "shared" / "data" / "models3d"


@pytest.mark.parametrize("name", ["Falisse_et_al_2022.osim", "gait2392_millard2012muscle.osim"])
def test_predsim_preset_gives_every_muscle_of_the_gait2392_family_its_fibre_types(name):
    import re
    path = MODELS3D / name
    if not path.exists():
        pytest.skip("../shared/data is absent")
    muscles = re.findall(r'<(?:DeGrooteFregly2016|Millard2012Equilibrium|Thelen2003)Muscle '
                         r'name="([^"]+)"', path.read_text())
    muscles = [m for m in muscles if m != "default"]
    assert len(muscles) >= 86
    missing = [m for m in muscles if predsim_properties(m) is None]
    assert not missing
