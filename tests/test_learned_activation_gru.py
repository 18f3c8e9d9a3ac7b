"""A trained GRU step in place of the activation ODE (ocp.models.learned_activation).

The reference is the activation ODE the GRU was trained on (De Groote et al.
2016, integrated by ``learned_components.sequence.activation_response``) and
the same reach solved with that ODE on the same mesh. Tolerances come from
the GRU's validation RMS error recorded at export (``EPSILON``, 0.0146 in
activation units, about 0.015).
"""
import json
import math
from pathlib import Path

import casadi as ca
import numpy as np
import pytest

from ocp import load_problem, solve
from ocp.errors import ProblemError
from ocp.models.learned_activation import load_recurrent_activation
from ocp.models.muscles.activation import activation_rate

ROOT = Path(__file__).resolve().parent.parent
PROBLEM = ROOT / "problems" / "arm_reach_muscles_gru.toml"
GRU = ROOT / "problems" / "surrogates" / "emg_activation_gru.casadi"
EPSILON = json.loads(GRU.with_suffix(".json").read_text())["training"]["validation_rms_error"]


def _ode_activation(excitations, initial=None, dt=0.01):
    """Activation (sequences, samples) of the ODE with CVODES, excitation linear between
    samples (the training data's assumption); starts at ``initial`` (default: at rest)."""
    a, e0, e1, tau = (ca.SX.sym(n) for n in ("a", "e0", "e1", "tau"))
    ode = dt * activation_rate(e0 + tau * (e1 - e0), a)
    sample = ca.integrator("sample", "cvodes", {"x": a, "p": ca.vertcat(e0, e1), "t": tau,
                                                 "ode": ode}, 0.0, 1.0,
                           {"abstol": 1e-10, "reltol": 1e-10}).map(excitations.shape[0])
    out = np.empty(excitations.shape)
    out[:, 0] = excitations[:, 0] if initial is None else initial
    for k in range(1, excitations.shape[1]):
        p = np.vstack([excitations[:, k - 1], excitations[:, k]])
        out[:, k] = np.array(sample(x0=out[None, :, k - 1], p=p)["xf"]).ravel()
    return out


def test_gru_step_with_the_excitation_at_the_interval_end_follows_the_activation_ode():
    """The model's discrete step, driven by bursts, against the ODE: RMS within epsilon.

    The step takes the excitation at the end of the interval (the training
    convention); taking the one at its start lags by a sample and the error
    grows about fourfold, which this test must tell apart.
    """
    model = load_problem(PROBLEM).model
    e = _bursts(len(model.muscles), 300)
    truth = _ode_activation(e)
    x = np.zeros(model.nx)
    for i, m in enumerate(model.muscles):  # at rest at the first excitation
        names = model.hidden_names[m.name]
        rest = model.activation.rest_state(e[i, 0])
        x[[model.state_names.index(n) for n in names]] = rest
    xs_, us_ = ca.SX.sym("x", model.nx), ca.SX.sym("u", model.nu)
    step = ca.Function("step", [xs_, us_], [model.discrete_step(xs_, us_)])
    errors = {}
    for shift in (1, 0):  # end of the interval (the model's convention), then its start
        xs, activations = x.copy(), [truth[:, 0]]
        discrete = [model.state_names.index(n) for n in model.discrete_state_names]
        for k in range(e.shape[1] - 1):
            u = np.zeros(model.nu)
            u[:len(model.muscles)] = e[:, k + shift]
            xs[discrete] = np.array(step(xs, u)).ravel()
            activations.append(xs[discrete[:len(model.muscles)]])
        errors[shift] = np.sqrt(np.mean((np.array(activations).T - truth) ** 2))
    assert errors[1] <= EPSILON
    assert errors[0] > 2 * EPSILON


def _bursts(sequences: int, samples: int, seed: int = 11) -> np.ndarray:
    """Excitation levels in [0, 1] held 50 to 300 ms, smoothed over 20 ms: the
    training data's fast bursts (learned_components.sequence), at 100 Hz."""
    rng = np.random.default_rng(seed)
    out = np.empty((sequences, samples))
    for s in range(sequences):
        levels = []
        while sum(map(len, levels)) < samples:
            levels.append(np.full(rng.integers(5, 31), rng.uniform(0.0, 1.0)))
        row = np.concatenate(levels)[:samples]
        out[s] = np.convolve(np.pad(row, (1, 0), mode="edge"), [0.5, 0.5], mode="valid")
    return out


