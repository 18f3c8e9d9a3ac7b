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

import dataclasses
from dataclasses import dataclass, field

import casadi as ca
import numpy as np

from ocp.costs import EndpointVariables, PointVariables
from ocp.engine.lifted import PointCalls, lifted_nlp
from ocp.engine.parameters import parametrised, scales, start_values
from ocp.engine.scaling import scaled_bounds, scaled_trajectory, trajectory_scales
from ocp.errors import ProblemError
from ocp.problem import IMPLICIT, MAXIMIZE, Problem, as_range


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
    #: -1 when the problem maximises: the NLP minimises -J, and J = sign * f
    objective_sign: float = 1.0
    #: the cost weights, one per term, when they are the NLP's parameter ``p``
    #: (``transcribe(..., weights_as_parameters=True)``); empty otherwise
    weights: np.ndarray = field(default_factory=lambda: np.zeros(0))
    #: (w, weights) -> (cost_terms, integrands) when the weights are ``p``
    read_back: ca.Function | None = None
    row_scale: np.ndarray | float = 1.0   # each trajectory row's scale (ocp/engine/scaling.py)

    def with_weights(self, weights) -> TranscribedProblem:
        """This NLP with other cost weights (its ``p``): ``weights`` and the
        read-back functions change, the NLP and its solver functions are shared."""
        w = ca.MX.sym("w", self.nlp["x"].shape[0])
        terms, integrands = self.read_back(w, ca.DM(weights))
        return dataclasses.replace(
            self, weights=np.asarray(weights, float),
            cost_terms=ca.Function("cost_terms", [w], [terms]),
            integrands=ca.Function("integrands", [w], [integrands]))

    def pack(self, X, U, Z, tf, p=None):
        """Decision vector from (nx, P), (nu, P), (nz, P) arrays, the final time and the
        estimated parameters (default: their start values)."""
        w = (np.vstack([X, U, np.asarray(Z)[:self.nz]]).T / self.row_scale).ravel()
        n_p = len(self.parameter_names)
        w = np.append(w, tf) if self.nlp["x"].shape[0] > w.size + n_p else w
        p = self.parameter_guess if p is None else np.asarray(p, float)
        return np.append(w, p / self.parameter_scale if p.size else p)


@dataclass
class Symbols:
    """The NLP's symbols while it is built, shared by the steps of :func:`transcribe`.

    ``X`` (nx, P), ``U`` (nu, P), ``Z`` (nz, P) are the trajectory on the
    mesh, ``tf`` the final time (a symbol when free, else a float, s), ``p``
    the parameters in SI units, ``w`` the whole decision vector. ``t_s``,
    ``x_s``, ``u_s``, ``z_s``, ``p_s`` are the SX symbols of one point, from
    which each per-point function is built; ``model`` is the problem's model
    with ``p_s`` in place of its estimated numbers.
    """

    problem: Problem
    model: object
    Sym: type
    calls: PointCalls
    nx: int
    nu: int
    nz: int
    P: int
    N: int
    W: object
    X: object
    U: object
    Z: object
    t0: float
    tf: object
    w: object
    p: object
    p_s: ca.SX
    p_scale: np.ndarray
    h: object
    grid: np.ndarray
    times: object
    t_s: ca.SX
    x_s: ca.SX
    u_s: ca.SX
    z_s: ca.SX
    point: PointVariables
    parallel: tuple
    #: each cost term's weight: floats, or a symbol vector (the NLP's ``p``)
    weights: object = None
    #: the explicit dynamics at every point (nx, P), once built; None otherwise
    F: object = None


class Constraints:
    """The constraints ``lbg <= g <= ubg`` in the order they are added."""

    def __init__(self):
        self.g, self.lbg, self.ubg = [], [], []

    def add(self, expr, lo, hi) -> None:
        """Append ``vec(expr)`` with bounds broadcast to its length."""
        expr = ca.vec(expr)
        self.g.append(expr)
        self.lbg.append(np.broadcast_to(np.asarray(lo, dtype=float), expr.shape[0]))
        self.ubg.append(np.broadcast_to(np.asarray(hi, dtype=float), expr.shape[0]))


