"""EMG envelope to activation: the generated data, the GRU's export, memory vs a static map."""
import numpy as np
import pytest
from scipy.integrate import solve_ivp

torch = pytest.importorskip("torch")

from learned_components.export import gru_step_function  # noqa: E402
from learned_components.sequence import (  # noqa: E402
    activation_response,
    emg_data,
    excitation_patterns,
    predict_gru,
    predict_static,
    rollout,
    train_gru,
    train_static,
)
from ocp.models.muscles.activation import activation_rate  # noqa: E402


def test_activation_data_match_an_independent_integration_of_the_dynamics():
    rate = 100.0
    e = excitation_patterns("fast", 1, 150, rate, seed=3)
    a = activation_response(e, rate)[0]
    t = np.arange(150) / rate

    def rhs(time, y):
        return [float(activation_rate(np.interp(time, t, e[0]), y[0]))]

    reference = solve_ivp(rhs, (0, t[-1]), [e[0, 0]], t_eval=t, method="LSODA", rtol=1e-9,
                          atol=1e-11, max_step=1 / rate).y[0]
    np.testing.assert_allclose(a, reference, atol=1e-5)


def test_activation_rises_faster_than_it_falls():
    """Step up then down: 15 ms activation, 60 ms deactivation time constants."""
    rate = 1000.0
    e = np.r_[np.ones(300), np.zeros(700)][None, :]
    a = activation_response(e, rate, substeps=2, initial=0.0)[0]
    rise = np.argmax(a > 0.9)            # samples (ms) to 90 % up
    fall = np.argmax(a[300:] < 0.1)      # and to 10 % down
    assert rise < 60 and fall > 1.5 * rise


def rms_of_both_maps(kind):
    """RMS error (activation units) of a GRU and of a static map trained on ``kind``."""
    train = emg_data(kind, 12, 1.5, 100.0, seed=0)
    test = emg_data(kind, 6, 1.5, 100.0, seed=10)
    gru = train_gru(train, hidden=8, steps=150)
    static = train_static(train, steps=150)
    return {name: np.sqrt(np.mean((predict(model, test.envelopes) - test.activations) ** 2))
            for name, model, predict in (("gru", gru, predict_gru),
                                         ("static", static, predict_static))}


def test_memory_matters_for_fast_bursts():
    rms = rms_of_both_maps("fast")
    # activation lags the envelope by tens of ms: only the GRU can follow
    assert rms["gru"] < 0.5 * rms["static"]


def test_a_static_map_is_enough_for_slow_patterns():
    rms = rms_of_both_maps("slow")
    # both at the noise level of the envelope (0.02): memory adds little
    assert rms["static"] < 1.25 * rms["gru"]
    assert rms["static"] < 0.04


def test_trained_gru_exports_to_a_casadi_step_with_its_hidden_state():
    data = emg_data("fast", 4, 1.0, 100.0, seed=0)
    gru = train_gru(data, hidden=6, steps=20)
    step = gru_step_function(gru.weights())
    assert step.size1_in(0) == 6 and step.name_in() == ["h", "x"]
    np.testing.assert_allclose(rollout(step, data.envelopes[0]),
                               predict_gru(gru, data.envelopes[:1])[0], atol=1e-10, rtol=0)
