"""``[training] laplace = true`` for recurrent and graph networks (structured_laplace.py).

References: the marginal likelihood of Bayesian linear regression written as
one Gaussian over the targets; torch's Hessian of the loss through the
network's own forward pass (not the design matrix the posterior is built
from); the sample variance of outputs of networks drawn from the posterior.
"""
from dataclasses import replace
from types import SimpleNamespace

import casadi as ca
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from learned_components import structured_laplace as sl  # noqa: E402
from learned_components.graph import GraphNetwork, graph_function, tensors_of  # noqa: E402
from learned_components.recurrent import SequenceNet, step_function  # noqa: E402
from learned_components.spec import spec_from_dict  # noqa: E402
from learned_components.train import train_from_spec  # noqa: E402
from learned_components.tree_data import chain_batch  # noqa: E402
from ocp.analysis.members import member_files  # noqa: E402
from ocp.errors import ProblemError  # noqa: E402
from ocp.models.learned_activation import load_recurrent_activation  # noqa: E402


def test_the_chosen_prior_maximises_the_closed_form_evidence_of_linear_regression():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((40, 3))
    y = A @ np.array([0.5, -1.0, 0.2]) + 0.3 * rng.standard_normal(40)
    w = np.linalg.lstsq(A, y, rcond=None)[0]
    grid = np.logspace(-3, 3, 61)
    post = sl.linear_posterior(A, y, w, grid)
    noise = np.mean((y - A @ w) ** 2)
    # log N(y; 0, sigma^2 I + A A^T / lambda): the marginal likelihood, n x n
    direct = []
    for lam in grid:
        C = noise * np.eye(40) + A @ A.T / lam
        direct.append(-0.5 * (y @ np.linalg.solve(C, y) + np.linalg.slogdet(C)[1]
                              + 40 * np.log(2 * np.pi)))
    np.testing.assert_allclose(post.log_evidence, direct, rtol=1e-10)
    assert post.prior_precision == grid[int(np.argmax(direct))]
    np.testing.assert_allclose(post.noise_variance, noise, rtol=1e-12)
    np.testing.assert_allclose(
        post.covariance, np.linalg.inv(A.T @ A / noise + post.prior_precision * np.eye(3)),
        rtol=1e-10)


def hessian_covariance(loss_of_readout, w0, noise, prior):
    """(Hessian of sum r^2 / (2 sigma^2) + lambda |w|^2 / 2 at w0)^-1, by torch."""
    H = torch.autograd.functional.hessian(
        lambda w: loss_of_readout(w) / (2 * noise) + 0.5 * prior * w @ w,
        torch.as_tensor(w0, dtype=torch.float64))
    return np.linalg.inv(H.numpy())


@pytest.mark.parametrize("kind", ["gru", "lstm"])
def test_a_recurrent_read_out_posterior_is_the_inverse_hessian_of_its_loss(kind):
    torch.manual_seed(1)
    net = SequenceNet(kind, 4, 0.3, 0.2, 0.4, 0.25)
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, (3, 30))
    y = 0.4 + 0.25 * rng.standard_normal((3, 30))
    post = sl.recurrent_posterior(net, x, y)
    with torch.no_grad():
        h = net.states(torch.as_tensor(x))
    target = (torch.as_tensor(y) - net.output_mean) / net.output_std

    def loss(w):  # the read-out applied by torch, as in net.forward
        out = h @ w[:-1] + w[-1]
        return torch.sum((target - out) ** 2)

    np.testing.assert_allclose(post.covariance, hessian_covariance(
        loss, post.weights, post.noise_variance, post.prior_precision), rtol=1e-9)
    # the exported variance (x, h) -> (y, h', var) against draws through the exported step
    weights = net.weights()
    f = sl.recurrent_laplace_function(weights, post, "t")
    state = 0.3 * rng.standard_normal(f.size1_in(1))
    y0, _, var = f(0.7, state)
    step = step_function(weights)
    np.testing.assert_allclose(float(y0), float(step(0.7, state)[0]), atol=1e-14)
    draws = [float(step_function(sl.with_readout(weights, w))(0.7, state)[0])
             for w in post.draws(400, 0)]
    assert np.var(draws) == pytest.approx(float(var), rel=0.2)


