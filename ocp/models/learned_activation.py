"""A trained recurrent step in place of the activation ODE of a muscle-driven model.

``[model] activation_dynamics = "surrogates/emg_activation_gru.casadi"``: the
GRU of ``learned_components.recurrent`` (trained on the activation dynamics of
De Groote et al. 2016, exported as its step ``(x, h) -> (y, h_next)`` at
``rate_hz``, component ``emg_activation``) replaces the activation ODE of every
muscle. The network is a discrete-time map, so per muscle ``m``:

- the states are ``<m>_activation`` (the network's output ``y``) and
  ``<m>_hidden_0 .. <m>_hidden_{H-1}`` (its hidden state; an LSTM's is
  ``<m>_hidden_i`` then its cell state ``<m>_cell_i``, bounded by the
  ``state_bounds`` recorded at training, not by the GRU's [-1, 1]), both *discrete
  states* (``Model.discrete_state_names``); the control is ``<m>_excitation``;
- between mesh points ``k`` and ``k + 1``, one network step:
  ``(a[k+1], h[k+1]) = step(e[k+1], h[k])``, the training convention
  (``learned_components.sequence.activation_response``: the activation of a
  sample has seen that sample's excitation; excitation linear between samples);
- so the mesh interval must equal the training sample time ``1 / rate_hz``
  and the final time is fixed (``Problem.validate`` says so otherwise);
- inside an interval (the Hermite-Simpson midpoint, Radau points) activation
  and hidden state are linear between the interval's ends
  (``Transcription.discrete_defects``): the activation that drives the muscle
  force is piecewise linear in time. With ``control_midpoints = "linear"`` the
  excitation is piecewise linear too, as in training;
- at t0 the hidden state is the network's rest state under a constant
  excitation equal to the initial activation (``rest_state``, a fixed point of
  the step): the muscle was at rest before the movement. The problem file fills
  these initial values in (``rest_conditions``); in Python, add them to
  ``Problem.initial`` yourself.

The skeleton, muscle forces and every other state keep their ODE and their
transcription. Only ``casadi`` is needed here (no torch).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import casadi as ca
import numpy as np

from ocp.models.base import Model
from ocp.models.contact import PLANAR_GROUND
from ocp.models.protocols import ContactModel, MuscleModel, SurrogateModel
from ocp.models.surrogate import Surrogate, SurrogateMismatch, load_surrogate

EMG_ACTIVATION = "emg_activation"
#: A GRU's hidden state is a convex combination of its previous value and a tanh,
#: so it stays in [-1, 1] when it starts there (Cho et al. 2014); so does an RNN's.
#: An LSTM's cell state does not: its bounds come from the training
#: (``state_bounds`` in NAME.json, learned_components.recurrent.state_bounds).
HIDDEN_BOUNDS = (-1.0, 1.0)
#: Fixed-point iteration for the rest state: steps and tolerance (hidden units).
REST_STEPS, REST_TOLERANCE = 20000, 1e-12
#: Settling time of the fast activation (s; 8x the 60 ms deactivation time
#: constant) for the rest state of a network with a slow fatigue state.
SETTLE_S = 0.5


@dataclass(frozen=True)
class RecurrentActivation:
    """A checked ``emg_activation`` surrogate: (e, h) -> (a, h_next) every ``sample_time_s``."""

    surrogate: Surrogate
    _rest: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def step(self) -> ca.Function:
        return self.surrogate.function

    @property
    def hidden(self) -> int:
        """Size H of the hidden state."""
        return self.step.size1_in(1)

    @property
    def is_lstm(self) -> bool:
        """An LSTM: the state is [h; c], H/2 hidden then H/2 cell entries."""
        return self.surrogate.metadata.get("architecture") == "lstm"

    @property
    def state_bounds(self) -> list:
        """(low, high) per entry of the state: recorded at training, else [-1, 1]."""
        recorded = self.surrogate.metadata.get("state_bounds")
        if recorded is None:
            return [HIDDEN_BOUNDS] * self.hidden
        return [(float(lo), float(hi)) for lo, hi in recorded]

    def state_suffixes(self) -> tuple:
        """Names of the state entries: hidden_0.. (and cell_0.. for an LSTM)."""
        if self.is_lstm:
            half = self.hidden // 2
            return tuple(f"hidden_{i}" for i in range(half)) + \
                tuple(f"cell_{i}" for i in range(half))
        return tuple(f"hidden_{i}" for i in range(self.hidden))

    @property
    def sample_time_s(self) -> float:
        return 1.0 / float(self.surrogate.metadata["rate_hz"])

    @property
    def rms_error(self) -> float | None:
        """Validation RMS error of the activation (activation units), from training."""
        return self.surrogate.metadata.get("training", {}).get("validation_rms_error")

    @property
    def slow_state(self) -> bool:
        """Trained with a slow fatigue-like state (``task = "fatigue"``)."""
        return self.surrogate.metadata.get("training", {}).get("task") == "fatigue"

    def rest_state(self, excitation: float) -> np.ndarray:
        """Hidden state (H,) at rest under a constant ``excitation``: h = step(e, h).

        A network trained with a slow fatigue state has no such fixed point
        that means rest (held long enough, any excitation fatigues the muscle):
        its rest state is the training sequences' start, zeros (no fatigue),
        stepped ``SETTLE_S`` under the excitation so that the fast activation
        has settled.
        """
        key = round(float(excitation), 12)
        if key not in self._rest and self.slow_state:
            h = np.zeros(self.hidden)
            for _ in range(int(round(SETTLE_S / self.sample_time_s))):
                h = np.array(self.step(key, h)[1]).ravel()
            self._rest[key] = h
        if key not in self._rest:
            h = np.zeros(self.hidden)
            for _ in range(REST_STEPS):
                h_next = np.array(self.step(key, h)[1]).ravel()
                if np.max(np.abs(h_next - h)) < REST_TOLERANCE:
                    break
                h = h_next
            else:
                raise SurrogateMismatch(
                    f"surrogate '{self.surrogate.path.name}' has no rest state under a "
                    f"constant excitation {key:g}: {REST_STEPS} steps did not converge")
            self._rest[key] = h_next
        return self._rest[key]


def load_recurrent_activation(path) -> RecurrentActivation:
    """Read and check an ``emg_activation`` surrogate (NAME.casadi + NAME.json).

    Raises ProblemError for a missing or corrupt file (ocp.models.surrogate)
    and SurrogateMismatch for another component, signature or no ``rate_hz``.
    """
    surrogate = load_surrogate(path, EMG_ACTIVATION)
    name, f = surrogate.path.name, surrogate.function
    shapes = ([list(f.size_in(i)) for i in range(f.n_in())],
              [list(f.size_out(i)) for i in range(f.n_out())])
    H = f.size1_in(1) if f.n_in() == 2 else 0
    if H < 1 or shapes != ([[1, 1], [H, 1]], [[1, 1], [H, 1]]):
        raise SurrogateMismatch(f"surrogate '{name}' maps {shapes[0]} to {shapes[1]}; a "
                                f"recurrent activation step maps (excitation [1, 1], hidden "
                                f"[H, 1]) to (activation [1, 1], next hidden [H, 1])")
    rate = surrogate.metadata.get("rate_hz")
    if not isinstance(rate, (int, float)) or isinstance(rate, bool) or not rate > 0:
        raise SurrogateMismatch(f"surrogate '{name}' does not record its sample rate "
                                f"('rate_hz' in {surrogate.path.with_suffix('.json').name})")
    bounds = surrogate.metadata.get("state_bounds")
    if bounds is None and surrogate.metadata.get("architecture") == "lstm":
        raise SurrogateMismatch(f"surrogate '{name}' is an LSTM without 'state_bounds' (the "
                                f"bounds of its cell state) in "
                                f"{surrogate.path.with_suffix('.json').name}: train it again "
                                f"with ocp train")
    if bounds is not None and (not isinstance(bounds, list) or len(bounds) != H or not all(
            isinstance(b, list) and len(b) == 2 and b[0] <= b[1] for b in bounds)):
        raise SurrogateMismatch(f"surrogate '{name}': 'state_bounds' is not {H} pairs "
                                f"[low, high]")
    return RecurrentActivation(surrogate)


class LearnedActivationModel(Model):
    """A muscle-driven model whose activation ODE is replaced by a recurrent step.

    ``base`` is a muscle model (ocp.models.protocols.MuscleModel) with
    activation dynamics; its states come first (activations included, now
    discrete), then the hidden states, muscle by muscle. Everything else
    (outputs, forces) is the base's. It declares what it is: a wrapper
    (``base``), a muscle and contact model (``tree``, ``muscles``, ``tendon``,
    ``activation_dynamics``, ``contacts`` forwarded from the base), a model
    with surrogates, with a discrete step, and with rest conditions.
    """

    def __init__(self, base, activation: RecurrentActivation):
        if not isinstance(base, MuscleModel):
            raise ValueError(f"model '{base.name}' has no muscles whose activation to replace")
        if not base.activation_dynamics:
            raise ValueError(f"model '{base.name}' has no activation dynamics to replace: "
                             f"its controls are the activations")
        self.base, self.activation = base, activation
        self.name, self.time_dependent = base.name, base.time_dependent
        H, muscles = activation.hidden, [m.name for m in base.muscles]
        self.hidden_names = {m: tuple(f"{m}_{s}" for s in activation.state_suffixes())
                             for m in muscles}
        self.state_names = tuple(base.state_names) + sum(self.hidden_names.values(), ())
        self.state_units = tuple(base.state_units) + ("-",) * (H * len(muscles))
        self.control_names, self.control_units = base.control_names, base.control_units
        self.algebraic_names, self.algebraic_units = base.algebraic_names, base.algebraic_units
        self.discrete_state_names = tuple(f"{m}_activation" for m in muscles) + \
            sum(self.hidden_names.values(), ())
        self.sample_time_s = activation.sample_time_s
        self.discrete_origin = (f"the learned activation '{activation.surrogate.path.name}' "
                                f"([model] activation_dynamics)")
        base_surrogates = base.surrogates if isinstance(base, SurrogateModel) else {}
        self.surrogates = {**base_surrogates, "activation": activation.surrogate}
        self.surrogate_inputs = dict(base.surrogate_inputs) \
            if isinstance(base, SurrogateModel) else {}
        self._activation_rows = [base.state_names.index(f"{m}_activation") for m in muscles]

    def arguments(self) -> dict:
        """The constructor's arguments (Model.replace)."""
        return {"base": self.base, "activation": self.activation}

    # -- what the base model is, forwarded (ocp.models.protocols) ------------
    @property
    def tree(self):
        return self.base.tree

    @property
    def muscles(self):
        return self.base.muscles

    @property
    def tendon(self) -> str:
        return self.base.tendon

    @property
    def activation_dynamics(self) -> bool:
        """True: the controls are excitations, the activations states (here discrete)."""
        return True

    @property
    def contacts(self):
        return self.base.contacts if isinstance(self.base, ContactModel) else ()

    @property
    def ground(self):
        return self.base.ground if isinstance(self.base, ContactModel) else PLANAR_GROUND

    def _base_x(self, x):
        return x[:self.base.nx]

    def _without_activation_rates(self, xdot):
        rows = [0 if i in self._activation_rows else xdot[i] for i in range(self.base.nx)]
        return ca.vertcat(*rows, ca.SX.zeros(self.nx - self.base.nx, 1))

    def dynamics(self, x, u):
        return self._without_activation_rates(self.base.dynamics(self._base_x(x), u))

    def dynamics_at(self, x, u, t):  # t (s) passed on to a non-autonomous base
        return self._without_activation_rates(self.base.dynamics_at(self._base_x(x), u, t))

    def implicit_dynamics(self, x, u, z):
        xdot, residual = self.base.implicit_dynamics(self._base_x(x), u, z)
        return self._without_activation_rates(xdot), residual

    def discrete_step(self, x, u):
        """(a_1..a_M, h_1..h_M) at an interval's end: step(e_m at the end, h_m at the start)."""
        activations, hidden = [], []
        for m, names in self.hidden_names.items():
            e = u[self.control_names.index(f"{m}_excitation")]
            i = self.state_names.index(names[0])
            a, h = self.activation.step(e, x[i:i + len(names)])
            activations.append(a)
            hidden.append(h)
        return ca.vertcat(*activations, *hidden)

    def rest_conditions(self, initial: dict) -> dict:
        """Initial hidden states at rest, for the initial activations in ``initial``.

        A muscle whose initial activation is a range takes its midpoint; one
        without an initial activation rests at zero excitation. Hidden states
        already in ``initial`` are kept.
        """
        out = {}
        for m, names in self.hidden_names.items():
            if any(n in initial for n in names):
                continue
            value = initial.get(f"{m}_activation", 0.0)
            a0 = 0.5 * sum(value) if isinstance(value, (tuple, list)) else float(value)
            if not math.isfinite(a0):
                a0 = 0.0
            out.update(zip(names, map(float, self.activation.rest_state(a0))))
        return out

    def outputs(self, x, u):
        return self.base.outputs(self._base_x(x), u)

    def outputs_at(self, x, u, t):
        return self.base.outputs_at(self._base_x(x), u, t)

    def output_units(self):
        return self.base.output_units()

    def joint_torques(self, x, u):
        return self.base.joint_torques(self._base_x(x), u)

    def activations(self, x, u):
        return self.base.activations(self._base_x(x), u)

    def path_residuals(self, x, u):
        return self.base.path_residuals(self._base_x(x), u)

    def default_bounds(self):
        bounds = dict(self.base.default_bounds())
        for names in self.hidden_names.values():
            bounds.update(zip(names, map(tuple, self.activation.state_bounds)))
        return bounds

    def parameters(self):
        return {**self.base.parameters(),
                "activation_dynamics": self.activation.surrogate.path.name}


def learned_activation(base, path) -> LearnedActivationModel:
    """``base`` with the recurrent activation of the surrogate at ``path``."""
    return LearnedActivationModel(base, load_recurrent_activation(path))
