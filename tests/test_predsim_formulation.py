"""PredSim's formulation in our vocabulary (issue 23): the scaled, averaged joint-
acceleration term, the distance constraints between body origins, and (slow, with
PredSim's reference result present) PredSim's own solution scored by
problems/predsim_falisse2022.toml term by term against PredSim's values of the terms.

PredSim's reference result (AGPL-3.0, read in place, never copied) is its
``Tests/ReferenceResults/Falisse_et_al_2022/Falisse_et_al_2022_paper.mat``: give its path
in OCP_PREDSIM_REFERENCE, or put it in ../shared/data/predsim/; the slow test skips
without it.
"""
from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

import casadi as ca
import numpy as np
import pytest
from conftest import PROBLEMS, ROOT

import ocp
from ocp.costs.base import PointVariables
from ocp.costs.squared_accelerations import SquaredAccelerations
from ocp.errors import ProblemError
from ocp.io.problem_file.distances import DistanceConstraint
from ocp.io.tables import TableReader

FALISSE = ROOT.parent / "shared" / "data" / "models3d" / "Falisse_et_al_2022.osim"
REFERENCE = Path(os.environ.get("OCP_PREDSIM_REFERENCE", ROOT.parent / "shared" / "data" /
                                "predsim" / "Falisse_et_al_2022_paper.mat"))
WALK = PROBLEMS / "gait2d_torque.toml"


@pytest.fixture(scope="module")
def walk_model():
    return ocp.load_problem(WALK, {"transcription.intervals": 4}).model


def accelerations_term(model, term, qdd):
    z = ca.SX.sym("z", len(model.algebraic_names))
    v = PointVariables(model, ca.SX.sym("t"), ca.SX.sym("x", len(model.state_names)),
                       ca.SX.sym("u", len(model.control_names)), z)
    return float(ca.Function("L", [z], [term.integrand(v)])(qdd))


def test_accelerations_scaled_and_averaged_over_chosen_coordinates(walk_model):
    names = [n[:-len("_acceleration")] for n in walk_model.algebraic_names]
    qdd = np.random.default_rng(0).normal(scale=50.0, size=len(names))
    chosen = (names[0], names[3], names[4])
    scales = {names[0]: 19.8, names[4]: 441.8}
    term = SquaredAccelerations("acc", coordinates=chosen, scales=scales, reduction="mean")
    expected = np.mean([(qdd[names.index(c)] / scales.get(c, 1.0)) ** 2 for c in chosen])
    assert accelerations_term(walk_model, term, qdd) == pytest.approx(expected, rel=1e-14)
    # without the options: the sum over every coordinate, as before them
    assert accelerations_term(walk_model, SquaredAccelerations("acc"), qdd) == \
        pytest.approx(float(np.sum(qdd ** 2)), rel=1e-14)


@pytest.mark.parametrize("extra, key, words", [
    ('coordinates = ["hip_flexion_rr"]', "costs.smoothness.coordinates", "hip_flexion_r"),
    ("[costs.smoothness.scales]\nknee_angle_x = 2", "costs.smoothness.scales.knee_angle_x",
     "unknown coordinate"),
    ("[costs.smoothness.scales]\nknee_angle_r = 0", "costs.smoothness.scales.knee_angle_r",
     "positive"),
])
def test_bad_acceleration_options_name_the_key(tmp_path, extra, key, words):
    text = WALK.read_text().replace('weight = 1e-6                         # error 25',
                                    'weight = 1e-6\n' + extra + '\n# error 25')
    assert text != WALK.read_text()
    path = tmp_path / "walk.toml"
    path.write_text(text)
    with pytest.raises(ProblemError) as err:
        ocp.load_problem(path)
    assert err.value.key == key and words in str(err.value)


class Origins:
    """What a 3D model tells the constraint reader: its outputs, body origins included."""

    def output_units(self):
        return {f"{b}_origin_{k}": "m" for b in ("calcn_r", "calcn_l", "torso") for k in "xyz"}


class Point:
    def __init__(self, values):
        self.values = values

    def output(self, name):
        return self.values[name]


