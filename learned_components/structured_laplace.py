"""Last-layer Laplace for recurrent and graph surrogates: ``[training] laplace = true``.

The alternative to ``ensemble = N`` (structured_ensemble.py) for the
structured networks, as laplace.py is for geometry and contact: one network
is trained, and the layer its outputs depend on linearly gets a Gaussian
posterior (Daxberger et al. 2021, "Laplace Redux"; MacKay 1992):

- recurrent (RNN, GRU, LSTM): the read-out y_t = w . [h_t; 1] (normalised
  units), one row per time step of the training sequences (H + 1 weights);
- graph (tree dynamics): the torque read-out tau_i = w . N_i (N_i the moment
  channels of joint i), one row per joint of every training chain, on the
  inverse-dynamics residual (``moments`` weights, 4 by default).

With the rows as a design matrix A, targets y, the noise variance sigma^2 =
the trained network's mean squared residual on its training data, and the
prior precision lambda that maximises the evidence of Bayesian linear
regression over laplace.PRIOR_GRID::

    Sigma = (A^T A / sigma^2 + lambda I)^-1,  mean = the trained weights

A^T A / sigma^2 is the exact Hessian of the Gaussian likelihood in a layer
the outputs are linear in (tests/test_structured_laplace.py checks Sigma
against torch's Hessian of the loss and against the closed-form posterior).
The network's other weights are fixed: the spread is the read-out's only.
Written beside the trained network (``OUT.casadi``, the drop-in, unchanged):

- ``OUT_laplace.casadi``: the network with the epistemic variance of each
  output (recurrent: (x, h) -> (y, h_next, variance); tree: (q, qd, x) ->
  (output, variance per joint); forward dynamics, nonlinear in w, linearised:
  diag(J Sigma J^T) with J = d qdd / d w);
- ``OUT_member1.casadi`` ... ``OUT_member<K>.casadi`` (K = ``SAMPLES``): the
  network with read-out weights drawn from the posterior (seeded by the
  training seed), each a drop-in, so that ``ocp solve PROBLEM --members KEY``
  propagates the posterior to the movement as it does an ensemble.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass

import casadi as ca
import numpy as np

from learned_components._torch import require_torch
from learned_components.export import write_surrogate
from learned_components.graph import INVERSE_DYNAMICS, graph_function, tensors_of
from learned_components.laplace import PRIOR_GRID, linear_evidence
from learned_components.recurrent import step_function
from learned_components.training import TrainResult

torch = require_torch()

#: Posterior draws written as members (``OUT_member<k>.casadi``).
SAMPLES = 5


@dataclass(frozen=True)
class LinearPosterior:
    """Gaussian posterior N(weights, covariance) of a last layer."""

    weights: np.ndarray          # (P,) the trained layer: the posterior's mean
    covariance: np.ndarray       # (P, P)
    noise_variance: float        # sigma^2, in the design's output units
    prior_precision: float
    log_evidence: np.ndarray     # over the grid

    def variance(self, design: np.ndarray) -> np.ndarray:
        """Epistemic variance of each row's output, a^T Sigma a: (n,)."""
        return np.einsum("ia,ab,ib->i", design, self.covariance, design)

    def draws(self, count: int, seed: int) -> np.ndarray:
        """(count, P) weights drawn from the posterior."""
        rng = np.random.default_rng(seed)
        return rng.multivariate_normal(self.weights, self.covariance, count)

    def summary(self) -> dict:
        return {"parameters": int(len(self.weights)),
                "noise_std": float(np.sqrt(self.noise_variance)),
                "prior_precision": float(self.prior_precision),
                "weight_std": [float(s) for s in np.sqrt(np.diag(self.covariance))]}