def transcribe(problem: Problem, weights_as_parameters: bool = False) -> TranscribedProblem:
    """The problem as one sparse NLP: variables, constraints in a fixed order, objective.

    Constraints, in this order: dynamics defects (with the discrete map, the
    control defects, the implicit residuals, the path residuals and the first
    interval's control extrapolation), output bounds and output endpoint
    conditions, path constraints, periodicity, mirror symmetry (and negated names), average
    speed. Raises ProblemError for a problem that fails validation or whose
    bounds contradict each other.

    ``weights_as_parameters``: the cost weights are the NLP's parameter ``p``
    (their values in ``weights``), so that one solver re-solves the problem
    with other weights (ocp/engine/reuse.py).
    """
    problem.validate()
    v = variables(problem)
    v.weights = (v.Sym.sym("weights", len(problem.costs)) if weights_as_parameters
                 else [term.weight for term in problem.costs])
    con = Constraints()
    dynamics_constraints(v, con)
    lbx, ubx, output_bounds, endpoint_outputs = variable_bounds(v)
    out_fun, output_names = output_constraints(v, con, output_bounds, endpoint_outputs)
    path_constraints(v, con)
    cycle_constraints(v, con)
    term_vec, integrand_matrix = objective_terms(v)
    return assemble(v, con, lbx, ubx, term_vec, integrand_matrix, out_fun, output_names)


def variables(problem: Problem) -> Symbols:
    """The decision variables ``w = [x_0, u_0, z_0, x_1, ..., tf?, p / scale]`` and the
    symbols of one point.

    Estimated model numbers (``problem.parameters``, ocp.engine.parameters) are
    SX symbols ``p_s`` in the model and time-invariant decision variables at the
    end of ``w``, divided by their scales so that each is near 1 (a stiffness of
    3e6 N/m^2 and an inertia of 0.02 kg m^2 alike); the model sees ``p`` in SI
    units, and every per-point function takes it as its last input.
    """
    tr = problem.transcription
    model, p_s = parametrised(problem.model, problem.parameters)
    nx, nu = model.nx, model.nu
    nz = model.nz if problem.dynamics == IMPLICIT else 0
    P = tr.n_points
    Sym = ca.SX if problem.solver.graph == "sx" else ca.MX
    # every per-point function goes through calls: mapped inline, or lifted
    # out of the graph and differentiated per point (ocp/engine/lifted.py)
    calls = PointCalls(problem.solver.graph == "lifted")
    W = Sym.sym("w", nx + nu + nz, P)
    S = scaled_trajectory(problem, model, nz, W)  # in SI units
    t0 = problem.start_time
    if problem.free_final_time:
        tf = Sym.sym("tf")
        w = ca.vertcat(ca.vec(W), tf)
    else:
        tf = float(problem.final_time)
        w = ca.vec(W)
    p_scale = scales(problem.model, problem.parameters)
    p_scaled = Sym.sym("p", p_s.shape[0])
    w = ca.vertcat(w, p_scaled)
    p = p_scaled * ca.DM(p_scale) if p_scale.size else p_scaled
    grid = tr.grid()
    t_s, x_s, u_s, z_s = (ca.SX.sym("t"), ca.SX.sym("x", nx),
                          ca.SX.sym("u", nu), ca.SX.sym("z", nz))
    return Symbols(
        problem=problem, model=model, Sym=Sym, calls=calls, nx=nx, nu=nu, nz=nz,
        P=P, N=tr.intervals, W=W, X=S[:nx, :], U=S[nx:nx + nu, :], Z=S[nx + nu:, :],
        t0=t0, tf=tf, w=w, p=p, p_s=p_s, p_scale=p_scale,
        h=tr.durations(tf - t0),  # scalar, or (1, N) on a refined mesh
        grid=grid, times=t0 + ca.DM(grid).T * (tf - t0),  # (1, P)
        t_s=t_s, x_s=x_s, u_s=u_s, z_s=z_s,
        point=PointVariables(model, t_s, x_s, u_s, z_s, parameters=parameter_symbols(
            problem.parameters, p_s)),
        parallel=(("thread", problem.solver.threads) if problem.solver.threads > 1 else ()))


