"""The triple pendulum model kind, joint damping as an estimable number, and the NLP's
identification of the multibody PINN's chain (problems/triple_pendulum_identify.toml).

References: learned_components.tree_data.rnea (a separate batched Newton-Euler) plus
the damping for the equations of motion; the simulated chain's true parameters for
the identification.
"""
import casadi as ca
import numpy as np
import pytest

import ocp
from learned_components.tree_data import chain_parents, rnea
from ocp.estimation.names import model_numbers, parametrised, with_values
from ocp.models.library import build_model

PROBLEM = __import__("pathlib").Path(__file__).parent.parent / "problems" \
    / "triple_pendulum_identify.toml"
TRUE = {"segment.link1.mass": 2.0, "segment.link2.mass": 1.5, "segment.link3.mass": 0.6,
        "segment.link1.inertia": 0.020, "segment.link2.inertia": 0.012,
        "segment.link3.inertia": 0.003, "joint.shoulder.damping": 0.30,
        "joint.elbow.damping": 0.20, "joint.wrist.damping": 0.05}


def newton_euler_torques(q, qd, qdd):
    """tau = ID(q, q', q'') + b q' of the default chain, by tree_data.rnea."""
    B = q.shape[0]
    joint = np.zeros((B, 3, 2))
    joint[:, 1:, 1] = -np.array([0.30, 0.28])
    com = np.zeros((B, 3, 2))
    com[:, :, 1] = -np.array([0.13, 0.12, 0.08])
    rep = lambda v: np.tile(v, (B, 1))  # noqa: E731
    return rnea(chain_parents(3), rep([2.0, 1.5, 0.6]), rep([0.020, 0.012, 0.003]), joint, com,
                np.zeros((B, 3)), q, qd, qdd) + np.array([0.30, 0.20, 0.05]) * qd


def test_triple_pendulum_accelerations_match_newton_euler_with_damping():
    model = build_model("triple_pendulum")
    f = model.dynamics_function()
    rng = np.random.default_rng(0)
    q, qd, tau = rng.uniform(-1, 1, (5, 3)), rng.uniform(-2, 2, (5, 3)), rng.uniform(-3, 3, (5, 3))
    qdd = np.array([np.array(f(np.concatenate([q[i], qd[i]]), tau[i])).ravel()[3:]
                    for i in range(5)])
    np.testing.assert_allclose(newton_euler_torques(q, qd, qdd), tau, atol=1e-10)


def test_joint_damping_is_an_estimable_number_that_enters_the_equations():
    model = build_model("triple_pendulum")
    numbers = model_numbers(model)
    assert numbers["joint.elbow.damping"].value == 0.20
    assert numbers["joint.elbow.damping"].unit == "N*m*s/rad"
    symbolic, p = parametrised(model, ["joint.elbow.damping"])
    x, u = np.array([0.1, -0.2, 0.3, 1.0, -2.0, 0.5]), np.zeros(3)
    rate = ca.Function("r", [p], [symbolic.dynamics(ca.DM(x), ca.DM(u))])
    changed = with_values(model, {"joint.elbow.damping": 0.7}).dynamics_function()(x, u)
    np.testing.assert_allclose(np.array(rate(0.7)), np.array(changed), atol=1e-12)
    assert not np.allclose(np.array(rate(0.7)), np.array(model.dynamics_function()(x, u)))


@pytest.mark.slow
def test_the_nlp_identifies_the_chain_within_one_percent_and_three_standard_errors():
    """Same noisy samples as the PINN (0.005 rad, 100 samples); start at a uniform guess."""
    report = ocp.solve(ocp.load_problem(PROBLEM)).parameters
    # the residual variance per sample is what the noise puts in the integral of squared
    # errors over one sample's 0.0404 s: (0.005 rad)^2 * 0.0404 s, counted on the data's
    # 100 samples per angle, not on the quintic resampling's 20x finer points
    assert report.residual_variance == pytest.approx(0.005 ** 2 * 4 / 99, rel=0.2)
    for name, true in TRUE.items():
        e = report.estimates[name]
        assert abs(e.value - true) < 0.015 * true, (name, e.value)
        assert abs(e.value - true) < 3 * e.standard_error, (name, e.value, e.standard_error)
