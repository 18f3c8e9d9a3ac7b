"""Trained weights to CasADi expressions, and the files the solve path loads.

A network becomes a pure CasADi SX expression of its inputs built from its
weight matrices (numpy arrays): the same operations as the torch forward pass,
in float64, so values agree to rounding (1e-10 is tested) and CasADi's
automatic differentiation gives exact Jacobians and Hessians. The expression
builders here take numpy arrays and need no torch; only
:func:`weights_of` reads a torch module.

An exported surrogate is two files side by side:

- ``NAME.casadi``: the Function, written by ``casadi.Function.save``;
- ``NAME.json``: its metadata (component, inputs with units and training
  ranges, outputs, network, training error, and the SHA-256 of the
  ``.casadi`` file, which detects a corrupt or swapped file).

:mod:`ocp.models.surrogate` reads them in a process without torch.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import casadi as ca
import numpy as np

from ocp.models.surrogate import FORMAT, FORMAT_VERSION
from ocp.solution import atomic_write

#: Variance floor of a mean-variance head, in normalised output units (networks.py).
MIN_VARIANCE = 1e-8


def activation(name: str, z):
    """The activation ``name`` on a CasADi expression, written as in ``networks.activate``."""
    if name == "tanh":
        return ca.tanh(z)
    if name == "softplus":
        return ca.log1p(ca.exp(z))
    if name == "silu":
        return z * (1 / (1 + ca.exp(-z)))
    raise ValueError(f"unknown activation '{name}'")


def network_expression(weights: dict, x):
    """The last layer's output (normalised units) of a perceptron for inputs x (n_in, 1).

    ``weights``: ``layers`` [(W (out, in), b (out,))], ``activation``,
    ``input_mean``, ``input_std`` (see ``networks.MLP.weights``).
    """
    z = (x - ca.DM(weights["input_mean"])) / ca.DM(weights["input_std"])
    layers = weights["layers"]
    for W, b in layers[:-1]:
        z = activation(weights["activation"], ca.mtimes(ca.DM(W), z) + ca.DM(b))
    W, b = layers[-1]
    return ca.mtimes(ca.DM(W), z) + ca.DM(b)


def mlp_expression(weights: dict, x):
    """y (n_out, 1) in physical units: mean_y + std_y * network(x)."""
    return ca.DM(weights["output_mean"]) + ca.DM(weights["output_std"]) \
        * network_expression(weights, x)


def mean_variance_expression(weights: dict, x):
    """(mean, variance), each (n_out, 1), of a mean-variance perceptron.

    As ``networks.MeanVarianceMLP``: variance = (softplus(head) + floor) std_y^2.
    """
    n = len(weights["output_mean"])
    z = network_expression(weights, x)
    std = ca.DM(weights["output_std"])
    mean = ca.DM(weights["output_mean"]) + std * z[:n]
    box = weights.get("input_range")
    if box is not None:  # the variance head at the input clamped to the training range
        lo, hi = (ca.DM([r[i] for r in box]) for i in (0, 1))
        z = network_expression(weights, ca.fmax(ca.fmin(x, hi), lo))
    variance = (ca.log1p(ca.exp(z[n:])) + MIN_VARIANCE) * std ** 2
    return mean, variance


def weights_of(module) -> dict:
    """numpy weights of a trained ``networks.MLP`` (or MeanVarianceMLP)."""
    return module.weights()


def mlp_function(weights: dict, name: str = "surrogate", input_name: str = "x",
                 output_name: str = "y") -> ca.Function:
    """x (n_in,) -> y (n_out,) as an SX Function."""
    x = ca.SX.sym(input_name, len(weights["input_mean"]))
    return ca.Function(name, [x], [mlp_expression(weights, x)], [input_name], [output_name])


def _mean_expression(weights: dict, x):
    """A plain MLP's output, or the mean head of a mean-variance MLP."""
    if len(weights["layers"][-1][1]) == 2 * len(weights["output_mean"]):
        return mean_variance_expression(weights, x)[0]
    return mlp_expression(weights, x)


def geometry_function(weights: dict, n_coordinates: int) -> ca.Function:
    """Muscle geometry of the same signature as ``MuscleDrivenTree.geometry``.

    q (n,) -> (length_m (m, 1), moment_arm_m (n, m)), the moment arms minus
    the Jacobian of the learned lengths, so they cannot disagree with them.
    A mean-variance network contributes its mean head.
    """
    q = ca.SX.sym("q", n_coordinates)
    lengths = _mean_expression(weights, q)
    return ca.Function("muscle_geometry", [q], [lengths, -ca.jacobian(lengths, q).T],
                       ["q"], ["length_m", "moment_arm_m"])


def contact_function(weights: dict) -> ca.Function:
    """Normal contact force: x = (indentation m, indentation speed m/s) -> force (N)."""
    x = ca.SX.sym("x", 2)
    return ca.Function("contact_normal_force", [x], [_mean_expression(weights, x)],
                       ["x"], ["normal_force_N"])


