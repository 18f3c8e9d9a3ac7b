"""IPOPT through CasADi, with exact Hessians from automatic differentiation."""
from __future__ import annotations

import casadi as ca

from .problem import SolverOptions

#: IPOPT's return status when it converged to the requested tolerance.
IPOPT_SUCCESS = "Solve_Succeeded"


#: IPOPT settings that keep a warm start where it is (Ipopt documentation,
#: "warm_start_init_point"): barely pushed off the bounds, small barrier.
WARM_START = {
    "warm_start_init_point": "yes",
    "warm_start_bound_push": 1e-9,
    "warm_start_bound_frac": 1e-9,
    "warm_start_slack_bound_push": 1e-9,
    "warm_start_slack_bound_frac": 1e-9,
    "warm_start_mult_bound_push": 1e-9,
    "mu_init": 1e-6,
}


#: The fill-reducing ordering MUMPS factorises the KKT matrix with: METIS
#: (Karypis & Kumar 1998, nested dissection). A collocation KKT matrix is a
#: chain of interval blocks tied together by a few global unknowns (final
#: time, the periodicity and average-speed rows); nested dissection cuts the
#: chain into independent pieces, where IPOPT's default (MUMPS's automatic
#: choice, AMF on these matrices) fills far more. Moco's 2D tracking problem,
#: the same 30 IPOPT iterations: METIS factors hold 1.76 M numbers and take
#: 1.9 s, AMF's 2.51 M and 4.3 s. (PORD, the 4 of an earlier version, is not
#: in CasADi's MUMPS: MUMPS fell back to its own choice, METIS on the gait
#: problems but AMF on the small torque walk.) A problem file can still set
#: ``[solver.ipopt] mumps_pivot_order``.
#:
#: ``mumps_mem_percent``: the workspace MUMPS allocates above its estimate,
#: at every factorisation. IPOPT's default, 1000 %, spends a sixth of the
#: linear-algebra time in the kernel zeroing fresh pages (same 30
#: iterations: 2.10 s wall with 0.30 s system time, against 1.75 s with
#: 100 %). When the estimate falls short, IPOPT raises the percentage and
#: factorises again.
MUMPS_OPTIONS = {"mumps_pivot_order": 5, "mumps_mem_percent": 100}


def ipopt_options(options: SolverOptions, verbose: bool, warm_start: bool = False) -> dict:
    """CasADi nlpsol options from the problem's solver settings.

    ``verbose`` prints IPOPT's iteration table live on the terminal;
    ``warm_start`` starts from given primal and dual values.
    """
    opts = {
        "print_time": False,
        "ipopt.sb": "yes",
        "ipopt.print_level": 5 if verbose else 0,
        "ipopt.tol": float(options.tolerance),
        "ipopt.max_iter": int(options.max_iterations),
        "ipopt.linear_solver": options.linear_solver,
        "ipopt.hessian_approximation": options.hessian,
    }
    if options.linear_solver == "mumps":
        opts.update({f"ipopt.{k}": v for k, v in MUMPS_OPTIONS.items()})
    if warm_start:
        opts.update({f"ipopt.{k}": v for k, v in WARM_START.items()})
    if options.constraint_tolerance is not None:
        opts["ipopt.constr_viol_tol"] = float(options.constraint_tolerance)
    for key, value in options.ipopt.items():
        opts[f"ipopt.{key}"] = value
    return opts


def make_solver(nlp: dict, options: SolverOptions, verbose: bool = False,
                warm_start: bool = False, functions: dict | None = None) -> ca.Function:
    """IPOPT on ``nlp``; ``functions`` are nlpsol's own derivative functions
    (``jac_g``, ``hess_lag``) where the transcription assembles them."""
    opts = ipopt_options(options, verbose, warm_start)
    opts.update(functions or {})
    return ca.nlpsol("ocp", "ipopt", nlp, opts)