def parameter_symbols(parameters, p_s) -> dict:
    """Each parameter's SX symbol (SI units) by name, for cost terms that use one."""
    return {q.name: p_s[i] for i, q in enumerate(parameters)}


def dynamics_constraints(v: Symbols, con: Constraints) -> None:
    """The transcription's defects, then the control defects, the implicit
    residuals, the model's path residuals and the first interval's control
    extrapolation (each only where the transcription or the model has them)."""
    problem, model, tr, calls = v.problem, v.model, v.problem.transcription, v.calls
    X, U, Z, p = v.X, v.U, v.Z, v.p
    t_s, x_s, u_s, z_s, p_s = v.t_s, v.x_s, v.u_s, v.z_s, v.p_s
    if problem.dynamics == IMPLICIT:
        xdot, residual = model.implicit_dynamics_at(x_s, u_s, z_s, t_s)
    else:  # at the real time of each point, for a non-autonomous model
        xdot, residual = model.dynamics_at(x_s, u_s, t_s), ca.SX(0, 1)
    F, R = calls(ca.Function("dynamics", [t_s, x_s, u_s, z_s, p_s], [xdot, residual]), v.P,
                 v.times, X, U, Z, p, parallel=v.parallel)
    if problem.dynamics != IMPLICIT and not model.discrete_state_names:
        v.F = F
    if model.discrete_state_names:
        # States of a discrete map (a learned recurrent step): the map between
        # mesh points, a straight line inside an interval; the ODE for the rest.
        discrete = [model.state_names.index(n) for n in model.discrete_state_names]
        continuous = [i for i in range(v.nx) if i not in discrete]
        Xp, Fp = tr.by_point(X), tr.by_point(F)
        con.add(tr.defects(v.h, [x[continuous, :] for x in Xp],
                           [f[continuous, :] for f in Fp]), 0.0, 0.0)
        step = ca.Function("discrete_step", [x_s, u_s, p_s], [model.discrete_step(x_s, u_s)])
        con.add(tr.discrete_defects([x[discrete, :] for x in Xp],
                                    calls(step, v.N, Xp[0], tr.by_point(U)[-1], p)), 0.0, 0.0)
    else:
        con.add(tr.defects(v.h, tr.by_point(X), tr.by_point(F)), 0.0, 0.0)
    control_defects = tr.control_defects(tr.by_point(U))
    if control_defects is not None and v.nu:
        con.add(control_defects, 0.0, 0.0)
    first = 0 if tr.dynamics_at_start else 1
    if v.nz:
        con.add(R[:, first:], 0.0, 0.0)
    path_residual = model.path_residuals(x_s, u_s)
    if path_residual.shape[0]:
        residuals = calls(ca.Function("path_residuals", [x_s, u_s, p_s], [path_residual]),
                          v.P, X, U, p)
        con.add(residuals[:, first:], 0.0, 0.0)
    w0 = tr.initial_control_weights()
    if w0 is not None and v.nu + v.nz:
        cols = tr.interval_columns(0)
        UZ = ca.vertcat(U, Z)
        con.add(UZ[:, 0] - ca.mtimes(UZ[:, cols][:, 1:], ca.DM(w0[1:])), 0.0, 0.0)


def variable_names(v: Symbols) -> list[str]:
    """The rows of W: states, controls, then algebraics in the implicit form."""
    return list(v.model.state_names) + list(v.model.control_names) + \
        (list(v.model.algebraic_names) if v.nz else [])


