"""Legendre-Gauss-Radau orthogonal collocation of selectable degree."""
from dataclasses import dataclass

import casadi as ca
import numpy as np

from ocp.io.declarations import option
from ocp.transcriptions.base import (
    Transcription,
    lagrange_basis,
    lagrange_derivative_matrix,
    per_interval,
)


class Radau(Transcription):
    """Collocation at the ``degree`` flipped Radau points of each interval.

    The state is the Lagrange polynomial through ``0`` and the Radau points
    ``tau_1 < ... < tau_d = 1``; the dynamics are collocated at the Radau points:
    ``sum_j D[k, j] x_j = h f(x_k, u_k)`` for ``k = 1..d`` (Garg et al. 2010,
    Automatica 46(11); order ``2d - 1`` at the mesh points). Costs use the
    Radau quadrature. Controls live at the Radau points; the control at t0,
    which no collocation equation touches, is tied to the extrapolation of the
    first interval's control polynomial so it is well defined.
    """

    name = toml_name = "radau"
    dynamics_at_start = False

    @dataclass(frozen=True)
    class Options(Transcription.Options):
        """The [transcription] keys of Radau collocation."""

        degree: int = option(3, minimum=1, doc="collocation points per interval (1 to 9)")

    @property
    def order(self) -> int:
        """``2 degree - 1`` at the mesh points (Garg et al. 2010); 1 is implicit Euler."""
        return 2 * self.degree - 1

    def __init__(self, intervals: int, degree: int = 3, mesh=None):
        super().__init__(intervals, mesh)
        if int(degree) != degree or not 1 <= degree <= 9:
            raise ValueError(f"Radau degree must be an integer from 1 to 9, got {degree}")
        self.degree = int(degree)
        tau = np.array(ca.collocation_points(self.degree, "radau"))
        self._points = np.append(0.0, tau)
        self._D = lagrange_derivative_matrix(self._points)
        # Radau quadrature weights: integrals of the Lagrange basis through tau.
        weights = []
        for j in range(self.degree):
            others = np.delete(tau, j)
            coeffs = np.atleast_1d(np.poly(others)) / np.prod(tau[j] - others)
            antideriv = np.polyint(coeffs)
            weights.append(np.polyval(antideriv, 1.0) - np.polyval(antideriv, 0.0))
        self._weights = np.append(0.0, weights)

    @property
    def points(self):
        return self._points

    @property
    def quadrature_weights(self):
        return self._weights

    @property
    def control_points(self):
        return np.arange(1, self.degree + 1)

    def defects(self, h, X, F):
        h = per_interval(h, X[0])
        out = []
        for k in range(1, self.degree + 1):
            slope = sum(self._D[k, j] * X[j] for j in range(self.degree + 1))
            out.append(slope - h * F[k])
        return ca.vertcat(*out)

    def initial_control_weights(self):
        w = np.zeros(self.points_per_interval)
        w[1:] = lagrange_basis(self.points[1:], 0.0)
        return w

    def describe(self):
        return f"{self.name} degree {self.degree}, {self.mesh_phrase()}"
