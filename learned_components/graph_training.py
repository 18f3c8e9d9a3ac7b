"""Training and evaluating graph networks on chains, beside a perceptron of the same size.

The task of issue 11: train on planar chains of 2 to 4 segments whose
proportions lie within +-15 % of a reference rod (tree_data), then measure
the relative RMS error against the analytic dynamics on chains whose
proportions lie 25 % beyond that band and on a 5-segment chain never seen.

Training, in units normalised by each chain size's RMS output: Adam on the
inverse-dynamics loss, then L-BFGS on it; for the forward-dynamics target,
a few more L-BFGS steps on the loss of q'' = M^-1 (tau - b) (the same
samples read the other way). Fixed seeds throughout.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from learned_components._torch import require_torch
from learned_components.graph import (
    FORWARD_DYNAMICS,
    INVERSE_DYNAMICS,
    GraphNetwork,
    padded_inputs,
    relative_rms,
    tensors_of,
)
from learned_components.graph_prior import RandomizedPriorGraph, prior_scale_for
from learned_components.networks import MLP
from learned_components.tree_data import chain_batch

torch = require_torch()


@dataclass(frozen=True)
class GraphTask:
    """What to learn and how: chains, samples, channels, optimiser steps."""

    target: str = INVERSE_DYNAMICS
    segments: tuple = (2, 3, 4)
    samples: int = 1000                 # per chain size
    channels: dict = field(default_factory=lambda: {"vectors": 4, "accelerations": 2,
                                                    "velocities": 2, "forces": 4,
                                                    "moments": 4})
    epochs: int = 400                   # Adam, full batch
    learning_rate: float = 1e-2
    lbfgs_steps: int = 25               # of 20 iterations, inverse-dynamics loss
    forward_steps: int = 6              # of 20 iterations, forward-dynamics loss
    seed: int = 0
    threads: int = 1
    prior_scale: float = 0.0            # > 0: a randomized-prior member (graph_prior), in
    #                                     units of the training torques' RMS


def _t(a):
    return torch.as_tensor(np.ascontiguousarray(a), dtype=torch.float64)


def training_chains(task: GraphTask) -> list:
    return [chain_batch(n, task.samples, "train", seed=task.seed * 1000 + n)
            for n in task.segments]


def lbfgs_stepper(parameters, loss):
    """(optimizer, closure) of the training's L-BFGS: 20 iterations a step, strong
    Wolfe line search, no tolerance stop (the caller counts the steps)."""
    opt = torch.optim.LBFGS(parameters, lr=1.0, max_iter=20, history_size=50,
                            line_search_fn="strong_wolfe", tolerance_grad=0.0,
                            tolerance_change=0.0)

    def closure():
        opt.zero_grad()
        value = loss()
        value.backward()
        return value

    return opt, closure


def _lbfgs(parameters, loss, steps: int):
    if steps <= 0:
        return
    opt, closure = lbfgs_stepper(parameters, loss)
    for _ in range(steps):
        if not math.isfinite(float(opt.step(closure).detach())):
            break


def _adam(parameters, loss, epochs: int, learning_rate: float):
    if epochs <= 0:
        return
    opt = torch.optim.Adam(parameters, lr=learning_rate)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, 0.1 ** (1.0 / epochs))
    for _ in range(epochs):
        opt.zero_grad()
        loss().backward()
        opt.step()
        sched.step()


#: the optimisers by public name (learned_components.contact_graph)
adam, lbfgs = _adam, _lbfgs


#: a randomized-prior member's prior network has the seed PRIOR_SEED + its own seed
PRIOR_SEED = 7919


def guarded_lbfgs(parameters, loss, steps: int) -> int:
    """``steps`` L-BFGS steps (20 iterations each, strong Wolfe line search) on
    ``parameters``, each kept only if the loss after it is finite and no larger than
    before (or raised on a NaN loss in its line search); the first that fails is undone
    and ends the stage. Returns the steps kept.

    The joint stage of contact_graph.train_walker, unguarded, diverged on larger sample sets
    (held-out errors 30 to 68 %): a step's line search accepts any finite loss
    along the way, and L-BFGS's curvature pairs can carry it off."""
    parameters = [p for p in parameters if p.requires_grad]
    if steps <= 0:
        return 0
    opt, closure = lbfgs_stepper(parameters, loss)
    with torch.no_grad():
        best = float(loss())
    for k in range(steps):
        saved = [p.detach().clone() for p in parameters]
        try:
            opt.step(closure)
            with torch.no_grad():
                value = float(loss())
        except IndexError:      # torch's strong-Wolfe bracket on a NaN loss
            value = math.nan
        if not math.isfinite(value) or value > best:
            with torch.no_grad():
                for p, v in zip(parameters, saved):
                    p.copy_(v)
            return k
        best = value
    return steps


