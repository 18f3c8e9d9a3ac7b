"""``[solver]``: IPOPT's tolerances, iterations, Hessian, linear solver and graph."""
from __future__ import annotations

import math

from ocp.engine.solver import check_ipopt_options
from ocp.errors import ProblemError
from ocp.io.tables import TableReader
from ocp.problem import SolverOptions

#: IPOPT's linear solvers; CasADi's wheel ships MUMPS and SPRAL, the HSL ones
#: (ma27 ...) need the user's own HSL library.
LINEAR_SOLVERS = ("mumps", "spral", "ma27", "ma57", "ma77", "ma86", "ma97", "pardiso")


def read_solver(reader: TableReader) -> SolverOptions:
    """The solver options of a ``[solver]`` table; ``[solver.ipopt]`` passes any IPOPT option."""
    reader.only({"tolerance", "constraint_tolerance", "max_iterations", "hessian",
                 "linear_solver", "graph", "compile", "threads", "ipopt", "scale_variables"})
    defaults = SolverOptions()
    ipopt = reader.sub("ipopt").table
    options = SolverOptions(
        tolerance=reader.number("tolerance", defaults.tolerance, minimum=0.0),
        constraint_tolerance=reader.number("constraint_tolerance", minimum=0.0),
        max_iterations=reader.integer("max_iterations", defaults.max_iterations, minimum=0),
        hessian=reader.string("hessian", defaults.hessian, choices=["exact", "limited-memory"]),
        linear_solver=reader.string("linear_solver", defaults.linear_solver,
                                    choices=list(LINEAR_SOLVERS)),
        graph=reader.string("graph", defaults.graph, choices=["sx", "mx", "lifted"]),
        compile=reader.boolean("compile", defaults.compile),
        threads=reader.integer("threads", defaults.threads, minimum=1),
        scale_variables=reader.boolean("scale_variables", defaults.scale_variables),
        ipopt=dict(ipopt))
    for name in ("tolerance", "constraint_tolerance"):
        value = getattr(options, name)
        if value is not None and not (0.0 < value < math.inf):
            raise reader.error(name, f"expected a finite positive number, got {value}")
    try:  # what IPOPT would refuse after the NLP is built, refused now
        check_ipopt_options(options)
    except ProblemError as exc:
        exc.file = reader.file
        raise
    return options
