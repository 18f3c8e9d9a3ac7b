"""Muscle strengths identified from noisy synthetic kinematics (ocp.causal.identification)."""
import math

import numpy as np
import pytest
from scipy.optimize import least_squares

import ocp
from ocp import Problem, ProblemError, SquaredControls, Tracking
from ocp.causal.answers import simulator
from ocp.causal.identification import identify_strengths, with_strength_parameters
from ocp.causal.interventions import ScaleMaxForce, intervene
from ocp.models.library import build_model

T, DT = 0.5, 0.01
TRUE = {"BRA": 0.8, "TRIlat": 1.2}  # 20 % off the model's own strengths


def _excitations(t):
    bump = lambda c, w: np.exp(-((t - c) / w) ** 2)  # noqa: E731
    return {"DELTant_excitation": 0 * t, "DELTpost_excitation": 0.05 * bump(0.25, 0.1),
            "BRA_excitation": 0.15 * bump(0.15, 0.07), "TRIlat_excitation": 0.2 * bump(0.32, 0.07),
            "BIClong_excitation": 0.05 * bump(0.2, 0.1),
            "TRIlong_excitation": 0.05 * bump(0.35, 0.1)}


def _data(model, t, ex, strengths, noise_rad, seed=1):
    base = Problem(model=model, final_time=T)
    base.minimize(SquaredControls("e"))
    true = intervene(base, [ScaleMaxForce(m, s) for m, s in strengths.items()])
    x0 = np.zeros(true.model.nx)
    x0[:2] = math.radians(30), math.radians(90)
    u = lambda s: np.array([np.interp(s, t, ex[n]) for n in true.model.control_names])  # noqa
    X = simulator(true.model)(t, x0, u)
    rng = np.random.default_rng(seed)
    return {c: X[:, i] + noise_rad * rng.standard_normal(t.size)
            for i, c in enumerate(("shoulder", "elbow"))}, x0, u


def test_bounds_that_exclude_the_model_value_are_refused():
    problem = Problem(model=build_model("six_muscle_arm"), final_time=T)
    problem.minimize(SquaredControls("e"))
    with pytest.raises(ProblemError, match="exclude the model's own value"):
        with_strength_parameters(problem, {"BRA": (1.5, 2.0)})
    with pytest.raises(ProblemError, match="no muscles"):
        with_strength_parameters(problem, {"BRAA": (0.5, 2.0)})


@pytest.mark.slow
def test_arm_strengths_come_back_from_noisy_kinematics():
    model = build_model("six_muscle_arm", None, None, passive_fiber_force=False)
    t = np.arange(0.0, T + 1e-9, DT)
    ex = _excitations(t)
    data, x0, u = _data(model, t, ex, TRUE, math.radians(1.0))
    problem = Problem(model=model, final_time=T, transcription=ocp.HermiteSimpson(25))
    problem.minimize(Tracking("fit", 1.0, reference={c: (t, v) for c, v in data.items()}))
    for n in model.state_names:
        if n.endswith("_activation") or n.endswith("_speed"):
            problem.initial[n] = 0.0
    bounds = {"BRA": (0.3, 3.0), "TRIlat": (0.3, 3.0), "DELTant": (0.3, 3.0)}
    result = identify_strengths(problem, bounds, DT, excitations={k: (t, v) for k, v in ex.items()})
    print(result.report())
    assert result.solution.success
    for m, true in TRUE.items():
        e = result.estimates[f"{m}_strength"]
        assert e.identifiable
        assert abs(e.value - true) < 0.05 * true
        assert abs(e.value - true) < 3 * e.standard_error  # the standard error covers the truth
    # DELTant is never excited: the data say nothing about its strength
    assert not result.estimates["DELTant_strength"].identifiable
    assert any("DELTant_strength" in w for w in result.warnings)
    # second method: single shooting over the data samples, scipy least squares over the
    # same unknowns (both strengths and the two initial angles; DELTant has no effect);
    # Gauss-Newton covariance sigma^2 (J^T J)^-1
    base = Problem(model=model, final_time=T)
    base.minimize(SquaredControls("e"))
    measured = np.concatenate([data["shoulder"], data["elbow"]])

    def residuals(p):
        bra, tri, q_s, q_e = p
        run = simulator(intervene(base, [ScaleMaxForce("BRA", bra),
                                         ScaleMaxForce("TRIlat", tri)]).model)
        start = x0.copy()
        start[:2] = q_s, q_e
        X = run(t, start, u)
        return np.concatenate([X[:, 0], X[:, 1]]) - measured

    fit = least_squares(residuals, [1.0, 1.0, x0[0], x0[1]], diff_step=1e-6, xtol=1e-10)
    sigma2 = np.sum(fit.fun ** 2) / (fit.fun.size - 4)
    cov = sigma2 * np.linalg.inv(fit.jac.T @ fit.jac)
    for k, m in enumerate(("BRA", "TRIlat")):
        e = result.estimates[f"{m}_strength"]
        se = math.sqrt(cov[k, k])
        print(f"{m} strength: NLP {e.value:.4f} +- {e.standard_error:.4f}; "
              f"shooting least squares {fit.x[k]:.4f} +- {se:.4f}")
        assert abs(fit.x[k] - e.value) < 0.5 * se
        assert 0.7 * se < e.standard_error < 1.4 * se
