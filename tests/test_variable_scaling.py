"""``[solver] scale_variables`` (ocp/engine/scaling.py): each trajectory variable of the
NLP divided by the larger magnitude of its bounds, as PredSim scales its states and
controls. The optimum must not move: the reference is the same problem solved
unscaled, and the decision vector must read back in SI units."""
from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import PROBLEMS

import ocp
from ocp.engine.nlp import transcribe
from ocp.engine.scaling import trajectory_scales
from ocp.errors import ProblemError
from ocp.solve import solve

PENDULUM = PROBLEMS / "pendulum_swingup.toml"


@pytest.fixture(scope="module")
def solved():
    out = {}
    for scaled in (False, True):
        problem = ocp.load_problem(PENDULUM, {"solver.scale_variables": scaled})
        out[scaled] = (problem, solve(problem))
    return out


def test_scaled_variables_reach_the_unscaled_optimum(solved):
    (_, plain), (_, scaled) = solved[False], solved[True]
    assert plain.status == "success" and scaled.status == "success"
    assert scaled.objective == pytest.approx(plain.objective, rel=1e-6)
    assert np.max(np.abs(scaled.states - plain.states)) < 1e-4 * np.max(np.abs(plain.states))


def test_scaled_bounds_are_of_order_one_and_read_back_in_si(solved):
    problem, solution = solved[True]
    tp = transcribe(problem)
    model = problem.model
    scale = trajectory_scales(problem, model, tp.nz)
    bounds = problem.merged_bounds()
    names = list(model.state_names) + list(model.control_names)
    for i, name in enumerate(names):
        lo, hi = bounds.get(name, (-math.inf, math.inf))
        if math.isfinite(lo) and math.isfinite(hi) and max(abs(lo), abs(hi)) > 0:
            assert scale[i] == max(abs(lo), abs(hi))
    assert np.any(scale != 1.0)
    finite = np.isfinite(tp.ubx) & np.isfinite(tp.lbx)   # the pendulum's final time is fixed
    assert np.all(np.maximum(np.abs(tp.lbx), np.abs(tp.ubx))[finite] <= 1.0 + 1e-12)
    X, U = solution.states.T, solution.controls.T
    w = tp.pack(X, U, np.zeros((0, X.shape[1])), solution.final_time)
    k = X.shape[1] // 2                                  # the NLP holds scaled values
    assert np.allclose(w[k * (X.shape[0] + U.shape[0]):][:X.shape[0]], X[:, k] / scale[:X.shape[0]])
    X2, U2, _, _ = (np.array(a) for a in tp.unpack(w))
    assert np.allclose(X2, X, rtol=0, atol=1e-12) and np.allclose(U2, U, rtol=0, atol=1e-12)


def test_scale_variables_must_be_a_boolean(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(PENDULUM.read_text().replace("[solver]", "[solver]\nscale_variables = 3"))
    with pytest.raises(ProblemError) as err:
        ocp.load_problem(path)
    assert err.value.key == "solver.scale_variables"