def train_graph(task: GraphTask, chains=None):
    """(GraphNetwork, seconds): fitted to ``chains`` (default training_chains(task));
    with ``task.prior_scale`` > 0 a RandomizedPriorGraph whose trainable part is fitted."""
    torch.set_num_threads(max(1, task.threads))
    chains = chains if chains is not None else training_chains(task)
    data = [(tensors_of(b), _t(b.q), _t(b.qd), _t(b.qdd), _t(b.tau), b.gravity_m_s2,
             float(np.mean(b.tau ** 2)), float(np.mean(b.qdd ** 2))) for b in chains]
    net = GraphNetwork(**task.channels, seed=task.seed) if task.prior_scale <= 0 else \
        RandomizedPriorGraph(prior_scale_for(task.prior_scale, chains, PRIOR_SEED + task.seed,
                                             task.channels), PRIOR_SEED + task.seed,
                             seed=task.seed, **task.channels)
    started = time.perf_counter()

    def id_loss():
        return sum(torch.mean((net.inverse_dynamics(f, q, qd, qdd, g) - tau) ** 2) / s_tau
                   for f, q, qd, qdd, tau, g, s_tau, _ in data) / len(data)

    def fd_loss():
        return sum(torch.mean((net.forward_dynamics(f, q, qd, tau, g) - qdd) ** 2) / s_qdd
                   for f, q, qd, qdd, tau, g, _, s_qdd in data) / len(data)

    _adam(net.parameters(), id_loss, task.epochs, task.learning_rate)
    _lbfgs(net.parameters(), id_loss, task.lbfgs_steps)
    if task.target == FORWARD_DYNAMICS:
        _lbfgs(net.parameters(), fd_loss, task.forward_steps)
    return net, time.perf_counter() - started


def graph_predict(net: GraphNetwork, batch, target: str) -> np.ndarray:
    """Torques (inverse) or accelerations (forward) for a TreeBatch, numpy (B, n)."""
    f = tensors_of(batch)
    with torch.no_grad():
        if target == INVERSE_DYNAMICS:
            return net.inverse_dynamics(f, _t(batch.q), _t(batch.qd), _t(batch.qdd),
                                        batch.gravity_m_s2).numpy()
        return net.forward_dynamics(f, _t(batch.q), _t(batch.qd), _t(batch.tau),
                                    batch.gravity_m_s2).numpy()


def evaluation_sets(samples: int = 2000, seed: int = 100) -> dict:
    """The test chains: name -> TreeBatch (never the training draws)."""
    return {"2-4 segments, training band": [chain_batch(n, samples, "train", seed + n)
                                            for n in (2, 3, 4)],
            "2-4 segments, 25 % outside": [chain_batch(n, samples, "outside", seed + 10 + n)
                                           for n in (2, 3, 4)],
            "5 segments, training band": [chain_batch(5, samples, "train", seed + 20)],
            "5 segments, 25 % outside": [chain_batch(5, samples, "outside", seed + 30)]}


def _truth(batch, target):
    return batch.tau if target == INVERSE_DYNAMICS else batch.qdd


