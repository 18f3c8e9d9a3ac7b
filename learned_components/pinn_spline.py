"""The multibody PINN at the equations' constrained limit: a B-spline network.

The tanh network of ``pinn_multibody.fit_pinn`` cannot carry the chain's motion
finely enough in time: fitted to the noise-free samples it misses them by
mrad and its q'' by 5 to 15 %, so its physics residual and its data misfit
trade off and m, I, b are biased at any physics weight. Here the network's
first layer is a fixed layer of B-spline features of t (degree 5 on
``intervals`` equal intervals over [0, T], each feature living on 6
intervals: a per-segment basis) read out linearly by the learned weights W,

    q(t) = B(t) W,    q' = B'(t) W,    q'' = B''(t) W    (exact),

and the first two features are dropped so that q(0) = q'(0) = 0 exactly (the
motion starts at rest, as the NLP's ``[initial]``). The residual of the
equations of motion is taken at one collocation point per knot (t_j = j T /
intervals), as many points as the network has weights per output: with the
physics weight raised in steps (Levenberg-Marquardt on W and m, I, b together
at each weight) the residual goes to zero and the fit tends to the output-error
estimate of the NLP (dynamics as hard constraints), not to a compromise. With
more collocation points than weights (say 4 per interval) the residual cannot
vanish and the largest weights pull m, I, b away from the data (measured: within
3.2 % where the misfit is about the noise, 35 % off at 1000 times that weight,
where one point per knot stays within 0.6 %).

m, I, b are learned as they are (scaled by the starting guess), not as
logarithms: the equations are linear in them, and in logarithms the inertias
ran to zero in the first, least-weighted stage and never came back.
"""
from __future__ import annotations

import time

import numpy as np
from scipy.interpolate import BSpline

from learned_components._torch import require_torch
from learned_components.pinn_multibody import (
    Chain,
    Identified,
    Motion,
    inverse_dynamics_torch,
    output_error_errors,
    unpack,
)

torch = require_torch()
nn = torch.nn

__all__ = ["SplineNetwork", "fit_spline_pinn", "UNIFORM_GUESS", "SCHEDULE", "NLP_NAMES"]

#: the PINN's and the NLP's starting guess: 1 kg, 0.01 kg m^2, 0.1 N m s/rad
UNIFORM_GUESS = np.array((1.0,) * 3 + (0.01,) * 3 + (0.1,) * 3)
#: the NLP's names (problems/triple_pendulum_identify.toml) of pinn_multibody.NAMES' entries
NLP_NAMES = {"mass_kg": [f"segment.link{k}.mass" for k in (1, 2, 3)],
             "inertia_kg_m2": [f"segment.link{k}.inertia" for k in (1, 2, 3)],
             "damping_Nms_rad": [f"joint.{j}.damping" for j in ("shoulder", "elbow", "wrist")]}
#: physics weights, each relative to the data misfit (both means of squares)
SCHEDULE = (1e-2, 0.1, 1.0, 10.0, 100.0, 1e3, 1e4)


class SplineNetwork(nn.Module):
    """q(t) = B(t) W; B the B-spline features of t (degree ``degree``, ``intervals``
    equal intervals over [0, duration]), W (features, outputs) learned, zero at first.
    ``at_rest``: the first two features dropped, q(0) = q'(0) = 0 exactly."""

    def __init__(self, duration_s: float, outputs: int, intervals: int = 100,
                 degree: int = 5, at_rest: bool = True):
        super().__init__()
        inner = np.linspace(0.0, float(duration_s), intervals + 1)
        knots = np.concatenate([[inner[0]] * degree, inner, [inner[-1]] * degree])
        count = len(knots) - degree - 1
        self.spline = BSpline(knots, np.eye(count), degree)
        self.first = 2 if at_rest else 0
        self.weight = nn.Parameter(torch.zeros(count - self.first, outputs,
                                               dtype=torch.float64))

    def features(self, t):
        """(B, B', B''), each (len(t), features), at the times t (torch or numpy)."""
        x = np.asarray(t.detach() if isinstance(t, torch.Tensor) else t, float)
        return tuple(torch.as_tensor(self.spline.derivative(k)(x)[:, self.first:]
                                     if k else self.spline(x)[:, self.first:])
                     for k in range(3))

    def forward(self, t):
        return tuple(f @ self.weight for f in self.features(t))


