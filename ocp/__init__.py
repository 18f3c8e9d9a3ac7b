"""ocp: predictive simulation of human and animal movement by direct collocation.

    import ocp
    problem = ocp.load_problem("problems/pendulum_swingup.toml")
    solution = ocp.solve(problem)
    solution.state("pendulum"), solution.cost_terms, solution.status

The public surface is ``__all__`` below: the problem and its parts (costs,
transcriptions, models and what models declare they are), ``solve`` and its
``Solution``, the registries of the extension points with ``option`` to
declare a new one's keys, and the one error type of bad input.
"""
# The features that report on every solve register their reporters when
# imported (ocp.engine.reports): tracking errors, surrogate ranges, fitted
# muscle geometry, estimated parameters, reserves' shares, angles that wrap.
import ocp.analysis.angles  # noqa: F401
import ocp.analysis.emg  # noqa: F401
import ocp.analysis.loads_report  # noqa: F401
import ocp.analysis.members  # noqa: F401
import ocp.analysis.tracking  # noqa: F401
import ocp.estimation.uncertainty  # noqa: F401
import ocp.models.surrogate  # noqa: F401
import ocp.models.treadmill  # noqa: F401
import ocp.osim.model  # noqa: F401
from ocp.costs import (
    COST_TYPES,
    ContactDissipation,
    CostTerm,
    CustomCost,
    EndpointVariables,
    FinalTime,
    PointVariables,
    SquaredAccelerations,
    SquaredActivations,
    SquaredControls,
    SquaredTorque,
    Tracking,
)
from ocp.errors import ProblemError
from ocp.io.declarations import Registry, option
from ocp.io.problem_file import load_problem
from ocp.models import (
    MODEL_KINDS,
    ContactModel,
    CustomModel,
    Model,
    MuscleModel,
    TreeModel,
    build_model,
)
from ocp.problem import PathConstraint, Problem, SolverOptions
from ocp.solution import Solution
from ocp.solve import solve
from ocp.transcriptions import TRANSCRIPTIONS, HermiteSimpson, Radau, Transcription, Trapezoidal

__version__ = "0.1.0"

__all__ = [
    # the problem and solving it
    "Problem", "PathConstraint", "SolverOptions", "load_problem", "solve", "Solution",
    "ProblemError",
    # costs
    "COST_TYPES", "CostTerm", "PointVariables", "EndpointVariables", "SquaredControls",
    "SquaredTorque", "SquaredActivations", "SquaredAccelerations", "ContactDissipation",
    "FinalTime", "Tracking", "CustomCost",
    # transcriptions
    "TRANSCRIPTIONS", "Transcription", "Trapezoidal", "HermiteSimpson", "Radau",
    # models
    "MODEL_KINDS", "Model", "CustomModel", "build_model", "TreeModel", "MuscleModel",
    "ContactModel",
    # declaring a new extension
    "Registry", "option",
]
