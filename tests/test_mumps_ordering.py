"""Which fill-reducing ordering MUMPS gets (ocp/engine/solver.py): METIS for KKT matrices of
dense per-point blocks (musculoskeletal models), QAMD for sparser ones."""
import casadi as ca
from conftest import PROBLEMS

import ocp
from ocp.engine.nlp import transcribe
from ocp.engine.solver import (
    AUTOMATIC,
    DENSE_BLOCKS_NNZ_PER_ROW,
    METIS,
    QAMD,
    ipopt_options,
    mumps_pivot_order,
)


def test_the_ordering_follows_the_jacobians_nonzeros_per_row():
    x = ca.SX.sym("x", 40)
    sparse = ca.vertcat(*[x[i] * x[i + 1] for i in range(39)])                 # 2 per row
    dense = ca.vertcat(*[ca.sum1(x) * x[i] for i in range(DENSE_BLOCKS_NNZ_PER_ROW)])
    assert mumps_pivot_order({"x": x, "g": sparse}) == QAMD
    assert mumps_pivot_order({"x": x, "g": dense}) == METIS       # 40 per row
    assert mumps_pivot_order({"x": x, "f": ca.sumsqr(x), "g": ca.SX(0, 1)}) == AUTOMATIC


def test_shipped_walks_get_the_orderings_measured_best():
    # the measurements in ocp/engine/solver.py: QAMD for the torque walk (MUMPS's own choice
    # switches to METIS at 100 intervals), METIS for Moco's walker
    for name, expected in (("gait2d_torque", QAMD), ("moco_2d_walking_tracking", METIS)):
        problem = ocp.load_problem(PROBLEMS / f"{name}.toml", {"solver.compile": False})
        tp = transcribe(problem)
        assert mumps_pivot_order(tp.nlp, tp.solver_functions) == expected, name


def test_a_problem_file_can_choose_the_ordering():
    problem = ocp.load_problem(PROBLEMS / "pendulum_swingup.toml",
                               {"solver.ipopt.mumps_pivot_order": METIS})
    assert ipopt_options(problem.solver, False)["ipopt.mumps_pivot_order"] == METIS
    solution = ocp.solve(problem)
    assert solution.success
