"""Recurrent networks: CasADi step export, gradient profile, and the EMG -> activation fit."""
import casadi as ca
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from learned_components.recurrent import (  # noqa: E402
    KINDS,
    SequenceNet,
    gait_sequence,
    gradient_profile,
    gradient_ratio,
    predict,
    rollout,
    step_function,
    train_sequence_net,
)
from learned_components.sequence import emg_data, predict_static, train_static  # noqa: E402
from learned_components.spec import spec_from_dict  # noqa: E402
from learned_components.train import train_from_spec  # noqa: E402
from ocp.models.surrogate import load_surrogate  # noqa: E402


@pytest.mark.parametrize("kind", KINDS)
def test_step_function_rolled_out_in_casadi_matches_the_torch_sequence(kind):
    torch.manual_seed(3)
    net = SequenceNet(kind, 5, 0.3, 0.2, 0.4, 0.25)
    x = np.random.default_rng(1).uniform(0, 1, 60)
    step = step_function(net.weights())
    assert step.size1_in(1) == (10 if kind == "lstm" else 5)
    np.testing.assert_allclose(rollout(step, x), predict(net, x[None])[0], rtol=0, atol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_gradient_profile_equals_the_jacobian_of_the_unrolled_casadi_steps(kind):
    """|dL/dx_t| by torch autograd against CasADi's derivative of the exported rollout."""
    torch.manual_seed(0)
    net = SequenceNet(kind, 4)
    T = 25
    x = np.random.default_rng(2).uniform(0, 1, T)
    profile = gradient_profile(net, x, target=0.3)
    step = step_function(net.weights())
    xs = ca.SX.sym("x", T)
    h = ca.DM.zeros(step.size1_in(1))
    for k in range(T):
        y, h = step(xs[k], h)
    grad = ca.Function("g", [xs], [ca.gradient((y - 0.3) ** 2, xs)])
    np.testing.assert_allclose(profile, np.abs(np.array(grad(x)).ravel()), rtol=1e-9,
                               atol=1e-14)
    assert gradient_ratio(profile) == pytest.approx(profile[0] / profile[-1])


def test_long_gait_sequence_has_a_thousand_steps_of_repeating_cycles():
    envelope, activation = gait_sequence(cycles=12)
    assert len(envelope) == len(activation) == 1200
    cycles = activation.reshape(12, 100)
    # activation peaks follow the push-off burst (60 % of the cycle) by a few samples
    assert np.all((cycles.argmax(1) >= 60) & (cycles.argmax(1) <= 70))


def test_ocp_train_writes_a_gru_step_that_loads_without_torch(tmp_path):
    spec = spec_from_dict({"component": "emg_activation", "out": str(tmp_path / "gru"),
                           "network": {"architecture": "gru", "hidden": [4]},
                           "data": {"sequences": 3, "duration": "0.5 s"},
                           "training": {"epochs": 5}}, tmp_path / "gru.train.toml")
    result = train_from_spec(spec, progress=False)
    surrogate = load_surrogate(tmp_path / "gru.casadi", "emg_activation")
    assert surrogate.function.name_in() == ["x", "h"]
    assert result.metrics["export_max_abs_difference"] < 1e-10
    assert any("memory" in line for line in result.lines)


def test_a_recurrent_architecture_for_muscle_geometry_is_refused(tmp_path):
    from ocp.errors import ProblemError
    with pytest.raises(ProblemError, match="architecture"):
        spec_from_dict({"component": "emg_activation",
                        "network": {"architecture": "transformer"}}, tmp_path / "x.toml")
    with pytest.raises(ProblemError, match="graph"):
        spec_from_dict({"component": "contact_normal_force", "sphere": {"radius_m": 0.03},
                        "inputs": {"indentation": [0, 0.01], "indentation_speed": [-1, 1]},
                        "network": {"architecture": "gru"}}, tmp_path / "x.toml")


@pytest.mark.slow
def test_gru_follows_the_activation_dynamics_where_a_static_map_cannot():
    train = emg_data("fast", 24, 3.0, 100.0, seed=0)
    test = emg_data("fast", 8, 3.0, 100.0, seed=10)
    rms = {}
    for kind in KINDS:
        net, _ = train_sequence_net(kind, train.envelopes, train.activations, 16, 600)
        rms[kind] = np.sqrt(np.mean((predict(net, test.envelopes) - test.activations) ** 2))
    static = train_static(train, steps=600)
    rms["static"] = np.sqrt(np.mean((predict_static(static, test.envelopes)
                                     - test.activations) ** 2))
    assert rms["gru"] <= 0.02, rms
    assert rms["static"] >= 2 * rms["gru"], rms
