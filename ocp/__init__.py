"""ocp: predictive simulation of human and animal movement by direct collocation.

    import ocp
    problem = ocp.load_problem("problems/pendulum_swingup.toml")
    solution = ocp.solve(problem)
    solution.state("pendulum"), solution.cost_terms, solution.status
"""
from .costs import (CostTerm, CustomCost, FinalTime, PointVariables, SquaredActivations,
                    SquaredControls, SquaredTorque, Tracking)
from .errors import ProblemError
from .models import CustomModel, Model, build_model
from .problem import PathConstraint, Problem, SolverOptions
from .solution import Solution
from .solve import solve
from .transcriptions import HermiteSimpson, Radau, Trapezoidal

__version__ = "0.1.0"

__all__ = ["CostTerm", "CustomCost", "FinalTime", "PointVariables", "SquaredActivations",
           "SquaredControls",
           "SquaredTorque", "Tracking", "ProblemError", "CustomModel", "Model",
           "build_model", "PathConstraint", "Problem", "SolverOptions", "Solution",
           "solve", "HermiteSimpson", "Radau", "Trapezoidal", "load_problem"]


def load_problem(path, overrides=None):
    """Read and validate a TOML problem file into a Problem (see ocp.problem_file)."""
    from .problem_file import load_problem as _load
    return _load(path, overrides)
