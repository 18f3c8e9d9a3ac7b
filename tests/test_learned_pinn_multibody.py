"""The multibody PINN's equations of motion, training file and bad input."""
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from learned_components.pinn_multibody import (  # noqa: E402
    Chain,
    ChainNetwork,
    inverse_dynamics_torch,
    regressor,
    simulate,
)
from learned_components.spec import load_spec  # noqa: E402
from learned_components.tree_data import chain_parents, rnea  # noqa: E402
from ocp.errors import ProblemError  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _states(n=40, seed=3):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1, 1, (n, 3)) * s for s in (3.0, 3.0, 15.0)]


def _newton_euler(chain, q, qd, qdd):
    """tree_data.rnea (checked against ocp.models.multibody) plus joint damping."""
    B = len(q)
    joint = np.zeros((B, 3, 2))
    joint[:, 1:, 1] = -np.asarray(chain.length_m[:-1])
    com = np.zeros((B, 3, 2))
    com[:, :, 1] = -np.asarray(chain.com_m)
    rep = lambda v: np.broadcast_to(np.asarray(v, float), (B, 3)).copy()  # noqa: E731
    return rnea(chain_parents(3), rep(chain.mass_kg), rep(chain.inertia_kg_m2), joint, com,
                np.zeros((B, 3)), q, qd, qdd, chain.gravity_m_s2) \
        + np.asarray(chain.damping_Nms_rad) * qd


def test_torch_equations_of_motion_equal_newton_euler():
    chain = Chain(mass_kg=(1.3, 0.7, 2.1), inertia_kg_m2=(0.05, 0.01, 0.02))
    q, qd, qdd = _states()
    got = inverse_dynamics_torch(chain, torch.as_tensor(chain.vector()),
                                 *(torch.as_tensor(v) for v in (q, qd, qdd))).numpy()
    np.testing.assert_allclose(got, _newton_euler(chain, q, qd, qdd), atol=1e-10)


def test_equations_are_linear_in_mass_inertia_damping_and_identifiable():
    """Least squares on exact states recovers the 9 parameters (condition checked)."""
    chain = Chain()
    q, qd, qdd = _states(200)
    Y = regressor(chain, *(torch.as_tensor(v) for v in (q, qd, qdd)))
    tau = _newton_euler(chain, q, qd, qdd).reshape(-1)
    p, *_ = np.linalg.lstsq(Y, tau, rcond=None)
    np.testing.assert_allclose(p, chain.vector(), rtol=1e-8)


def test_simulated_motion_satisfies_the_equations():
    """The simulation's angles, differentiated by finite differences, give back tau."""
    chain = Chain()
    h = 1e-3
    t = np.arange(0.0, 1.0 + h / 2, h)
    q = simulate(chain, t)
    qd = np.gradient(q, h, axis=0)
    qdd = np.gradient(qd, h, axis=0)
    inner = slice(5, -5)
    tau = _newton_euler(chain, q[inner], qd[inner], qdd[inner])
    scale = np.abs(chain.torque(t)).max(0)
    assert np.max(np.abs(tau - chain.torque(t[inner])) / scale) < 1e-3


def test_network_derivatives_equal_autograd():
    torch.manual_seed(0)
    net = ChainNetwork(4.0, np.array([1.0, 2.0, 0.5]), 3, (8, 8))
    t = torch.linspace(0, 4, 7, dtype=torch.float64, requires_grad=True)
    q, qd, qdd = net(t)
    for j in range(3):
        g = torch.autograd.grad(q[:, j].sum(), t, create_graph=True, retain_graph=True)[0]
        gg = torch.autograd.grad(g.sum(), t, retain_graph=True)[0]
        np.testing.assert_allclose(qd[:, j].detach(), g.detach(), rtol=1e-10)
        np.testing.assert_allclose(qdd[:, j].detach(), gg, rtol=1e-9, atol=1e-12)


def test_training_file_is_valid():
    spec = load_spec(ROOT / "problems" / "surrogates" / "pinn_triple_pendulum.train.toml")
    assert spec.component == "multibody_pinn" and spec.pinn["samples"] == 100


@pytest.mark.parametrize("text, key", [
    ('[network]\nweight = -1\n', "network.weight"),
    ('[network]\n[data]\nnoise = "x"\n', "data.noise"),
    ('[network]\n[data]\nframes = 3\n', "frames"),
    ('[network]\narchitecture = "spline"\nintervals = 2\n', "network.intervals"),
])
def test_bad_input_names_the_key(tmp_path, text, key):
    path = tmp_path / "bad.train.toml"
    path.write_text('component = "multibody_pinn"\n' + text)
    with pytest.raises(ProblemError) as exc:
        load_spec(path)
    assert key in str(exc.value)