def linear_posterior(design: np.ndarray, targets: np.ndarray, weights: np.ndarray,
                     grid=PRIOR_GRID) -> LinearPosterior:
    """The posterior of y = design @ w about the trained ``weights`` (see the module
    docstring): noise from their residuals, prior precision by the evidence."""
    A, y, w = (np.asarray(a, dtype=float) for a in (design, targets, weights))
    noise = float(np.mean((y - A @ w) ** 2))
    evidence = np.array([linear_evidence(A, y, noise, lam)[0] for lam in grid])
    lam = float(grid[int(np.argmax(evidence))])
    covariance = np.linalg.inv(linear_evidence(A, y, noise, lam)[2])
    return LinearPosterior(w, 0.5 * (covariance + covariance.T), noise, lam, evidence)


# -- recurrent: the read-out over [h_t; 1] --------------------------------------

def recurrent_design(net, inputs: np.ndarray) -> np.ndarray:
    """Rows [h_t; 1] for every step of the sequences ``inputs`` (batch, T): (batch T, H + 1)."""
    with torch.no_grad():
        h = net.states(torch.as_tensor(np.atleast_2d(inputs), dtype=torch.float64))
    h = h.numpy().reshape(-1, net.hidden)
    return np.hstack([h, np.ones((len(h), 1))])


def recurrent_weights(net) -> np.ndarray:
    return np.concatenate([net.readout.weight.detach().numpy().ravel(),
                           net.readout.bias.detach().numpy()])


def recurrent_posterior(net, inputs: np.ndarray, targets: np.ndarray) -> LinearPosterior:
    """The read-out's posterior on training sequences (inputs, targets), each (batch, T)."""
    y = (np.asarray(targets).ravel() - float(net.output_mean)) / float(net.output_std)
    return linear_posterior(recurrent_design(net, inputs), y, recurrent_weights(net))


def recurrent_std(net, posterior: LinearPosterior, inputs: np.ndarray) -> np.ndarray:
    """Epistemic standard deviation of the output (batch, T), output units."""
    var = posterior.variance(recurrent_design(net, inputs))
    return float(net.output_std) * np.sqrt(var).reshape(np.atleast_2d(inputs).shape)


def with_readout(weights: dict, w: np.ndarray) -> dict:
    """A SequenceNet's weights (``net.weights()``) with the read-out [W_o | b_o] = ``w``."""
    return {**weights, "readout": (np.asarray(w[:-1])[None, :], np.asarray(w[-1:]))}


def recurrent_laplace_function(weights: dict, posterior: LinearPosterior,
                               name: str) -> ca.Function:
    """(x, h) -> (y, h_next, epistemic variance of y) of the exported step."""
    step = step_function(weights, name)
    x, h = ca.SX.sym("x", 1), ca.SX.sym("h", step.size1_in(1))
    y, h_next = step(x, h)
    phi = ca.vertcat(h_next[:len(posterior.weights) - 1], 1)
    var = ca.mtimes([phi.T, ca.DM(posterior.covariance), phi]) \
        * float(np.asarray(weights["output_std"]).ravel()[0]) ** 2
    return ca.Function(name, [x, h], [y, h_next, var], ["x", "h"],
                       ["y", "h_next", "epistemic"])


# -- graph: the torque read-out over the moment channels -----------------------

def graph_design(net, chains) -> tuple[np.ndarray, np.ndarray]:
    """(rows N_i, torques) over every joint of every chain (TreeBatch), inverse dynamics."""
    probe = copy.deepcopy(net)
    moments = net.channels["moments"]
    with torch.no_grad():
        probe.weights_["readout"] = torch.nn.Parameter(torch.eye(moments, dtype=torch.float64))
        rows, taus = [], []
        for b in chains:
            t = lambda a: torch.as_tensor(np.ascontiguousarray(a), dtype=torch.float64)  # noqa
            out = probe.inverse_dynamics(tensors_of(b), t(b.q), t(b.qd), t(b.qdd),
                                         b.gravity_m_s2).numpy()
            rows.append(out.reshape(-1, moments))      # (B n, moments), joint-major per sample
            taus.append(np.asarray(b.tau).reshape(-1))
    return np.vstack(rows), np.concatenate(taus)


def graph_posterior(net, chains) -> LinearPosterior:
    """The torque read-out's posterior on training chains (TreeBatch list)."""
    design, tau = graph_design(net, chains)
    w = net.weights_["readout"].detach().numpy().ravel()
    return linear_posterior(design, tau, w)


