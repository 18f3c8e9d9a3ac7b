"""Physics-informed identification of a joint: I, b, k from 20 noisy samples."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from learned_components.pinn import (  # noqa: E402
    PARAMETERS,
    AngleNetwork,
    Joint,
    fit_data_only,
    fit_pinn,
    noisy_samples,
    simulate,
)


def test_simulated_joint_matches_the_closed_form_free_response():
    """Unforced, underdamped: theta = e^(-zeta w t) (A cos w_d t + B sin w_d t)."""
    joint = Joint(torque_amplitude_Nm=0.0, torque_offset_Nm=0.0, initial_angle_rad=0.3)
    t = np.linspace(0, 3, 31)
    w = np.sqrt(joint.stiffness_Nm_rad / joint.inertia_kg_m2)
    zeta = joint.damping_Nms_rad / (2 * np.sqrt(joint.stiffness_Nm_rad * joint.inertia_kg_m2))
    wd = w * np.sqrt(1 - zeta ** 2)
    exact = np.exp(-zeta * w * t) * 0.3 * (np.cos(wd * t) + zeta * w / wd * np.sin(wd * t))
    np.testing.assert_allclose(simulate(joint, t), exact, atol=1e-8)


def test_network_derivatives_by_forward_mode_equal_autograd():
    torch.manual_seed(0)
    net = AngleNetwork(3.0, 0.5, (8, 8))
    t = torch.linspace(0, 3, 7, dtype=torch.float64, requires_grad=True)
    theta, d1, d2 = net(t)
    g1 = torch.autograd.grad(theta.sum(), t, create_graph=True)[0]
    g2 = torch.autograd.grad(g1.sum(), t)[0]
    np.testing.assert_allclose(d1.detach().numpy(), g1.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(d2.detach().numpy(), g2.numpy(), atol=1e-11)


def test_noise_is_five_percent_of_the_largest_angle():
    joint = Joint()
    samples = noisy_samples(joint, 20, 3.0, 0.05, seed=0)
    clean = simulate(joint, samples.times)
    assert len(samples.times) == 20
    assert samples.noise_std == pytest.approx(0.05 * np.max(np.abs(
        simulate(joint, np.linspace(0, 3, 2001)))))
    assert 0.5 < np.std(samples.angles - clean) / samples.noise_std < 1.5


def test_pinn_recovers_inertia_damping_stiffness_within_10_percent_and_beats_data_only():
    """A small configuration for the default run (a few seconds)."""
    joint = Joint()
    samples = noisy_samples(joint, 20, 3.0, 0.05, seed=0)
    small = dict(hidden=(16, 16), adam_steps=500, lbfgs_steps=200, collocation=100)
    pinn = fit_pinn(joint, samples, **small)
    data_only = fit_data_only(joint, samples, **small)
    assert set(pinn.parameters) == set(PARAMETERS)
    assert pinn.worst_error < 0.10, pinn.relative_errors
    assert pinn.worst_error < data_only.worst_error


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pinn_identification_holds_across_noise_draws(seed):
    joint = Joint()
    samples = noisy_samples(joint, 20, 3.0, 0.05, seed=seed)
    pinn = fit_pinn(joint, samples)
    data_only = fit_data_only(joint, samples)
    assert pinn.worst_error < 0.10, pinn.relative_errors
    assert pinn.worst_error < 0.5 * data_only.worst_error