def test_a_graph_read_out_posterior_is_the_inverse_hessian_of_its_loss_and_samples():
    net = GraphNetwork(seed=2)
    chains = [chain_batch(2, 20, "train", seed=5), chain_batch(3, 20, "train", seed=6)]
    post = sl.graph_posterior(net, chains)

    def loss(w):  # the torques of GraphNetwork.inverse_dynamics, the read-out w
        swapped = SimpleNamespace(weights_={**dict(net.weights_), "readout": w[None, :]},
                                  channels=net.channels, _nodes=net._nodes)
        t = lambda a: torch.as_tensor(np.ascontiguousarray(a))  # noqa: E731
        return sum(torch.sum((t(b.tau) - GraphNetwork.inverse_dynamics(
            swapped, tensors_of(b), t(b.q), t(b.qd), t(b.qdd), b.gravity_m_s2)) ** 2)
            for b in chains)

    np.testing.assert_allclose(post.covariance, hessian_covariance(
        loss, post.weights, post.noise_variance, post.prior_precision), rtol=1e-9)
    # the exported variance against draws of the exported function: inverse dynamics
    # (linear in w: exact), forward dynamics (linearised: a posterior 1e-3 as wide)
    tree = {"parents": [-1, 0], "mass_kg": [1.0, 1.2], "inertia_kg_m2": [0.08, 0.1],
            "joint_m": [[0, 0], [0, -1.0]], "com_m": [[0, -0.5], [0, -0.5]],
            "offset_rad": [0.0, 0.0], "gravity_m_s2": 9.81}
    weights = net.weights()
    narrow = replace(post, covariance=1e-6 * post.covariance)
    q, qd, x = [0.3, -0.4], [1.0, 0.5], [2.0, -1.0]
    for target, posterior in (("inverse_dynamics", post), ("forward_dynamics", narrow)):
        f = sl.graph_laplace_function(weights, tree, target, posterior, "t")
        mean, var = (np.array(v).ravel() for v in f(q, qd, x))
        np.testing.assert_allclose(mean, np.array(graph_function(weights, tree, target)(
            q, qd, x)).ravel(), rtol=1e-12)
        w = ca.SX.sym("w", 4)
        with_w = graph_function(weights, tree, target, readout=w)
        draws = posterior.draws(400, 0)
        member = graph_function(sl.graph_with_readout(weights, draws[0]), tree, target)
        np.testing.assert_allclose(np.array(member(q, qd, x)),
                                   np.array(with_w(q, qd, x, draws[0])), rtol=1e-12)
        samples = np.hstack([np.array(with_w(q, qd, x, d)) for d in draws])
        np.testing.assert_allclose(samples.var(axis=1), var, rtol=0.2)


def test_laplace_training_writes_the_network_its_variance_and_posterior_draws(tmp_path):
    spec = spec_from_dict({"component": "emg_activation", "out": str(tmp_path / "g"),
                           "network": {"architecture": "gru", "hidden": [3]},
                           "data": {"sequences": 3, "duration": "0.5 s", "seed": 4},
                           "training": {"epochs": 5, "laplace": True}},
                          tmp_path / "g.train.toml")
    result = train_from_spec(spec, progress=False)
    assert result.metrics["laplace"]["parameters"] == 4
    files = member_files(tmp_path / "g.casadi")
    assert len(files) == sl.SAMPLES
    net = load_recurrent_activation(tmp_path / "g.casadi")
    members = [load_recurrent_activation(f) for f in files]
    laplace = ca.Function.load(str(tmp_path / "g_laplace.casadi"))
    h = np.full(net.hidden, 0.1)
    y, h_next, var = laplace(0.5, h)
    y0, h0 = net.step(0.5, h)
    assert float(y) == pytest.approx(float(y0), abs=1e-14)
    np.testing.assert_allclose(np.array(h_next), np.array(h0), atol=1e-14)
    # draws differ in the read-out only: same states, outputs spread about the mean
    outs = np.array([float(m.step(0.5, h)[0]) for m in members])
    for m in members:
        np.testing.assert_allclose(np.array(m.step(0.5, h)[1]), np.array(h0), atol=1e-14)
    assert 0 < np.std(outs) < 5 * np.sqrt(float(var))


@pytest.mark.parametrize("training, model, message", [
    ({"ensemble": 2, "laplace": True}, "double_pendulum", "choose one uncertainty method"),
    ({"laplace": True}, "gait2d_torque", "not for a walker's network with contact edges")])
def test_laplace_with_an_ensemble_or_on_the_walker_is_bad_input(tmp_path, training, model,
                                                                 message):
    data = {"component": "tree_dynamics", "out": "g",
            "network": {"target": "inverse_dynamics"}, "model": {"name": model},
            "training": training}
    if model == "gait2d_torque":
        data["network"]["contact_edges"] = True
        data["data"] = {"walk": 0}
    with pytest.raises(ProblemError, match=message) as info:
        spec_from_dict(data, tmp_path / "g.train.toml")
    assert "laplace" in str(info.value)
