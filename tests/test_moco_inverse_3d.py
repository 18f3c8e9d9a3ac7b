"""problems/gait3d_inverse.toml: MocoInverse on the 3D trial (gait2392's 92 muscles,
subject01's IK angles and force plates), checked against a second method.

- The identity: the muscles' moments (recomputed from the solved activations
  along the kinematics, outside the NLP) plus the reserves equal the
  generalised forces of `ocp id`'s equations (ocp.analysis.id_tool: the whole
  23-coordinate tree of the .osim file, subtalar and mtp at the 0 the problem
  holds them at, each ExternalForce on its body) at the same angles, speeds
  and accelerations, to the solver's tolerance.
- Bad input: a body of the ExternalLoads the model lacks, one line naming the key.
Skipped when ../shared/data (the muscled model, read in place) is absent.
"""
from pathlib import Path

import numpy as np
import pytest
from bad_input import loads_with_body
from conftest import PROBLEMS

import ocp
from ocp.analysis.id_tool import inverse_dynamics_function, load_arrays
from ocp.analysis.inverse_dynamics import coordinate_values
from ocp.analysis.muscle_redundancy import MuscleStates, kinematics_from_samples, muscle_moments
from ocp.analysis.reserves import RESERVE_SHARE
from ocp.data.external_loads import read_external_loads
from ocp.data.files import read
from ocp.errors import ProblemError
from ocp.models.multibody import REVOLUTE

FILE = PROBLEMS / "gait3d_inverse.toml"
DATA = PROBLEMS / "data" / "walking3d"
MODEL = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "walking3d" / \
    "subject01_simbody.osim"
pytestmark = pytest.mark.skipif(not MODEL.exists(), reason="../shared/data is absent")
LEGS = ("hip_flexion", "hip_adduction", "hip_rotation", "knee_angle", "ankle_angle")


@pytest.fixture(scope="module")
def solved():
    problem = ocp.load_problem(FILE)
    return problem, ocp.solve(problem)


@pytest.mark.slow
def test_muscles_and_reserves_make_the_generalised_forces_of_ocp_id(solved):
    from ocp.osim.spatial_skeleton import read_spatial, spatial_tree
    problem, s = solved
    assert s.status == "success"
    assert isinstance(problem.model, MuscleStates)
    model = problem.model.source
    t = np.asarray(s.time)
    table = read(DATA / "subject01_walk1_ik.mot")
    kinds = model.coordinate_kinds()
    q = np.column_stack([coordinate_values(table, c, "rad" if kinds[c] == REVOLUTE else "m")
                         for c in model.tree.coordinates])
    loads = read_external_loads(DATA / "subject01_walk1_grf.xml")
    kin = kinematics_from_samples(model, table.time_s, q, loads=loads, grid=t)
    activations = np.column_stack([s.state(f"{m.name}_activation") for m in model.muscles])
    muscles = muscle_moments(model, kin, t, activations)
    # ocp id's equations on the file's whole tree, the held coordinates at 0
    full = spatial_tree(read_spatial(MODEL))
    assert full.n == model.tree.n + 4
    columns = [full.coordinates.index(c) for c in model.tree.coordinates]
    Q, QD, QDD = (np.zeros((t.size, full.n)) for _ in range(3))
    for X, x in ((Q, kin.q), (QD, kin.qd), (QDD, kin.qdd)):
        X[:, columns] = x
    F, P, T = load_arrays(loads, t)
    second = np.array(inverse_dynamics_function(full, loads).map(t.size)(
        Q.T, QD.T, QDD.T, F.T, P.T, T.T)).T[:, columns]
    for i, c in enumerate(model.tree.coordinates):
        total = muscles[:, i] + model.reserves[c] * s.control(f"reserve_{c}")
        scale = np.max(np.abs(second[:, i]))
        assert np.max(np.abs(total - second[:, i])) < 2e-3 * scale + 1e-3, c
    # the legs' muscles carry their moments; the pelvis' reserves are its residuals
    assert all(s.reserves[f"{j}_{side}"]["share"] < RESERVE_SHARE
               for j in LEGS for side in "rl")
    for c in ("pelvis_tx", "pelvis_ty", "pelvis_tz"):
        assert s.reserves[c]["kind"] == "residual" and s.reserves[c]["share"] > 0.99


@pytest.mark.slow
def test_a_body_the_3d_model_lacks_is_named(tmp_path):
    bad = loads_with_body(tmp_path, DATA / "subject01_walk1_grf.xml", "calcn_r", "calcaneus_r")
    with pytest.raises(ProblemError) as info:
        ocp.load_problem(FILE, {"external_loads.file": str(bad)})
    message = str(info.value)
    assert "external_loads.file" in message and "calcaneus_r" in message, message


@pytest.mark.slow
def test_loads_in_a_3d_muscle_models_forward_dynamics_are_refused_in_one_line(tmp_path):
    text = FILE.read_text()
    start = text.index("\n[kinematics]")
    forward = (text[:start] + '[time]\nstart = "0.6 s"\nfinal = "1.2 s"\n\n'
               + text[text.index("\n[external_loads]"):])
    forward = forward.replace('"../../shared', f'"{PROBLEMS}/../../shared').replace(
        '"data/walking3d', f'"{DATA}')
    (tmp_path / "forward.toml").write_text(forward)
    with pytest.raises(ProblemError) as info:
        ocp.load_problem(tmp_path / "forward.toml")
    message = str(info.value)
    assert "external_loads.file" in message and "not built" in message, message