def graph_laplace_function(weights: dict, tree: dict, target: str,
                           posterior: LinearPosterior, name: str) -> ca.Function:
    """(q, qd, x) -> (output, epistemic variance per joint), linearised in the read-out."""
    w = ca.SX.sym("w", len(posterior.weights))
    f = graph_function(weights, tree, target, readout=w)
    n = f.size1_in(0)
    q, qd, x = ca.SX.sym("q", n), ca.SX.sym("qd", n), ca.SX.sym("x", n)
    out = f(q, qd, x, w)
    jac = ca.Function("j", [q, qd, x, w], [out, ca.jacobian(out, w)])
    value, J = jac(q, qd, x, ca.DM(posterior.weights))
    var = ca.sum2(ca.mtimes(J, ca.DM(posterior.covariance)) * J)
    outputs = ["tau", "epistemic"] if target == INVERSE_DYNAMICS else ["qdd", "epistemic"]
    return ca.Function(name, [q, qd, x], [value, var], [f.name_in(i) for i in range(3)],
                       outputs)


def graph_with_readout(weights: dict, w: np.ndarray) -> dict:
    """A GraphNetwork's weights (``net.weights()``) with the read-out ``w``."""
    return {**weights, "weights": {**weights["weights"], "readout": np.asarray(w)[None, :]}}


# -- ocp train -------------------------------------------------------------------

def train_structured_laplace(spec, train_one, training_data, load_network,
                             progress: bool = True) -> TrainResult:
    """Train one network (``train_one``), then its read-out's posterior on
    ``training_data(spec)`` (recurrent: (inputs, targets); tree: chains), written as
    ``OUT_laplace`` and ``SAMPLES`` posterior draws ``OUT_member<k>``."""
    result = train_one(spec, progress)
    net = load_network(result.checkpoint)
    meta = json.loads(spec.out.with_suffix(".json").read_text())
    recurrent = meta["component"] == "emg_activation"
    data = training_data(spec)
    if recurrent:
        posterior = recurrent_posterior(net, *data)
        weights = net.weights()
        laplace = recurrent_laplace_function(weights, posterior, f"{spec.architecture}_laplace")
        member = lambda w: step_function(with_readout(weights, w), f"{spec.architecture}_step")  # noqa
        scale = float(net.output_std)
    else:
        posterior = graph_posterior(net, data)
        weights, tree = net.weights(), meta["tree"]
        laplace = graph_laplace_function(weights, tree, spec.target, posterior,
                                         f"{spec.target}_laplace")
        member = lambda w: graph_function(graph_with_readout(weights, w), tree, spec.target)  # noqa
        scale = 1.0
    summary = {**posterior.summary(), "noise_std": scale * np.sqrt(posterior.noise_variance),
               "samples": SAMPLES, "sample_seed": spec.seed,
               "layer": "read-out [W | b] over the hidden state" if recurrent
               else "torque read-out over the moment channels"}
    exported = list(result.exported)
    exported.append(write_surrogate(laplace, {**meta, "laplace": summary,
                                              "component": f"{meta['component']}_laplace"},
                                    spec.out.with_name(f"{spec.out.name}_laplace"))[0])
    for k, w in enumerate(posterior.draws(SAMPLES, spec.seed), 1):
        exported.append(write_surrogate(member(w), {**meta, "laplace_sample": k},
                                        spec.out.with_name(f"{spec.out.name}_member{k}"))[0])
    lines = list(result.lines) + [
        f"laplace      {summary['layer']}: {summary['parameters']} weights, noise std "
        f"{summary['noise_std']:.3g}, prior precision {posterior.prior_precision:.3g}",
        f"members      {SAMPLES} posterior draws {spec.out.name}_member1..{SAMPLES}.casadi "
        f"(ocp solve --members)"]
    metrics = {**result.metrics, "laplace": summary}
    return TrainResult(spec, result.checkpoint, exported, metrics, lines)
