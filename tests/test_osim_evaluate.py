"""``ocp models FILE.osim --evaluate STATES.json --out VALUES.json`` against OpenSim.

The same STATES.json goes to the command (in this process) and to
tests/opensim_model_values.py (OpenSim, in a subprocess); the mass matrix, the
bias and gravity forces, marker and body origin positions and contact forces
must agree to 1e-6 relative (of each quantity's largest entry in the sample,
or 1 N for contact forces), Rajagopal's knee speeds held at zero where OpenSim's
velocity forces are off (tests/test_osim3d_opensim.py). Both evaluate the same
formulas in double precision (Newton-Euler here, Simbody's recursions there), so
~1e-16 (~1e-13 for contact forces) is what is measured and printed. Where the
exact 3D muscle paths are in the build, lengths and moment arms (-dL/dq) are held
against OpenSim's lengths and their central difference too. Bad STATES.json
files: one line naming the file and the key, exit 2.
Skipped when OpenSim or ../shared/data/models3d is absent.
"""
import json

import casadi as ca
import numpy as np
import pytest
from opensim_values import (
    FALISSE,
    GAIT2392,
    HAS_OPENSIM,
    RAJAGOPAL,
    opensim_values,
    reference_values,
)

from ocp.cli import EXIT_BAD_INPUT, EXIT_OK, main
from ocp.osim.evaluate import ModelEvaluator

RTOL = 1e-6
#: the exact 3D muscle paths (lengths and moment arms in VALUES.json) are in this build
MODELS = [GAIT2392, RAJAGOPAL, FALISSE]
IDS = ["gait2392", "Rajagopal2016", "Falisse2022"]


def evaluate_with_cli(model, states, tmp_path, capsys):
    states_path, out = tmp_path / "states.json", tmp_path / "values.json"
    states_path.write_text(json.dumps(states))
    assert main(["models", str(model), "--evaluate", str(states_path), "--out", str(out)]) \
        == EXIT_OK
    assert str(out) in capsys.readouterr().out
    return json.loads(out.read_text())


def relative(ours, expected, floor=0.0) -> float:
    ours, expected = np.asarray(ours, float), np.asarray(expected, float)
    return float(np.abs(ours - expected).max() / max(np.abs(expected).max(), floor))


def compare(ours, reference, contacts_floor_N=1.0) -> dict:
    """Worst relative difference of each quantity over the samples."""
    assert ours["coordinates"] == reference["coordinates"]
    worst = {}
    for mine, theirs in zip(ours["samples"], reference["samples"]):
        found = {
            "mass_matrix": relative(mine["mass_matrix"], theirs["mass_matrix"]),
            "bias_and_gravity_tau": relative(mine["bias_and_gravity_tau"],
                                             theirs["bias_and_gravity_tau"]),
        }
        for key, floor in (("marker_positions", 0.0), ("body_origin_positions", 0.0),
                           ("contact_forces", contacts_floor_N)):
            assert set(mine[key]) == set(theirs[key]), key
            if theirs[key]:
                names = sorted(theirs[key])
                found[key] = relative([mine[key][n] for n in names],
                                      [theirs[key][n] for n in names], floor)
        for key, value in found.items():
            worst[key] = max(worst.get(key, 0.0), value)
    return worst


@pytest.mark.skipif(not HAS_OPENSIM, reason="opensim is not installed")
@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_evaluate_matches_opensim_at_random_states(model, tmp_path, capsys):
    """Two random states and one at rest (opensim_values.reference_values)."""
    if not model.exists():
        pytest.skip(f"{model} is absent")
    states, reference = reference_values(model)
    ours = evaluate_with_cli(model, states, tmp_path, capsys)
    worst = compare(ours, reference)
    print(f"\n{model.name}: " + ", ".join(f"{k} {v:.1e}" for k, v in worst.items()))
    assert set(worst) >= {"mass_matrix", "bias_and_gravity_tau", "body_origin_positions"}
    assert all(v <= RTOL for v in worst.values()), worst
    compare_muscles(model, ours, reference)


def standing_states(model, rng, count):
    """Postures near standing (every coordinate within 0.15 of 0, in its range),
    lowered until the lowest contact sphere is 1 to 8 mm deep; speeds ~ N(0, 0.3),
    the pelvis sliding up to 1.5 m/s in x and z."""
    evaluator = ModelEvaluator(model)
    tree, names = evaluator.tree, list(evaluator.coordinates)
    q_sym = ca.SX.sym("q", tree.n)
    states = tree.body_states(q_sym)
    bottoms = ca.Function("bottoms", [q_sym], [ca.vertcat(*[
        (tree.point_kinematics(states[c.body], c.sphere.center_m)[0][1] - c.sphere.radius_m)
        for c in evaluator.contacts])])
    samples = []
    for _ in range(count):
        q = np.array([rng.uniform(-0.15, 0.15) for _ in names])
        q[names.index("pelvis_ty")] = 0.0
        lowest = float(np.min(np.array(bottoms(q))))
        q[names.index("pelvis_ty")] = -lowest - rng.uniform(0.001, 0.008)
        u = rng.normal(scale=0.3, size=len(names))
        u[names.index("pelvis_tx")] = rng.uniform(-1.5, 1.5)
        u[names.index("pelvis_tz")] = rng.uniform(-1.5, 1.5)
        samples.append({"q": q.tolist(), "u": u.tolist()})
    return {"coordinates": names, "samples": samples}


