"""ocp: predictive simulation of human and animal movement by direct collocation.

    import ocp
    problem = ocp.load_problem("problems/pendulum_swingup.toml")
    solution = ocp.solve(problem)
    solution.state("pendulum"), solution.cost_terms, solution.status
"""
# The features that report on every solve register their reporters when
# imported (ocp.engine.reports): tracking errors, surrogate ranges, fitted
# muscle geometry, estimated parameters.
import ocp.analysis.tracking  # noqa: E402,F401
import ocp.estimation.uncertainty  # noqa: E402,F401
import ocp.models.surrogate  # noqa: E402,F401
import ocp.osim.model  # noqa: E402,F401
from ocp.costs import (
    CostTerm,
    CustomCost,
    FinalTime,
    PointVariables,
    SquaredActivations,
    SquaredControls,
    SquaredTorque,
    Tracking,
)
from ocp.errors import ProblemError
from ocp.models import CustomModel, Model, build_model
from ocp.problem import PathConstraint, Problem, SolverOptions
from ocp.solution import Solution
from ocp.solve import solve
from ocp.transcriptions import HermiteSimpson, Radau, Trapezoidal

__version__ = "0.1.0"

__all__ = ["CostTerm", "CustomCost", "FinalTime", "PointVariables", "SquaredActivations",
           "SquaredControls",
           "SquaredTorque", "Tracking", "ProblemError", "CustomModel", "Model",
           "build_model", "PathConstraint", "Problem", "SolverOptions", "Solution",
           "solve", "HermiteSimpson", "Radau", "Trapezoidal", "load_problem"]


def load_problem(path, overrides=None):
    """Read and validate a TOML problem file into a Problem (see ocp.io.problem_file)."""
    from ocp.io.problem_file import load_problem as _load
    return _load(path, overrides)
