"""Standard errors of estimated parameters from the reduced Hessian at the solution.

The tracking objective is read as a weighted least-squares fit,
``f = sum_k w_k integral sum_j (y_j - r_j)^2 dt``, with weights inversely
proportional to each channel's noise variance. Near the solution
``f ~ sum_i c_i r_i^2`` over independent samples ``i``, and the covariance of
the estimate is ``2 s^2 H^-1`` with ``s^2 = f_tracking / N`` the residual
variance per sample (in weighted units) and ``N`` the number of independent
samples: per tracked channel, the duration divided by the larger of the data's
sample spacing and the collocation grid's point spacing (data denser than the
grid are only read at the grid points; data coarser than the grid are
interpolated, which adds no information).

``H^-1`` is the inverse of the Hessian of the Lagrangian reduced onto the
null space of the active constraints' Jacobian (Bock 1983; Kostina, Kriwet
and Schloeder 2004, "Robustness aspects in parameter estimation"), marginal
for the parameters: with ``v`` the free trajectory variables, ``p`` the free
parameters and ``A`` the Jacobian of the active constraints (all equalities,
active inequalities; variables at an active bound are fixed), the marginal
precision of ``p`` is the Schur complement

    S = H_pp - [H_pv  A_p^T] K_v^-1 [H_vp; A_p],   K_v = [[H_vv, A_v^T], [A_v, 0]],

computed with one sparse LU factorisation of ``K_v`` (the trajectory is
determined by the data once ``p`` is fixed). ``S`` is scaled by the
parameters' own sizes (their model values) before its eigen-decomposition: a
direction whose eigenvalue is near zero, or whose standard error exceeds the
parameters' size, is one the data do not identify; it is named by the
parameters it moves, and those parameters get an infinite standard error.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields

import casadi as ca
import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ocp.engine.reports import register_reporter, register_summary_reader
from ocp.estimation.names import model_numbers
from ocp.estimation.unknowns import UnknownParameter

#: eigenvalues of the scaled reduced Hessian below this fraction of the largest are singular
SINGULAR_RATIO = 1e-8
#: a direction whose standard error exceeds this fraction of the parameters' size is
#: not identified by the data
RELATIVE_SE_LIMIT = 1.0
#: a parameter takes part in a direction when its component (unit vector) exceeds this
PARTICIPATION = 0.25
#: multipliers above this (relative to the largest, or 1) mark active inequalities and bounds
ACTIVE = 1e-6
#: ... and a parameter at an active bound lies within this (relative to max(1, |bound|)) of it
AT_BOUND = 1e-6
#: regularisation of the multiplier block of K_v (dependent active constraints)
KKT_REGULARISATION = 1e-10


@dataclass
class ParameterEstimate:
    """One estimated model number, in SI units."""

    name: str
    value: float
    lower: float
    upper: float
    unit: str
    model_value: float
    standard_error: float = math.nan
    identifiable: bool = True
    at_bound: bool = False


@dataclass
class ParameterReport:
    """The estimates, the residual variance and the warnings of one solve."""

    estimates: dict                   # name -> ParameterEstimate
    residual_variance: float = math.nan  # s^2, weighted objective units per sample
    samples: int = 0                  # N, independent tracked samples
    warnings: list = field(default_factory=list)
    covariance: np.ndarray | None = None  # (n_p, n_p), inf where not identifiable

    def to_dict(self) -> dict:
        """summary.json's fields (a non-finite number as a string, as JSON has none)."""
        def number(v):
            return v if not isinstance(v, float) or math.isfinite(v) else str(v)
        return {"parameters": {n: {k: number(v) for k, v in asdict(e).items() if k != "name"}
                               for n, e in self.estimates.items()},
                "parameter_residual_variance": number(self.residual_variance),
                "parameter_samples": self.samples,
                "parameter_warnings": list(self.warnings)}

    @classmethod
    def from_dict(cls, summary: dict) -> ParameterReport:
        """The report from summary.json's fields (:meth:`to_dict`); no covariance.

        Non-finite numbers written as strings ("inf", "nan") come back as floats.
        """
        numeric = {f.name for f in fields(ParameterEstimate)
                   if f.type in ("float", float)}
        estimates = {}
        for name, entry in summary.get("parameters", {}).items():
            values = {k: (float(v) if k in numeric else v) for k, v in entry.items()
                      if k in ParameterEstimate.__dataclass_fields__}
            estimates[name] = ParameterEstimate(name=name, **values)
        return cls(estimates,
                   residual_variance=float(summary.get("parameter_residual_variance",
                                                       math.nan)),
                   samples=int(summary.get("parameter_samples", 0)),
                   warnings=list(summary.get("parameter_warnings", [])))

    def lines(self) -> list[str]:
        return parameter_lines(self.to_dict()["parameters"])


