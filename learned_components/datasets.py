"""Training data from the analytic components, over the ranges the optimiser visits.

Each data set holds inputs and outputs in SI units, their names and units,
the sampled ranges, and the exact derivatives d outputs / d inputs from
CasADi's automatic differentiation (for a Sobolev loss and to report
moment-arm errors). Inputs are a Latin hypercube over the ranges, so that a
few thousand samples cover a box evenly. Optional Gaussian noise on the
outputs stands for measurement noise (e.g. muscle-tendon lengths measured on
images); its standard deviation is stored with the data.
"""
from __future__ import annotations

from dataclasses import dataclass

import casadi as ca
import numpy as np
from scipy.stats import qmc


@dataclass(frozen=True)
class Dataset:
    """Samples of a vector function y = f(x).

    ``inputs`` (n, n_in), ``outputs`` (n, n_out), ``derivatives``
    (n, n_out, n_in) of the noise-free function, ``noise_std`` (n, n_out)
    of the noise added to ``outputs`` (zeros without noise).
    """

    inputs: np.ndarray
    outputs: np.ndarray
    derivatives: np.ndarray
    noise_std: np.ndarray
    input_names: tuple
    input_units: tuple
    output_names: tuple
    output_units: tuple
    ranges: tuple  # ((lo, hi), ...) per input
    clean_outputs: np.ndarray | None = None  # outputs before noise (None: no noise added)

    def __len__(self) -> int:
        return self.inputs.shape[0]

    @property
    def exact_outputs(self) -> np.ndarray:
        """The outputs without noise."""
        return self.outputs if self.clean_outputs is None else self.clean_outputs

    def subset(self, index) -> Dataset:
        clean = None if self.clean_outputs is None else self.clean_outputs[index]
        return Dataset(self.inputs[index], self.outputs[index], self.derivatives[index],
                       self.noise_std[index], self.input_names, self.input_units,
                       self.output_names, self.output_units, self.ranges, clean)


def latin_hypercube(ranges, samples: int, seed: int) -> np.ndarray:
    """``samples`` points (samples, d) spread evenly over the box ``ranges`` [(lo, hi)]."""
    lo, hi = np.array(ranges, dtype=float).T
    unit = qmc.LatinHypercube(d=len(ranges), seed=np.random.default_rng(seed)).random(samples)
    return lo + unit * (hi - lo)


def _evaluate(function: ca.Function, inputs: np.ndarray):
    """Outputs (n, n_out) and Jacobians (n, n_out, n_in) of a vector Function x -> y."""
    x = ca.SX.sym("x", inputs.shape[1])
    y = function(x)
    both = ca.Function("values_and_jacobian", [x], [y, ca.jacobian(y, x)])
    values, jacobians = both.map(inputs.shape[0])(inputs.T)
    n_out = y.shape[0]
    values = np.array(values).T
    # columns of the mapped Jacobian: sample k holds columns k n_in ... (k + 1) n_in - 1
    jacobians = np.array(jacobians).reshape(n_out, inputs.shape[1], inputs.shape[0],
                                            order="F").transpose(2, 0, 1)
    return values, jacobians


def _add_noise(values: np.ndarray, inputs: np.ndarray, noise, seed: int):
    if noise is None or noise == 0:
        return values, np.zeros_like(values)
    std = noise(inputs) if callable(noise) else np.full(values.shape, float(noise))
    std = np.broadcast_to(np.asarray(std, dtype=float).reshape(values.shape[0], -1),
                          values.shape).copy()
    rng = np.random.default_rng(seed + 1_000_003)
    return values + std * rng.standard_normal(values.shape), std


def muscle_geometry_data(model, ranges: dict, samples: int, seed: int = 0,
                         noise_m=None) -> Dataset:
    """Muscle-tendon lengths (m) of a MuscleDrivenTree over joint angles (rad).

    ``ranges`` maps every coordinate to (lo, hi) in rad. The derivatives are
    d l / d q = minus the moment arms. ``noise_m`` (m): a standard deviation,
    or a function of the inputs (n, n_in) returning (n, 1) or (n, n_muscles).
    """
    coords = list(model.tree.coordinates)
    missing = [c for c in coords if c not in ranges]
    if missing:
        raise ValueError(f"no range for coordinates {missing}")
    box = [tuple(float(v) for v in ranges[c]) for c in coords]
    inputs = latin_hypercube(box, samples, seed)
    q = ca.SX.sym("q", len(coords))
    lengths = ca.Function("lengths", [q], [model.geometry(q)[0]])
    clean, jacobians = _evaluate(lengths, inputs)
    values, std = _add_noise(clean, inputs, noise_m, seed)
    names = tuple(m.name for m in model.muscles)
    return Dataset(inputs, values, jacobians, std, tuple(coords), ("rad",) * len(coords),
                   tuple(f"{m}_length" for m in names), ("m",) * len(names), tuple(box),
                   clean if np.any(std) else None)


def contact_normal_force_data(sphere, indentation_range_m, speed_range_m_s, samples: int,
                              seed: int = 0) -> Dataset:
    """Normal force (N) of a contact sphere over indentation (m) and its rate (m/s)."""
    from ocp.models.contact import normal_force

    box = (tuple(map(float, indentation_range_m)), tuple(map(float, speed_range_m_s)))
    inputs = latin_hypercube(box, samples, seed)
    x = ca.SX.sym("x", 2)
    force = ca.Function("normal_force", [x], [normal_force(sphere, x[0], x[1])])
    values, jacobians = _evaluate(force, inputs)
    return Dataset(inputs, values, jacobians, np.zeros_like(values),
                   ("indentation", "indentation_speed"), ("m", "m/s"),
                   ("normal_force",), ("N",), box)


def geometry_grid(ranges, points_per_axis: int) -> np.ndarray:
    """A regular grid over the box (points_per_axis^d, d), for validation plots and tests."""
    axes = [np.linspace(lo, hi, points_per_axis) for lo, hi in ranges]
    return np.array(np.meshgrid(*axes, indexing="ij")).reshape(len(ranges), -1).T
