"""IPOPT through CasADi, with exact Hessians from automatic differentiation."""
from __future__ import annotations

import casadi as ca

from .problem import SolverOptions

#: IPOPT's return status when it converged to the requested tolerance.
IPOPT_SUCCESS = "Solve_Succeeded"


def ipopt_options(options: SolverOptions, verbose: bool) -> dict:
    """CasADi nlpsol options from the problem's solver settings.

    ``verbose`` prints IPOPT's iteration table live on the terminal.
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
    if options.constraint_tolerance is not None:
        opts["ipopt.constr_viol_tol"] = float(options.constraint_tolerance)
    for key, value in options.ipopt.items():
        opts[f"ipopt.{key}"] = value
    return opts


def make_solver(nlp: dict, options: SolverOptions, verbose: bool = False) -> ca.Function:
    return ca.nlpsol("ocp", "ipopt", nlp, ipopt_options(options, verbose))