def variable_bounds(v: Symbols):
    """Bounds on the trajectory: (lbx, ubx) of shape (nx + nu + nz, P), the output
    bounds {name: (lo, hi)} and the output endpoint conditions
    [(column, name, lo, hi, section)], in SI units.

    The model's default bounds overridden by the problem's; initial and final
    conditions on states, controls and algebraics narrow the first and last
    columns; those on outputs become constraints (:func:`output_constraints`).
    """
    problem = v.problem
    kinds = problem.names()
    lbx = -np.inf * np.ones((v.nx + v.nu + v.nz, v.P))
    ubx = np.inf * np.ones((v.nx + v.nu + v.nz, v.P))
    row = {n: i for i, n in enumerate(variable_names(v))}
    output_bounds = {}
    for name, (lo, hi) in problem.merged_bounds().items():
        if name in row:
            lbx[row[name], :], ubx[row[name], :] = lo, hi
        elif kinds.get(name) == "output":
            output_bounds[name] = (lo, hi)
        elif kinds.get(name) == "algebraic":
            continue  # only meaningful in the implicit form
    endpoint_outputs = []
    for column, conditions, section in ((0, problem.initial, "initial"),
                                        (v.P - 1, problem.final, "final")):
        for name, value in conditions.items():
            lo, hi = as_range(value)
            if name in row:
                lbx[row[name], column] = max(lo, lbx[row[name], column])
                ubx[row[name], column] = min(hi, ubx[row[name], column])
            else:
                endpoint_outputs.append((column, name, lo, hi, section))
    return lbx, ubx, output_bounds, endpoint_outputs


def output_constraints(v: Symbols, con: Constraints, output_bounds: dict,
                       endpoint_outputs: list) -> tuple[ca.Function, list]:
    """Bounds on model outputs at every point, then output endpoint conditions.

    Returns the per-point output function ``(t, x, u, p) -> (n_outputs, 1)`` (t:
    the real time, s) and the output names, for reading the solution back.
    """
    t_s, x_s, u_s, p_s = v.t_s, v.x_s, v.u_s, v.p_s
    used_outputs = sorted(set(output_bounds) | {e[1] for e in endpoint_outputs})
    all_outputs = v.model.outputs_at(x_s, u_s, t_s)
    output_names = list(all_outputs)
    out_fun = ca.Function("outputs", [t_s, x_s, u_s, p_s],
                          [ca.vertcat(*all_outputs.values()) if all_outputs else ca.SX(0, 1)])
    if used_outputs:
        O = v.calls(out_fun, v.P, v.times, v.X, v.U, v.p)
        for name in output_bounds:
            lo, hi = output_bounds[name]
            con.add(O[output_names.index(name), :], lo, hi)
        for column, name, lo, hi, _ in endpoint_outputs:
            con.add(O[output_names.index(name), column], lo, hi)
    return out_fun, output_names


def path_constraints(v: Symbols, con: Constraints) -> None:
    """``lower <= function(t, x, u, z, p) <= upper`` at every point, per PathConstraint
    (``function(t, x, u, z, p, d)`` with its data ``d`` at the points' times)."""
    for pc in v.problem.path_constraints:
        inputs, args = [v.t_s, v.x_s, v.u_s, v.z_s, v.p_s], [v.times, v.X, v.U, v.Z, v.p]
        if pc.data is not None:  # constants of the NLP, at the points' (fixed) times
            if not isinstance(v.tf, float):
                raise ProblemError(f"path constraint '{pc.name}': its data need a fixed "
                                   f"final time", "time.final")
            data = np.asarray(pc.data(np.asarray(v.times).ravel()), float).reshape(-1, v.P)
            inputs.append(ca.SX.sym("d", data.shape[0]))
            args.append(ca.DM(data))
        fun = ca.Function(f"path_{pc.name}", inputs, [pc.function(v.point, *inputs[5:])])
        values = v.calls(fun, v.P, *args)
        m = values.shape[0]
        lo = np.broadcast_to(np.asarray(pc.lower, dtype=float), m)
        hi = np.broadcast_to(np.asarray(pc.upper, dtype=float), m)
        con.add(values, np.tile(lo, v.P), np.tile(hi, v.P))


