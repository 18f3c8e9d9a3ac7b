"""Dynamic consistency: re-simulate the optimal controls with an accurate integrator.

A collocation solution satisfies the dynamics only at the collocation points.
To tell a user how far the trajectory is from a true solution of the model,
the controls are played back through the model's explicit dynamics with
CVODES (adaptive BDF/Adams, relative and absolute tolerance 1e-10), using
the transcription's own control interpolant inside each interval.
"""
from __future__ import annotations

import math

import casadi as ca
import numpy as np

from ocp.transcriptions.base import Transcription

TOLERANCE = 1e-10


#: Adams with functional iteration suits the non-stiff dynamics of most
#: movement models and needs no Jacobian; BDF with Newton is the fallback for
#: stiff ones (fast activation dynamics, stiff contact).
NON_STIFF = {"linear_multistep_method": "adams", "nonlinear_solver_iteration": "functional"}
STIFF = {"linear_multistep_method": "bdf", "nonlinear_solver_iteration": "newton"}


def _interval_simulator(model, tr: Transcription, method: dict) -> ca.Function:
    """CVODES over one interval in normalised time tau in [0, 1]:
    (x0, [h; t_start; controls; discrete change]) -> states at the points.

    The model sees the real time ``t_start + tau h`` (s), as in the NLP
    (Model.dynamics_at), so a non-autonomous model is replayed at the right times.
    """
    nx, nu = model.nx, model.nu
    nodes = tr.points[tr.control_points]
    tau = ca.SX.sym("tau")
    x = ca.SX.sym("x", nx)
    h = ca.SX.sym("h")
    t_start = ca.SX.sym("t_start")
    uc = ca.SX.sym("uc", nu, len(nodes))
    u = 0
    for j, nj in enumerate(nodes):
        basis = 1
        for m, nm in enumerate(nodes):
            if m != j:
                basis = basis * (tau - nm) / (nj - nm)
        u = u + basis * uc[:, j]
    u = u if nu else ca.SX(0, 1)
    ode = h * model.dynamics_at(x, u, t_start + tau * h)
    # Discrete states (a learned step) are replayed as the transcription holds them:
    # on the straight line between their values at the interval's ends.
    discrete = [model.state_names.index(n) for n in model.discrete_state_names]
    change = ca.SX.sym("change", len(discrete))
    if discrete:
        ode[discrete] = change
    dae = {"x": x, "p": ca.vertcat(h, t_start, ca.vec(uc), change), "t": tau, "ode": ode}
    options = {"abstol": TOLERANCE, "reltol": TOLERANCE, "max_num_steps": 100000, **method}
    if method.get("nonlinear_solver_iteration") == "functional":
        try:
            return ca.integrator("replay", "cvodes", _without_jacobian(dae), 0.0,
                                 list(tr.points[1:]), options)
        except RuntimeError:  # another CasADi's DAE signature: the plain form below
            pass
    return ca.integrator("replay", "cvodes", dae, 0.0, list(tr.points[1:]), options)


def _without_jacobian(dae: dict) -> ca.Function:
    """The ODE of ``dae`` as CVODES's DAE function, evaluated as the SX expressions
    are, whose derivatives are finite differences built only if asked. CVODES
    makes its Newton Jacobian when it is created (7 to 9 s of CPU for the Falisse
    model's ODE, differentiated symbolically); functional iteration never uses it."""
    ode = ca.Function("replay_ode", [dae["t"], dae["x"], dae["p"]], [dae["ode"]],
                      {"enable_fd": True, "enable_forward": False, "enable_reverse": False,
                       "enable_jacobian": False})
    t, x, p = ca.MX.sym("t"), ca.MX.sym("x", dae["x"].shape[0]), ca.MX.sym("p", dae["p"].shape[0])
    empty = ca.MX(0, 1)
    return ca.Function("replay_dae", [t, x, ca.MX.sym("z", 0), p, ca.MX.sym("u", 0)],
                       [ode(t, x, p), empty, empty, empty], ["t", "x", "z", "p", "u"],
                       ["ode", "alg", "quad", "zero"], {"ad_weight": 0, "ad_weight_sp": 0})


def _simulator(model, tr: Transcription, method: dict, simulators: dict | None):
    """The interval simulator for ``method``, built once per ``simulators`` dict: the
    per-interval and open-loop replays of one solution share it (the stiff one
    differentiates the ODE when it is made: 7 to 9 s of CPU for the Falisse model)."""
    if simulators is None:
        return _interval_simulator(model, tr, method)
    key = tuple(sorted(method.items()))
    if key not in simulators:
        simulators[key] = _interval_simulator(model, tr, method)
    return simulators[key]


