"""The De Groote et al. (2016) muscle curves: published points, smoothness, OpenSim."""
import importlib.util
import json
import subprocess
import sys

import casadi as ca
import numpy as np
import pytest
from conftest import ROOT
from scipy.integrate import solve_ivp

from ocp.models.muscles.activation import activation_rate
from ocp.models.muscles.curves import (
    DE_GROOTE_2016,
    OPENSIM_2016,
    active_force_length,
    force_velocity,
    passive_force_length,
    tendon_force_length,
    tendon_length_from_force,
    tendon_stiffness_shape,
)


def value(expr):
    return float(ca.evalf(expr))


def test_published_curves_pass_near_their_key_points():
    """The supplement's rounded constants: f_L(1) = 1, f_V(0) = 1, f_V(-1) = 0,
    f_T = 1 at 4.74 %."""
    p = DE_GROOTE_2016
    assert value(active_force_length(1.0, p)) == pytest.approx(1.0, abs=1e-3)
    assert value(force_velocity(0.0, p)) == pytest.approx(1.0, abs=3e-3)
    assert value(force_velocity(-1.0, p)) == pytest.approx(0.0, abs=0.013)
    # kT = 35 in the paper: unit tendon force at a strain of 4.74 %
    assert value(tendon_force_length(1.0474, 35.0, p)) == pytest.approx(1.0, abs=2e-3)
    assert value(passive_force_length(1.6, p)) == pytest.approx(1.0, abs=1e-12)
    assert value(passive_force_length(1.0, p)) == pytest.approx(0.0, abs=1e-12)


def test_refitted_curves_pass_exactly_through_their_key_points():
    p = OPENSIM_2016
    kT = tendon_stiffness_shape(0.049, p)
    assert value(active_force_length(1.0, p)) == pytest.approx(1.0, abs=1e-12)
    assert value(force_velocity(0.0, p)) == pytest.approx(1.0, abs=1e-12)
    assert value(force_velocity(-1.0, p)) == pytest.approx(0.0, abs=1e-12)
    assert value(tendon_force_length(1.049, kT, p)) == pytest.approx(1.0, abs=1e-12)
    assert value(tendon_force_length(1.0, kT, p)) == pytest.approx(0.0, abs=1e-12)
    assert value(passive_force_length(0.2, p)) == pytest.approx(0.0, abs=1e-12)
    # eccentric plateau of about 1.8 (Hill-type models: 1.4 to 1.8 F_max)
    assert 1.75 < value(force_velocity(1.0, p)) < 1.85
    # the tendon curve and its inverse agree
    assert value(tendon_length_from_force(tendon_force_length(1.03, kT, p), kT, p)) == \
        pytest.approx(1.03, abs=1e-14)


@pytest.mark.parametrize("curve, lo, hi", [
    (lambda x: active_force_length(x), 0.2, 1.8),
    (lambda x: passive_force_length(x), 0.2, 1.8),
    (lambda x: force_velocity(x), -1.0, 1.0),
    (lambda x: tendon_force_length(x, 35.0), 0.95, 1.1),
], ids=["active_force_length", "passive_force_length", "force_velocity", "tendon"])
def test_curves_have_continuous_first_and_second_derivatives(curve, lo, hi):
    x = ca.SX.sym("x")
    f = curve(x)
    d1 = ca.jacobian(f, x)
    d2 = ca.jacobian(d1, x)
    derivs = ca.Function("d", [x], [f, d1, d2, ca.jacobian(d2, x)])
    grid = np.linspace(lo, hi, 16001)
    values = np.array(derivs.map(grid.size)(grid)).reshape(4, -1)
    assert np.all(np.isfinite(values))
    step = grid[1] - grid[0]
    # No jumps: by the mean value theorem a neighbouring difference of f^(k) is
    # at most max|f^(k+1)| * step; a jump in f, f' or f'' would break that.
    for k in range(3):
        bound = np.max(np.abs(values[k + 1])) * step
        assert np.max(np.abs(np.diff(values[k]))) <= 1.0001 * bound + 1e-15
    # first derivative from AD equals finite differences of the curve
    fd = np.gradient(values[0], step)
    np.testing.assert_allclose(values[1][1:-1], fd[1:-1], atol=1e-4 * max(1, np.abs(fd).max()))


def winters_activation(t, a, e, tau_a=0.015, tau_d=0.060):
    """The non-smooth first-order activation the smooth one approximates (with an if)."""
    scale = 0.5 + 1.5 * a
    tau = tau_a * scale if e > a else tau_d / scale
    return (e - a) / tau


def test_smooth_activation_follows_the_piecewise_model_and_deactivates_slower():
    e_of_t = lambda t: 1.0 if t < 0.15 else 0.0  # noqa: E731
    smooth = lambda t, a: [float(activation_rate(e_of_t(t), a[0]))]  # noqa: E731
    piecewise = lambda t, a: [winters_activation(t, a[0], e_of_t(t))]  # noqa: E731
    t = np.linspace(0, 0.4, 401)
    kw = dict(t_eval=t, rtol=1e-10, atol=1e-12, max_step=1e-3)
    a_s = solve_ivp(smooth, (0, 0.4), [0.0], **kw).y[0]
    a_p = solve_ivp(piecewise, (0, 0.4), [0.0], **kw).y[0]
    # they agree while excitation and activation are far apart; the smooth
    # switch blends the two time constants only when |e - a| is small
    e = np.array([e_of_t(ti) for ti in t])
    far = np.abs(e - a_p) > 0.3
    assert np.max(np.abs(a_s - a_p)[far]) < 0.02
    rise = t[np.argmax(a_s > 0.9)]                    # from 0 to 90 %
    fall = t[np.argmax((t > 0.15) & (a_s < 0.1))] - 0.15  # from ~1 to 10 %
    assert rise < 0.06 and fall > 2 * rise


pytestmark_opensim = pytest.mark.skipif(importlib.util.find_spec("opensim") is None,
                                        reason="opensim is not installed")


@pytestmark_opensim
def test_curves_match_opensim_degrootefregly2016muscle():
    grid = {"lengths": np.linspace(0.3, 1.7, 29).tolist(),
            "velocities": np.linspace(-1.0, 1.0, 21).tolist(),
            "tendon_lengths": np.linspace(1.0, 1.06, 13).tolist(), "activation": 0.7}
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "opensim_muscle_curves.py"),
                           json.dumps(grid)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    ref = json.loads(done.stdout.strip().splitlines()[-1])
    kT = tendon_stiffness_shape(ref["tendon_strain_at_one_norm_force"])
    lengths, velocities = np.array(grid["lengths"]), np.array(grid["velocities"])
    ours = {
        "active_force_length": [value(active_force_length(x)) for x in lengths],
        "passive_force_length": [value(passive_force_length(x)) for x in lengths],
        "force_velocity": [value(force_velocity(v)) for v in velocities],
        "tendon_force_length": [value(tendon_force_length(x, kT))
                                for x in grid["tendon_lengths"]],
        "fiber_force": [[0.7 * value(active_force_length(x)) * value(force_velocity(v))
                         + value(passive_force_length(x)) for v in velocities] for x in lengths],
    }
    for key, values in ours.items():
        np.testing.assert_allclose(values, ref[key], rtol=1e-12, atol=1e-14, err_msg=key)
