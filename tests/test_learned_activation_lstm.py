"""An LSTM as activation dynamics: its cell state gets its own bounds, not the GRU's.

Reference: the exported step rolled out under random excitations in [0, 1]
(a simulation, independent of the bound's derivation in
``learned_components.recurrent.state_bounds``), and the rest state found by
fixed-point iteration.
"""
from pathlib import Path

import numpy as np
import pytest

from ocp import load_problem, solve

torch = pytest.importorskip("torch")

from learned_components.recurrent import SequenceNet, state_bounds, step_function  # noqa: E402
from learned_components.spec import spec_from_dict  # noqa: E402
from learned_components.train import train_from_spec  # noqa: E402
from ocp.models.learned_activation import learned_activation  # noqa: E402
from ocp.models.library import build_model  # noqa: E402


def _lstm_with_long_memory(hidden=4, forget_bias=4.0):
    torch.manual_seed(1)
    net = SequenceNet("lstm", hidden, 0.3, 0.3, 0.2, 0.2)
    with torch.no_grad():  # forget gates near 1: the cell accumulates beyond [-1, 1]
        net.cell.bias_ih_l0[hidden:2 * hidden] = forget_bias
        net.cell.bias_ih_l0[:hidden] = 2.0
    return net


def test_cell_state_stays_inside_its_bounds_and_leaves_the_gru_bounds():
    net = _lstm_with_long_memory()
    weights = net.weights()
    bounds = np.array(state_bounds(weights, (0.0, 1.0)))
    H = 4
    np.testing.assert_array_equal(bounds[:H], [[-1.0, 1.0]] * H)  # h = o tanh(c)
    step = step_function(weights)
    rng = np.random.default_rng(0)
    peak = np.zeros(2 * H)
    for _ in range(20):
        state = np.zeros(2 * H)
        level = rng.uniform(0, 1)
        for x in np.clip(level + 0.2 * rng.standard_normal(400), 0, 1):
            state = np.array(step(x, state)[1]).ravel()
            peak = np.maximum(peak, np.abs(state))
    assert np.all(peak <= bounds[:, 1])
    assert peak[H:].max() > 1.0  # the GRU's [-1, 1] would cut the cell state off
    assert np.all(np.isfinite(bounds))  # a worst case over |h| <= 1: loose, but finite


def test_rnn_and_gru_keep_the_unit_bounds():
    for kind in ("rnn", "gru"):
        assert state_bounds(SequenceNet(kind, 3).weights()) == [(-1.0, 1.0)] * 3


def test_lstm_from_a_training_file_is_activation_dynamics_with_cell_bounds(tmp_path):
    spec = spec_from_dict({"component": "emg_activation", "out": str(tmp_path / "lstm"),
                           "network": {"architecture": "lstm", "hidden": [3]},
                           "data": {"sequences": 3, "duration": "0.5 s"},
                           "training": {"epochs": 5}}, tmp_path / "lstm.train.toml")
    train_from_spec(spec, progress=False)
    model = learned_activation(build_model("six_muscle_arm"),
                               tmp_path / "lstm.casadi")
    names = model.hidden_names["BRA"]
    assert names == ("BRA_hidden_0", "BRA_hidden_1", "BRA_hidden_2",
                     "BRA_cell_0", "BRA_cell_1", "BRA_cell_2")
    bounds = model.default_bounds()
    rest = model.rest_conditions({"BRA_activation": 1.0})
    for n in names:
        low, high = bounds[n]
        assert low <= rest[n] <= high
    assert [bounds[n] for n in names[3:]] == \
        list(map(tuple, model.activation.state_bounds[3:]))
    assert all(bounds[n] == (-1.0, 1.0) for n in names[:3])


PROBLEM = Path(__file__).resolve().parent.parent / "problems" / "arm_reach_muscles_lstm.toml"


def test_lstm_problem_starts_inside_its_bounds_at_rest_without_fatigue():
    """The shipped LSTM (fatigue task) from its problem file: every initial hidden and
    cell value inside the bounds recorded at training; the rest state is the training
    sequences' start (zeros: no fatigue) settled 0.5 s at the initial excitation."""
    problem = load_problem(PROBLEM)
    model = problem.model
    assert model.activation.is_lstm and model.activation.slow_state
    bounds = model.default_bounds()
    step = model.activation.step
    h = np.zeros(model.activation.hidden)
    for _ in range(10):  # 0.5 s at 20 Hz
        h = np.array(step(0.0, h)[1]).ravel()
    for m in model.muscles:
        names = model.hidden_names[m.name]
        np.testing.assert_allclose([problem.initial[n] for n in names], h, atol=1e-14)
        for n in names:
            assert bounds[n][0] <= problem.initial[n] <= bounds[n][1]
    cells = [n for n in model.hidden_names["BRA"] if "_cell_" in n]
    assert len(cells) == 16 and max(bounds[n][1] for n in cells) > 1.0


@pytest.mark.slow
def test_lstm_problem_solves():
    solution = solve(load_problem(PROBLEM))
    assert solution.status == "success"