@pytest.mark.skipif(not HAS_OPENSIM, reason="opensim is not installed")
def test_evaluate_contact_forces_of_falisse_match_opensim_with_feet_on_the_ground(
        tmp_path, capsys):
    """The 12 spheres of Falisse et al. 2022, the feet a few millimetres in the floor
    and sliding: normal and friction forces (no sphere of these states slips within
    the kink band, where tests/test_spatial_contact.py bounds the difference)."""
    if not FALISSE.exists():
        pytest.skip(f"{FALISSE} is absent")
    states = standing_states(FALISSE, np.random.default_rng(22), 4)
    ours = evaluate_with_cli(FALISSE, states, tmp_path, capsys)
    reference = opensim_values(FALISSE, states, tmp_path)
    loaded = sum(f[1] > 10.0 for s in reference["samples"]
                 for f in s["contact_forces"].values())
    assert len(reference["samples"][0]["contact_forces"]) == 12 and loaded >= 4
    worst = compare(ours, reference)
    print(f"\nFalisse2022 on the ground ({loaded} spheres loaded): "
          + ", ".join(f"{k} {v:.1e}" for k, v in worst.items()))
    assert all(v <= RTOL for v in worst.values()), worst


def compare_muscles(model, ours, reference):
    """Exact path lengths (wrapping included) to 1e-6 of each length, moment arms -dL/dq
    to 1e-6 of the largest, against minus the central difference of OpenSim's lengths;
    OpenSim's computeMomentArm is printed beside it (off for some wrapped paths)."""
    worst_length = worst_arm = worst_opensim = 0.0
    where = ""
    for mine, theirs in zip(ours["samples"], reference["samples"]):
        assert set(mine["muscle_tendon_length"]) == set(theirs["muscle_tendon_length"])
        scale = max(abs(a) for arms in theirs["moment_arms_from_length"].values()
                    for a in arms.values())
        for muscle, length in theirs["muscle_tendon_length"].items():
            worst_length = max(worst_length,
                               abs(mine["muscle_tendon_length"][muscle] - length) / length)
            for c, arm in theirs["moment_arms_from_length"][muscle].items():
                worst_arm = max(worst_arm, abs(mine["moment_arms"][muscle][c] - arm) / scale)
                off = abs(theirs["moment_arms"][muscle][c] - arm)
                if off > worst_opensim:
                    worst_opensim, where = off, f"{muscle} about {c}"
    print(f"\n{model.name}: length {worst_length:.1e}, moment arm {worst_arm:.1e} (relative); "
          f"OpenSim's computeMomentArm vs -dL/dq: {worst_opensim:.1e} m ({where})")
    assert worst_length <= RTOL and worst_arm <= RTOL


BAD_STATES = [
    ("{not json", "not JSON", None),
    ('["a list"]', "JSON object", None),
    ('{"coordinates": ["hip_flexion_r"]}', "missing", "samples"),
    ('{"coordinates": ["hip_flexion_r"], "samples": [{"q": [0]}], "extra": 1}',
     "unknown key", "extra"),
    ('{"coordinates": ["kne_angle_r"], "samples": [{"q": [0]}]}', "did you mean 'knee_angle_r'",
     "coordinates[0]"),
    ('{"coordinates": ["knee_angle_r", "knee_angle_r"], "samples": [{"q": [0, 0]}]}',
     "listed twice", "coordinates[1]"),
    ('{"coordinates": ["knee_angle_r"], "samples": [{"q": [0, 1]}]}', "expected 1",
     "samples[0].q"),
    ('{"coordinates": ["knee_angle_r"], "samples": [{"q": [0], "u": []}]}', "expected 1",
     "samples[0].u"),
    ('{"coordinates": ["knee_angle_r"], "samples": [{"q": ["0.1"]}]}', "finite number",
     "samples[0].q[0]"),
    ('{"coordinates": ["knee_angle_r"], "samples": [{"q": [NaN]}]}', "finite number",
     "samples[0].q[0]"),
    ('{"coordinates": ["knee_angle_r"], "samples": [{"qd": [0]}]}', "unknown key",
     "samples[0].qd"),
    ('{"coordinates": ["knee_angle_r"], "samples": []}', "non-empty", "samples"),
]


@pytest.mark.parametrize("text, words, key", BAD_STATES,
                         ids=[f"bad{k}" for k in range(len(BAD_STATES))])
def test_a_bad_states_file_is_one_line_naming_file_and_key(text, words, key, tmp_path, capsys):
    if not GAIT2392.exists():
        pytest.skip(f"{GAIT2392} is absent")
    states = tmp_path / "states.json"
    states.write_text(text)
    assert main(["models", str(GAIT2392), "--evaluate", str(states), "--out",
                 str(tmp_path / "values.json")]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: ") and str(states) in err
    assert words in err and (key is None or f"key '{key}'" in err), err
    assert "Traceback" not in err and not (tmp_path / "values.json").exists()


def test_evaluate_needs_an_osim_file(tmp_path, capsys):
    assert main(["models", "--evaluate", str(tmp_path / "states.json")]) == EXIT_BAD_INPUT
    assert "FILE.osim" in capsys.readouterr().err
