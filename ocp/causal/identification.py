"""Person-specific parameters identified from data, with standard errors.

Muscle strengths (a scale of each named muscle's maximum isometric force)
become time-invariant decision variables of a tracking problem: each is an
extra state ``<muscle>_strength`` with zero derivative, so the collocation
defects tie its copies together and it is solved together with the
trajectory in one NLP with exact derivatives (no nesting, no finite
differences). With the excitations known (measured, or set by do()) and the
joint angles tracked, the strength is what makes the model move like the data.

Uncertainty: the tracking objective ``f = w * integral sum_j (q_j - d_j)^2 dt``
is read as a Gaussian negative log-likelihood of samples ``dt_data`` apart,
``NLL = f / (2 sigma^2 w dt_data)``, with ``sigma^2`` estimated from the
residuals. The covariance of the decision variables is the inverse of the
reduced Hessian of the Lagrangian in the null space of the active
constraints (Bock 1983; Kostina et al. 2006), ``C = Z (Z^T H Z)^-1 Z^T`` scaled
by ``2 sigma^2 w dt_data``; the standard error of a parameter is the root of
its diagonal entry. A direction in which ``Z^T H Z`` is near singular (the
data do not constrain it) is reported with the parameters it moves: those
parameters are flagged as not identifiable and their standard error is inf.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import casadi as ca
import numpy as np

from ocp.models.muscle_driven import MuscleDrivenTree
from ocp.problem import Problem

#: eigenvalues of the reduced Hessian below this fraction of the largest are "singular"
SINGULAR_RATIO = 1e-9
#: a parameter takes part in a singular direction when its share of it exceeds this
PARTICIPATION = 0.1
#: |multiplier| above which a variable bound counts as active
ACTIVE_BOUND = 1e-7


def strength_name(muscle: str) -> str:
    return f"{muscle}_strength"


class StrengthScaledTree(MuscleDrivenTree):
    """A muscle-driven tree whose named muscles' forces are scaled by extra constant states."""

    def __init__(self, base: MuscleDrivenTree, muscles):
        super().__init__(**MuscleDrivenTree.arguments(base))
        #: the model without strength states (its constructor's arguments are ours)
        self.unscaled = base
        names = [m.name for m in base.muscles]
        unknown = [m for m in muscles if m not in names]
        if unknown:
            raise ValueError(f"model '{base.name}' has no muscles {unknown}; muscles: {names}")
        self.scaled = tuple(muscles)
        self._index = [names.index(m) for m in self.scaled]
        self.state_names = tuple(base.state_names) + tuple(strength_name(m) for m in muscles)
        self.state_units = tuple(base.state_units) + ("-",) * len(muscles)
        self._nx_base = len(base.state_names)

    def arguments(self) -> dict:
        """The constructor's arguments (Model.replace)."""
        return {"base": self.unscaled, "muscles": self.scaled}

    def replace(self, **changes) -> StrengthScaledTree:
        """The same strength states on the unscaled model with ``changes`` (Model.replace)."""
        return StrengthScaledTree(self.unscaled.replace(**changes), self.scaled)

    def _scales(self, x):
        scales = [1.0] * len(self.muscles)
        for k, i in enumerate(self._index):
            scales[i] = x[self._nx_base + k]
        return scales

    def muscle_states(self, x, u):
        out = []
        for scale, (s, arms) in zip(self._scales(x), super().muscle_states(x, u)):
            out.append((dataclasses.replace(s, tendon_force_N=s.tendon_force_N * scale)
                        if not isinstance(scale, float) else s, arms))
        return out

    def dynamics(self, x, u):
        return ca.vertcat(super().dynamics(x, u), ca.SX.zeros(len(self.scaled), 1))

    def implicit_dynamics(self, x, u, z):
        xdot, residual = super().implicit_dynamics(x, u, z)
        return ca.vertcat(xdot, ca.SX.zeros(len(self.scaled), 1)), residual


def with_strength_parameters(problem: Problem, bounds: dict[str, tuple[float, float]]
                             ) -> Problem:
    """``problem`` with each muscle's strength scale (name -> (lower, upper)) as an unknown."""
    from ocp.errors import ProblemError
    model = problem.model
    if not isinstance(model, MuscleDrivenTree):
        raise ProblemError(f"model '{model.name}' has no muscles to estimate", "parameters")
    for muscle, (lo, hi) in bounds.items():
        if not lo <= 1.0 <= hi:
            raise ProblemError(f"bounds [{lo}, {hi}] of '{muscle}' exclude the model's own "
                               f"value (scale 1)", f"parameters.{muscle}")
    try:
        scaled = StrengthScaledTree(model, list(bounds))
    except ValueError as exc:
        raise ProblemError(str(exc), "parameters") from None
    new_bounds = dict(problem.bounds)
    guess = dict(problem.guess_values)
    for muscle, (lo, hi) in bounds.items():
        new_bounds[strength_name(muscle)] = (lo, hi)
        guess.setdefault(strength_name(muscle), 1.0)
    return dataclasses.replace(problem, model=scaled, bounds=new_bounds, guess_values=guess)


@dataclass
class Estimate:
    """One identified parameter."""

    name: str
    value: float
    lower: float
    upper: float
    standard_error: float
    identifiable: bool


