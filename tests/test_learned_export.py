"""Exported networks are the torch networks: values, Jacobians and Hessians agree.

The reference is PyTorch itself (forward pass and torch.autograd), the
second method for every CasADi expression built from the weights.
"""
import subprocess
import sys

import casadi as ca
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from conftest import PROBLEMS  # noqa: E402

from learned_components import export  # noqa: E402
from learned_components.networks import ACTIVATIONS, MLP, MeanVarianceMLP  # noqa: E402
from learned_components.sequence import ActivationGRU, rollout  # noqa: E402


def random_mlp(activation, cls=MLP, seed=0, n_in=3, n_out=4, hidden=(7, 5)):
    """A network with random weights and a non-trivial normalisation."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    return cls(n_in, n_out, hidden, activation,
               input_mean=rng.normal(size=n_in), input_std=rng.uniform(0.5, 2, n_in),
               output_mean=rng.normal(size=n_out), output_std=rng.uniform(0.5, 2, n_out))


def inputs(n=20, d=3, seed=1):
    return np.random.default_rng(seed).normal(scale=2.0, size=(n, d))


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_exported_mlp_matches_the_torch_forward_pass_to_1e_10(activation):
    net = random_mlp(activation)
    f = export.mlp_function(net.weights())
    x = inputs()
    with torch.no_grad():
        expected = net(torch.as_tensor(x)).numpy()
    got = np.array(f.map(len(x))(x.T)).T
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-10)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_exported_jacobian_and_hessian_match_torch_autograd(activation):
    net = random_mlp(activation)
    f = export.mlp_function(net.weights())
    x_sym = ca.SX.sym("x", 3)
    y = f(x_sym)
    jacobian = ca.Function("J", [x_sym], [ca.jacobian(y, x_sym)])
    hessians = [ca.Function("H", [x_sym], [ca.hessian(y[i], x_sym)[0]]) for i in range(4)]
    for x in inputs(5):
        xt = torch.as_tensor(x)
        J_torch = torch.autograd.functional.jacobian(lambda v: net(v[None])[0], xt).numpy()
        np.testing.assert_allclose(np.array(jacobian(x)), J_torch, rtol=0, atol=1e-10)
        for i, h in enumerate(hessians):
            H_torch = torch.autograd.functional.hessian(lambda v: net(v[None])[0, i], xt)  # noqa: B023 (called in this iteration)
            np.testing.assert_allclose(np.array(h(x)), H_torch.numpy(), rtol=0, atol=1e-10)


def test_mean_variance_export_matches_torch_both_heads():
    net = random_mlp("tanh", MeanVarianceMLP, seed=3)
    x_sym = ca.SX.sym("x", 3)
    mean, variance = export.mean_variance_expression(net.weights(), x_sym)
    f = ca.Function("mv", [x_sym], [mean, variance])
    x = inputs(10)
    with torch.no_grad():
        m_t, v_t = (a.numpy() for a in net(torch.as_tensor(x)))
    for k in range(len(x)):
        m, v = f(x[k])
        np.testing.assert_allclose(np.array(m).ravel(), m_t[k], atol=1e-10, rtol=0)
        np.testing.assert_allclose(np.array(v).ravel(), v_t[k], atol=1e-10, rtol=1e-12)
        assert np.all(v_t[k] > 0)


def test_geometry_export_gives_moment_arms_as_minus_the_torch_derivative():
    net = random_mlp("tanh", n_in=2, n_out=6, seed=4)
    f = export.geometry_function(net.weights(), 2)
    assert (f.name_in(), f.name_out()) == (["q"], ["length_m", "moment_arm_m"])
    for q in inputs(4, 2):
        lengths, arms = f(q)
        xt = torch.as_tensor(q)
        J = torch.autograd.functional.jacobian(lambda v: net(v[None])[0], xt).numpy()
        np.testing.assert_allclose(np.array(arms), -J.T, atol=1e-10, rtol=0)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_forward_mode_jacobian_used_in_training_equals_autograd(activation):
    net = random_mlp(activation, seed=5)
    x = torch.as_tensor(inputs(6))
    y, J = net.forward_with_jacobian(x)
    for k in range(len(x)):
        J_ref = torch.autograd.functional.jacobian(lambda v: net(v[None])[0], x[k])
        np.testing.assert_allclose(J[k].detach().numpy(), J_ref.numpy(), atol=1e-12)
    np.testing.assert_allclose(y.detach().numpy(), net(x).detach().numpy(), atol=1e-14)


def test_exported_gru_step_rolls_out_the_torch_gru_to_1e_10():
    torch.manual_seed(0)
    gru = ActivationGRU(hidden=6, input_mean=0.3, input_std=0.2, output_mean=0.25,
                        output_std=0.3)
    step = export.gru_step_function(gru.weights())
    envelope = np.abs(np.random.default_rng(2).normal(0.4, 0.3, 50))
    with torch.no_grad():
        expected = gru(torch.as_tensor(envelope[None]))[0].numpy()
    np.testing.assert_allclose(rollout(step, envelope), expected, atol=1e-10, rtol=0)
    # the step's derivative with respect to the hidden state matches autograd too
    h = np.random.default_rng(3).normal(size=6)
    h_sym, x_sym = ca.SX.sym("h", 6), ca.SX.sym("x")
    jac = ca.Function("J", [h_sym, x_sym], [ca.jacobian(step(h_sym, x_sym)[0], h_sym)])
    cell = torch.nn.GRUCell(1, 6, dtype=torch.float64)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(cell, name).copy_(getattr(gru.gru, f"{name}_l0"))
    x_n = torch.tensor([[(0.5 - 0.3) / 0.2]], dtype=torch.float64)
    J_torch = torch.autograd.functional.jacobian(lambda v: cell(x_n, v[None])[0],
                                                 torch.as_tensor(h)).numpy()
    np.testing.assert_allclose(np.array(jac(h, 0.5)), J_torch, atol=1e-10, rtol=0)


def test_learned_reach_loads_and_solves_in_a_process_without_torch():
    """The solve path never imports torch: block it and build the learned reach."""
    code = f"""
import importlib.abc, sys

class NoTorch(importlib.abc.MetaPathFinder):   # any 'import torch' now raises ImportError
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] == "torch":
            raise ImportError("torch is blocked in this process")

sys.meta_path.insert(0, NoTorch())
import numpy as np, ocp
problem = ocp.load_problem({str(PROBLEMS / "arm_reach_muscles_learned.toml")!r},
                           {{"transcription.intervals": 10}})
lengths, arms = problem.model.geometry(np.array([0.5, 1.5]))
assert lengths.shape == (6, 1) and arms.shape == (2, 6)
solution = ocp.solve(problem)
assert solution.success, solution.status
assert "learned_components" not in sys.modules and "torch" not in sys.modules
print("ok", solution.objective)
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")