def ensemble_function(member_weights: list, n_inputs: int, name: str = "ensemble",
                      input_name: str = "x") -> ca.Function:
    """x -> (mean, aleatoric, epistemic, total) of a deep ensemble, each (n_out, 1).

    mean = E_k[mu_k], aleatoric = E_k[sigma_k^2], epistemic = Var_k[mu_k]
    (population variance over the members), total = aleatoric + epistemic.
    """
    x = ca.SX.sym(input_name, n_inputs)
    pairs = [mean_variance_expression(w, x) for w in member_weights]
    k = len(pairs)
    mean = sum(m for m, _ in pairs) / k
    aleatoric = sum(v for _, v in pairs) / k
    epistemic = sum((m - mean) ** 2 for m, _ in pairs) / k
    return ca.Function(name, [x], [mean, aleatoric, epistemic, aleatoric + epistemic],
                       [input_name], ["mean", "aleatoric", "epistemic", "total"])


def gru_step_function(weights: dict, name: str = "gru_step") -> ca.Function:
    """One step of a GRU plus its linear read-out: (h, x) -> (h_next, y).

    PyTorch's GRU equations (torch.nn.GRU documentation):
    r = sigma(W_ir x + b_ir + W_hr h + b_hr), z = sigma(W_iz x + b_iz + W_hz h + b_hz),
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) * n + z * h;
    y = mean_y + std_y * (W_o h' + b_o). Inputs are normalised first.
    ``weights``: ``weight_ih`` (3H, n_in), ``weight_hh`` (3H, H), ``bias_ih``,
    ``bias_hh`` (3H,), ``readout`` (W_o, b_o) and the normalisation arrays.
    """
    W_ih, W_hh = ca.DM(weights["weight_ih"]), ca.DM(weights["weight_hh"])
    b_ih, b_hh = ca.DM(weights["bias_ih"]), ca.DM(weights["bias_hh"])
    H = W_hh.shape[1]
    h = ca.SX.sym("h", H)
    x = ca.SX.sym("x", W_ih.shape[1])
    xn = (x - ca.DM(weights["input_mean"])) / ca.DM(weights["input_std"])
    gi = ca.mtimes(W_ih, xn) + b_ih
    gh = ca.mtimes(W_hh, h) + b_hh

    def sigmoid(v):
        return 1 / (1 + ca.exp(-v))

    r = sigmoid(gi[:H] + gh[:H])
    z = sigmoid(gi[H:2 * H] + gh[H:2 * H])
    n = ca.tanh(gi[2 * H:] + r * gh[2 * H:])
    h_next = (1 - z) * n + z * h
    W_o, b_o = weights["readout"]
    y = ca.DM(weights["output_mean"]) + ca.DM(weights["output_std"]) \
        * (ca.mtimes(ca.DM(W_o), h_next) + ca.DM(b_o))
    return ca.Function(name, [h, x], [h_next, y], ["h", "x"], ["h_next", "y"])


def jsonable(value):
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, (np.floating, float)):
        return float(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, str):
        return str(value)  # plain str, not a subclass such as torch's TorchVersion
    return value


def write_surrogate(function: ca.Function, metadata: dict, path) -> tuple[Path, Path]:
    """Write ``PATH.casadi`` (Function.save) and ``PATH.json`` (metadata), each atomically.

    ``metadata`` needs ``component``, ``inputs`` (list of {name, unit,
    range}) and ``outputs`` (list of {name, unit}); the format tag, the
    function's signature and the checksum of the ``.casadi`` file are added
    here. Returns both paths.
    """
    path = Path(path)
    if path.suffix in (".casadi", ".json"):
        path = path.with_suffix("")
    casadi_path, json_path = path.with_suffix(".casadi"), path.with_suffix(".json")
    casadi_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = casadi_path.with_name(f".{casadi_path.name}.tmp")
    try:
        function.save(str(tmp))
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, casadi_path)
    finally:
        if tmp.exists():
            tmp.unlink()
    signature = {
        "name": function.name(),
        "inputs": [{"name": function.name_in(i), "shape": list(function.size_in(i))}
                   for i in range(function.n_in())],
        "outputs": [{"name": function.name_out(i), "shape": list(function.size_out(i))}
                    for i in range(function.n_out())],
    }
    full = {"format": FORMAT, "version": FORMAT_VERSION, **metadata,
            "function": signature, "casadi_file": casadi_path.name,
            "sha256": hashlib.sha256(casadi_path.read_bytes()).hexdigest()}
    text = json.dumps(jsonable(full), indent=2) + "\n"
    atomic_write(json_path, lambda f: f.write(text.encode()))
    os.chmod(json_path, 0o644)
    return casadi_path, json_path
