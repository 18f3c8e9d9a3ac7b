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

from .transcriptions.base import Transcription

TOLERANCE = 1e-10


#: Adams with functional iteration suits the non-stiff dynamics of most
#: movement models and needs no Jacobian; BDF with Newton is the fallback for
#: stiff ones (fast activation dynamics, stiff contact).
NON_STIFF = {"linear_multistep_method": "adams", "nonlinear_solver_iteration": "functional"}
STIFF = {"linear_multistep_method": "bdf", "nonlinear_solver_iteration": "newton"}


def _interval_simulator(model, tr: Transcription, method: dict) -> ca.Function:
    """CVODES over one interval in normalised time: (x0, [h; controls]) -> states at the points."""
    nx, nu = model.nx, model.nu
    nodes = tr.points[tr.control_points]
    tau = ca.SX.sym("tau")
    x = ca.SX.sym("x", nx)
    h = ca.SX.sym("h")
    uc = ca.SX.sym("uc", nu, len(nodes))
    u = 0
    for j, nj in enumerate(nodes):
        basis = 1
        for m, nm in enumerate(nodes):
            if m != j:
                basis = basis * (tau - nm) / (nj - nm)
        u = u + basis * uc[:, j]
    u = u if nu else ca.SX(0, 1)
    ode = h * model.dynamics(x, u)
    # Discrete states (a learned step) are replayed as the transcription holds them:
    # on the straight line between their values at the interval's ends.
    discrete = [model.state_names.index(n) for n in model.discrete_state_names]
    change = ca.SX.sym("change", len(discrete))
    if discrete:
        ode[discrete] = change
    dae = {"x": x, "p": ca.vertcat(h, ca.vec(uc), change), "t": tau, "ode": ode}
    return ca.integrator("replay", "cvodes", dae, 0.0, list(tr.points[1:]),
                         {"abstol": TOLERANCE, "reltol": TOLERANCE,
                          "max_num_steps": 100000, **method})


def dynamics_errors(model, tr: Transcription, X: np.ndarray, U: np.ndarray,
                    t0: float, tf: float) -> tuple[float, float]:
    """(per-interval, open-loop) largest absolute state deviation, in state units.

    ``X`` (nx, n_points) and ``U`` (nu, n_points) are the collocated states and
    controls. Returns NaN for a part whose integration fails with both the
    non-stiff and the stiff method.
    """
    local, open_loop = _errors(model, tr, X, U, t0, tf, NON_STIFF)
    if math.isnan(local) or math.isnan(open_loop):
        local_stiff, open_loop_stiff = _errors(model, tr, X, U, t0, tf, STIFF)
        local = local_stiff if math.isnan(local) else local
        open_loop = open_loop_stiff if math.isnan(open_loop) else open_loop
    return local, open_loop


def _errors(model, tr, X, U, t0, tf, method):
    sim = _interval_simulator(model, tr, method)
    N = tr.intervals
    h = (tf - t0) / N
    params, targets = [], []
    discrete = [model.state_names.index(n) for n in model.discrete_state_names]
    for k in range(N):
        cols = tr.interval_columns(k)
        change = X[discrete, cols.stop - 1] - X[discrete, cols.start]
        params.append(np.concatenate([[h], U[:, cols][:, tr.control_points].ravel(order="F"),
                                      change]))
        targets.append(X[:, cols][:, 1:])
    P = np.array(params).T
    try:
        x0 = X[:, [tr.interval_columns(k).start for k in range(N)]]
        xf = np.array(sim.map(N)(x0=x0, p=P)["xf"])
        local = float(np.max(np.abs(xf - np.hstack(targets)))) if xf.size else 0.0
    except RuntimeError:
        local = float("nan")
    try:
        x = X[:, 0]
        open_loop = 0.0
        for k in range(N):
            xf = np.array(sim(x0=x, p=P[:, k])["xf"])
            open_loop = max(open_loop, float(np.max(np.abs(xf - targets[k]))))
            x = xf[:, -1]
            if not np.all(np.isfinite(x)):
                open_loop = float("inf")
                break
    except RuntimeError:
        open_loop = float("nan")
    return local, open_loop