def cycle_constraints(v: Symbols, con: Constraints) -> None:
    """Periodicity ``y(t_f) = y(t_0)``, mirror symmetry ``a(t_f) = b(t_0)``,
    ``b(t_f) = a(t_0)``, and the average speed ``q(t_f) - q(t_0) = speed (t_f - t_0)`` (m)."""
    problem, model, X, U = v.problem, v.model, v.X, v.U

    def trajectory(name):  # a state's or a control's row
        if name in model.state_names:
            return X[model.state_names.index(name), :]
        return U[model.control_names.index(name), :]

    for name in problem.periodic:
        con.add(trajectory(name)[-1] - trajectory(name)[0], 0.0, 0.0)
    for a, b in mirror_pairs(problem):
        ya, yb = trajectory(a), trajectory(b)
        con.add(ca.vertcat(ya[-1] - yb[0], yb[-1] - ya[0]), 0.0, 0.0)
    for a, b in problem.initial_equal:
        con.add(trajectory(a)[0] - trajectory(b)[0], 0.0, 0.0)
    for name in negated_names(problem):
        con.add(trajectory(name)[-1] + trajectory(name)[0], 0.0, 0.0)
    if problem.average_speed is not None:
        coordinate, speed = problem.average_speed
        i = model.state_names.index(coordinate)
        con.add(X[i, -1] - X[i, 0] - speed * (v.tf - v.t0), 0.0, 0.0)


def objective_terms(v: Symbols):
    """Each weighted cost term (n_terms, 1) and the weighted integrands (n_terms, P).

    An integral is the transcription's quadrature of its integrand; an endpoint
    term is added as is; a term with ``divide_by_displacement`` is divided by
    that coordinate's travel ``q(t_f) - q(t_0)``.
    """
    problem, model, tr, X = v.problem, v.model, v.problem.transcription, v.X
    endpoint = EndpointVariables(model, v.t0, v.tf, X[:, 0], X[:, -1])
    # On the lifted graph a term built on the dynamics (squared accelerations of
    # an explicit model) sees them as a symbol that the glue fills with the
    # dynamics' lifted outputs: their derivative blocks serve the term too
    # (exact: the chain rule of ocp/engine/lifted.py), where its own blocks would
    # differentiate the dynamics again (the muscle walk: 0.43 M operations,
    # 11 MB of C to compile on a first run, more than the dynamics' own blocks).
    xdot_s = ca.SX.sym("xdot", v.nx) if v.calls.lift and v.F is not None else None
    point = v.point if xdot_s is None else PointVariables(model, v.t_s, v.x_s, v.u_s, v.z_s,
                                                          xdot=xdot_s,
                                                          parameters=v.point.parameters)
    term_values, integrand_rows = [], []
    for k, term in enumerate(problem.costs):
        weight = v.weights[k]
        value = 0
        expr = term.integrand(point)
        if expr is not None and xdot_s is not None and ca.depends_on(expr, xdot_s):
            fun = ca.Function(f"L_{term.name}", [v.t_s, v.x_s, v.u_s, v.z_s, v.p_s, xdot_s],
                              [expr])
            row_values = weight * fun.map(v.P)(v.times, X, v.U, v.Z, v.p, v.F)
        elif expr is not None:
            fun = ca.Function(f"L_{term.name}", [v.t_s, v.x_s, v.u_s, v.z_s, v.p_s], [expr])
            row_values = weight * v.calls(fun, v.P, v.times, X, v.U, v.Z, v.p,
                                          parallel=v.parallel)
        if expr is not None:
            integrand_rows.append(row_values)
            value += tr.integral(v.tf - v.t0, row_values)
        else:
            integrand_rows.append(v.Sym.zeros(1, v.P))
        end = term.endpoint(endpoint)
        if end is not None:
            value += weight * end
        if term.divide_by_displacement is not None:
            i = model.state_names.index(term.divide_by_displacement)
            value = value / (X[i, -1] - X[i, 0])
        term_values.append(value)
    return ca.vertcat(*term_values), ca.vertcat(*integrand_rows)