@pytest.mark.parametrize("excitation", [0.0, 0.05, 0.2, 0.5, 1.0])
def test_rest_state_holds_the_steady_activation_of_the_ode(excitation):
    """At rest the ODE's activation equals the excitation (a' = 0 <=> a = e)."""
    gru = load_recurrent_activation(GRU)
    h = gru.rest_state(excitation)
    a, h_next = (np.array(v).ravel() for v in gru.step(excitation, h))
    assert np.max(np.abs(h_next - h)) < 1e-10
    assert abs(a[0] - excitation) <= EPSILON


def test_hidden_states_start_at_rest_and_activations_stay_states():
    problem = load_problem(PROBLEM)
    model = problem.model
    assert problem.transcription.intervals * model.sample_time_s == pytest.approx(0.6)
    rest = load_recurrent_activation(GRU).rest_state(0.0)
    for m in model.muscles:
        assert problem.initial[f"{m.name}_activation"] == 0.0
        np.testing.assert_allclose([problem.initial[n] for n in model.hidden_names[m.name]],
                                   rest)
    assert len(model.discrete_state_names) == 6 * (1 + 16)


@pytest.mark.parametrize("overrides, key, words", [
    ({"transcription.intervals": 50}, "transcription.intervals", "set intervals = 60"),
    ({"time.final": "0.605 s"}, "transcription.intervals", "multiple of 0.01 s"),
    ({"time.final": ["0.4 s", "0.8 s"]}, "time.final", "final time must be too"),
    ({"model.activation_dynamics": "surrogates/contact_heel_normal_force.casadi"},
     "model.activation_dynamics", "'emg_activation'"),
    ({"model.activation_dynamics": "surrogates/no_such_gru.casadi"},
     "model.activation_dynamics", "does not exist"),
    ({"model.activation_dynamics": 100}, "model.activation_dynamics", "learned activation"),
])
def test_bad_learned_activation_is_refused_naming_file_and_key(overrides, key, words):
    with pytest.raises(ProblemError) as info:
        load_problem(PROBLEM, overrides)
    assert info.value.key == key
    assert PROBLEM.name in str(info.value)
    assert words in str(info.value)


@pytest.mark.slow
def test_gru_reach_converges_close_to_the_analytic_reach_on_the_same_mesh():
    """The GRU reach against the ODE reach on the same 60-interval mesh.

    - Activations: the GRU reproduces the ODE's activation with RMS error
      epsilon on its validation data, and the optimum reacts to that error by
      a comparable amount, so each muscle's activation differs by at most
      2 epsilon (RMS over time).
    - Objective J = integral of sum a^2 = ||a||^2 over T = 0.6 s and M = 6
      muscles. With a_gru = a_ode + d and ||d|| <= sqrt(T M) epsilon (RMS error
      epsilon), the triangle inequality gives
      |J_gru - J_ode| <= 2 ||a_ode|| ||d|| + ||d||^2.
    - Replay: the GRU's optimal excitations, played through the ODE, give its
      activations within epsilon (RMS): the optimiser did not exploit the
      network outside what it was trained on.
    """
    gru = solve(load_problem(PROBLEM))
    ode = solve(load_problem(PROBLEM, {"model.activation_dynamics": True}))
    assert gru.status == "success" and ode.status == "success"
    muscles = [n[:-len("_activation")] for n in ode.state_names if n.endswith("_activation")]
    for m in muscles:
        difference = gru.state(f"{m}_activation") - ode.state(f"{m}_activation")
        assert np.sqrt(np.mean(difference ** 2)) <= 2 * EPSILON, m

    T, M = 0.6, len(muscles)
    j_ode, j_gru = ode.cost_terms["activation"], gru.cost_terms["activation"]
    d = math.sqrt(T * M) * EPSILON
    assert abs(j_gru - j_ode) <= 2 * math.sqrt(j_ode) * d + d ** 2

    nodes = slice(None, None, 2)  # Hermite-Simpson: mesh points are every other column
    e = np.array([gru.control(f"{m}_excitation")[nodes] for m in muscles])
    a = np.array([gru.state(f"{m}_activation")[nodes] for m in muscles])
    replay = _ode_activation(e, initial=a[:, 0])
    assert np.max(np.sqrt(np.mean((replay - a) ** 2, axis=1))) <= EPSILON
    # the hand reaches the target in both
    for s in (gru, ode):
        assert s.output("hand_x")[-1] == pytest.approx(-0.10, abs=1e-6)
        assert s.output("hand_y")[-1] == pytest.approx(0.50, abs=1e-6)
