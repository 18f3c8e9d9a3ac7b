"""Physics-informed identification of a joint's inertia, damping and stiffness.

A single joint driven by a known torque tau(t) (N m):

    I theta'' + b theta' + k theta = tau(t)

(I in kg m^2, b in N m s/rad, k in N m/rad). From a few noisy samples of
the angle, a physics-informed neural network (Raissi, Perdikaris and
Karniadakis 2019, J Comput Phys 378:686) fits theta_phi(t) to the data and,
with weight ``lambda``, the residual of the equation at collocation points
over the whole interval, learning I, b and k (as logarithms, so they stay
positive) together with the weights phi. The known torque is what makes
the three identifiable: without it, only b / I and k / I would be.

The data-only comparison fits the same network to the samples alone and
then takes I, b, k by linear least squares on the residual evaluated with
that network's derivatives (fit first, differentiate after): with 20 noisy
samples the derivatives, and so the parameters, are poor. A classical
output-error fit (simulate the equation, adjust I, b, k and the initial
state to the samples, scipy least_squares) is also given as a reference.

theta, theta' and theta'' of the network come from a forward pass that
carries the first and second derivatives through the layers (exact, and
cheaper than nested autograd).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import least_squares

from learned_components._torch import require_torch

torch = require_torch()
nn = torch.nn

PARAMETERS = ("inertia_kg_m2", "damping_Nms_rad", "stiffness_Nm_rad")


@dataclass(frozen=True)
class Joint:
    """A damped, elastically restrained joint and the torque that drives it.

    Defaults: a forearm-like segment about the elbow, I = 0.1 kg m^2, with a
    passive stiffness of 4 N m/rad (natural frequency 1 Hz) and damping ratio
    0.16, driven by tau(t) = a sin(w t) + c from rest at ``initial_angle_rad``.
    """

    inertia_kg_m2: float = 0.1
    damping_Nms_rad: float = 0.2
    stiffness_Nm_rad: float = 4.0
    torque_amplitude_Nm: float = 1.0
    torque_frequency_rad_s: float = 4.0
    torque_offset_Nm: float = 0.4
    initial_angle_rad: float = 0.3
    initial_speed_rad_s: float = 0.0

    def torque(self, t):
        """tau(t) (N m) for numpy arrays or torch tensors t (s)."""
        sin = torch.sin if isinstance(t, torch.Tensor) else np.sin
        return self.torque_amplitude_Nm * sin(self.torque_frequency_rad_s * t) \
            + self.torque_offset_Nm

    def parameters(self) -> dict:
        return {p: getattr(self, p) for p in PARAMETERS}


def simulate(joint: Joint, times: np.ndarray, parameters: dict | None = None,
             initial=None) -> np.ndarray:
    """theta(t) (rad) at ``times`` from the equation of motion (RK45, tolerance 1e-10)."""
    p = joint.parameters() if parameters is None else parameters
    I, b, k = (p[n] for n in PARAMETERS)
    x0 = [joint.initial_angle_rad, joint.initial_speed_rad_s] if initial is None else initial

    def rhs(t, x):
        return [x[1], (joint.torque(t) - b * x[1] - k * x[0]) / I]

    sol = solve_ivp(rhs, (0.0, float(times[-1])), x0, t_eval=times, rtol=1e-10, atol=1e-12)
    return sol.y[0]


@dataclass(frozen=True)
class Samples:
    """Noisy angle samples: ``times`` (s), ``angles`` (rad); ``noise_std`` (rad)."""

    times: np.ndarray
    angles: np.ndarray
    noise_std: float
    duration_s: float


def noisy_samples(joint: Joint, count: int = 20, duration_s: float = 3.0,
                  noise_fraction: float = 0.05, seed: int = 0) -> Samples:
    """``count`` samples evenly spread over [0, duration], with Gaussian noise of
    standard deviation ``noise_fraction`` times the largest |theta|."""
    times = np.linspace(0.0, duration_s, count)
    dense = simulate(joint, np.linspace(0.0, duration_s, 2001))
    std = noise_fraction * float(np.max(np.abs(dense)))
    angles = simulate(joint, times) + std * np.random.default_rng(seed).standard_normal(count)
    return Samples(times, angles, std, duration_s)


class AngleNetwork(nn.Module):
    """theta(t) = scale * f(2 t / T - 1), f a tanh perceptron; returns theta, theta', theta''."""

    def __init__(self, duration_s: float, scale: float, hidden=(32, 32)):
        super().__init__()
        widths = [1, *hidden, 1]
        self.layers = nn.ModuleList(nn.Linear(a, b, dtype=torch.float64)
                                    for a, b in zip(widths[:-1], widths[1:]))
        self.duration_s, self.scale = float(duration_s), float(scale)

    def forward(self, t):
        """t (n,) -> (theta, theta', theta''), each (n,), by forward-mode derivatives."""
        dtn = 2.0 / self.duration_s  # d t_n / d t
        z = (dtn * t - 1.0)[:, None]
        dz = torch.full_like(z, dtn)
        ddz = torch.zeros_like(z)
        for layer in self.layers[:-1]:
            a, da, dda = layer(z), dz @ layer.weight.T, ddz @ layer.weight.T
            s = torch.tanh(a)
            s1 = 1 - s ** 2
            s2 = -2 * s * s1
            z, dz, ddz = s, s1 * da, s2 * da ** 2 + s1 * dda
        last = self.layers[-1]
        return (self.scale * last(z)[:, 0], self.scale * (dz @ last.weight.T)[:, 0],
                self.scale * (ddz @ last.weight.T)[:, 0])


