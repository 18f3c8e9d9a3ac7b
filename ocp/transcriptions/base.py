"""What a transcription is: a mesh of intervals, points in each, and defects.

Every transcription here works on the same layout. The time horizon is cut
into ``N`` mesh intervals, equal unless a ``mesh`` says where they end (a graded
mesh from the problem file, or a refined one:
:func:`ocp.engine.mesh_refinement.refine`); each interval holds the points ``tau`` in
[0, 1] (normalised interval time), the first and last shared with the
neighbouring intervals. States, controls and algebraic variables are decision
variables at every point, so a trajectory is ``N (p - 1) + 1`` columns.
A transcription only says

- where the points are and how to integrate over them (quadrature weights),
- which defect constraints tie the states to the dynamics in one interval,
- through which points the control is interpolated inside an interval.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import casadi as ca
import numpy as np

from ocp.io.declarations import Registry, option

#: Transcriptions by their name in problem files (``[transcription] method = ...``).
TRANSCRIPTIONS = Registry("transcription")


def lagrange_basis(nodes: np.ndarray, tau: float) -> np.ndarray:
    """Values of the Lagrange basis polynomials through ``nodes`` at ``tau``."""
    nodes = np.asarray(nodes, dtype=float)
    out = np.ones(len(nodes))
    for j, nj in enumerate(nodes):
        for m, nm in enumerate(nodes):
            if m != j:
                out[j] *= (tau - nm) / (nj - nm)
    return out


def lagrange_derivative_matrix(nodes: np.ndarray) -> np.ndarray:
    """D[k, j] = derivative of the j-th Lagrange basis polynomial at nodes[k]."""
    nodes = np.asarray(nodes, dtype=float)
    n = len(nodes)
    D = np.zeros((n, n))
    for j in range(n):
        others = np.delete(nodes, j)
        coeffs = np.atleast_1d(np.poly(others)) / np.prod(nodes[j] - others)
        D[:, j] = np.polyval(np.polyder(coeffs), nodes)
    return D


class Transcription(ABC):
    """A direct-collocation scheme over ``intervals`` mesh intervals.

    ``mesh`` (``intervals + 1`` increasing numbers from 0 to 1) is where the
    intervals start and end as fractions of the horizon; None is a uniform mesh.

    A scheme declares ``toml_name`` (its ``method`` in problem files; setting
    it registers the class in :data:`TRANSCRIPTIONS`), ``order`` (the order of
    accuracy of its states at the mesh points, which the convergence tests
    check) and ``Options``: a dataclass of its ``[transcription]`` keys, the
    keyword arguments of its constructor.
    """

    name: str = ""
    #: The ``method`` of a problem file's [transcription]; subclasses that set it are registered.
    toml_name: ClassVar[str] = ""
    #: Order of accuracy of the states at the mesh points: the error falls as h^order.
    order: ClassVar[int] = 0

    @dataclass(frozen=True)
    class Options:
        """The [transcription] keys every scheme takes."""

        intervals: int = option(50, minimum=1, doc="number of mesh intervals")
        mesh: tuple[float, ...] | None = option(
            None, doc="where the intervals end, as fractions of the horizon: increasing "
                      "from 0 to 1, intervals + 1 numbers (default: equal intervals)")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("toml_name"):
            TRANSCRIPTIONS.register(cls)

    def __init__(self, intervals: int, mesh=None):
        if int(intervals) != intervals or intervals < 1:
            raise ValueError(f"intervals must be a positive integer, got {intervals}")
        self.intervals = int(intervals)
        self.mesh = None
        #: True when the mesh was made by refinement (Transcription.set_mesh), False for
        #: equal intervals or a graded mesh given by the user
        self.refined = False
        if mesh is not None:
            if len(mesh) != self.intervals + 1:
                raise ValueError(f"a mesh of {self.intervals} intervals has "
                                 f"{self.intervals + 1} points, got {len(mesh)}")
            self.set_mesh(mesh)

    def set_mesh(self, mesh, refined: bool = False) -> None:
        """Give the mesh points as fractions of the horizon (None: uniform);
        ``refined``: made by mesh refinement, not given by the user (a graded mesh)."""
        if mesh is None:
            self.mesh, self.refined = None, False
            return
        mesh = np.asarray(mesh, dtype=float)
        if (mesh.ndim != 1 or mesh.size < 2 or mesh[0] != 0.0 or mesh[-1] != 1.0
                or np.any(np.diff(mesh) <= 0)):
            raise ValueError("a mesh is increasing fractions of the horizon from 0 to 1, "
                             f"got {mesh}")
        self.intervals = mesh.size - 1
        uniform = np.allclose(mesh, np.linspace(0.0, 1.0, mesh.size), rtol=0, atol=1e-14)
        self.mesh = None if uniform else mesh
        self.refined = bool(refined) and self.mesh is not None

    @property
    def mesh_points(self) -> np.ndarray:
        """Where the intervals start and end, fractions of the horizon, (N + 1,)."""
        if self.mesh is None:
            return np.linspace(0.0, 1.0, self.intervals + 1)
        return self.mesh

    @property
    def interval_fractions(self) -> np.ndarray:
        """Each interval's share of the horizon, (N,); they sum to 1."""
        return np.diff(self.mesh_points)

    def durations(self, horizon):
        """Interval durations (s) for a horizon of ``horizon`` s.

        A scalar ``horizon / N`` on a uniform mesh, else a (1, N) row, the form
        :meth:`defects` takes as ``h``.
        """
        if self.mesh is None:
            return horizon / self.intervals
        return horizon * ca.DM(self.interval_fractions).T

    # -- what each scheme defines ---------------------------------------
    @property
    @abstractmethod
    def points(self) -> np.ndarray:
        """Normalised times of the points in one interval, from 0 to 1."""

    @property
    @abstractmethod
    def quadrature_weights(self) -> np.ndarray:
        """Weights over ``points`` of the integral over one interval of length 1."""

    @property
    @abstractmethod
    def control_points(self) -> np.ndarray:
        """Indices of the points whose controls define the control inside an interval."""

    @abstractmethod
    def defects(self, h, X, F):
        """Defect constraints of all intervals at once.

        ``h`` is the interval duration (s): a scalar, or a (1, N) row on a
        non-uniform mesh (:meth:`durations`; :func:`per_interval` spreads it
        over rows). ``X[j]`` and ``F[j]`` are (nx, N) matrices: the states and
        state derivatives at point ``j`` of every interval (column ``k`` is
        interval ``k``). Returns a CasADi matrix of defects that must vanish.
        """

    def discrete_defects(self, X, X_next):
        """Defects of states advanced by a discrete map once per interval.

        ``X[j]`` is the (nd, N) matrix of the discrete states at point ``j`` of
        every interval, ``X_next`` (nd, N) the map's value from the interval's
        start. The end point equals the map; the points inside the interval
        (Hermite-Simpson midpoint, Radau points) lie on the straight line between
        the interval's ends, so a discrete state is piecewise linear in time.
        """
        out = [X[-1] - X_next]
        for j, tau in enumerate(self.points[1:-1], start=1):
            out.append(X[j] - ((1 - tau) * X[0] + tau * X[-1]))
        return ca.vertcat(*out)

    #: Whether the dynamics (implicit residual, path constraints) hold at t0.
    dynamics_at_start: bool = True

    def control_defects(self, U):
        """Constraints on the controls inside each interval, or None (all free).

        ``U[j]`` is the (nu, N) matrix of the controls at point ``j`` of every
        interval.
        """
        return None

    def initial_control_weights(self):
        """If the control at t0 is not free, weights over the first interval's
        points that define it (an extrapolation); otherwise None."""
        return None

    # -- derived ----------------------------------------------------------
    @property
    def points_per_interval(self) -> int:
        return len(self.points)

    @property
    def n_points(self) -> int:
        return self.intervals * (self.points_per_interval - 1) + 1

    def interval_columns(self, k: int) -> slice:
        """Columns of the global trajectory that belong to interval ``k``."""
        start = k * (self.points_per_interval - 1)
        return slice(start, start + self.points_per_interval)

    def grid(self) -> np.ndarray:
        """Normalised times in [0, 1] of all trajectory columns, shape (n_points,)."""
        tau = self.points[:-1]
        if self.mesh is None:
            g = (np.arange(self.intervals)[:, None] + tau[None, :]).ravel()
            return np.append(g, self.intervals) / self.intervals
        start, width = self.mesh[:-1], self.interval_fractions
        return np.append((start[:, None] + width[:, None] * tau[None, :]).ravel(), 1.0)

    def by_point(self, values) -> list:
        """Split (n, n_points) columns into one (n, N) matrix per interval point."""
        step = self.points_per_interval - 1
        return [values[:, list(range(j, j + step * self.intervals, step))]
                for j in range(self.points_per_interval)]

    def integral(self, horizon, values):
        """Integral over a horizon of ``horizon`` s of a (1, n_points) row of integrand values."""
        weights = ca.DM(self.integral_weights())
        return horizon / self.intervals * ca.mtimes(values, weights)

    def integral_weights(self) -> np.ndarray:
        """Global quadrature weights, (n_points,): integral = horizon / N * w . values.

        On a uniform mesh they are the scheme's weights summed where intervals meet;
        on a refined one each interval's are scaled by its length over the mean.
        """
        lengths = (np.ones(self.intervals) if self.mesh is None
                   else self.intervals * self.interval_fractions)
        out = np.zeros(self.n_points)
        for k, length in enumerate(lengths):
            out[self.interval_columns(k)] += length * self.quadrature_weights
        return out

    def interpolate_controls(self, values: np.ndarray, tau: np.ndarray) -> np.ndarray:
        """Controls inside one interval at normalised times ``tau``.

        ``values`` is (nu, p) at the interval's points; returns (nu, len(tau)).
        """
        nodes = self.points[self.control_points]
        basis = np.array([lagrange_basis(nodes, t) for t in np.atleast_1d(tau)])
        return values[:, self.control_points] @ basis.T

    def control_function(self, time, values):
        """u(t) with the scheme's own interpolant inside each interval.

        ``time`` (n_points,) s and ``values`` (n_points, nu) are a solution's
        grid and controls; returns a function of t (s) -> (nu,) array, held
        constant outside [t0, tf].
        """
        time, values = np.asarray(time, float), np.asarray(values, float)
        if time.size != self.n_points:
            raise ValueError(f"{time.size} samples do not fit {self.describe()} "
                             f"({self.n_points} points)")
        t0, tf = time[0], time[-1]
        mesh, width = self.mesh_points, self.interval_fractions

        # a mesh point belongs to the interval that interpolates through it: the
        # next one when it is the next interval's first control point, else this one
        side = "right" if 0 in self.control_points else "left"

        def u(t):
            s = min(max((t - t0) / (tf - t0), 0.0), 1.0)
            k = int(np.searchsorted(mesh, s, side=side)) - 1
            k = min(max(k, 0), self.intervals - 1)
            columns = values[self.interval_columns(k)].T
            tau = (s - mesh[k]) / width[k]
            return self.interpolate_controls(columns, np.array([tau]))[:, 0]

        return u

    def describe(self) -> str:
        return f"{self.name}, {self.mesh_phrase()}"

    def mesh_phrase(self) -> str:
        """'50 intervals'; '56 intervals (refined mesh)' when refinement made them
        unequal, '12 intervals (graded mesh)' when the problem's ``mesh`` did."""
        if self.mesh is None:
            return f"{self.intervals} intervals"
        return f"{self.intervals} intervals ({'refined' if self.refined else 'graded'} mesh)"


def per_interval(h, rows):
    """Interval durations ``h`` (scalar or (1, N)) spread over a (m, N) matrix ``rows``."""
    if isinstance(h, (int, float)) or h.numel() == 1:
        return h
    return ca.repmat(h, rows.shape[0], 1)
