"""Fitting a network to a Dataset: split, normalise, Adam then L-BFGS, early stopping.

- Fixed seeds: the split, the initial weights and the mini-batches all come
  from ``TrainOptions.seed``; the same call gives the same network.
- Normalisation: inputs and outputs standardised with the mean and standard
  deviation of the training part (stored in the module, see networks.MLP).
- Loss, in normalised units: mean squared error, plus ``derivative_weight``
  times the squared error of the derivatives d y / d x (a Sobolev loss: for
  muscle geometry these are minus the moment arms), or the Gaussian negative
  log-likelihood for mean-variance networks.
- Optimisers: Adam (mini-batch or full batch, learning rate decaying tenfold
  over the epochs), then full-batch L-BFGS with a strong Wolfe line search,
  which is far more accurate for the small smooth regressions here; either
  may be skipped (``epochs = 0`` or ``lbfgs_steps = 0``).
- Early stopping: the validation loss is checked after every epoch (and
  every L-BFGS step of 20 iterations); training stops after ``patience``
  checks without improvement and the best weights are restored.
"""
from __future__ import annotations

import copy
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from learned_components._torch import require_torch
from learned_components.datasets import Dataset
from learned_components.networks import MLP, MeanVarianceMLP
from ocp.errors import ProblemError

torch = require_torch()

#: L-BFGS iterations between two validation checks (one "step").
LBFGS_ITERATIONS_PER_STEP = 20


@dataclass(frozen=True)
class TrainOptions:
    """How to train. Epochs of Adam, then iterations of L-BFGS (0: none)."""

    epochs: int = 2000
    learning_rate: float = 1e-2
    batch_size: int = 0                  # 0: full batch
    patience: int = 200                  # epochs without validation improvement
    validation_fraction: float = 0.2
    seed: int = 0
    derivative_weight: float = 0.0       # Sobolev term (MSE losses only)
    lbfgs_steps: int = 0                 # each up to LBFGS_ITERATIONS_PER_STEP iterations
    threads: int = 1                     # torch threads; the machine is shared

    def check(self):
        if not 0 < self.validation_fraction < 1:
            raise ValueError(f"validation_fraction must be in (0, 1), got "
                             f"{self.validation_fraction}")
        for key in ("epochs", "patience", "batch_size", "lbfgs_steps"):
            if getattr(self, key) < 0:
                raise ValueError(f"{key} must not be negative, got {getattr(self, key)}")
        if self.epochs + self.lbfgs_steps == 0:
            raise ValueError("nothing to train: epochs and lbfgs_steps are both 0")


@dataclass
class History:
    """Losses per epoch (normalised units) and how training ended."""

    train_loss: list = field(default_factory=list)
    validation_loss: list = field(default_factory=list)
    best_epoch: int = 0
    best_validation_loss: float = math.inf
    stopped_early: bool = False
    time_s: float = 0.0


@dataclass
class Trained:
    """A trained module, its history, and which samples trained and validated it."""

    module: MLP
    history: History
    train_index: np.ndarray
    validation_index: np.ndarray


class Progress:
    """A progress bar on a terminal, progress lines every 10 % otherwise."""

    def __init__(self, total: int, label: str = "training", stream=None, width: int = 28):
        self.total, self.label, self.width = max(total, 1), label, width
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.started = time.perf_counter()
        self.next_line = 0.0

    def update(self, step: int, train: float, validation: float, best: float):
        fraction = min(step / self.total, 1.0)
        elapsed = time.perf_counter() - self.started
        text = (f"{self.label} {step:>6}/{self.total}  train {train:.3e}  "
                f"validation {validation:.3e}  best {best:.3e}  {elapsed:5.1f} s")
        if self.tty:
            filled = int(round(fraction * self.width))
            bar = "#" * filled + "-" * (self.width - filled)
            self.stream.write(f"\r[{bar}] {text}")
            self.stream.flush()
        elif fraction >= self.next_line:
            self.stream.write(text + "\n")
            self.stream.flush()
            self.next_line = fraction + 0.1

    def close(self, message: str = ""):
        if self.tty:
            self.stream.write("\n")
        if message:
            self.stream.write(message + "\n")
        self.stream.flush()


def validation_size(n: int, validation_fraction: float) -> int:
    """How many of ``n`` samples validate; ProblemError when none would be left to train."""
    n_val = max(1, int(round(validation_fraction * n)))
    if n - n_val < 1:
        raise ProblemError(f"{n} samples are too few to split into training and validation "
                           f"(validation_fraction {validation_fraction:g} keeps {n_val})")
    return n_val


def split(n: int, validation_fraction: float, seed: int):
    """Random train and validation indices (fixed by ``seed``)."""
    order = np.random.default_rng(seed).permutation(n)
    n_val = validation_size(n, validation_fraction)
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def _std(values: np.ndarray) -> np.ndarray:
    std = values.std(axis=0)
    return np.where(std > 0, std, 1.0)