@dataclass
class Identification:
    """Identified parameters, their relative errors and how they were found."""

    method: str
    parameters: dict
    relative_errors: dict = field(default_factory=dict)
    time_s: float = 0.0
    network: object = None

    @property
    def worst_error(self) -> float:
        return max(abs(e) for e in self.relative_errors.values())


def _relative(found: dict, joint: Joint) -> dict:
    return {p: (found[p] - getattr(joint, p)) / getattr(joint, p) for p in PARAMETERS}


def adam_then_lbfgs(parameters, loss_fn, adam_steps: int, lbfgs_steps: int, learning_rate: float):
    optimiser = torch.optim.Adam(parameters, lr=learning_rate)
    decay = 0.1 ** (1.0 / max(adam_steps, 1))
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimiser, decay)
    for _ in range(adam_steps):
        optimiser.zero_grad()
        loss = loss_fn()
        loss.backward()
        optimiser.step()
        scheduler.step()
    if lbfgs_steps:
        lbfgs = torch.optim.LBFGS(parameters, lr=1.0, max_iter=lbfgs_steps,
                                  history_size=50, line_search_fn="strong_wolfe",
                                  tolerance_grad=0.0, tolerance_change=0.0)

        def closure():
            lbfgs.zero_grad()
            value = loss_fn()
            value.backward()
            return value

        lbfgs.step(closure)
    return float(loss_fn().detach())


def fit_pinn(joint: Joint, samples: Samples, weight: float = 1.0, collocation: int = 200,
             initial_guess: dict | None = None, hidden=(32, 32), adam_steps: int = 3000,
             lbfgs_steps: int = 500, learning_rate: float = 1e-2, seed: int = 0,
             threads: int = 1) -> Identification:
    """Data loss plus ``weight`` times the equation residual; I, b, k learned with phi.

    Losses are normalised: the data misfit by the noise-free scale of theta,
    the residual by the largest |tau|. ``initial_guess`` (default 1 for each
    parameter, i.e. off by a factor 2.5 to 10) starts I, b and k.
    """
    started = time.perf_counter()
    torch.set_num_threads(max(1, threads))
    torch.manual_seed(seed)
    scale = float(np.max(np.abs(samples.angles)))
    net = AngleNetwork(samples.duration_s, scale, hidden)
    guess = initial_guess or {p: 1.0 for p in PARAMETERS}
    logs = nn.Parameter(torch.tensor([math.log(guess[p]) for p in PARAMETERS],
                                     dtype=torch.float64))
    t_data = torch.as_tensor(samples.times, dtype=torch.float64)
    y_data = torch.as_tensor(samples.angles, dtype=torch.float64)
    t_col = torch.linspace(0.0, samples.duration_s, collocation, dtype=torch.float64)
    tau = joint.torque(t_col)
    tau_scale = float(tau.abs().max())

    def loss_fn():
        theta, _, _ = net(t_data)
        data = torch.mean(((theta - y_data) / scale) ** 2)
        th, dth, ddth = net(t_col)
        I, b, k = torch.exp(logs)
        residual = (I * ddth + b * dth + k * th - tau) / tau_scale
        return data + weight * torch.mean(residual ** 2)

    adam_then_lbfgs([*net.parameters(), logs], loss_fn, adam_steps, lbfgs_steps, learning_rate)
    found = dict(zip(PARAMETERS, torch.exp(logs).detach().numpy().tolist()))
    return Identification("pinn", found, _relative(found, joint),
                          time.perf_counter() - started, net)


def fit_data_only(joint: Joint, samples: Samples, collocation: int = 200, hidden=(32, 32),
                  adam_steps: int = 3000, lbfgs_steps: int = 500, learning_rate: float = 1e-2,
                  seed: int = 0, threads: int = 1) -> Identification:
    """The same network fitted to the samples alone, then I, b, k by least squares on
    I theta'' + b theta' + k theta = tau with the network's derivatives."""
    started = time.perf_counter()
    torch.set_num_threads(max(1, threads))
    torch.manual_seed(seed)
    scale = float(np.max(np.abs(samples.angles)))
    net = AngleNetwork(samples.duration_s, scale, hidden)
    t_data = torch.as_tensor(samples.times, dtype=torch.float64)
    y_data = torch.as_tensor(samples.angles, dtype=torch.float64)

    def loss_fn():
        return torch.mean(((net(t_data)[0] - y_data) / scale) ** 2)

    adam_then_lbfgs(list(net.parameters()), loss_fn, adam_steps, lbfgs_steps, learning_rate)
    t_col = torch.linspace(0.0, samples.duration_s, collocation, dtype=torch.float64)
    with torch.no_grad():
        th, dth, ddth = (v.numpy() for v in net(t_col))
    A = np.column_stack([ddth, dth, th])
    solution, *_ = np.linalg.lstsq(A, joint.torque(t_col.numpy()), rcond=None)
    found = dict(zip(PARAMETERS, solution.tolist()))
    return Identification("data_only", found, _relative(found, joint),
                          time.perf_counter() - started, net)


def fit_output_error(joint: Joint, samples: Samples,
                     initial_guess: dict | None = None) -> Identification:
    """Classical output-error identification: simulate, compare with the samples,
    adjust log I, log b, log k and the initial state (scipy least_squares)."""
    started = time.perf_counter()
    guess = initial_guess or {p: 1.0 for p in PARAMETERS}
    x0 = np.array([math.log(guess[p]) for p in PARAMETERS] + [samples.angles[0], 0.0])

    def residual(x):
        p = dict(zip(PARAMETERS, np.exp(x[:3])))
        return simulate(joint, samples.times, p, initial=x[3:]) - samples.angles

    result = least_squares(residual, x0, method="trf")
    found = dict(zip(PARAMETERS, np.exp(result.x[:3]).tolist()))
    return Identification("output_error", found, _relative(found, joint),
                          time.perf_counter() - started)