def parameter_lines(parameters: dict) -> list[str]:
    """The report's lines for summary.json's ``parameters`` (name -> fields)."""
    out = []
    for name, e in parameters.items():
        se = float(e["standard_error"])
        se = f"{se:.3g}" if math.isfinite(se) else ("inf" if se > 0 else "n/a")
        note = "  NOT IDENTIFIABLE from these data" if not e["identifiable"] else \
            ("  at its bound" if e["at_bound"] else "")
        out.append(f"parameter    {name} = {e['value']:.6g} +- {se} {e['unit']} "
                   f"(bounds [{e['lower']:g}, {e['upper']:g}], model "
                   f"{e['model_value']:g}){note}")
    return out


def _scipy(dm: ca.DM) -> sp.csc_matrix:
    sparsity = dm.sparsity()
    rows, cols = sparsity.get_triplet()
    return sp.csc_matrix((np.array(dm.nonzeros(), float), (rows, cols)), shape=dm.shape)


def _samples(problem, tp, final_time: float, measured) -> int:
    """Independent samples of the measured tracking terms (module docstring)."""
    from ocp.costs import Tracking
    T = final_time - problem.start_time
    grid_spacing = T / max(tp.n_points - 1, 1)
    total = 0
    for term in problem.costs:
        if not isinstance(term, Tracking) or term.name not in measured:
            continue
        for name, ref in term.reference.items():
            spacing = grid_spacing
            if name in term.sample_spacing:  # the data's own, not a resampling's
                spacing = max(spacing, term.sample_spacing[name])
            elif not np.isscalar(ref):
                times = np.asarray(ref[0], float)
                if times.size > 1:
                    spacing = max(spacing, float(np.median(np.diff(times))))
            total += int(round(T / spacing)) + 1
    return total


def measured_terms(problem) -> list[str]:
    """Names of the tracking terms whose residuals are measurement noise."""
    from ocp.costs import Tracking
    chosen = getattr(problem.parameters, "measurement", None)
    return list(chosen) if chosen else [t.name for t in problem.costs
                                        if isinstance(t, Tracking)]


def _hessian_and_jacobian(tp, w, lam_g, solver=None):
    """Hessian of the Lagrangian f + lam_g' g and Jacobian of g at w, scipy sparse.

    From the solver's own derivative functions when given (no second symbolic
    differentiation), else built here.
    """
    if solver is not None:
        upper = _scipy(solver.get_function("nlp_hess_l")(w, [], 1.0, lam_g))
        H = upper + sp.triu(upper, k=1).T
        A = _scipy(solver.get_function("nlp_jac_g")(w, [])[1])
        return H.tocsc(), A.tocsc()
    x, f, g = tp.nlp["x"], tp.nlp["f"], tp.nlp["g"]
    lam = type(x).sym("lam", g.shape[0])
    hess = ca.Function("hess_lagrangian", [x, lam],
                       [ca.hessian(f + ca.dot(lam, g), x)[0], ca.jacobian(g, x)])
    H, A = (_scipy(m) for m in hess(w, lam_g))
    return H, A