#: Fraction of each input's range, at either end, over which the noise estimate
#: of a mean-variance network is held constant (``noise_box``).
NOISE_EDGE_FRACTION = 0.1


def noise_box(ranges, fraction: float = NOISE_EDGE_FRACTION) -> list:
    """The box at which a mean-variance network's variance head is clamped.

    The training range shrunk by ``fraction`` of its width at each end. The
    head sees the clamped input in training too, so over each outer strip it
    fits one value, the strip's average noise, from data on a tenth of the
    range rather than from the few samples at the very edge; outside the range
    the estimate stays at that value instead of extrapolating (the mean head
    still sees the true input).
    """
    return [(lo + fraction * (hi - lo), hi - fraction * (hi - lo)) for lo, hi in ranges]


def new_module(data: Dataset, train_index, hidden, activation: str,
               mean_variance: bool = False) -> MLP:
    """A module sized for ``data``, normalised with the statistics of its training part."""
    x, y = data.inputs[train_index], data.outputs[train_index]
    normalisation = dict(input_mean=x.mean(axis=0), input_std=_std(x),
                         output_mean=y.mean(axis=0), output_std=_std(y))
    if mean_variance:  # the noise estimate stops at the edge of the training range
        return MeanVarianceMLP(x.shape[1], y.shape[1], hidden, activation,
                               input_range=noise_box(data.ranges), **normalisation)
    return MLP(x.shape[1], y.shape[1], hidden, activation, **normalisation)


def _loss_fn(module: MLP, options: TrainOptions):
    """loss(x, y, dydx) in normalised units for this module."""
    mean_variance = isinstance(module, MeanVarianceMLP)
    scale_y = module.output_std
    scale_dx = module.input_std[None, None, :] / module.output_std[None, :, None]

    def loss(x, y, dydx):
        if mean_variance:
            mean, variance = module(x)
            var_n = variance / scale_y ** 2
            residual = (mean - y) / scale_y
            return 0.5 * torch.mean(torch.log(var_n) + residual ** 2 / var_n)
        if options.derivative_weight > 0:
            prediction, jacobian = module.forward_with_jacobian(x)
        else:
            prediction = module(x)
        value = torch.mean(((prediction - y) / scale_y) ** 2)
        if options.derivative_weight > 0:
            value = value + options.derivative_weight * torch.mean(
                ((jacobian - dydx) * scale_dx) ** 2)
        return value

    return loss


def fit(module: MLP, data: Dataset, train_index, validation_index, options: TrainOptions,
        progress: Progress | None = None) -> History:
    """Train ``module`` in place on ``data[train_index]``; early stopping on the rest."""
    options.check()
    torch.set_num_threads(max(1, options.threads))
    as_t = lambda a: torch.as_tensor(np.ascontiguousarray(a), dtype=torch.float64)  # noqa: E731
    xt, yt, dt = (as_t(a[train_index]) for a in (data.inputs, data.outputs, data.derivatives))
    xv, yv, dv = (as_t(a[validation_index]) for a in (data.inputs, data.outputs,
                                                        data.derivatives))
    loss = _loss_fn(module, options)
    history = History()
    best_state = copy.deepcopy(module.state_dict())
    generator = torch.Generator().manual_seed(options.seed)
    started = time.perf_counter()

    def validate() -> float:
        with torch.no_grad():
            return float(loss(xv, yv, dv))

    def record(train_value: float, epoch: int) -> bool:
        """Record an epoch; True when it improved on the best validation loss."""
        value = validate()
        history.train_loss.append(train_value)
        history.validation_loss.append(value)
        if value < history.best_validation_loss:
            history.best_validation_loss, history.best_epoch = value, epoch
            best_state.update(copy.deepcopy(module.state_dict()))
            return True
        return False

    optimiser = torch.optim.Adam(module.parameters(), lr=options.learning_rate)
    # Learning rate down by 10x over the run: large steps first, fine ones last.
    decay = 0.1 ** (1.0 / max(options.epochs, 1))
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimiser, decay)
    n = xt.shape[0]
    batch = options.batch_size or n
    since_best = 0
    for epoch in range(1, options.epochs + 1):
        order = torch.randperm(n, generator=generator) if batch < n else torch.arange(n)
        total_loss = 0.0
        for start in range(0, n, batch):
            idx = order[start:start + batch]
            optimiser.zero_grad()
            value = loss(xt[idx], yt[idx], dt[idx])
            value.backward()
            optimiser.step()
            total_loss += float(value.detach()) * len(idx)
        scheduler.step()
        since_best = 0 if record(total_loss / n, epoch) else since_best + 1
        if progress is not None:
            progress.update(epoch, history.train_loss[-1], history.validation_loss[-1],
                            history.best_validation_loss)
        if since_best >= options.patience > 0:
            history.stopped_early = True
            break
    module.load_state_dict(best_state)

    if options.lbfgs_steps:
        lbfgs = torch.optim.LBFGS(module.parameters(), lr=1.0,
                                  max_iter=LBFGS_ITERATIONS_PER_STEP,
                                  history_size=50, line_search_fn="strong_wolfe",
                                  tolerance_grad=0.0, tolerance_change=0.0)

        def closure():
            lbfgs.zero_grad()
            value = loss(xt, yt, dt)
            value.backward()
            return value

        since_best = 0
        offset = len(history.train_loss)
        for k in range(1, options.lbfgs_steps + 1):
            value = float(lbfgs.step(closure).detach())
            if not math.isfinite(value):
                break
            since_best = 0 if record(value, offset + k) else since_best + 1
            if progress is not None:
                progress.update(options.epochs + k, history.train_loss[-1],
                                history.validation_loss[-1], history.best_validation_loss)
            if since_best >= options.patience > 0:
                history.stopped_early = True
                break
        module.load_state_dict(best_state)
    history.time_s = time.perf_counter() - started
    if progress is not None:
        progress.close(f"best validation loss {history.best_validation_loss:.3e} at step "
                       f"{history.best_epoch} of {len(history.train_loss)} "
                       f"({history.time_s:.1f} s)")
    return history