def marquardt(residual, theta, tolerance: float = 1e-12, iterations: int = 100,
              damping: float = 1e-3):
    """(theta, damping, steps): Levenberg-Marquardt on |residual(theta)|^2 with
    Marquardt's scaling, (J'J + damping diag(J'J)) step = -J'r, J by forward mode
    (fewer unknowns than residuals here; ``pinn_multibody.levenberg_marquardt``
    solves in the residuals' space, for a network with more weights than
    residuals); stops when a step lowers the sum of squares by less than
    ``tolerance`` relatively or no step lowers it."""
    from torch.func import jacfwd
    r = residual(theta)
    f = float(r @ r)
    for step in range(iterations):
        J = jacfwd(residual)(theta)
        A, g = J.T @ J, J.T @ r
        D = torch.diag(torch.diag(A)) + 1e-12 * torch.eye(len(A), dtype=A.dtype)
        while damping < 1e12:
            trial = theta + torch.linalg.solve(A + damping * D, -g)
            rn = residual(trial)
            fn = float(rn @ rn)
            if fn < f:
                decrease = (f - fn) / f
                theta, r, f = trial, rn, fn
                damping = max(damping / 3.0, 1e-12)
                break
            damping *= 4.0
        else:
            return theta, damping, step
        if decrease < tolerance:
            return theta, damping, step + 1
    return theta, damping, iterations


def fit_spline_pinn(chain: Chain, motion: Motion, intervals: int = 100, degree: int = 5,
                    collocation_per_interval: int = 1, schedule=SCHEDULE,
                    lm_steps: int = 100, initial_guess=None, errors: str = "output-error",
                    threads: int = 1, progress=None) -> Identified:
    """m, I, b of the chain from ``motion`` with a ``SplineNetwork`` (at rest at t = 0).

    Loss: mean over the samples of ((q - y) / scale)^2 (scale: the largest |y|,
    the same for every angle, as the NLP's tracking cost) plus the weight times
    the mean over the collocation points (``collocation_per_interval`` per
    interval, and t = 0) of the squared
    equations' residual (by each joint's largest |tau|), for each weight of
    ``schedule`` in turn, by Levenberg-Marquardt (``lm_steps`` at most). W starts
    at the samples' least squares (ridge 1e-6), m, I, b at ``initial_guess``
    (default ``UNIFORM_GUESS``). ``progress(weight, parameters, steps)`` after
    each weight. ``errors``: "output-error" (``output_error_errors`` at the
    estimate) or "none"."""
    torch.set_num_threads(max(1, threads))
    started = time.perf_counter()
    guess = UNIFORM_GUESS if initial_guess is None else np.asarray(initial_guess, float)
    net = SplineNetwork(motion.duration_s, motion.angles.shape[1], intervals, degree)
    samples = net.features(motion.times)[0]
    t_col = np.linspace(0.0, motion.duration_s, intervals * collocation_per_interval + 1)
    basis = net.features(t_col)
    y = torch.as_tensor(motion.angles, dtype=torch.float64)
    scale = y.abs().max().clamp_min(1e-3)   # one for all angles, as the NLP's tracking
    tau = chain.torque(torch.as_tensor(t_col))
    tau_scale = tau.abs().max(0).values
    B = samples.numpy()
    W0 = np.linalg.solve(B.T @ B + 1e-6 * np.eye(B.shape[1]), B.T @ motion.angles)
    size = W0.size
    p_scale = torch.as_tensor(guess)
    theta = torch.as_tensor(np.concatenate([W0.reshape(-1), np.ones(len(guess))]))

    def residual(th, w):
        W, p = th[:size].reshape(W0.shape), th[size:] * p_scale
        data = ((samples @ W - y) / scale).reshape(-1)
        res = (inverse_dynamics_torch(chain, p, *(b @ W for b in basis)) - tau) / tau_scale
        res = res.reshape(-1)
        return torch.cat([data / np.sqrt(data.numel()), np.sqrt(w / res.numel()) * res])

    damping = 1e-3
    for w in schedule:
        theta, damping, steps = marquardt(lambda th, w=w: residual(th, w), theta,
                                          iterations=lm_steps, damping=damping)
        if progress is not None:
            progress(w, (theta[size:] * p_scale).numpy(), steps)
    with torch.no_grad():
        net.weight.copy_(theta[:size].reshape(W0.shape))
    p = (theta[size:] * p_scale).numpy()
    se = output_error_errors(chain, motion, p) if errors == "output-error" \
        else np.full(len(p), np.nan)
    truth = chain.vector()
    return Identified("pinn", unpack(p), unpack(se), unpack((p - truth) / truth),
                      time.perf_counter() - started, network=net)