def assemble(v: Symbols, con: Constraints, lbx, ubx, term_vec, integrand_matrix,
             out_fun: ca.Function, output_names: list) -> TranscribedProblem:
    """The NLP, its variable bounds (trajectory, final time, parameters / scale)
    checked for contradictions, and the functions that read a solution back."""
    problem = v.problem
    lbx_all, ubx_all = decision_bounds(v, lbx, ubx)

    # IPOPT minimises: a maximised objective J is minimised as -J
    sign = -1.0 if problem.sense == MAXIMIZE else 1.0
    objective = sign * ca.sum1(term_vec)
    symbolic = not isinstance(v.weights, list)
    p = v.weights if symbolic else None
    nlp, solver_functions = lifted_nlp(v.calls, v.w, objective, ca.vertcat(*con.g),
                                       compile_blocks=problem.solver.compile, p=p)
    term_vec, integrand_matrix = v.calls.substitute(v.w, [term_vec, integrand_matrix], p)
    tf_expr = v.tf if problem.free_final_time else v.Sym(v.tf)
    w = v.w
    tp = TranscribedProblem(
        nlp=nlp, solver_functions=solver_functions,
        lbx=lbx_all, ubx=ubx_all,
        lbg=np.concatenate(con.lbg) if con.lbg else np.zeros(0),
        ubg=np.concatenate(con.ubg) if con.ubg else np.zeros(0),
        unpack=ca.Function("unpack", [w], [v.X, v.U, v.Z, tf_expr]),
        cost_terms=None if symbolic else ca.Function("cost_terms", [w], [term_vec]),
        cost_names=[t.name for t in problem.costs],
        integrands=None if symbolic else ca.Function("integrands", [w], [integrand_matrix]),
        outputs=ca.Function("outputs", [w], [out_fun.map(v.P)(v.times, v.X, v.U, v.p)]),
        output_names=output_names,
        grid=v.grid, n_points=v.P, nx=v.nx, nu=v.nu, nz=v.nz,
        parameter_names=[q.name for q in problem.parameters],
        parameter_guess=start_values(problem.model, problem.parameters),
        parameters=ca.Function("parameters", [w], [v.p]),
        parameter_scale=v.p_scale, objective_sign=sign,
        row_scale=trajectory_scales(problem, v.model, v.nz),
        read_back=ca.Function("read_back", [w, p], [term_vec, integrand_matrix])
        if symbolic else None)
    return tp.with_weights([t.weight for t in problem.costs]) if symbolic else tp


def decision_bounds(v, lbx, ubx) -> tuple[np.ndarray, np.ndarray]:
    """The bounds of the whole decision vector (trajectory ``lbx``/``ubx`` of
    :func:`variable_bounds`, final time, parameters / scale); raises ProblemError
    where they contradict each other. ``v``: the Symbols (or any object with
    ``problem``, ``model``, ``nx``, ``nu``, ``nz``, ``P`` and ``p_scale``)."""
    problem = v.problem
    lbx, ubx = scaled_bounds(problem, v.model, v.nz, lbx, ubx)
    lbx_all, ubx_all = lbx.ravel(order="F"), ubx.ravel(order="F")
    if problem.free_final_time:
        lo, hi = problem.final_time_range()
        lbx_all, ubx_all = np.append(lbx_all, lo), np.append(ubx_all, hi)
    lbx_all = np.append(lbx_all, [q.lower for q in problem.parameters] / v.p_scale)
    ubx_all = np.append(ubx_all, [q.upper for q in problem.parameters] / v.p_scale)
    bad = np.nonzero(lbx_all > ubx_all)[0]
    if bad.size:
        n_rows = v.nx + v.nu + v.nz
        i = bad[0] % n_rows if bad[0] < n_rows * v.P else None
        name = variable_names(v)[i] if i is not None else "time.final"
        raise ProblemError(f"bounds contradict each other for '{name}'", f"bounds.{name}")
    return lbx_all, ubx_all


def negated_names(problem: Problem) -> list[str]:
    """The names whose sign flips over a half cycle, with the speeds of coordinates added."""
    names = set(problem.model.state_names)
    return [m for n in problem.negated
            for m in (n, f"{n}_speed") if m == n or m in names]


def mirror_pairs(problem: Problem) -> list[tuple[str, str]]:
    """The mirrored state pairs, with the speeds of mirrored coordinates added."""
    names = set(problem.model.state_names)
    return [pair for a, b in problem.mirror for pair in [(a, b)] + (
        [(f"{a}_speed", f"{b}_speed")] if {f"{a}_speed", f"{b}_speed"} <= names else [])]
