"""The counting task of the memory benchmark: an unbounded running sum, held by an LSTM cell.

``sequence.balance_data``: target tanh(D), D the running sum of (a - critical) / tau
without decay. Reference: an LSTM with one unit whose weights are set by hand
(forget, input and output gates open, cell input linear in the envelope) holds
D in its additive cell and outputs tanh(D) without training (Weiss, Goldberg and
Yahav 2018: an LSTM counts). Its error is only the envelope's noise and the
activation's lag, integrated (the activation, rising in 15 ms and falling in
60 ms, lies above the envelope on average, so the hand-set sum drifts low by up
to 0.28 over 60 s); the sum itself is not learned.
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from learned_components.recurrent import SequenceNet, predict, rollout, step_function  # noqa: E402
from learned_components.sequence import (  # noqa: E402
    BALANCE_TAU_S,
    CRITICAL_ACTIVATION,
    balance_data,
)


@pytest.fixture(scope="module")
def data():
    """Training-length (20 s) and three times longer (60 s) sequences, 20 Hz."""
    return balance_data(8, 20.0, seed=0), balance_data(8, 60.0, seed=10)


def counting_lstm(rate_hz: float) -> SequenceNet:
    net = SequenceNet("lstm", 1)
    open_gate = 30.0                     # sigmoid(30) = 1 - 1e-13: no leak over 1,200 steps
    with torch.no_grad():
        for p in net.parameters():
            p.zero_()
        # gate order i, f, g, o; the cell input g = tanh((x - critical) / (tau rate))
        net.cell.bias_ih_l0[:] = torch.tensor(
            [open_gate, open_gate, -CRITICAL_ACTIVATION / (BALANCE_TAU_S * rate_hz), open_gate])
        net.cell.weight_ih_l0[2, 0] = 1.0 / (BALANCE_TAU_S * rate_hz)
        net.readout.weight[0, 0] = 1.0
    return net


def test_the_balance_is_an_unbounded_sum_that_goes_further_on_longer_sequences(data):
    train, test = data
    reach = lambda d: np.abs(np.arctanh(np.clip(d.activations, -1 + 1e-12, 1 - 1e-12)))  # noqa: E731
    assert reach(test).max() > 1.5 * reach(train).max()      # beyond the training range
    # ... and the sum comes back: every sequence falls by > 0.5 from a peak it reached
    d = np.arctanh(np.clip(test.activations, -1 + 1e-12, 1 - 1e-12))
    assert np.all((np.maximum.accumulate(d, 1) - d).max(1) > 0.5)


def test_a_hand_set_lstm_counts_the_balance_on_sequences_three_times_the_training_length(data):
    test = data[1]
    net = counting_lstm(test.rate_hz)
    y = predict(net, test.envelopes)
    rms = float(np.sqrt(np.mean((y - test.activations) ** 2)))
    assert rms < 0.08, rms                         # target spread 0.54
    assert float(np.std(test.activations)) > 0.4
    # the exported CasADi step is the same network
    np.testing.assert_allclose(rollout(step_function(net.weights()), test.envelopes[0]), y[0],
                               atol=1e-12)
