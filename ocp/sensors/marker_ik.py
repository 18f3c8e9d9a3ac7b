"""Marker inverse kinematics: weighted least squares per frame, as OpenSim's InverseKinematicsTool.

At each frame the coordinates q minimise OpenSim's assembly objective
(Simbody ``Assembler``: ``Markers::calcGoal`` and ``QValue::calcGoal``)::

    f(q) = sum_i w_i |x_i(q) - m_i|^2 / (2 sum_i w_i)  +  sum_j W_j (q_j - r_j)^2 / 2

over the markers i seen in that frame (a marker missing in a frame, NaN in
the ``.trc``, drops out of both sums, as Simbody skips NaN observations) and
the coordinate tasks j (weight W_j, target r_j). Coupled coordinates are
substituted and locked ones held (:class:`ocp.models.spatial.ReducedTree`);
clamped coordinates keep to their range (OpenSim's ``restrictQ``).

Solver: f is a sum of squares, so each frame is solved by Levenberg-Marquardt
(Marquardt 1963, with the diagonal scaling of J^T J) on a CasADi function of
the marker positions and their Jacobian, warm-started from the previous
frames; a frame is done when a step moves no coordinate by more than the
setup's ``accuracy`` (rad or m); the first frame starts from the model's default pose (OpenSim's
``assemble``). Steps are projected onto the bounds of clamped coordinates.

With a smoothing weight, the whole trial is then solved as one least-squares
problem: the frames' objectives plus the weighted integral of the squared
coordinate accelerations (:func:`smooth_frames`).

Marker errors per frame are reported as OpenSim's tool logs them: the total
squared error sum_i |e_i|^2 (m^2), RMS = sqrt(total / n) where n counts every
marker in use (a missing one adds 0 to the total, OpenSim's convention), the
largest error and its marker.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import casadi as ca
import numpy as np

from ocp.models.spatial import ReducedTree

__all__ = ["FrameErrors", "MarkerIKProblem", "levenberg_marquardt", "second_differences",
           "smooth_frames", "solve_frames"]


def levenberg_marquardt(terms, q0, args, lower=None, upper=None, *, tolerance=1e-5,
                        max_iterations=200):
    """Minimise f = |r(q)|^2 from q0 within bounds (Marquardt 1963: J^T J damped by its
    diagonal). ``terms(q, *args) -> (f, J^T r, J^T J, ...)``; a coordinate at a bound
    that descent pushes outward is left out of the step (active set); done when a
    step moves no coordinate by more than ``tolerance``. Returns (q, the outputs of
    ``terms`` at q, iterations)."""
    n = len(q0)
    lower = np.full(n, -np.inf) if lower is None else lower
    upper = np.full(n, np.inf) if upper is None else upper
    q = np.clip(np.asarray(q0, float), lower, upper)
    out = terms(q, *args)
    cost = float(out[0])
    damping, iterations = 1e-6, 0
    while iterations < max_iterations:
        iterations += 1
        normal = np.asarray(out[2])
        g = np.asarray(out[1]).ravel()
        free = ~(((q <= lower) & (g > 0)) | ((q >= upper) & (g < 0)))
        diagonal = np.diag(normal) + 1e-12
        step = np.zeros_like(q)
        block = normal[np.ix_(free, free)] + damping * np.diag(diagonal[free])
        step[free] = np.linalg.solve(block, -g[free])
        trial = np.clip(q + step, lower, upper)
        new = terms(trial, *args)
        if float(new[0]) <= cost:
            moved = np.max(np.abs(trial - q))
            q, out, cost = trial, new, float(new[0])
            damping = max(damping / 10.0, 1e-12)
            if moved < tolerance:
                break
        else:
            damping *= 10.0
            if damping > 1e12:
                break
    return q, out, iterations


@dataclass(frozen=True)
class FrameErrors:
    """Marker errors of one solved frame, as OpenSim reports them (m^2, m, m)."""

    total_squared_m2: float
    rms_m: float
    max_m: float
    worst_marker: str


@dataclass
class MarkerIKProblem:
    """The per-frame least-squares problem of one model and one set of markers.

    ``markers``: names in use (each a marker of ``tree``), ``weights`` (m,)
    their weights; ``tasks``: (full coordinate index, weight) of the
    coordinate tasks; ``lower``/``upper`` (n,) bounds of the free coordinates
    (+-inf when not clamped).
    """

    tree: ReducedTree
    markers: tuple
    weights: np.ndarray
    tasks: tuple = ()
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None
    _function: ca.Function | None = field(default=None, init=False, repr=False)
    _terms: ca.Function | None = field(default=None, init=False, repr=False)

    def kinematics(self) -> ca.Function:
        """q (n) -> (marker positions (3m), their Jacobian (3m x n), q_full, G)."""
        if self._function is None:
            n = self.tree.n
            q = ca.SX.sym("q", n)
            full = self.tree.full_map(q)
            states = self.tree.tree.body_states(full)
            by_name = {m.name: m for m in self.tree.markers}
            points = [self.tree.point_kinematics(states[by_name[name].body],
                                                 by_name[name].position_m)[0]
                      for name in self.markers]
            x = ca.vertcat(*points)
            self._function = ca.Function("marker_kinematics", [q], [
                x, ca.jacobian(x, q), full, ca.jacobian(full, q)])
        return self._function

    def gauss_newton(self) -> ca.Function:
        """(q, observed (3m), scale (m), targets) -> (f, J^T r, J^T J, x (3m)): the
        terms of a Gauss-Newton step on f = |r|^2, in one SX function."""
        if self._terms is None:
            n, m = self.tree.n, len(self.markers)
            q = ca.SX.sym("q", n)
            observed = ca.SX.sym("observed", 3 * m)
            scale = ca.SX.sym("scale", m)
            targets = ca.SX.sym("targets", len(self.tasks))
            x, _, full, _ = self.kinematics()(q)
            r = [ca.vertcat(*[scale[i] * (x[3 * i + a] - observed[3 * i + a])
                              for i in range(m) for a in range(3)])]
            for k, (index, weight) in enumerate(self.tasks):
                r.append(np.sqrt(weight / 2.0) * (full[index] - targets[k]))
            r = ca.vertcat(*r)
            jac = ca.jacobian(r, q)
            self._terms = ca.Function("gauss_newton", [q, observed, scale, targets], [
                ca.dot(r, r), ca.mtimes(jac.T, r), ca.mtimes(jac.T, jac), x])
        return self._terms

    def solve_frame(self, q0, observed, targets, *, tolerance=1e-5, max_iterations=200):
        """Levenberg-Marquardt from q0 for one frame; observed (m, 3) with NaN rows
        for missing markers. Returns (q, marker positions (m, 3), iterations)."""
        seen = np.all(np.isfinite(observed), axis=1)
        weights = np.where(seen, self.weights, 0.0)
        scale = np.sqrt(weights / (2.0 * weights.sum()))
        obs = np.where(seen[:, None], observed, 0.0).ravel()
        q, out, iterations = levenberg_marquardt(
            self.gauss_newton(), q0, (obs, scale, np.asarray(targets, float)),
            self.lower, self.upper, tolerance=tolerance, max_iterations=max_iterations)
        return q, np.asarray(out[3]).reshape(-1, 3), iterations

    def positions(self, q) -> np.ndarray:
        """Model marker positions (m, 3) at q."""
        return np.asarray(self.kinematics()(q)[0]).reshape(-1, 3)

    def errors(self, x, observed) -> FrameErrors:
        """OpenSim's report of one frame from model marker positions x (m, 3)."""
        squared = np.sum((x - observed) ** 2, axis=1)
        squared = np.where(np.isfinite(squared), squared, 0.0)
        total = float(squared.sum())
        worst = int(np.argmax(squared))
        return FrameErrors(total, float(np.sqrt(total / len(self.markers))),
                           float(np.sqrt(squared[worst])), self.markers[worst])