def test_distance_constraint_bounds_the_squared_distance_in_the_plane():
    reader = TableReader({"type": "distance", "bodies": ["calcn_r", "calcn_l"],
                          "lower": "9 cm", "upper": "2 m"}, "constraints.feet", "p.toml")
    c = DistanceConstraint.from_table("feet", reader, Origins())
    pc = c.path_constraint()
    assert (pc.lower, pc.upper) == (pytest.approx(0.0081), pytest.approx(4.0))
    p = {"calcn_r_origin_x": 0.3, "calcn_r_origin_y": 0.05, "calcn_r_origin_z": 0.08,
         "calcn_l_origin_x": -0.1, "calcn_l_origin_y": 0.4, "calcn_l_origin_z": -0.05}
    # seen from above: x and z only (y, the height, left out), 0.4^2 + 0.13^2
    assert float(pc.function(Point(p))) == pytest.approx(0.4 ** 2 + 0.13 ** 2, rel=1e-15)
    three = DistanceConstraint.from_table("feet", TableReader(
        {"type": "distance", "bodies": ["calcn_r", "calcn_l"], "plane": "xyz"}, "c", "p.toml"),
        Origins())
    assert float(three.squared_distance(Point(p))) == pytest.approx(0.16 + 0.35 ** 2 + 0.0169)


@pytest.mark.parametrize("table, key, words", [
    ({"bodies": ["calcn_r"]}, "constraints.feet.bodies", "two body names"),
    ({"bodies": ["calcn_r", "calcn_ll"]}, "constraints.feet.bodies", "calcn_l"),
    ({"bodies": ["calcn_r", "calcn_l"], "plane": "xw"}, "constraints.feet.plane", "xz"),
    ({"bodies": ["calcn_r", "calcn_l"], "lower": "0.3 m", "upper": "0.2 m"},
     "constraints.feet.upper", "must exceed lower"),
    ({"bodies": ["calcn_r", "calcn_l"], "lower": "3 s"}, "constraints.feet.lower", "m"),
])
def test_bad_distance_constraints_name_the_key(table, key, words):
    reader = TableReader({"type": "distance", **table}, "constraints.feet", "p.toml")
    with pytest.raises(ProblemError) as err:
        DistanceConstraint.from_table("feet", reader, Origins())
    assert err.value.key == key and words in str(err.value)


def test_an_unknown_constraint_type_is_refused(tmp_path):
    path = tmp_path / "walk.toml"
    path.write_text(WALK.read_text() + '\n[constraints.feet]\ntype = "distanse"\n')
    with pytest.raises(ProblemError) as err:
        ocp.load_problem(path)
    assert err.value.key == "constraints.feet.type" and "distance" in str(err.value)


@pytest.mark.slow
@pytest.mark.skipif(not FALISSE.exists() or not REFERENCE.exists(),
                    reason="the Falisse model or PredSim's reference result is absent")
def test_predsim_solution_scored_by_our_problem_file():
    """Each of our cost terms of PredSim's own solution, at its collocation points with
    its quadrature, beside PredSim's value of the same term (its .mat): the terms that
    do not depend on the muscle model agree to 1e-3, the metabolic rate to 2 %."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from predsim_reference import TERMS, point_values, read_reference, score_predsim_quadrature

    ref = read_reference(REFERENCE)
    assert ref.objective == pytest.approx(339.98777436, rel=1e-9)   # the log's unscaled value
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        problem = ocp.load_problem(PROBLEMS / "predsim_falisse2022.toml",
                                   {"solver.compile": False})
    ours = score_predsim_quadrature(problem, ref)
    for label, name in TERMS.items():
        tolerance = 0.02 if name == "metabolic" else 1e-3
        assert ours[name] == pytest.approx(ref.terms[label], rel=tolerance), label
    # PredSim's solution keeps its own distance constraints; our kinematics agree
    model = problem.model
    X, U, Z = point_values(model, ref, "mesh")
    x, u = ca.SX.sym("x", X.shape[0]), ca.SX.sym("u", U.shape[0])
    z, t = ca.SX.sym("z", Z.shape[0]), ca.SX.sym("t")
    for pc in problem.path_constraints:
        fun = ca.Function("c", [t, x, u, z], [pc.function(PointVariables(model, t, x, u, z))])
        values = np.asarray(fun.map(X.shape[1])(0.0, X, U, Z)).ravel()
        assert values.min() >= pc.lower * (1 - 1e-3) and values.max() <= pc.upper, pc.name