def _near_bound(tp, w) -> np.ndarray:
    """Variables within AT_BOUND of a finite bound (a multiplier that IPOPT's barrier
    leaves on a parameter far inside its bounds does not hold it there)."""
    w = np.asarray(w, float).ravel()
    near = np.zeros(w.size, bool)
    for bound in (tp.lbx, tp.ubx):
        bound = np.asarray(bound, float)
        finite = np.isfinite(bound)
        near[finite] |= np.abs(w[finite] - bound[finite]) <= \
            AT_BOUND * np.maximum(1.0, np.abs(bound[finite]))
    return near


def marginal_precision(tp, w, lam_g, lam_x, solver=None):
    """(S, free parameter mask): the Schur complement of the KKT matrix onto the parameters,
    in the parameters' SI units (the NLP's variables are the parameters over their scales).

    ``w``, ``lam_g``, ``lam_x`` are IPOPT's primal solution and multipliers;
    ``solver`` (optional) the CasADi nlpsol that found them. Raises
    numpy/scipy errors when the trajectory block is singular.
    """
    H, A = _hessian_and_jacobian(tp, w, lam_g, solver)
    n, n_p = tp.nlp["x"].shape[0], len(tp.parameter_names)
    lam_g, lam_x = np.asarray(lam_g, float).ravel(), np.asarray(lam_x, float).ravel()
    big_g = ACTIVE * max(1.0, float(np.max(np.abs(lam_g), initial=0.0)))
    big_x = ACTIVE * max(1.0, float(np.max(np.abs(lam_x), initial=0.0)))
    active = (tp.lbg == tp.ubg) | (np.abs(lam_g) > big_g)
    is_param = np.zeros(n, bool)
    is_param[n - n_p:] = True
    # a trajectory variable with a multiplier is held (IPOPT's barrier may keep it a
    # little off its bound); a parameter only when it is at its bound
    fixed = (tp.lbx == tp.ubx) | ((np.abs(lam_x) > big_x) & (~is_param | _near_bound(tp, w)))
    v = np.nonzero(~fixed & ~is_param)[0]
    p = np.nonzero(~fixed & is_param)[0]
    A = A[np.nonzero(active)[0], :]
    m = A.shape[0]
    Hc, Ac = H.tocsc(), A.tocsc()
    K = sp.bmat([[Hc[v][:, v], Ac[:, v].T],
                 [Ac[:, v], -KKT_REGULARISATION * sp.identity(m)]], format="csc")
    B = sp.vstack([Hc[v][:, p], Ac[:, p]]).toarray()
    Y = spla.splu(K).solve(B) if B.size else np.zeros_like(B)
    S = Hc[p][:, p].toarray() - B.T @ Y
    free = ~fixed[n - n_p:]
    # w holds p / scale (ocp.engine.nlp): back to the parameters' SI units
    scale = np.asarray(getattr(tp, "parameter_scale", np.ones(n_p)), float)[p - (n - n_p)]
    S = S / np.outer(scale, scale)
    return 0.5 * (S + S.T), free


