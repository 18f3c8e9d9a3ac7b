"""Last-layer Laplace approximation: epistemic uncertainty from one trained network.

Beside the deep ensemble (ensemble.py, five trainings), a Bayesian treatment
of the last layer of one mean-variance network (``networks.MeanVarianceMLP``,
trained with the Gaussian negative log-likelihood). Given the last hidden
layer's features phi(x) (with a 1 for the bias) and the network's own noise
variances sigma^2(x), the mean head y_j = w_j . phi(x) is a linear-Gaussian
model in w_j, so the Laplace approximation of its posterior is exact
(Daxberger et al. 2021, "Laplace Redux", NeurIPS; MacKay 1992):

    precision  P_j = sum_i phi_i phi_i^T / sigma_ij^2 + lambda I   (GGN + prior)
    mean       w_j = P_j^-1 sum_i phi_i y_ij / sigma_ij^2           (MAP at this prior)
    evidence   log p(D | lambda) = -1/2 sum_i [r_ij^2 / sigma_ij^2 + log(2 pi sigma_ij^2)]
                                   - lambda/2 |w_j|^2 + (P/2) log lambda - 1/2 log det P_j

all in normalised units. The prior precision lambda (one for all outputs)
maximises the evidence over a log grid. Predictions: epistemic variance
e(x) = phi(x)^T P_j^-1 phi(x); aleatoric variance the variance head plus the
epistemic variance, both at the head's (clamped) input c(x):
sigma^2(x) = v(c(x)) + e(c(x)); all times std_y^2. The head v was fitted to
the residuals of a fit on the same data, and a fit's residual at a training
point has variance sigma^2 - e (the hat matrix H = Phi P^-1 Phi^T Sigma^-1:
((I - H) Sigma (I - H)^T)_ii = sigma_i^2 - e_i for a flat prior), so v
estimates sigma^2 - e. Summed over the training points, e_i / sigma_i^2 is
MacKay's number of well-determined parameters gamma: the correction is the
pointwise form of dividing the squared residuals by n - gamma instead of n
(the last layer's share; the hidden layers fitted the same residuals too).

The generalised Gauss-Newton matrix of the Gaussian likelihood is its exact
Hessian for a model linear in its weights, which the last layer is.
"""
from __future__ import annotations

from dataclasses import dataclass

import casadi as ca
import numpy as np

from learned_components._torch import require_torch
from learned_components.ensemble import Prediction
from learned_components.export import MIN_VARIANCE, activation, mean_variance_expression
from learned_components.networks import MeanVarianceMLP, activate

torch = require_torch()

#: Prior precisions tried (normalised units): 10^-4 ... 10^4.
PRIOR_GRID = np.logspace(-4, 4, 161)


@dataclass(frozen=True)
class LastLayerLaplace:
    """The network, the posterior of its mean head (per output) and the chosen prior."""

    module: MeanVarianceMLP
    weights: np.ndarray          # (n_out, P) MAP of [W_mean | b_mean]
    covariances: np.ndarray      # (n_out, P, P)
    prior_precision: float
    log_evidence: np.ndarray     # over PRIOR_GRID


def features(module: MeanVarianceMLP, inputs: np.ndarray) -> np.ndarray:
    """The last hidden layer's outputs plus a column of ones: (n, H + 1)."""
    x = torch.as_tensor(np.atleast_2d(inputs), dtype=torch.float64)
    with torch.no_grad():
        z = (x - module.input_mean) / module.input_std
        for layer in module.layers[:-1]:
            z = activate(module.activation, layer(z))
    z = z.numpy()
    return np.hstack([z, np.ones((z.shape[0], 1))])


def _noise_variance(module: MeanVarianceMLP, inputs: np.ndarray) -> np.ndarray:
    """The variance head in normalised units, (n, n_out)."""
    x = torch.as_tensor(np.atleast_2d(inputs), dtype=torch.float64)
    with torch.no_grad():
        head = module.normalised(module.clamped(x))[:, module.n_out:]
        return (torch.log1p(torch.exp(head)) + MIN_VARIANCE).numpy()


def linear_evidence(design: np.ndarray, targets: np.ndarray, variance, lam: float):
    """(log evidence, posterior mean, precision) of Bayesian linear regression
    y = design @ w + e, e ~ N(0, variance) (a scalar, or one per row), w ~ N(0, I / lam):
    the marginal likelihood that picks a last layer's prior precision (MacKay 1992)."""
    var = np.broadcast_to(np.asarray(variance, dtype=float), targets.shape)
    P = design.shape[1]
    precision = design.T @ (design / var[:, None]) + lam * np.eye(P)
    mean = np.linalg.solve(precision, design.T @ (targets / var))
    r = targets - design @ mean
    evidence = (-0.5 * np.sum(np.log(2 * np.pi * var)) - 0.5 * np.sum(r ** 2 / var)
                - 0.5 * lam * mean @ mean + 0.5 * P * np.log(lam)
                - 0.5 * np.linalg.slogdet(precision)[1])
    return evidence, mean, precision


def fit_laplace(module: MeanVarianceMLP, inputs: np.ndarray, outputs: np.ndarray,
                grid=PRIOR_GRID) -> LastLayerLaplace:
    """The last-layer posterior of ``module`` on training data (inputs, outputs)."""
    phi = features(module, inputs)
    var = _noise_variance(module, inputs)
    mean_y, std_y = module.output_mean.numpy(), module.output_std.numpy()
    y = (outputs - mean_y) / std_y
    n_out = y.shape[1]
    evidence = np.array([sum(linear_evidence(phi, y[:, j], var[:, j], lam)[0]
                             for j in range(n_out)) for lam in grid])
    lam = float(grid[int(np.argmax(evidence))])
    weights, covariances = [], []
    for j in range(n_out):
        _, w, precision = linear_evidence(phi, y[:, j], var[:, j], lam)
        weights.append(w)
        covariances.append(np.linalg.inv(precision))
    return LastLayerLaplace(module, np.array(weights), np.array(covariances), lam, evidence)


