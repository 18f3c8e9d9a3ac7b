"""Deep ensembles: aleatoric and epistemic uncertainty of a surrogate.

Each member is a mean-variance network (``networks.MeanVarianceMLP``)
trained on the same data from its own random initial weights and batch order
with the Gaussian negative log-likelihood (Lakshminarayanan, Pritzel and
Blundell 2017, "Simple and scalable predictive uncertainty estimation using
deep ensembles", NeurIPS). With member means mu_k(x) and variances
sigma_k^2(x), the predictive variance splits by the law of total variance:

    Var(y) = E_k[sigma_k^2]  +  Var_k[mu_k]
             aleatoric          epistemic

the first the noise the members agree is in the data, the second their
disagreement, which grows where there was no data (outside the training
range). Intervals use the Gaussian quantile of the total variance.
"""
from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from learned_components.datasets import Dataset
from learned_components.training import Progress, Trained, TrainOptions, predict, train_network


@dataclass(frozen=True)
class Prediction:
    """Ensemble prediction at n points, each array (n, n_out), variances in output units^2."""

    mean: np.ndarray
    aleatoric: np.ndarray
    epistemic: np.ndarray

    @property
    def total(self) -> np.ndarray:
        return self.aleatoric + self.epistemic


def train_ensemble(data: Dataset, members: int = 5, hidden=(32, 32), activation: str = "tanh",
                   options: TrainOptions = TrainOptions(), progress: bool = False) -> list[Trained]:
    """``members`` mean-variance networks, seeds ``options.seed + k``, one validation split."""
    if members < 2:
        raise ValueError(f"an ensemble needs at least 2 members, got {members}")
    out = []
    for k in range(members):
        bar = Progress(options.epochs + options.lbfgs_steps, f"member {k + 1}/{members}") \
            if progress else None
        out.append(train_network(data, hidden, activation, options, mean_variance=True,
                                 progress=bar, seed_offset=k))
    return out


def ensemble_predict(networks, inputs: np.ndarray) -> Prediction:
    """Mean, aleatoric E[sigma^2] and epistemic Var[mu] of the members at ``inputs``."""
    pairs = [predict(net, inputs) for net in networks]
    means = np.stack([m for m, _ in pairs])
    variances = np.stack([v for _, v in pairs])
    mean = means.mean(axis=0)
    return Prediction(mean, variances.mean(axis=0), ((means - mean) ** 2).mean(axis=0))


def interval_coverage(prediction: Prediction, targets: np.ndarray, level: float = 0.95) -> float:
    """Fraction of targets inside mean +- z sqrt(total variance), z the two-sided quantile."""
    z = NormalDist().inv_cdf(0.5 + level / 2)
    inside = np.abs(targets - prediction.mean) <= z * np.sqrt(prediction.total)
    return float(inside.mean())


def outside_points(ranges, samples: int, margin: float = 0.5, seed: int = 0) -> np.ndarray:
    """Points (samples, d) outside the box ``ranges`` but within ``margin`` of its size of it.

    Drawn uniformly from the enlarged box, keeping those outside the original.
    """
    lo, hi = np.array(ranges, dtype=float).T
    width = hi - lo
    rng = np.random.default_rng(seed)
    out = np.empty((0, len(lo)))
    while out.shape[0] < samples:
        x = lo - margin * width + rng.random((4 * samples, len(lo))) * (1 + 2 * margin) * width
        keep = np.any((x < lo) | (x > hi), axis=1)
        out = np.vstack([out, x[keep]])
    return out[:samples]


def uncertainty_report(networks, data: Dataset, validation_index, outside: np.ndarray,
                       level: float = 0.95) -> dict:
    """Coverage and mean variances on validation data and on points outside the range.

    Variances are averaged over points and outputs and given as standard
    deviations in output units; ``epistemic_growth`` is the ratio of the mean
    epistemic variance outside to that on validation data.
    """
    val = data.subset(validation_index)
    inside = ensemble_predict(networks, val.inputs)
    beyond = ensemble_predict(networks, outside)
    return {"members": len(networks), **uncertainty_summary(inside, beyond, val, level)}


def uncertainty_summary(inside, beyond, val, level) -> dict:
    """Coverage, errors and variance split of predictions inside and beyond the training range.

    ``inside``/``beyond``: predictions with ``mean``, ``aleatoric``, ``epistemic``
    on the validation set and on points outside the range; ``val``: the
    validation data (``outputs``, ``noise_std``).
    """
    return {
        "coverage_level": level,
        "validation_coverage": interval_coverage(inside, val.outputs, level),
        "validation_rms_error": float(np.sqrt(np.mean((inside.mean - val.outputs) ** 2))),
        "validation_aleatoric_std": float(np.sqrt(inside.aleatoric.mean())),
        "validation_epistemic_std": float(np.sqrt(inside.epistemic.mean())),
        "true_noise_std": float(np.sqrt(np.mean(val.noise_std ** 2))),
        "outside_aleatoric_std": float(np.sqrt(beyond.aleatoric.mean())),
        "outside_epistemic_std": float(np.sqrt(beyond.epistemic.mean())),
        "epistemic_growth": float(beyond.epistemic.mean() / inside.epistemic.mean()),
    }
