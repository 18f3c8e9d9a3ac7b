"""A multibody PINN: masses, inertias and joint damping of a planar chain from motion.

A three-segment planar chain (a triple pendulum hanging along -y, conventions
of ``ocp.models.multibody`` and ``tree_data.rnea``) with known lengths and
centre-of-mass positions, driven by known joint torques tau(t), moves as

    M(q) q'' + C(q, q') q' + g(q) + b q' = tau(t).

Unknown: each segment's mass m_i (kg), inertia about its centre of mass I_i
(kg m^2) and each joint's damping b_i (N m s/rad). The data are noisy joint
angles sampled from a simulation of our own model (``tree_data.rnea`` for the
inverse dynamics, the mass matrix from unit accelerations, RK45).

The PINN fits a network q_phi(t) (3 outputs, exact first and second
derivatives carried forward through the layers) to the samples, plus the
residual of the equations of motion at collocation points, written in torch
for the chain (moments about each joint of the subtree's effective forces);
m, I, b are learned with phi (as logarithms). The data-only comparison fits
the same network to the samples alone and then takes m, I, b by linear least
squares on the equations with that network's derivatives (the equations are
linear in the 9 parameters). Standard errors: the linear least-squares ones
on each network's derivatives (sigma^2 (Y'Y)^-1 with the residual variance),
cheap and approximate (they ignore the network's own uncertainty).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from scipy.integrate import solve_ivp

from learned_components._torch import require_torch
from learned_components.pinn import adam_then_lbfgs
from learned_components.tree_data import chain_parents, rnea
from ocp.models.multibody import STANDARD_GRAVITY_M_S2

torch = require_torch()
nn = torch.nn

NAMES = ("mass_kg", "inertia_kg_m2", "damping_Nms_rad")


@dataclass(frozen=True)
class Chain:
    """A planar arm-like chain: true parameters, known geometry and the driving torque."""

    length_m: tuple = (0.30, 0.28, 0.20)
    com_m: tuple = (0.13, 0.12, 0.08)
    mass_kg: tuple = (2.0, 1.5, 0.6)
    inertia_kg_m2: tuple = (0.020, 0.012, 0.003)
    damping_Nms_rad: tuple = (0.30, 0.20, 0.05)
    amplitude_Nm: tuple = (4.0, 1.5, 0.3)
    frequency_rad_s: tuple = (3.0, 4.3, 5.9)
    gravity_m_s2: float = STANDARD_GRAVITY_M_S2

    def torque(self, t):
        """tau(t) (N m), (len(t), 3), numpy or torch."""
        sin = torch.sin if isinstance(t, torch.Tensor) else np.sin
        stack = torch.stack if isinstance(t, torch.Tensor) else np.stack
        return stack([a * (sin(w * t) + 0.5 * sin(2.1 * w * t + 1.0))
                      for a, w in zip(self.amplitude_Nm, self.frequency_rad_s)], -1)

    def vector(self) -> np.ndarray:
        return np.concatenate([self.mass_kg, self.inertia_kg_m2, self.damping_Nms_rad])


def unpack(p) -> dict:
    """The 9-vector (m, I, b) as a dict of lists."""
    return {n: [float(v) for v in p[3 * i:3 * i + 3]] for i, n in enumerate(NAMES)}


def inverse_dynamics_torch(chain: Chain, params, q, qd, qdd):
    """Joint torques (T, 3) of the chain with parameters (m, I, b) (9,), in torch.

    Moments about joint k of sum_{i>=k} (I_i phi_i'' + (p_i - o_k) x m_i (a_i + g));
    phi the absolute angles, o_k the joints, p_i the centres of mass."""
    m, inertia, b = params[0:3], params[3:6], params[6:9]
    phi, w, al = (torch.cumsum(v, -1) for v in (q, qd, qdd))
    u = torch.stack([torch.sin(phi), -torch.cos(phi)], -1)        # along each link
    v = torch.stack([torch.cos(phi), torch.sin(phi)], -1)         # d u / d phi
    acc_u = al[..., None] * v - (w ** 2)[..., None] * u           # d2 u / dt2
    n = q.shape[-1]
    L = torch.as_tensor(chain.length_m, dtype=q.dtype)
    C = torch.as_tensor(chain.com_m, dtype=q.dtype)
    joints = [torch.zeros_like(u[:, 0])]
    joint_acc = [torch.zeros_like(u[:, 0])]
    for i in range(1, n):
        joints.append(joints[-1] + L[i - 1] * u[:, i - 1])
        joint_acc.append(joint_acc[-1] + L[i - 1] * acc_u[:, i - 1])
    g = torch.tensor([0.0, chain.gravity_m_s2], dtype=q.dtype)
    coms = [joints[i] + C[i] * u[:, i] for i in range(n)]
    forces = [m[i] * (joint_acc[i] + C[i] * acc_u[:, i] + g) for i in range(n)]
    taus = []
    for k in range(n):
        total = b[k] * qd[:, k]
        for i in range(k, n):
            r = coms[i] - joints[k]
            total = total + inertia[i] * al[:, i] + r[:, 0] * forces[i][:, 1] \
                - r[:, 1] * forces[i][:, 0]
        taus.append(total)
    return torch.stack(taus, -1)


def _rnea(chain: Chain, q, qd, qdd, mass=None, inertia=None):
    """tree_data.rnea on the chain (numpy, no damping), q etc. (B, 3)."""
    B, n = q.shape
    rep = lambda x: np.broadcast_to(np.asarray(x, float), (B, n)).copy()  # noqa: E731
    joint = np.zeros((B, n, 2))
    joint[:, 1:, 1] = -np.asarray(chain.length_m[:-1])
    com = np.zeros((B, n, 2))
    com[:, :, 1] = -np.asarray(chain.com_m)
    return rnea(chain_parents(n), rep(chain.mass_kg if mass is None else mass),
                rep(chain.inertia_kg_m2 if inertia is None else inertia), joint, com,
                np.zeros((B, n)), q, qd, qdd, chain.gravity_m_s2)


def simulate(chain: Chain, times: np.ndarray) -> np.ndarray:
    """Joint angles (T, 3) from rest hanging, forward dynamics by tree_data.rnea (RK45)."""
    n = len(chain.mass_kg)
    b = np.asarray(chain.damping_Nms_rad)

    zero = np.zeros((n + 2, n))
    accelerations = np.vstack([np.zeros((2, n)), np.eye(n)])

    def rhs(t, x):
        speeds = zero.copy()
        speeds[0] = x[n:]
        out = _rnea(chain, np.broadcast_to(x[:n], (n + 2, n)), speeds, accelerations)
        bias = out[0] + b * x[n:]
        M = (out[2:] - out[1]).T
        tau = chain.torque(np.array([t]))[0]
        return np.concatenate([x[n:], np.linalg.solve(M, tau - bias)])

    sol = solve_ivp(rhs, (0.0, float(times[-1])), np.zeros(2 * n), t_eval=times,
                    rtol=1e-9, atol=1e-11)
    return sol.y[:n].T


@dataclass(frozen=True)
class Motion:
    times: np.ndarray        # (T,) s
    angles: np.ndarray       # (T, 3) rad, noisy
    noise_std_rad: float
    duration_s: float


def noisy_motion(chain: Chain, count: int = 100, duration_s: float = 4.0,
                 noise_std_rad: float = 0.01, seed: int = 0) -> Motion:
    times = np.linspace(0.0, duration_s, count)
    clean = simulate(chain, times)
    rng = np.random.default_rng(seed)
    return Motion(times, clean + noise_std_rad * rng.standard_normal(clean.shape),
                  noise_std_rad, duration_s)


class ChainNetwork(nn.Module):
    """q(t) = scale * f(2 t / T - 1), f a tanh perceptron with n outputs; (q, q', q'').

    ``at_rest``: q(t) = (t / T)^2 scale f, so that q(0) = q'(0) = 0 exactly (a
    motion known to start at rest, as the NLP's ``[initial]``)."""

    def __init__(self, duration_s: float, scale, outputs: int, hidden=(48, 48),
                 at_rest: bool = False):
        super().__init__()
        self.at_rest = bool(at_rest)
        widths = [1, *hidden, outputs]
        self.layers = nn.ModuleList(nn.Linear(a, b, dtype=torch.float64)
                                    for a, b in zip(widths[:-1], widths[1:]))
        self.duration_s = float(duration_s)
        self.scale = torch.as_tensor(scale, dtype=torch.float64)

    def forward(self, t):
        dtn = 2.0 / self.duration_s
        z = (dtn * t - 1.0)[:, None]
        dz, ddz = torch.full_like(z, dtn), torch.zeros_like(z)
        for layer in self.layers[:-1]:
            a, da, dda = layer(z), dz @ layer.weight.T, ddz @ layer.weight.T
            s = torch.tanh(a)
            s1 = 1 - s ** 2
            z, dz, ddz = s, s1 * da, -2 * s * s1 * da ** 2 + s1 * dda
        last = self.layers[-1]
        f, fd, fdd = (self.scale * last(z), self.scale * (dz @ last.weight.T),
                      self.scale * (ddz @ last.weight.T))
        if not self.at_rest:
            return f, fd, fdd
        s, T = t[:, None] / self.duration_s, self.duration_s
        return (s ** 2 * f, 2 * s / T * f + s ** 2 * fd,
                2 / T ** 2 * f + 4 * s / T * fd + s ** 2 * fdd)


@dataclass
class Identified:
    method: str
    parameters: dict
    standard_errors: dict
    relative_errors: dict = field(default_factory=dict)
    time_s: float = 0.0
    network: object = None   # the fitted q(t) network, (q, q', q'') = network(t)

    def worst(self, names=("mass_kg", "inertia_kg_m2")) -> float:
        return max(abs(e) for n in names for e in self.relative_errors[n])


def regressor(chain: Chain, q, qd, qdd) -> np.ndarray:
    """Y (3T, 9) with tau = Y p (the equations are linear in m, I, b)."""
    cols = []
    for j in range(9):
        e = torch.zeros(9, dtype=torch.float64)
        e[j] = 1.0
        cols.append(inverse_dynamics_torch(chain, e, q, qd, qdd).reshape(-1).numpy())
    return np.stack(cols, 1)


def least_squares_fit(chain: Chain, net, duration_s: float, collocation: int):
    """m, I, b and standard errors by least squares on the network's q, q', q''."""
    t = torch.linspace(0.0, duration_s, collocation, dtype=torch.float64)
    with torch.no_grad():
        q, qd, qdd = net(t)
        Y = regressor(chain, q, qd, qdd)
    tau = chain.torque(t.numpy()).reshape(-1)
    p, *_ = np.linalg.lstsq(Y, tau, rcond=None)
    dof = max(1, len(tau) - len(p))
    sigma2 = float(np.sum((Y @ p - tau) ** 2)) / dof
    se = np.sqrt(np.diag(sigma2 * np.linalg.inv(Y.T @ Y)))
    return p, se


def _result(method, chain, p, se, seconds) -> Identified:
    truth = chain.vector()
    rel = (np.asarray(p) - truth) / truth
    return Identified(method, unpack(p), unpack(se), unpack(rel), seconds)


def _setup(motion: Motion, hidden, seed, threads, at_rest: bool = False):
    torch.set_num_threads(max(1, threads))
    torch.manual_seed(seed)
    scale = np.maximum(np.max(np.abs(motion.angles), 0), 1e-3)
    net = ChainNetwork(motion.duration_s, scale, motion.angles.shape[1], hidden, at_rest)
    t = torch.as_tensor(motion.times, dtype=torch.float64)
    y = torch.as_tensor(motion.angles, dtype=torch.float64)
    sc = torch.as_tensor(scale, dtype=torch.float64)
    return net, t, y, sc


def levenberg_marquardt(residual, theta, iterations: int, damping: float = 1e-3):
    """(theta, damping): ``iterations`` Levenberg-Marquardt steps on |residual(theta)|^2.

    The step -J^T (J J^T + damping I)^-1 r (equal to -(J^T J + damping I)^-1 J^T r)
    is solved in the residual space, cheap when r has fewer entries than theta
    (a network); J by reverse mode (torch.func.jacrev). A step is taken only if
    it lowers the sum of squares; the damping falls 3x after one, rises 4x after
    a rejection."""
    from torch.func import jacrev
    r = residual(theta)
    f = float(r @ r)
    for _ in range(iterations):
        J = jacrev(residual)(theta)
        A, eye = J @ J.T, torch.eye(len(r), dtype=r.dtype)
        while damping < 1e10:
            trial = theta - J.T @ torch.linalg.solve(A + damping * eye, r)
            rn = residual(trial)
            if float(rn @ rn) < f:
                theta, r, f = trial, rn, float(rn @ rn)
                damping = max(damping / 3.0, 1e-12)
                break
            damping *= 4.0
        else:
            break
    return theta, damping


def simulate_many(chain: Chain, parameters: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Joint angles (K, T, 3) for K parameter vectors (m, I, b) (K, 9), as ``simulate``
    but integrated together (one RK45 run on the stacked states)."""
    P = np.atleast_2d(np.asarray(parameters, float))
    K, n = len(P), len(chain.mass_kg)
    rows = n + 2
    mass, inertia = (np.repeat(P[:, 3 * i:3 * i + 3], rows, 0) for i in (0, 1))
    accelerations = np.tile(np.vstack([np.zeros((2, n)), np.eye(n)]), (K, 1))

    def rhs(t, x):
        X = x.reshape(K, 2 * n)
        speeds = np.zeros((K, rows, n))
        speeds[:, 0] = X[:, n:]
        out = _rnea(chain, np.repeat(X[:, :n], rows, 0), speeds.reshape(-1, n),
                    accelerations, mass, inertia).reshape(K, rows, n)
        bias = out[:, 0] + P[:, 6:9] * X[:, n:]
        M = np.transpose(out[:, 2:] - out[:, 1:2], (0, 2, 1))
        tau = chain.torque(np.array([t]))[0]
        qdd = np.linalg.solve(M, (tau - bias)[:, :, None])[:, :, 0]
        return np.concatenate([X[:, n:], qdd], 1).reshape(-1)

    sol = solve_ivp(rhs, (0.0, float(times[-1])), np.zeros(K * 2 * n), t_eval=times,
                    rtol=1e-9, atol=1e-11)
    return sol.y.reshape(K, 2 * n, -1)[:, :n].transpose(0, 2, 1)


def output_error_errors(chain: Chain, motion: Motion, p, relative_step: float = 1e-4):
    """Standard errors of m, I, b (9,) if the trajectory obeyed the equations exactly.

    The Gauss-Newton covariance of the samples' least squares with the motion
    simulated from rest under the known torques (the limit of a PINN whose
    physics weight grows without bound, and the NLP's own estimator):
    s^2 (S^T S)^-1, S the sensitivities of the simulated samples to the 9
    parameters (central differences, ``simulate_many``), s^2 the residual
    variance of the samples about the simulation at p (divided by N - 9)."""
    p = np.asarray(p, float)
    steps = relative_step * np.diag(p)
    runs = simulate_many(chain, np.vstack([p, p + steps, p - steps]), motion.times)
    runs = runs.reshape(len(runs), -1)
    S = ((runs[1:1 + len(p)] - runs[1 + len(p):]) / (2 * relative_step * p)[:, None]).T
    e = motion.angles.reshape(-1) - runs[0]
    s2 = float(e @ e) / max(1, len(e) - len(p))
    return np.sqrt(np.diag(s2 * np.linalg.inv(S.T @ S)))


def fit_pinn(chain: Chain, motion: Motion, weight: float = 1.0, collocation: int = 300,
             hidden=(48, 48), adam_steps: int = 3000, lbfgs_steps: int = 500,
             learning_rate: float = 1e-2, seed: int = 0, threads: int = 1,
             warm_start: bool = False, initial_guess=None, at_rest: bool = False,
             schedule=(), lm_steps: int = 10, errors: str = "least-squares") -> Identified:
    """Data misfit (by each angle's scale) plus ``weight`` times the mean squared
    residual of the equations (by each joint's largest |tau|); m, I, b start at
    a uniform guess (1 kg, 0.01 kg m^2, 0.1 N m s/rad), or with ``warm_start``
    the network is first fitted to the samples alone (``adam_steps`` and
    ``lbfgs_steps`` again) and m, I, b start at the least-squares estimates on
    its derivatives (each floored at 1e-3 of the uniform guess: kept positive).

    ``schedule``: physics weights taken in turn after the first fit, each by
    ``lm_steps`` Levenberg-Marquardt steps on network and m, I, b together
    (``levenberg_marquardt``; a continuation towards the equations as hard
    constraints). ``at_rest``: the network starts at rest exactly
    (``ChainNetwork``). ``errors``: "least-squares" (on the network's
    derivatives, ignores the network's uncertainty) or "output-error"
    (``output_error_errors`` at the PINN's estimate)."""
    started = time.perf_counter()
    net, t, y, sc = _setup(motion, hidden, seed, threads, at_rest)
    guess = np.array((1.0,) * 3 + (0.01,) * 3 + (0.1,) * 3) if initial_guess is None \
        else np.asarray(initial_guess, float)
    if warm_start:
        adam_then_lbfgs(list(net.parameters()),
                        lambda: torch.mean(((net(t)[0] - y) / sc) ** 2),
                        adam_steps, lbfgs_steps, learning_rate)
        p0, _ = least_squares_fit(chain, net, motion.duration_s, collocation)
        guess = np.maximum(p0, 1e-3 * guess)
    logs = nn.Parameter(torch.tensor(np.log(guess), dtype=torch.float64))
    t_col = torch.linspace(0.0, motion.duration_s, collocation, dtype=torch.float64)
    tau = chain.torque(t_col)
    tau_scale = tau.abs().max(0).values

    def residuals(params, logp, w):
        from torch.func import functional_call
        data = ((functional_call(net, params, (t,))[0] - y) / sc).reshape(-1)
        q, qd, qdd = functional_call(net, params, (t_col,))
        res = (inverse_dynamics_torch(chain, torch.exp(logp), q, qd, qdd) - tau) / tau_scale
        res = res.reshape(-1)
        return torch.cat([data / np.sqrt(data.numel()), np.sqrt(w / res.numel()) * res])

    def loss_fn():
        data = torch.mean(((net(t)[0] - y) / sc) ** 2)
        q, qd, qdd = net(t_col)
        res = (inverse_dynamics_torch(chain, torch.exp(logs), q, qd, qdd) - tau) / tau_scale
        return data + weight * torch.mean(res ** 2)

    adam_then_lbfgs([*net.parameters(), logs], loss_fn, adam_steps, lbfgs_steps,
                    learning_rate * (0.1 if warm_start else 1.0))
    named = dict(net.named_parameters())
    if schedule:
        names = list(named)
        shapes = [named[n].shape for n in names]
        cuts = np.cumsum([0] + [named[n].numel() for n in names])
        theta = torch.cat([named[n].detach().reshape(-1) for n in names] + [logs.detach()])

        def split(th):
            return {n: th[a:b].reshape(s) for n, s, a, b in
                    zip(names, shapes, cuts[:-1], cuts[1:])}, th[cuts[-1]:]

        damping = 1e-3
        for w in schedule:
            theta, damping = levenberg_marquardt(lambda th, w=w: residuals(*split(th), w),
                                                 theta, lm_steps, damping)
        with torch.no_grad():
            params, logp = split(theta)
            for n in names:
                named[n].copy_(params[n])
            logs.copy_(logp)
    p = torch.exp(logs).detach().numpy()
    if errors == "output-error":
        se = output_error_errors(chain, motion, p)
    else:
        _, se = least_squares_fit(chain, net, motion.duration_s, collocation)
    return _result("pinn", chain, p, se, time.perf_counter() - started)


def fit_data_only(chain: Chain, motion: Motion, collocation: int = 300, hidden=(48, 48),
                  adam_steps: int = 3000, lbfgs_steps: int = 500,
                  learning_rate: float = 1e-2, seed: int = 0,
                  threads: int = 1) -> Identified:
    """The same network on the samples alone; m, I, b by least squares afterwards."""
    started = time.perf_counter()
    net, t, y, sc = _setup(motion, hidden, seed, threads)

    def loss_fn():
        return torch.mean(((net(t)[0] - y) / sc) ** 2)

    adam_then_lbfgs(list(net.parameters()), loss_fn, adam_steps, lbfgs_steps, learning_rate)
    p, se = least_squares_fit(chain, net, motion.duration_s, collocation)
    return _result("data_only", chain, p, se, time.perf_counter() - started)