def solve_frames(problem: MarkerIKProblem, observed, targets, q0, tolerance=1e-5):
    """Solve every frame, each warm-started from the previous ones (extrapolated).

    ``observed`` (frames, m, 3) in m; ``targets`` (frames, tasks); ``q0`` (n);
    ``tolerance``: a frame is done when no coordinate moves by more (rad or m).
    Returns (q (frames, n), [FrameErrors], iterations per frame).
    """
    q = np.asarray(q0, float)
    rows, reports, iterations = [], [], []
    for k in range(observed.shape[0]):
        guess = 2 * rows[-1] - rows[-2] if k >= 2 else q     # linear extrapolation
        q, x, count = problem.solve_frame(guess, observed[k], targets[k],
                                          tolerance=tolerance)
        rows.append(q.copy())
        reports.append(problem.errors(x, observed[k]))
        iterations.append(count)
    return np.array(rows), reports, iterations


def second_differences(time_s) -> np.ndarray:
    """D (frames-2, frames): (D q)_k ~ q''(t_k) at the inner frames, for uneven steps."""
    t = np.asarray(time_s, float)
    d = np.zeros((len(t) - 2, len(t)))
    for k in range(1, len(t) - 1):
        h0, h1 = t[k] - t[k - 1], t[k + 1] - t[k]
        d[k - 1, k - 1:k + 2] = 2 / (h0 + h1) * np.array([1 / h0, -1 / h0 - 1 / h1, 1 / h1])
    return d


