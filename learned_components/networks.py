"""The networks: multilayer perceptrons with smooth activations and built-in normalisation.

IPOPT uses second derivatives, so every activation is smooth (C-infinity):
``tanh``, ``softplus`` (log(1 + e^x), written out: torch's own softplus
switches to the identity above x = 20, a jump of 2e-9) and ``silu``
(x sigmoid(x)). ReLU is not offered: its second derivative is zero almost
everywhere and undefined at the kink.

Inputs and outputs are normalised inside the module (z = (x - mean) / std,
y = mean + std * z_out), so the exported CasADi function takes and returns
physical units, and the normalisation cannot be forgotten at solve time.
All parameters are float64.
"""
from __future__ import annotations

import numpy as np

from learned_components._torch import require_torch
from learned_components.export import MIN_VARIANCE

torch = require_torch()
nn = torch.nn

ACTIVATIONS = ("tanh", "softplus", "silu")


def activate(name: str, z):
    """The activation ``name`` applied to a torch tensor."""
    if name == "tanh":
        return torch.tanh(z)
    if name == "softplus":
        return torch.log1p(torch.exp(z))
    if name == "silu":
        return z * torch.sigmoid(z)
    raise ValueError(f"unknown activation '{name}'; valid: {', '.join(ACTIVATIONS)}")


def activate_with_slope(name: str, z):
    """(activation(z), its derivative), elementwise, for forward-mode Jacobians."""
    if name == "tanh":
        value = torch.tanh(z)
        return value, 1 - value ** 2
    if name == "softplus":
        return torch.log1p(torch.exp(z)), torch.sigmoid(z)
    if name == "silu":
        sigmoid = torch.sigmoid(z)
        return z * sigmoid, sigmoid * (1 + z * (1 - sigmoid))
    raise ValueError(f"unknown activation '{name}'; valid: {', '.join(ACTIVATIONS)}")


def _as_tensor(values, n: int, default: float):
    values = np.full(n, default) if values is None else np.asarray(values, dtype=float).ravel()
    if values.size != n:
        raise ValueError(f"expected {n} normalisation values, got {values.size}")
    return torch.as_tensor(values, dtype=torch.float64)


class MLP(nn.Module):
    """y = mean_y + std_y * f((x - mean_x) / std_x), f a perceptron with smooth activations.

    ``x`` (batch, n_in) in physical units, ``y`` (batch, n_out). ``hidden`` is
    the width of each hidden layer.
    """

    kind = "mlp"

    def __init__(self, n_in: int, n_out: int, hidden=(32, 32), activation: str = "tanh",
                 input_mean=None, input_std=None, output_mean=None, output_std=None):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation '{activation}'; valid: {', '.join(ACTIVATIONS)}")
        self.n_in, self.n_out = int(n_in), int(n_out)
        self.hidden, self.activation = tuple(int(h) for h in hidden), activation
        widths = [self.n_in, *self.hidden, self.head_size()]
        self.layers = nn.ModuleList(nn.Linear(a, b, dtype=torch.float64)
                                    for a, b in zip(widths[:-1], widths[1:]))
        self.register_buffer("input_mean", _as_tensor(input_mean, n_in, 0.0))
        self.register_buffer("input_std", _as_tensor(input_std, n_in, 1.0))
        self.register_buffer("output_mean", _as_tensor(output_mean, n_out, 0.0))
        self.register_buffer("output_std", _as_tensor(output_std, n_out, 1.0))

    def head_size(self) -> int:
        return self.n_out

    def normalised(self, x):
        """The last layer's output for physical inputs x (batch, n_in)."""
        z = (x - self.input_mean) / self.input_std
        for layer in self.layers[:-1]:
            z = activate(self.activation, layer(z))
        return self.layers[-1](z)

    def forward(self, x):
        return self.output_mean + self.output_std * self.normalised(x)

    def forward_with_jacobian(self, x):
        """(y (batch, n_out), dy/dx (batch, n_out, n_in)) in one forward pass.

        The Jacobian is carried through the layers (J <- diag(s'(a)) W J),
        which is cheaper to train through than one backward pass per output.
        """
        z = (x - self.input_mean) / self.input_std
        J = torch.eye(self.n_in, dtype=z.dtype).expand(z.shape[0], -1, -1)
        for layer in self.layers[:-1]:
            a = layer(z)
            J = torch.einsum("oi,nij->noj", layer.weight, J)
            z, slope = activate_with_slope(self.activation, a)
            J = slope[:, :, None] * J
        last = self.layers[-1]
        out = last(z)[:, :self.n_out]
        J = torch.einsum("oi,nij->noj", last.weight[:self.n_out], J)
        y = self.output_mean + self.output_std * out
        return y, J * self.output_std[None, :, None] / self.input_std[None, None, :]

    def architecture(self) -> dict:
        """What rebuilds the module: kind, sizes, activation."""
        return {"kind": self.kind, "n_in": self.n_in, "n_out": self.n_out,
                "hidden": list(self.hidden), "activation": self.activation,
                "parameters": sum(p.numel() for p in self.parameters())}

    def weights(self) -> dict:
        """numpy arrays of the layers (W (out, in), b (out,)) and of the normalisation."""
        return {"layers": [(layer.weight.detach().numpy().copy(),
                            layer.bias.detach().numpy().copy()) for layer in self.layers],
                "activation": self.activation,
                "input_mean": self.input_mean.numpy().copy(),
                "input_std": self.input_std.numpy().copy(),
                "output_mean": self.output_mean.numpy().copy(),
                "output_std": self.output_std.numpy().copy()}


class MeanVarianceMLP(MLP):
    """A perceptron with a mean head and a variance head (Lakshminarayanan et al. 2017).

    ``forward`` returns ``(mean, variance)``, both (batch, n_out) in physical
    units; the variance is softplus of the second head plus a small floor,
    times std_y^2. Trained with the Gaussian negative log-likelihood.
    """

    kind = "mean_variance_mlp"

    def __init__(self, *args, input_range=None, **kwargs):
        super().__init__(*args, **kwargs)
        #: [(low, high)] per input: the variance head is evaluated at the input
        #: clamped to this box, so the noise estimate outside the training range
        #: is its value at the nearest edge instead of an extrapolation.
        self.input_range = None if input_range is None else \
            [(float(lo), float(hi)) for lo, hi in input_range]

    def head_size(self) -> int:
        return 2 * self.n_out

    def clamped(self, x):
        """x clamped to ``input_range`` (x itself without one)."""
        if self.input_range is None:
            return x
        lo, hi = (torch.as_tensor([r[i] for r in self.input_range], dtype=x.dtype)
                  for i in (0, 1))
        return torch.maximum(torch.minimum(x, hi), lo)

    def forward(self, x):
        z = self.normalised(x)
        mean = self.output_mean + self.output_std * z[:, :self.n_out]
        head = z[:, self.n_out:] if self.input_range is None else \
            self.normalised(self.clamped(x))[:, self.n_out:]
        variance = (torch.log1p(torch.exp(head)) + MIN_VARIANCE) * self.output_std ** 2
        return mean, variance

    def architecture(self) -> dict:
        out = super().architecture()
        if self.input_range is not None:
            out["input_range"] = [list(r) for r in self.input_range]
        return out

    def weights(self) -> dict:
        return {**super().weights(), "input_range": self.input_range}
