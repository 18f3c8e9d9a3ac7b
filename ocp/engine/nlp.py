"""From a Problem and its Transcription to one sparse NLP in CasADi.

Decision variables are ordered point by point, ``[x_0, u_0, z_0, x_1, ...]``,
then the final time if it is free, so that the KKT matrix is banded. The
per-point expressions (dynamics, costs, outputs) are SX functions mapped over
all points; the NLP around them is SX (one scalar graph, fastest to evaluate)
or MX (quicker to build for large meshes), or MX with the per-point functions
lifted out and differentiated once per point (ocp/engine/lifted.py), see
SolverOptions.graph. First and second derivatives come from CasADi's
automatic differentiation; no finite differences are used anywhere.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import casadi as ca
import numpy as np

from ocp.costs import EndpointVariables, PointVariables
from ocp.errors import ProblemError
from ocp.estimation.names import parametrised
from ocp.estimation.unknowns import guesses, scales
from ocp.engine.lifted import PointCalls, lifted_nlp
from ocp.problem import IMPLICIT, Problem, as_range


@dataclass
class TranscribedProblem:
    """The NLP and everything needed to read its solution back."""

    nlp: dict
    lbx: np.ndarray
    ubx: np.ndarray
    lbg: np.ndarray
    ubg: np.ndarray
    unpack: ca.Function        # w -> (X, U, Z, tf)
    cost_terms: ca.Function    # w -> weighted value of each term
    cost_names: list
    integrands: ca.Function    # w -> (n_terms, n_points) weighted integrands
    outputs: ca.Function       # w -> (n_outputs, n_points)
    output_names: list
    grid: np.ndarray           # normalised times (n_points,)
    n_points: int
    nx: int
    nu: int
    nz: int
    #: estimated model numbers ([parameters]), last in w divided by their scales:
    #: names, start values (SI), scales (SI), w -> p (SI)
    parameter_names: list = ()
    parameter_guess: np.ndarray = field(default_factory=lambda: np.zeros(0))
    parameters: ca.Function | None = None
    parameter_scale: np.ndarray = field(default_factory=lambda: np.zeros(0))
    #: nlpsol's own derivative functions (jac_g, hess_lag) when graph = "lifted"
    solver_functions: dict = field(default_factory=dict)

    def pack(self, X, U, Z, tf, p=None):
        """Decision vector from (nx, P), (nu, P), (nz, P) arrays, the final time and the
        estimated parameters (default: their start values)."""
        w = np.vstack([X, U, np.asarray(Z)[:self.nz]]).ravel(order="F")
        n_p = len(self.parameter_names)
        w = np.append(w, tf) if self.nlp["x"].shape[0] > w.size + n_p else w
        p = self.parameter_guess if p is None else np.asarray(p, float)
        return np.append(w, p / self.parameter_scale if p.size else p)


def transcribe(problem: Problem) -> TranscribedProblem:
    problem.validate()
    tr = problem.transcription
    # Estimated model numbers are SX symbols p_s in the model, and time-invariant
    # decision variables p at the end of w; every per-point function takes p.
    model, p_s = parametrised(problem.model, [q.name for q in problem.parameters])
    nx, nu = model.nx, model.nu
    nz = model.nz if problem.dynamics == IMPLICIT else 0
    P, N = tr.n_points, tr.intervals

    Sym = ca.SX if problem.solver.graph == "sx" else ca.MX
    # every per-point function goes through calls: mapped inline, or lifted
    # out of the graph and differentiated per point (ocp/engine/lifted.py)
    calls = PointCalls(problem.solver.graph == "lifted")
    W = Sym.sym("w", nx + nu + nz, P)
    X, U, Z = W[:nx, :], W[nx:nx + nu, :], W[nx + nu:, :]
    t0 = problem.start_time
    if problem.free_final_time:
        tf = Sym.sym("tf")
        w = ca.vertcat(ca.vec(W), tf)
    else:
        tf = float(problem.final_time)
        w = ca.vec(W)
    # w holds p / scale (each near 1: a stiffness of 3e6 N/m^2 and an inertia of
    # 0.02 kg m^2 alike), the model sees p in SI units
    p_scale = np.array(scales(problem.model, problem.parameters), dtype=float)
    p_scaled = Sym.sym("p", p_s.shape[0])
    w = ca.vertcat(w, p_scaled)
    p = p_scaled * ca.DM(p_scale) if p_scale.size else p_scaled
    h = tr.durations(tf - t0)  # scalar, or (1, N) on a refined mesh
    grid = tr.grid()
    times = t0 + ca.DM(grid).T * (tf - t0)  # (1, P)

    # Symbols of one point, from which every per-point function is built.
    t_s, x_s, u_s, z_s = (ca.SX.sym("t"), ca.SX.sym("x", nx),
                          ca.SX.sym("u", nu), ca.SX.sym("z", nz))
    point = PointVariables(model, t_s, x_s, u_s, z_s)
    if problem.dynamics == IMPLICIT:
        xdot, residual = model.implicit_dynamics(x_s, u_s, z_s)
    else:
        xdot, residual = model.dynamics(x_s, u_s), ca.SX(0, 1)
    parallel = ("thread", problem.solver.threads) if problem.solver.threads > 1 else ()
    F, R = calls(ca.Function("dynamics", [x_s, u_s, z_s, p_s], [xdot, residual]), P,
                 X, U, Z, p, parallel=parallel)

    g, lbg, ubg = [], [], []

    def constrain(expr, lo, hi):
        expr = ca.vec(expr)
        g.append(expr)
        lbg.append(np.broadcast_to(np.asarray(lo, dtype=float), expr.shape[0]))
        ubg.append(np.broadcast_to(np.asarray(hi, dtype=float), expr.shape[0]))

    if model.discrete_state_names:
        # States of a discrete map (a learned recurrent step): the map between
        # mesh points, a straight line inside an interval; the ODE for the rest.
        discrete = [model.state_names.index(n) for n in model.discrete_state_names]
        continuous = [i for i in range(nx) if i not in discrete]
        Xp, Fp = tr.by_point(X), tr.by_point(F)
        constrain(tr.defects(h, [x[continuous, :] for x in Xp],
                             [f[continuous, :] for f in Fp]), 0.0, 0.0)
        step = ca.Function("discrete_step", [x_s, u_s, p_s], [model.discrete_step(x_s, u_s)])
        constrain(tr.discrete_defects([x[discrete, :] for x in Xp],
                                      calls(step, N, Xp[0], tr.by_point(U)[-1], p)), 0.0, 0.0)
    else:
        constrain(tr.defects(h, tr.by_point(X), tr.by_point(F)), 0.0, 0.0)
    control_defects = tr.control_defects(tr.by_point(U))
    if control_defects is not None and nu:
        constrain(control_defects, 0.0, 0.0)
    first = 0 if tr.dynamics_at_start else 1
    if nz:
        constrain(R[:, first:], 0.0, 0.0)
    path_residual = model.path_residuals(x_s, u_s)
    if path_residual.shape[0]:
        residuals = calls(ca.Function("path_residuals", [x_s, u_s, p_s], [path_residual]), P,
                          X, U, p)
        constrain(residuals[:, first:], 0.0, 0.0)
    w0 = tr.initial_control_weights()
    if w0 is not None and nu + nz:
        cols = tr.interval_columns(0)
        UZ = ca.vertcat(U, Z)
        constrain(UZ[:, 0] - ca.mtimes(UZ[:, cols][:, 1:], ca.DM(w0[1:])), 0.0, 0.0)

    # Bounds on variables (states, controls, algebraics) and on outputs.
    kinds = problem.names()
    bounds = problem.merged_bounds()
    lbx = -np.inf * np.ones((nx + nu + nz, P))
    ubx = np.inf * np.ones((nx + nu + nz, P))
    var_names = list(model.state_names) + list(model.control_names) + \
        (list(model.algebraic_names) if nz else [])
    row = {n: i for i, n in enumerate(var_names)}
    output_bounds = {}
    for name, (lo, hi) in bounds.items():
        if name in row:
            lbx[row[name], :], ubx[row[name], :] = lo, hi
        elif kinds.get(name) == "output":
            output_bounds[name] = (lo, hi)
        elif kinds.get(name) == "algebraic":
            continue  # only meaningful in the implicit form
    endpoint_outputs = []
    for column, conditions, section in ((0, problem.initial, "initial"),
                                        (P - 1, problem.final, "final")):
        for name, value in conditions.items():
            lo, hi = as_range(value)
            if name in row:
                lbx[row[name], column] = max(lo, lbx[row[name], column])
                ubx[row[name], column] = min(hi, ubx[row[name], column])
            else:
                endpoint_outputs.append((column, name, lo, hi, section))

    used_outputs = sorted(set(output_bounds) | {e[1] for e in endpoint_outputs})
    all_outputs = model.outputs(x_s, u_s)
    output_names = list(all_outputs)
    out_fun = ca.Function("outputs", [x_s, u_s, p_s],
                          [ca.vertcat(*all_outputs.values()) if all_outputs else ca.SX(0, 1)])
    if used_outputs:
        O = calls(out_fun, P, X, U, p)
        for name in output_bounds:
            lo, hi = output_bounds[name]
            constrain(O[output_names.index(name), :], lo, hi)
        for column, name, lo, hi, _ in endpoint_outputs:
            constrain(O[output_names.index(name), column], lo, hi)

    for pc in problem.path_constraints:
        expr = pc.function(point)
        fun = ca.Function(f"path_{pc.name}", [t_s, x_s, u_s, z_s, p_s], [expr])
        values = calls(fun, P, times, X, U, Z, p)
        m = values.shape[0]
        lo = np.broadcast_to(np.asarray(pc.lower, dtype=float), m)
        hi = np.broadcast_to(np.asarray(pc.upper, dtype=float), m)
        constrain(values, np.tile(lo, P), np.tile(hi, P))

    def trajectory(name):  # a state's or a control's row
        if name in model.state_names:
            return X[model.state_names.index(name), :]
        return U[model.control_names.index(name), :]

    for name in problem.periodic:
        constrain(trajectory(name)[-1] - trajectory(name)[0], 0.0, 0.0)
    for a, b in mirror_pairs(problem):
        ya, yb = trajectory(a), trajectory(b)
        constrain(ca.vertcat(ya[-1] - yb[0], yb[-1] - ya[0]), 0.0, 0.0)
    if problem.average_speed is not None:
        coordinate, speed = problem.average_speed
        i = model.state_names.index(coordinate)
        constrain(X[i, -1] - X[i, 0] - speed * (tf - t0), 0.0, 0.0)

    # Objective: each weighted term, integrals by the transcription's quadrature.
    endpoint = EndpointVariables(model, t0, tf, X[:, 0], X[:, -1])
    term_values, integrand_rows = [], []
    for term in problem.costs:
        value = 0
        expr = term.integrand(point)
        if expr is not None:
            fun = ca.Function(f"L_{term.name}", [t_s, x_s, u_s, z_s, p_s], [expr])
            row_values = term.weight * calls(fun, P, times, X, U, Z, p, parallel=parallel)
            integrand_rows.append(row_values)
            value += tr.integral(tf - t0, row_values)
        else:
            integrand_rows.append(Sym.zeros(1, P))
        end = term.endpoint(endpoint)
        if end is not None:
            value += term.weight * end
        if term.divide_by_displacement is not None:
            i = model.state_names.index(term.divide_by_displacement)
            value = value / (X[i, -1] - X[i, 0])
        term_values.append(value)
    term_vec = ca.vertcat(*term_values)
    objective = ca.sum1(term_vec)

    lbx_all, ubx_all = lbx.ravel(order="F"), ubx.ravel(order="F")
    if problem.free_final_time:
        lo, hi = problem.final_time_range()
        lbx_all, ubx_all = np.append(lbx_all, lo), np.append(ubx_all, hi)
    lbx_all = np.append(lbx_all, [q.lower for q in problem.parameters] / p_scale)
    ubx_all = np.append(ubx_all, [q.upper for q in problem.parameters] / p_scale)
    bad = np.nonzero(lbx_all > ubx_all)[0]
    if bad.size:
        i = bad[0] % (nx + nu + nz) if bad[0] < (nx + nu + nz) * P else None
        name = var_names[i] if i is not None else "time.final"
        raise ProblemError(f"bounds contradict each other for '{name}'", f"bounds.{name}")

    g_all = ca.vertcat(*g)
    integrand_matrix = ca.vertcat(*integrand_rows)
    nlp, solver_functions = lifted_nlp(calls, w, objective, g_all,
                                       compile_blocks=problem.solver.compile)
    term_vec, integrand_matrix = calls.substitute(w, [term_vec, integrand_matrix])
    tf_expr = tf if problem.free_final_time else Sym(tf)
    return TranscribedProblem(
        nlp=nlp, solver_functions=solver_functions,
        lbx=lbx_all, ubx=ubx_all,
        lbg=np.concatenate(lbg) if lbg else np.zeros(0),
        ubg=np.concatenate(ubg) if ubg else np.zeros(0),
        unpack=ca.Function("unpack", [w], [X, U, Z, tf_expr]),
        cost_terms=ca.Function("cost_terms", [w], [term_vec]),
        cost_names=[t.name for t in problem.costs],
        integrands=ca.Function("integrands", [w], [integrand_matrix]),
        outputs=ca.Function("outputs", [w], [out_fun.map(P)(X, U, p)]),
        output_names=output_names,
        grid=grid, n_points=P, nx=nx, nu=nu, nz=nz,
        parameter_names=[q.name for q in problem.parameters],
        parameter_guess=np.array(guesses(problem.model, problem.parameters), dtype=float),
        parameters=ca.Function("parameters", [w], [p]),
        parameter_scale=p_scale)


def mirror_pairs(problem: Problem) -> list[tuple[str, str]]:
    """The mirrored state pairs, with the speeds of mirrored coordinates added."""
    names = set(problem.model.state_names)
    pairs = []
    for a, b in problem.mirror:
        pairs.append((a, b))
        if f"{a}_speed" in names and f"{b}_speed" in names:
            pairs.append((f"{a}_speed", f"{b}_speed"))
    return pairs