def smooth_frames(problem: MarkerIKProblem, observed, targets, q_init, time_s, weight,
                  *, tolerance=1e-7, max_iterations=100):
    """One least-squares problem over the whole trial: the frames' objectives plus
    ``weight`` * the integral of the squared coordinate accelerations (rad^2/s^3,
    second differences over the frames), by Levenberg-Marquardt on the stacked
    residual; J^T J is block diagonal plus the band of the smoothing term (a
    sparse solve). Starts from ``q_init`` (frames, n), the per-frame solution.
    Returns (q (frames, n), [FrameErrors], iterations)."""
    from scipy.sparse import block_diag, csc_matrix, diags, kron
    from scipy.sparse import eye as sparse_eye
    from scipy.sparse.linalg import spsolve

    frames, n = q_init.shape
    if frames < 3 or weight <= 0:
        return q_init, [problem.errors(problem.positions(q), observed[k])
                        for k, q in enumerate(q_init)], 0
    terms = problem.gauss_newton()
    seen = np.all(np.isfinite(observed), axis=2)
    weights = np.where(seen, problem.weights, 0.0)
    scale = np.sqrt(weights / (2.0 * weights.sum(axis=1, keepdims=True)))
    obs = np.where(seen[:, :, None], observed, 0.0).reshape(frames, -1)
    steps = np.diff(time_s)
    quadrature = np.sqrt(weight * (steps[:-1] + steps[1:]) / 2)
    smoothing = csc_matrix(kron(diags(quadrature) @ csc_matrix(second_differences(time_s)),
                                sparse_eye(n)))         # rows: inner frame x coordinate
    smoothing_normal = (smoothing.T @ smoothing).tocsc()
    lower = np.tile(np.full(n, -np.inf) if problem.lower is None else problem.lower, frames)
    upper = np.tile(np.full(n, np.inf) if problem.upper is None else problem.upper, frames)

    def evaluate(q):
        rows = [terms(q[k], obs[k], scale[k], targets[k]) for k in range(frames)]
        flat = q.ravel()
        r_s = smoothing @ flat
        cost = sum(float(r[0]) for r in rows) + r_s @ r_s
        gradient = np.concatenate([np.asarray(r[1]).ravel() for r in rows]) \
            + smoothing.T @ r_s
        normal = block_diag([np.asarray(r[2]) for r in rows], format="csc") \
            + smoothing_normal
        return cost, gradient, normal

    q = np.array(q_init, float)
    cost, gradient, normal = evaluate(q)
    damping, iterations = 1e-6, 0
    while iterations < max_iterations:
        iterations += 1
        diagonal = normal.diagonal() + 1e-12
        step = spsolve((normal + damping * diags(diagonal)).tocsc(), -gradient)
        trial = np.clip(q.ravel() + step, lower, upper).reshape(frames, n)
        new = evaluate(trial)
        if new[0] <= cost:
            moved = np.max(np.abs(trial - q))
            q, (cost, gradient, normal) = trial, new
            damping = max(damping / 10.0, 1e-12)
            if moved < tolerance:
                break
        else:
            damping *= 10.0
            if damping > 1e12:
                break
    errors = [problem.errors(problem.positions(q[k]), observed[k]) for k in range(frames)]
    return q, errors, iterations