def train_network(data: Dataset, hidden=(32, 32), activation: str = "tanh",
                  options: TrainOptions = TrainOptions(), mean_variance: bool = False,
                  progress: Progress | None = None, seed_offset: int = 0) -> Trained:
    """Split, build (seeded) and fit a network on ``data``.

    ``seed_offset`` changes the initial weights and batches but not the split
    (ensemble members share their validation data).
    """
    options.check()
    train_index, validation_index = split(len(data), options.validation_fraction, options.seed)
    torch.manual_seed(options.seed + seed_offset)
    module = new_module(data, train_index, hidden, activation, mean_variance)
    if seed_offset:
        options = _with_seed(options, options.seed + seed_offset)
    history = fit(module, data, train_index, validation_index, options, progress)
    return Trained(module, history, train_index, validation_index)


def _with_seed(options: TrainOptions, seed: int) -> TrainOptions:
    from dataclasses import replace
    return replace(options, seed=seed)


def predict(module: MLP, inputs: np.ndarray):
    """Module outputs for numpy inputs (n, n_in): y (n, n_out), or (mean, variance)."""
    with torch.no_grad():
        out = module(torch.as_tensor(np.atleast_2d(inputs), dtype=torch.float64))
    if isinstance(out, tuple):
        return tuple(o.numpy() for o in out)
    return out.numpy()


def derivatives(module: MLP, inputs: np.ndarray) -> np.ndarray:
    """d y / d x (n, n_out, n_in) by torch autograd (of the mean, for mean-variance)."""
    x = torch.as_tensor(np.atleast_2d(inputs), dtype=torch.float64).requires_grad_(True)
    y = module(x)
    if isinstance(y, tuple):
        y = y[0]
    rows = [torch.autograd.grad(y[:, i].sum(), x, retain_graph=True)[0]
            for i in range(y.shape[1])]
    return torch.stack(rows, dim=1).detach().numpy()


def errors(module: MLP, data: Dataset, index) -> dict:
    """Errors on ``data[index]`` against the noise-free outputs, in output units.

    RMS and maximum of the outputs and of their derivatives d y / d x.
    """
    sub = data.subset(index)
    prediction = predict(module, sub.inputs)
    if isinstance(prediction, tuple):  # mean-variance network: its mean
        prediction = prediction[0]
    residual = prediction - sub.exact_outputs
    d_residual = derivatives(module, sub.inputs) - sub.derivatives
    return {"rms_error": float(np.sqrt(np.mean(residual ** 2))),
            "max_abs_error": float(np.max(np.abs(residual))),
            "rms_error_per_output": np.sqrt(np.mean(residual ** 2, axis=0)).tolist(),
            "derivative_rms_error": float(np.sqrt(np.mean(d_residual ** 2))),
            "derivative_max_abs_error": float(np.max(np.abs(d_residual)))}


@dataclass
class TrainResult:
    """What ``ocp train`` produced: files and measured errors."""

    spec: object                  # the TrainSpec or StructuredSpec trained
    checkpoint: Path
    exported: list = field(default_factory=list)
    metrics: dict = field(default_factory=dict)
    lines: list = field(default_factory=list)

    def report(self) -> str:
        written = [f"{self.checkpoint} (checkpoint)"] + [
            f"{p}, {p.with_suffix('.json').name}" for p in self.exported]
        return "\n".join(self.lines + [f"written      {w}" for w in written])