@dataclass
class Identification:
    estimates: dict            # name -> Estimate
    residual_rms: float        # of the tracked signals, in their unit
    solution: object           # the Solution of the tracking NLP
    warnings: list

    def report(self) -> str:
        lines = []
        for e in self.estimates.values():
            se = f"{e.standard_error:.3g}" if math.isfinite(e.standard_error) else "inf"
            lines.append(f"parameter    {e.name} = {e.value:.5g} +- {se} (bounds "
                         f"[{e.lower:g}, {e.upper:g}])"
                         + ("" if e.identifiable else "  NOT IDENTIFIABLE from these data"))
        lines.append(f"residual     RMS {self.residual_rms:.3g}")
        lines += [f"warning      {w}" for w in self.warnings]
        return "\n".join(lines)


def reduced_hessian_covariance(problem: Problem, solution, parameter_names):
    """(covariance of the named constant states (unscaled), singular directions).

    The covariance is ``[Z (Z^T H Z)^+ Z^T]`` at the parameter variables (first
    point), with H the Hessian of the Lagrangian and Z a null-space basis of
    the equality constraints, active inequalities and fixed or active variable
    bounds. Singular directions are lists of the parameter names they move.
    """
    from ocp.engine.nlp import transcribe
    tp = transcribe(problem)
    X, U = solution.states.T, solution.controls.T
    Z = np.zeros((tp.nz, X.shape[1])) if solution.algebraics is None \
        else np.asarray(solution.algebraics).T[:tp.nz]
    w0 = tp.pack(X, U, Z, solution.final_time)
    lam_g = np.asarray(solution.multipliers_g, float)
    lam_x = np.asarray(solution.multipliers_x, float)
    w, f, g = tp.nlp["x"], tp.nlp["f"], tp.nlp["g"]
    lam = type(w).sym("lam", g.shape[0])
    lagrangian = f + ca.dot(lam, g)
    H = np.array(ca.Function("hess_lag", [w, lam], [ca.hessian(lagrangian, w)[0]])(w0, lam_g))
    A = np.array(ca.Function("jac_g", [w], [ca.jacobian(g, w)])(w0))
    gval = np.array(ca.Function("g", [w], [g])(w0)).ravel()
    active = (tp.lbg == tp.ubg) | (np.abs(lam_g) > ACTIVE_BOUND) \
        | np.isclose(gval, tp.lbg) | np.isclose(gval, tp.ubg)
    free = ~((tp.lbx == tp.ubx) | (np.abs(lam_x) > ACTIVE_BOUND))
    A = A[active][:, free]
    Hf = H[np.ix_(free, free)]
    # null space of A by SVD
    _, s, vt = np.linalg.svd(A) if A.size else (None, np.zeros(0), np.eye(free.sum()))
    rank = int(np.sum(s > 1e-10 * (s.max() if s.size else 1.0)))
    N = vt[rank:].T
    Hr = N.T @ Hf @ N
    Hr = 0.5 * (Hr + Hr.T)
    eigval, eigvec = np.linalg.eigh(Hr)
    good = eigval > SINGULAR_RATIO * max(eigval.max(), 1e-300)
    nvar = tp.nx + tp.nu + tp.nz
    index = {name: list(problem.model.state_names).index(name) for name in parameter_names}
    free_pos = np.cumsum(free) - 1
    rows = {name: free_pos[i] for name, i in index.items() if free[i]}  # point 0
    cov = {}
    basis = N @ eigvec
    for name, r in rows.items():
        cov[name] = float(np.sum(basis[r, good] ** 2 / eigval[good]))
    singular = []
    for k in np.nonzero(~good)[0]:
        direction = basis[:, k]
        shares = {name: abs(direction[r]) for name, r in rows.items()}
        # compare with the parameter's own scale in the direction: its copies share it
        moved = [name for name, v in shares.items() if v > PARTICIPATION / math.sqrt(
            tp.n_points)]
        if moved:
            singular.append(moved)
    del nvar
    return cov, singular


def identify_strengths(problem: Problem, bounds: dict[str, tuple[float, float]],
                       data_spacing_s: float, excitations: dict | None = None,
                       verbose: bool = False) -> Identification:
    """Solve the tracking ``problem`` with muscle strengths as unknowns and report them.

    ``problem`` tracks measured signals with a Tracking cost; ``data_spacing_s``
    is the time between data samples (for the likelihood scaling, see the
    module docstring); ``excitations`` (control name -> (times_s, values)) are
    the known inputs, applied as do() after the parameters are added.
    """
    from ocp.causal.interventions import SetSignal, intervene
    from ocp.costs import Tracking
    from ocp.solve import solve
    fit = with_strength_parameters(problem, bounds)
    if excitations:
        fit = intervene(fit, [SetSignal(k, v) for k, v in excitations.items()])
    solution = solve(fit, verbose=verbose)
    tracking = next(c for c in fit.costs if isinstance(c, Tracking))
    T = solution.final_time - fit.start_time
    channels = len(tracking.reference)
    f = solution.cost_terms[tracking.name]
    sigma2 = f / (tracking.weight * T * channels)  # mean squared residual per channel
    names = [strength_name(m) for m in bounds]
    cov, singular = reduced_hessian_covariance(fit, solution, names)
    scale = 2.0 * sigma2 * tracking.weight * data_spacing_s
    flagged = {n for group in singular for n in group}
    estimates, warnings = {}, []
    for muscle, name in zip(bounds, names):
        value = float(solution.state(name)[0])
        ok = name not in flagged and name in cov
        se = math.sqrt(scale * cov[name]) if ok else math.inf
        lo, hi = bounds[muscle]
        estimates[name] = Estimate(name, value, lo, hi, se, ok)
    for group in singular:
        warnings.append("the data do not identify " + ", ".join(group) +
                        " (near-singular reduced Hessian in their direction)")
    return Identification(estimates, math.sqrt(sigma2), solution, warnings)