def test_pinn_starts_at_the_initial_guess_and_the_warm_start_at_least_squares():
    """No training steps: the PINN returns its start; the warm start's start is the
    least squares on a data fit (here with no steps either: on the untrained net)."""
    from learned_components.pinn_multibody import fit_pinn, least_squares_fit, noisy_motion
    chain = Chain()
    motion = noisy_motion(chain, 20, 1.0, 0.005, 0)
    got = fit_pinn(chain, motion, adam_steps=0, lbfgs_steps=0, hidden=(4,),
                   initial_guess=2 * chain.vector())
    np.testing.assert_allclose(got.relative_errors["mass_kg"], [1.0] * 3, rtol=1e-12)
    warm = fit_pinn(chain, motion, adam_steps=0, lbfgs_steps=0, hidden=(4,),
                    collocation=50, warm_start=True)
    torch.manual_seed(0)
    net = ChainNetwork(1.0, np.maximum(np.max(np.abs(motion.angles), 0), 1e-3), 3, (4,))
    p, _ = least_squares_fit(chain, net, 1.0, 50)
    guess = np.maximum(p, 1e-3 * np.array((1.0,) * 3 + (0.01,) * 3 + (0.1,) * 3))
    found = np.concatenate([warm.parameters[n] for n in ("mass_kg", "inertia_kg_m2",
                                                          "damping_Nms_rad")])
    np.testing.assert_allclose(found, guess, rtol=1e-10)


def test_network_at_rest_starts_at_rest_with_exact_derivatives():
    """q = (t/T)^2 f: q(0) = q'(0) = 0, and q', q'' equal autograd's."""
    torch.manual_seed(1)
    net = ChainNetwork(2.0, np.array([1.0, 2.0, 0.5]), 3, (8, 8), at_rest=True)
    t = torch.linspace(0, 2, 9, dtype=torch.float64, requires_grad=True)
    q, qd, qdd = net(t)
    start, end = q.detach()[0], q.detach()[-1]
    assert float(start.abs().max()) == 0.0 and float(qd.detach()[0].abs().max()) == 0.0
    assert float(end.abs().max()) > 1e-3
    for j in range(3):
        g = torch.autograd.grad(q[:, j].sum(), t, create_graph=True, retain_graph=True)[0]
        gg = torch.autograd.grad(g.sum(), t, retain_graph=True)[0]
        np.testing.assert_allclose(qd[:, j].detach(), g.detach(), rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(qdd[:, j].detach(), gg, rtol=1e-9, atol=1e-12)


def _lm_residual_space(residual, theta):
    from learned_components.pinn_multibody import levenberg_marquardt
    return levenberg_marquardt(residual, theta, 100)[0]


def _lm_marquardt(residual, theta):
    from learned_components.pinn_spline import marquardt
    return marquardt(residual, theta, tolerance=0.0, iterations=100)[0]


@pytest.mark.parametrize("levenberg_marquardt", [_lm_residual_space, _lm_marquardt])
def test_levenberg_marquardt_finds_scipy_least_squares_minimum(levenberg_marquardt):
    """A nonlinear fit (two decaying exponentials) against scipy.optimize.least_squares."""
    from scipy.optimize import least_squares
    rng = np.random.default_rng(0)
    t = np.linspace(0.0, 3.0, 40)
    y = 2.0 * np.exp(-1.3 * t) + 0.5 * np.exp(-0.2 * t) + 0.01 * rng.standard_normal(40)

    def residual(p):
        tt = torch.as_tensor(t)
        return p[0] * torch.exp(-p[1] * tt) + p[2] * torch.exp(-p[3] * tt) - torch.as_tensor(y)

    start = np.array([1.0, 1.0, 1.0, 0.1])
    got = levenberg_marquardt(residual, torch.as_tensor(start))
    ref = least_squares(lambda p: residual(torch.as_tensor(p)).numpy(), start, xtol=1e-14,
                        ftol=1e-14, gtol=1e-14)
    np.testing.assert_allclose(got.numpy(), ref.x, rtol=1e-6)


def test_simulate_many_equals_one_simulation_per_parameter_set():
    from learned_components.pinn_multibody import simulate_many, unpack
    chain = Chain()
    t = np.linspace(0.0, 0.5, 11)
    sets = np.vstack([chain.vector(), 1.2 * chain.vector()])
    got = simulate_many(chain, sets, t)
    for k, p in enumerate(sets):
        ref = simulate(Chain(**{**chain.__dict__, **unpack(p)}), t)
        np.testing.assert_allclose(got[k], ref, atol=1e-8)


def test_output_error_standard_errors_equal_scipy_jacobian_gauss_newton():
    """Reference: the Gauss-Newton covariance with the Jacobian scipy.optimize.least_squares
    takes of ``simulate`` (its own finite differences, one run per parameter) on a short
    motion; and the errors scale with the noise."""
    from scipy.optimize import least_squares

    from learned_components.pinn_multibody import Motion, output_error_errors, unpack
    chain = Chain()
    t = np.linspace(0.0, 0.6, 13)
    clean = simulate(chain, t)
    noise = np.random.default_rng(0).standard_normal(clean.shape)
    motion = Motion(t, clean + 0.002 * noise, 0.002, 0.6)
    p = chain.vector()
    model = lambda v: simulate(Chain(**{**chain.__dict__, **unpack(v)}), t)  # noqa: E731
    fit = least_squares(lambda v: (model(v) - motion.angles).ravel(), p, max_nfev=1,
                        x_scale=p, diff_step=1e-5)
    e = fit.fun
    ref = np.sqrt(np.diag(e @ e / (e.size - 9) * np.linalg.inv(fit.jac.T @ fit.jac)))
    got = output_error_errors(chain, motion, p)
    np.testing.assert_allclose(got, ref, rtol=2e-2)
    half = output_error_errors(chain, Motion(t, clean + 0.001 * noise, 0.001, 0.6), p)
    np.testing.assert_allclose(got, 2 * half, rtol=1e-3)
