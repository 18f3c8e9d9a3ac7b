"""Neural muscle geometry of an OpenSim model: small smooth networks fitted to its exact paths.

The learned counterpart of ``ocp.models.muscles.polynomial_fit`` (the same
samples, the same ranges, the same error report), trained in PyTorch and
exported as one CasADi function of the muscle-geometry surrogate format:

1. the coordinates each muscle crosses are found as for the polynomials
   (a moment arm above ``CROSSED_ARM_M`` somewhere on the samples);
2. muscles that cross the same coordinates share one network (inputs: those
   coordinates only, so a muscle has no moment arm about a joint it does not
   cross; outputs: their muscle-tendon lengths), a perceptron with smooth
   activations (``networks.MLP``, inputs and outputs normalised inside);
3. all networks are trained together, in float64, on a scrambled Halton
   sample of the exact paths (not a grid: ten coordinates), by a Sobolev
   loss (lengths and moment arms, r = -dl/dq, Czarnecki et al. 2017, NeurIPS)
   with Adam then L-BFGS; one batched forward pass serves every network,
   which is what keeps training of a whole model within a minute on one
   thread;
4. the export is q (n,) -> (lengths (m, 1), moment arms (n, m)), the arms
   minus the Jacobian of the exported lengths (CasADi's automatic
   differentiation of the one expression), so lengths and moment arms
   cannot disagree. Errors are measured on fresh uniform samples by
   evaluating the exported function, the one the solver uses.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass

import casadi as ca
import numpy as np

from learned_components._torch import require_torch
from learned_components.checkpoint import save_checkpoint
from learned_components.export import mlp_expression, write_surrogate
from learned_components.networks import MLP, activate_with_slope
from ocp.errors import ProblemError
from ocp.models.muscles.polynomial_fit import CROSSED_ARM_M, evaluate_exact, fit_box, sample_box
from ocp.models.surrogate import MUSCLE_GEOMETRY
from ocp.osim.neural_geometry import NeuralFitError, NeuralGeometryOptions

torch = require_torch()


def muscle_groups(arms: np.ndarray, muscles) -> list[tuple[tuple, list]]:
    """[(crossed coordinate indices, muscle indices)] from sampled moment arms (N, n, m)."""
    groups = {}
    for k, name in enumerate(muscles):
        crossed = tuple(int(j) for j in np.flatnonzero(np.abs(arms[:, :, k]).max(axis=0)
                                                       > CROSSED_ARM_M))
        if not crossed:
            raise ProblemError(f"muscle '{name}' crosses no coordinate over the fitted "
                               f"ranges: a network has no input to learn its path from")
        groups.setdefault(crossed, []).append(k)
    return list(groups.items())


class _Batched(torch.nn.Module):
    """G perceptrons of equal widths evaluated in one pass (inputs and outputs padded).

    Works in normalised units, samples last: x (G, d_max, N) -> y (G, o_max, N)
    and dy/dx (G, o_max, d_max, N). Padded inputs are zero and their weights are
    masked, so they change nothing; padded outputs are masked in the loss.
    """

    def __init__(self, groups: int, d_max: int, o_max: int, hidden, activation: str,
                 input_mask):
        super().__init__()
        widths = [d_max, *hidden, o_max]
        self.activation = activation
        self.weights = torch.nn.ParameterList()
        self.biases = torch.nn.ParameterList()
        for a, b in zip(widths[:-1], widths[1:]):
            bound = 1 / math.sqrt(a)    # torch.nn.Linear's default initialisation
            self.weights.append(torch.nn.Parameter(
                (torch.rand(groups, b, a, dtype=torch.float64) * 2 - 1) * bound))
            self.biases.append(torch.nn.Parameter(
                (torch.rand(groups, b, dtype=torch.float64) * 2 - 1) * bound))
        self.register_buffer("input_mask", input_mask)    # (G, d_max)

    def layer_weights(self):
        first = self.weights[0] * self.input_mask[:, None, :]
        return [first, *self.weights[1:]]

    def forward(self, x):
        """x (G, d_max, N) -> (y (G, o_max, N), dy/dx (G, o_max, d_max, N)).

        The Jacobian is carried forward through the layers (J <- diag(s'(a)) W J)
        with the d_max input directions as extra columns, so each layer is one
        batched matrix product.
        """
        weights = self.layer_weights()
        G, d, n = x.shape
        z = x
        J = torch.diag_embed(self.input_mask)[..., None].expand(G, d, d, n).reshape(G, d, d * n)
        for W, b in zip(weights[:-1], self.biases[:-1]):
            z, slope = activate_with_slope(self.activation, W @ z + b[:, :, None])
            J = ((W @ J).reshape(G, -1, d, n) * slope[:, :, None, :]).reshape(G, -1, d * n)
        y = weights[-1] @ z + self.biases[-1][:, :, None]
        return y, (weights[-1] @ J).reshape(G, -1, d, n)


def _stack(groups, train, lengths, arms, padded_in, padded_out):
    """Normalised, padded inputs, outputs and derivatives of every group, and the stats."""
    n = train.shape[0]
    G = len(groups)
    x = np.zeros((n, G, padded_in))
    y = np.zeros((n, G, padded_out))
    dydx = np.zeros((n, G, padded_out, padded_in))
    in_mask, out_mask = np.zeros((G, padded_in)), np.zeros((G, padded_out))
    stats = []
    for g, (crossed, ks) in enumerate(groups):
        q = train[:, crossed]
        l = lengths[:, ks]
        mean_x, std_x = q.mean(axis=0), q.std(axis=0)
        mean_y, std_y = l.mean(axis=0), np.where(l.std(axis=0) > 0, l.std(axis=0), 1.0)
        x[:, g, :len(crossed)] = (q - mean_x) / std_x
        y[:, g, :len(ks)] = (l - mean_y) / std_y
        # d l / d q = -r, in normalised units: times std_x / std_y
        d = -arms[:, crossed][:, :, ks].transpose(0, 2, 1)           # (N, o, d)
        dydx[:, g, :len(ks), :len(crossed)] = d * std_x[None, None, :] / std_y[None, :, None]
        in_mask[g, :len(crossed)] = 1
        out_mask[g, :len(ks)] = 1
        stats.append((mean_x, std_x, mean_y, std_y))
    t = lambda a: torch.as_tensor(np.ascontiguousarray(a), dtype=torch.float64)  # noqa: E731
    # samples last: x (G, d, N), y (G, o, N), dy/dx (G, o, d, N)
    return (t(x.transpose(1, 2, 0)), t(y.transpose(1, 2, 0)), t(dydx.transpose(1, 2, 3, 0)),
            t(in_mask), t(out_mask), stats)


def _train(net: _Batched, x, y, dydx, out_mask, options: NeuralGeometryOptions):
    """Adam then L-BFGS on the summed Sobolev loss of all groups (normalised units)."""
    n = x.shape[-1]
    mask_y = out_mask[:, :, None]
    mask_d = (out_mask[:, :, None] * net.input_mask[:, None, :])[..., None]
    count_y, count_d = mask_y.sum() * n, mask_d.sum() * n

    def loss():
        p, J = net(x)
        value = (((p - y) * mask_y) ** 2).sum() / count_y
        return value + options.derivative_weight * (((J - dydx) * mask_d) ** 2).sum() / count_d

    adam = torch.optim.Adam(net.parameters(), lr=1e-2)
    decay = 0.1 ** (1.0 / max(options.adam_epochs, 1))
    schedule = torch.optim.lr_scheduler.ExponentialLR(adam, decay)
    for _ in range(options.adam_epochs):
        adam.zero_grad()
        value = loss()
        value.backward()
        adam.step()
        schedule.step()
    if options.lbfgs_iterations:
        lbfgs = torch.optim.LBFGS(net.parameters(), lr=1.0, max_iter=options.lbfgs_iterations,
                                  history_size=50, line_search_fn="strong_wolfe",
                                  tolerance_grad=0.0, tolerance_change=0.0)

        def closure():
            lbfgs.zero_grad()
            value = loss()
            value.backward()
            return value

        lbfgs.step(closure)
    with torch.no_grad():
        return float(loss())


def _modules(net: _Batched, groups, stats, options) -> list[MLP]:
    """One networks.MLP per group, holding its slice of the batched weights."""
    modules = []
    weights = [w.detach() for w in net.layer_weights()]
    biases = [b.detach() for b in net.biases]
    for g, ((crossed, ks), (mx, sx, my, sy)) in enumerate(zip(groups, stats)):
        d, o = len(crossed), len(ks)
        module = MLP(d, o, options.hidden, options.activation, mx, sx, my, sy)
        with torch.no_grad():
            for k, layer in enumerate(module.layers):
                W, b = weights[k][g], biases[k][g]
                if k == 0:
                    W = W[:, :d]
                if k == len(module.layers) - 1:
                    W, b = W[:o], b[:o]
                layer.weight.copy_(W)
                layer.bias.copy_(b)
        module.eval()
        modules.append(module)
    return modules


def geometry_function(modules, groups, n_coordinates: int, n_muscles: int) -> ca.Function:
    """q (n,) -> (length_m (m, 1), moment_arm_m (n, m)), arms = -d lengths / dq (CasADi AD)."""
    q = ca.SX.sym("q", n_coordinates)
    lengths = [None] * n_muscles
    for module, (crossed, ks) in zip(modules, groups):
        y = mlp_expression(module.weights(), ca.vertcat(*[q[j] for j in crossed]))
        for i, k in enumerate(ks):
            lengths[k] = y[i]
    lengths = ca.vertcat(*lengths)
    return ca.Function("muscle_geometry", [q], [lengths, -ca.jacobian(lengths, q).T],
                       ["q"], ["length_m", "moment_arm_m"])


@dataclass
class NeuralGeometryFit:
    """The exported function, the torch modules, the errors per muscle and the time taken."""

    function: ca.Function
    modules: list
    groups: list
    errors: tuple
    train_time_s: float              # wall clock
    train_cpu_s: float               # CPU time of this process (the machine may be shared)
    final_loss: float


def train_neural_geometry(exact: ca.Function, coordinates, muscles, ranges: dict,
                          options: NeuralGeometryOptions = NeuralGeometryOptions()
                          ) -> NeuralGeometryFit:
    """Networks for every muscle's length, fitted to ``exact`` over ``ranges``.

    ``exact``: q (n,) -> (lengths (m,), moment arms (n, m)) in m, the model's
    own paths; ``coordinates`` the n names in q's order, ``muscles`` the m
    names; ``ranges``: coordinate -> (lo, hi) (rad or m), the box sampled.
    Uses one torch thread (the machine is shared). Raises ValueError for an
    empty or infinite range, or a muscle that crosses no coordinate.
    """
    coordinates, muscles = list(coordinates), list(muscles)
    box = fit_box(coordinates, ranges)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    started, cpu_started = time.perf_counter(), time.process_time()
    try:
        torch.manual_seed(options.seed)
        train = sample_box(box, options.samples, options.seed)
        lengths, arms = evaluate_exact(exact, train)
        groups = muscle_groups(arms, muscles)
        d_max = max(len(c) for c, _ in groups)
        o_max = max(len(k) for _, k in groups)
        x, y, dydx, in_mask, out_mask, stats = _stack(groups, train, lengths, arms,
                                                      d_max, o_max)
        net = _Batched(len(groups), d_max, o_max, options.hidden, options.activation, in_mask)
        final = _train(net, x, y, dydx, out_mask, options)
        modules = _modules(net, groups, stats, options)
    finally:
        torch.set_num_threads(threads)
    function = geometry_function(modules, groups, len(coordinates), len(muscles))
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    check = sample_box(box, options.validation_samples, options.seed + 1, kind="uniform")
    exact_l, exact_r = evaluate_exact(exact, check)
    fit_l, fit_r = evaluate_exact(function, check)
    errors = [None] * len(muscles)
    for (crossed, ks) in groups:
        network = "-".join(str(w) for w in [len(crossed), *options.hidden, len(ks)])
        for k in ks:
            dl = fit_l[:, k] - exact_l[:, k]
            dr = fit_r[:, list(crossed), k] - exact_r[:, list(crossed), k]
            errors[k] = NeuralFitError(
                muscles[k], tuple(coordinates[j] for j in crossed),
                f"{network} {options.activation}", float(np.sqrt(np.mean(dl ** 2))),
                float(np.abs(dl).max()), float(np.sqrt(np.mean(dr ** 2))),
                float(np.abs(dr).max()))
    return NeuralGeometryFit(function, modules, groups, tuple(errors), elapsed, cpu, final)


def export_neural_geometry(fit: NeuralGeometryFit, path, *, model: str, coordinates,
                           muscles, ranges: dict, units, options: NeuralGeometryOptions,
                           source: dict) -> tuple:
    """Write ``PATH.casadi`` + ``PATH.json`` (the surrogate) and ``PATH.pt`` (checkpoint).

    ``source`` records where the exact paths came from (file, its SHA-256);
    the metadata also holds the fit errors per muscle, in m.
    """
    from pathlib import Path
    path = Path(path)
    worst = max(fit.errors, key=lambda e: e.length_max_m)
    metadata = {
        "component": MUSCLE_GEOMETRY,
        "model": model,
        "muscles": list(muscles),
        "coordinates": list(coordinates),
        "inputs": [{"name": c, "unit": u, "range": list(ranges[c])}
                   for c, u in zip(coordinates, units)],
        "outputs": [{"name": "length_m", "unit": "m"}, {"name": "moment_arm_m", "unit": "m"}],
        "network": {"groups": [{"coordinates": [coordinates[j] for j in crossed],
                                "muscles": [muscles[k] for k in ks],
                                **module.architecture()}
                               for module, (crossed, ks) in zip(fit.modules, fit.groups)]},
        "training": {"options": asdict(options), "time_s": fit.train_time_s,
                     "cpu_time_s": fit.train_cpu_s, "final_loss": fit.final_loss,
                     "validation_max_abs_error": worst.length_max_m},
        "geometry_fit": [asdict(e) for e in fit.errors],
        "source": source,
        "software": {"torch": str(torch.__version__), "casadi": str(ca.__version__)},
    }
    casadi_path, json_path = write_surrogate(fit.function, metadata, path)
    checkpoint = save_checkpoint(path.with_suffix(".pt"), fit.modules,
                                 {k: metadata[k] for k in ("component", "model", "muscles",
                                                           "coordinates", "network",
                                                           "training", "source")})
    return casadi_path, json_path, checkpoint