def dynamics_errors(model, tr: Transcription, X: np.ndarray, U: np.ndarray,
                    t0: float, tf: float, local: np.ndarray | None = None,
                    simulators: dict | None = None) -> tuple[float, float]:
    """(per-interval, open-loop) largest absolute state deviation, in state units.

    ``X`` (nx, n_points) and ``U`` (nu, n_points) are the collocated states and
    controls; ``local``, if given, the :func:`interval_errors` already computed.
    Returns NaN for a part whose integration fails with both the non-stiff and
    the stiff method. ``simulators``: a dict shared with :func:`interval_state_errors`
    for the same model and transcription, so that each simulator is built once.
    """
    local = largest_per_interval(interval_state_errors(model, tr, X, U, t0, tf, simulators)) \
        if local is None else local
    open_loop = _open_loop_error(model, tr, X, U, t0, tf, NON_STIFF, simulators)
    if math.isnan(open_loop):
        open_loop = _open_loop_error(model, tr, X, U, t0, tf, STIFF, simulators)
    return (float(np.max(local)) if local.size else 0.0), open_loop


def interval_errors(model, tr: Transcription, X: np.ndarray, U: np.ndarray,
                    t0: float, tf: float) -> np.ndarray:
    """Each interval's largest absolute state deviation, (N,), in state units.

    Each interval is re-simulated from its own collocated start state, so the
    errors do not accumulate: they say where the mesh is too coarse. NaN for
    all intervals when the integration fails with both methods.
    """
    return largest_per_interval(interval_state_errors(model, tr, X, U, t0, tf))


def interval_state_errors(model, tr: Transcription, X: np.ndarray, U: np.ndarray,
                          t0: float, tf: float, simulators: dict | None = None) -> np.ndarray:
    """Each state's largest absolute deviation in each interval, (nx, N), in its unit.

    As :func:`interval_errors`, state by state (each state against its own
    scale: :mod:`ocp.engine.accuracy`). NaN everywhere when the integration
    fails with both methods.
    """
    local = _local_errors(model, tr, X, U, t0, tf, NON_STIFF, simulators)
    if np.any(np.isnan(local)):
        local = _local_errors(model, tr, X, U, t0, tf, STIFF, simulators)
    return local


def largest_per_interval(by_state: np.ndarray) -> np.ndarray:
    """(nx, N) state deviations -> (N,) the largest of each interval (0 with no state)."""
    if by_state.shape[0] == 0:
        return np.zeros(by_state.shape[1])
    return by_state.max(axis=0)


def _replay_parameters(model, tr, X, U, t0, tf):
    """Per-interval CVODES parameters [h; t_start; controls; discrete change] and targets."""
    discrete = [model.state_names.index(n) for n in model.discrete_state_names]
    params, targets = [], []
    starts = t0 + (tf - t0) * tr.mesh_points[:-1]
    for k, h in enumerate((tf - t0) * tr.interval_fractions):
        cols = tr.interval_columns(k)
        change = X[discrete, cols.stop - 1] - X[discrete, cols.start]
        controls = U[:, cols][:, tr.control_points].ravel(order="F")
        params.append(np.concatenate([[h, starts[k]], controls, change]))
        targets.append(X[:, cols][:, 1:])
    return np.array(params).T, targets


def _local_errors(model, tr, X, U, t0, tf, method, simulators=None):
    sim = _simulator(model, tr, method, simulators)
    N, p = tr.intervals, tr.points_per_interval - 1
    P, targets = _replay_parameters(model, tr, X, U, t0, tf)
    try:
        x0 = X[:, [tr.interval_columns(k).start for k in range(N)]]
        xf = np.array(sim.map(N)(x0=x0, p=P)["xf"])
    except RuntimeError:
        return np.full((model.nx, N), np.nan)
    if not xf.size:
        return np.zeros((model.nx, N))
    deviation = np.abs(xf - np.hstack(targets))  # (nx, N p)
    return deviation.reshape(model.nx, N, p).max(axis=2)


def _open_loop_error(model, tr, X, U, t0, tf, method, simulators=None):
    sim = _simulator(model, tr, method, simulators)
    P, targets = _replay_parameters(model, tr, X, U, t0, tf)
    try:
        x = X[:, 0]
        open_loop = 0.0
        for k in range(tr.intervals):
            xf = np.array(sim(x0=x, p=P[:, k])["xf"])
            open_loop = max(open_loop, float(np.max(np.abs(xf - targets[k]))))
            x = xf[:, -1]
            if not np.all(np.isfinite(x)):
                return float("inf")
    except RuntimeError:
        return float("nan")
    return open_loop