def laplace_predict(laplace: LastLayerLaplace, inputs: np.ndarray) -> Prediction:
    """Mean, aleatoric and epistemic variance (output units) at ``inputs`` (n, n_in)."""
    module = laplace.module
    phi = features(module, inputs)
    mean_y, std_y = module.output_mean.numpy(), module.output_std.numpy()
    mean = mean_y + std_y * (phi @ laplace.weights.T)
    epistemic = _epistemic(laplace, phi)
    with torch.no_grad():
        head_input = module.clamped(torch.as_tensor(np.atleast_2d(inputs),
                                                    dtype=torch.float64)).numpy()
    aleatoric = residual_corrected_noise(_noise_variance(module, inputs),
                                         _epistemic(laplace, features(module, head_input)))
    return Prediction(mean, aleatoric * std_y ** 2, epistemic * std_y ** 2)


def _epistemic(laplace: LastLayerLaplace, phi: np.ndarray) -> np.ndarray:
    """phi^T P_j^-1 phi per row and output, normalised units (n, n_out)."""
    return np.einsum("ia,jab,ib->ij", phi, laplace.covariances, phi)


def residual_corrected_noise(head_variance, epistemic):
    """The noise variance from a head fitted to in-sample residuals: head + epistemic.

    A residual of the posterior-mean fit at a training point has variance
    sigma^2 - e (module docstring), so the head, which learnt the residuals'
    scale, is short by e there.
    """
    return head_variance + epistemic


def gaussian_nll(prediction: Prediction, targets: np.ndarray) -> float:
    """Mean negative log-likelihood of targets under N(mean, total variance), nats."""
    var = prediction.total
    return float(np.mean(0.5 * np.log(2 * np.pi * var)
                         + 0.5 * (targets - prediction.mean) ** 2 / var))


def laplace_function(laplace: LastLayerLaplace, name: str = "laplace") -> ca.Function:
    """x -> (mean, aleatoric, epistemic, total) as a CasADi Function, each (n_out, 1)."""
    w = laplace.module.weights()
    x = ca.SX.sym("x", laplace.module.n_in)
    phi = _features_expression(w, x)
    std = ca.DM(w["output_std"])
    mean = ca.DM(w["output_mean"]) + std * ca.mtimes(ca.DM(laplace.weights), phi)
    epistemic = _epistemic_expression(laplace, w, x) * std ** 2
    box = w.get("input_range")  # the head's input: clamped to its box
    head_input = x if box is None else ca.fmax(ca.fmin(x, ca.DM([r[1] for r in box])),
                                               ca.DM([r[0] for r in box]))
    aleatoric = mean_variance_expression(w, x)[1] \
        + _epistemic_expression(laplace, w, head_input) * std ** 2
    return ca.Function(name, [x], [mean, aleatoric, epistemic, aleatoric + epistemic],
                       ["x"], ["mean", "aleatoric", "epistemic", "total"])


def _features_expression(w: dict, x):
    z = (x - ca.DM(w["input_mean"])) / ca.DM(w["input_std"])
    for W, b in w["layers"][:-1]:
        z = activation(w["activation"], ca.mtimes(ca.DM(W), z) + ca.DM(b))
    return ca.vertcat(z, 1)


def _epistemic_expression(laplace: LastLayerLaplace, w: dict, x):
    phi = _features_expression(w, x)
    return ca.vertcat(*[ca.mtimes([phi.T, ca.DM(S), phi]) for S in laplace.covariances])


# -- a known heteroscedastic problem ------------------------------------------

def toy_function(x):
    """The noise-free curve on [-1, 1]."""
    return np.sin(3.0 * x) + 0.3 * x


def toy_noise_std(x):
    """Known input-dependent noise: 0.05 at x = -1 rising linearly to 0.25 at x = 1."""
    return 0.15 + 0.1 * x


def toy_inputs(samples: int, seed: int, dense_fraction: float = 0.8) -> np.ndarray:
    """``dense_fraction`` of the points in [-1, 0], the rest in [0, 1]."""
    rng = np.random.default_rng(seed)
    dense = rng.random(samples) < dense_fraction
    return np.where(dense, rng.uniform(-1, 0, samples), rng.uniform(0, 1, samples))[:, None]


def toy_dataset(samples: int, seed: int = 0, dense_fraction: float = 0.8):
    """A Dataset y = toy_function(x) + N(0, toy_noise_std(x)^2)."""
    from learned_components.datasets import Dataset
    x = toy_inputs(samples, seed, dense_fraction)
    clean = toy_function(x)
    std = toy_noise_std(x)
    noisy = clean + std * np.random.default_rng(seed + 99).standard_normal(clean.shape)
    return Dataset(x, noisy, np.zeros((samples, 1, 1)), std, ("x",), ("-",), ("y",), ("-",),
                   ((-1.0, 1.0),), clean)


def laplace_report(laplace: LastLayerLaplace, data, validation_index, outside: np.ndarray,
                   level: float = 0.95) -> dict:
    """As ``ensemble.uncertainty_report``, for a last-layer Laplace posterior."""
    from learned_components.ensemble import uncertainty_summary
    val = data.subset(validation_index)
    inside = laplace_predict(laplace, val.inputs)
    beyond = laplace_predict(laplace, outside)
    return {"method": "last-layer Laplace", "prior_precision": laplace.prior_precision,
            "validation_nll": gaussian_nll(inside, val.outputs),
            **uncertainty_summary(inside, beyond, val, level)}