def evaluate(predict, sets: dict, target: str) -> dict:
    """Relative RMS error per set; ``predict(batch) -> array`` or ValueError (cannot take it)."""
    out = {}
    for name, batches in sets.items():
        try:
            pairs = [(predict(b), _truth(b, target)) for b in batches]
        except ValueError:
            out[name] = None
            continue
        out[name] = relative_rms(np.concatenate([p.ravel() for p, _ in pairs]),
                                 np.concatenate([t.ravel() for _, t in pairs]))
    return out


# -- the perceptron of the same size ------------------------------------------

SLOTS = 4


def _mlp_xy(batch, target):
    """Padded inputs and targets; the input slot holds q'' (inverse) or tau (forward)."""
    from dataclasses import replace
    source = batch if target == INVERSE_DYNAMICS else replace(batch, qdd=batch.tau)
    x = padded_inputs(source, SLOTS)
    y = np.zeros((len(batch), SLOTS))
    mask = np.zeros((len(batch), SLOTS))
    y[:, :batch.n] = _truth(batch, target)
    mask[:, :batch.n] = 1.0
    return x, y, mask


def mlp_hidden_for(parameters: int, n_in: int = 9 * SLOTS, n_out: int = SLOTS) -> int:
    """Width of one hidden layer giving about ``parameters`` weights and biases."""
    return max(1, int(round((parameters - n_out) / (n_in + 1 + n_out))))


def train_mlp(task: GraphTask, hidden, chains=None):
    """(MLP on padded chains of up to 4 segments, seconds), same data and optimiser steps."""
    torch.set_num_threads(max(1, task.threads))
    chains = chains if chains is not None else training_chains(task)
    parts = [_mlp_xy(b, task.target) for b in chains]
    x = np.vstack([p[0] for p in parts])
    y = np.vstack([p[1] for p in parts])
    mask = np.vstack([p[2] for p in parts])
    std = np.sqrt((y ** 2 * mask).sum(0) / np.maximum(mask.sum(0), 1))
    xs = x.std(0)
    torch.manual_seed(task.seed)
    net = MLP(x.shape[1], SLOTS, tuple(hidden), "tanh", x.mean(0), np.where(xs > 0, xs, 1.0),
              np.zeros(SLOTS), std)
    xt, yt, mt = _t(x), _t(y), _t(mask)
    scale = _t(std)
    started = time.perf_counter()

    def loss():
        return torch.sum(mt * ((net(xt) - yt) / scale) ** 2) / mt.sum()

    _adam(net.parameters(), loss, task.epochs, task.learning_rate)
    _lbfgs(net.parameters(), loss, task.lbfgs_steps + task.forward_steps)
    return net, time.perf_counter() - started


def mlp_predict(net, batch, target: str) -> np.ndarray:
    x = _mlp_xy(batch, target)[0]   # ValueError for a chain longer than SLOTS
    with torch.no_grad():
        return net(_t(x)).numpy()[:, :batch.n]


def compare(task: GraphTask, samples_test: int = 2000) -> dict:
    """Graph network and perceptron of the same size on the same data: errors and times."""
    chains = training_chains(task)
    graph, t_graph = train_graph(task, chains)
    n_weights = graph.architecture()["parameters"]
    hidden = (mlp_hidden_for(n_weights),)
    mlp, t_mlp = train_mlp(task, hidden, chains)
    sets = evaluation_sets(samples_test)
    return {"target": task.target,
            "graph": {"parameters": n_weights, "time_s": t_graph,
                      "errors": evaluate(lambda b: graph_predict(graph, b, task.target), sets,
                                         task.target)},
            "mlp": {"parameters": sum(p.numel() for p in mlp.parameters()), "hidden": hidden,
                    "time_s": t_mlp,
                    "errors": evaluate(lambda b: mlp_predict(mlp, b, task.target), sets,
                                       task.target)},
            "networks": (graph, mlp)}