def parameter_report(problem, tp, w, lam_g, lam_x, cost_terms: dict,
                     final_time: float, solver=None) -> ParameterReport:
    """Values, bounds and standard errors of the estimated parameters after a solve.

    ``w``, ``lam_g``, ``lam_x``: IPOPT's solution and multipliers of the NLP
    ``tp``; ``cost_terms``: the weighted terms by name; ``solver``: the nlpsol
    (its derivative functions are reused when given).
    """
    names = list(tp.parameter_names)
    values = np.array(tp.parameters(w)).ravel()
    numbers = model_numbers(problem.model)
    estimates = {}
    for u, value in zip(problem.parameters, values):
        own = numbers[u.name]
        estimates[u.name] = ParameterEstimate(u.name, float(value), u.lower, u.upper, own.unit,
                                              own.value)
    report = ParameterReport(estimates)
    measured = measured_terms(problem)
    f_track = sum(cost_terms.get(n, 0.0) for n in measured)
    N = _samples(problem, tp, final_time, measured)
    try:
        S, free = marginal_precision(tp, w, lam_g, lam_x, solver)
    except (RuntimeError, ValueError, np.linalg.LinAlgError) as exc:
        report.warnings.append(f"no standard errors for the parameters: the KKT matrix of "
                               f"the trajectory is singular ({exc})")
        return report
    free_names = [n for n, ok in zip(names, free) if ok]
    for n, ok in zip(names, free):
        if not ok:
            estimates[n].at_bound = True
            report.warnings.append(f"parameter {n} = {estimates[n].value:g} is at its bound; "
                                   f"widen the bounds for a standard error")
    if N > len(free_names) and f_track > 0:
        s2 = f_track / (N - len(free_names))
    else:  # no measured tracking term: the objective itself as a negative log-likelihood
        s2 = 0.5
        report.warnings.append("no tracking term to estimate the noise from; standard "
                               "errors read the objective as a negative log-likelihood")
    report.residual_variance, report.samples = float(s2), int(N)
    if not free_names:
        return report
    scale = np.array([abs(numbers[n].value) or (estimates[n].upper - estimates[n].lower)
                      for n in free_names])
    eigval, eigvec = np.linalg.eigh(S * np.outer(scale, scale))
    top = max(float(eigval.max()), 1e-300)
    bad = (eigval <= SINGULAR_RATIO * top) | \
        (2 * s2 / np.maximum(eigval, 1e-300) > RELATIVE_SE_LIMIT ** 2)
    good = ~bad
    cov_scaled = (eigvec[:, good] * (2 * s2 / eigval[good])) @ eigvec[:, good].T
    cov = cov_scaled * np.outer(scale, scale)
    flagged = set()
    for k in np.nonzero(bad)[0]:
        direction = eigvec[:, k] * np.sign(eigvec[np.argmax(np.abs(eigvec[:, k])), k])
        moved = [j for j in range(len(free_names)) if abs(direction[j]) >= PARTICIPATION]
        flagged.update(free_names[j] for j in moved)
        if len(moved) == 1:
            what = free_names[moved[0]]
        else:
            what = "the combination " + " ".join(
                f"{'+' if direction[j] >= 0 else '-'} {abs(direction[j]):.2f} "
                f"{free_names[j]}" for j in moved).lstrip("+ ") + \
                " (each relative to its model value)"
        report.warnings.append(f"the data do not identify {what}: the reduced Hessian is "
                               f"near singular in this direction")
    for i, n in enumerate(free_names):
        e = estimates[n]
        e.identifiable = n not in flagged
        e.standard_error = float(math.sqrt(max(cov[i, i], 0.0))) if e.identifiable \
            else math.inf
    full = np.full((len(names), len(names)), math.nan)
    index = [names.index(n) for n in free_names]
    full[np.ix_(index, index)] = cov
    for i, n in enumerate(free_names):
        if n in flagged:
            full[index[i], :] = full[:, index[i]] = math.inf
    report.covariance = full
    return report


def parameter_reporter(problem, model, solution, context) -> dict:
    """Reporter (ocp.engine.reports): the estimated parameters' values, bounds and
    standard errors (``parameters``), and their warnings."""
    if not any(isinstance(q, UnknownParameter) for q in problem.parameters):
        return {}   # none, or EMG scales (reported by ocp.analysis.emg)
    estimated = parameter_report(problem, context.transcribed, context.w, context.lam_g,
                                 context.lam_x, solution.cost_terms, context.final_time,
                                 context.solver)
    return {"parameters": estimated, "warnings": estimated.warnings}


def read_parameter_report(summary: dict) -> ParameterReport | None:
    """summary.json's estimated parameters as a ParameterReport (no covariance), or None."""
    return ParameterReport.from_dict(summary) if "parameters" in summary else None


register_reporter(parameter_reporter, order=40)
register_summary_reader("parameters", read_parameter_report)
