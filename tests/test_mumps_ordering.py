"""Which fill-reducing ordering MUMPS gets (ocp/engine/solver.py): METIS for KKT matrices of
dense per-point blocks (musculoskeletal models), QAMD for sparser ones."""
import casadi as ca
from conftest import PROBLEMS

import ocp
from ocp.engine.nlp import transcribe
from ocp.engine.solver import (
    AUTOMATIC,
    DENSE_BLOCKS_NNZ_PER_ROW,
    DENSE_ROW_NNZ,
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


def test_a_share_of_dense_rows_among_sparse_ones_gets_metis():
    # a 3D model's inverse-dynamics rows among the sparse defects: few nonzeros per
    # row on average, but dense per-point blocks
    x = ca.SX.sym("x", 400)
    sparse = [x[i] * x[i + 1] for i in range(399)]
    dense_row = ca.sum1(x[:DENSE_ROW_NNZ]) ** 2
    assert mumps_pivot_order({"x": x, "g": ca.vertcat(*sparse, dense_row)}) == QAMD  # one row
    assert mumps_pivot_order({"x": x, "g": ca.vertcat(*sparse, *[dense_row] * 5)}) == METIS


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
