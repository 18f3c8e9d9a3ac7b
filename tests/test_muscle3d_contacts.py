"""Contacts of 3D muscle-driven models (ocp.osim.muscles3d) against OpenSim.

gait2392 has no contact; the contact file problems/data/gait3d/falisse2019_contact_spheres.csv
puts Falisse et al. 2019's six spheres on each foot. OpenSim builds the same spheres
with its own API (tests/opensim_add_contacts.py, in a subprocess) and reports each
SmoothSphereHalfSpaceForce at states whose feet press 4 to 15 mm into the floor
(tests/opensim_model_values.py). Our muscle-driven model's reactions, through our own
spatial tree, agree to 1e-6 of the normal force, except where a sphere's slip ratio
lies within 0.1 of OpenSim's kink min(v_rel, 1), which ours smooths: there the
difference is within the closed-form bound of tests/test_spatial_contact.py. The
per-foot ground reaction force output is the sum of OpenSim's sphere forces.
Falisse et al. 2022's file carries its own 12 spheres: the muscle-driven model
applies them (they were listed as ignored before).
"""
import math
import subprocess
import sys
import warnings
from pathlib import Path

import casadi as ca
import numpy as np
import pytest
from opensim_values import FALISSE, GAIT2392, HAS_OPENSIM, ROOT, opensim_values

from ocp.errors import ProblemError
from ocp.models.spatial.contact import sphere_velocities
from ocp.osim.contact_file import read_contact_file

SPHERES = ROOT / "problems" / "data" / "gait3d" / "falisse2019_contact_spheres.csv"
RTOL = 1e-6
KINK_BAND = 0.1

needs_models = pytest.mark.skipif(not GAIT2392.exists(), reason="shared 3D models absent")


def muscle_model(path, contacts=None):
    from ocp.osim import build_osim_model
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_osim_model(path, geometry="polynomial", accept_geometry_fit=True,
                                contacts=contacts)


def pressing_states(model, rng, count):
    """Leg angles uniform in half their ranges, the pelvis tilted a little, and the
    pelvis height set so that the deepest sphere sinks 4 to 15 mm; speeds N(0, 0.5)."""
    tree = model.tree
    n = tree.n
    q = ca.SX.sym("q", n)
    depth = ca.Function("depth", [q], [ca.mmax(ca.vertcat(*[
        r.indentation for r in model.ground.reactions(tree, q, ca.SX.zeros(n),
                                                      model.contacts)]))])
    bounds = model.default_bounds()
    samples = []
    for _ in range(count):
        values = np.zeros(n)
        for i, c in enumerate(tree.coordinates):
            lo, hi = bounds.get(c, (-0.2, 0.2))
            lo, hi = max(lo, -1.0), min(hi, 1.0)
            if c.startswith("pelvis"):
                lo, hi = (-0.15, 0.15)
            mid, half = (lo + hi) / 2, (hi - lo) / 4
            values[i] = rng.uniform(mid - half, mid + half)
        i_ty = tree.coordinates.index("pelvis_ty")
        values[i_ty] = 0.0
        values[i_ty] = float(depth(values)) - rng.uniform(0.004, 0.015)
        speeds = rng.normal(scale=0.5, size=n)
        samples.append({"q": values.tolist(), "u": speeds.tolist()})
    return {"coordinates": list(tree.coordinates), "samples": samples}


def ours(model, states):
    """Per sample: {sphere: (force (3,), normal force, slip ratio)}, and the outputs."""
    n, nx, nu = model.tree.n, len(model.state_names), len(model.control_names)
    x, u = ca.SX.sym("x", nx), ca.SX.sym("u", nu)
    pairs = sphere_velocities(model.tree, x[:n], x[n:2 * n], model.contacts)
    rows = []
    for c, (r, v) in zip(model.contacts, pairs):
        normal = ca.DM(c.half_space.normal_in_body())
        slip = v - ca.dot(v, normal) * normal
        ratio = ca.sqrt(ca.dot(slip, slip) + c.sphere.derivative_smoothing) \
            / c.sphere.transition_velocity_m_s
        rows.append(ca.vertcat(r.force, r.normal_force, ratio))
    outputs = model.outputs(x, u)
    names = [k for k in outputs if k.startswith(("grf_", "cop_", "free_moment_"))]
    f = ca.Function("f", [x, u], [ca.horzcat(*rows), ca.vertcat(*[outputs[k] for k in names])])
    out = []
    for s in states["samples"]:
        xs = np.zeros(nx)
        xs[:n], xs[n:2 * n] = s["q"], s["u"]
        table, values = f(xs, np.zeros(nu))
        table = np.array(table)
        out.append(({c.name: (table[:3, k], table[3, k], table[4, k])
                     for k, c in enumerate(model.contacts)},
                    dict(zip(names, np.array(values).ravel()))))
    return out


def compare(model, states, reference, prefix=""):
    """Worst difference (of the normal force) outside the kink band; counts loaded spheres."""
    worst, loaded = 0.0, 0
    for (mine, outputs), theirs in zip(ours(model, states), reference["samples"]):
        feet = {}
        for c in model.contacts:
            force, normal, ratio = mine[c.name]
            expected = np.array(theirs["contact_forces"][prefix + c.name])
            scale = max(abs(normal), 1.0)
            difference = np.abs(force - expected).max()
            if abs(ratio - 1) < KINK_BAND:
                assert difference <= 0.14 * c.sphere.friction_kink_smoothing \
                    * c.sphere.static_friction * abs(normal) + RTOL * scale
            else:
                assert difference <= RTOL * scale, (c.name, force, expected)
                worst = max(worst, difference / scale)
            loaded += normal > 1.0
            foot = c.name.rsplit("_", 1)[-1]
            feet[foot] = feet.get(foot, 0) + expected
        for foot, total in feet.items():
            grf = np.array([outputs[f"grf_{a}_{foot}"] for a in "xyz"])
            assert np.allclose(grf, total, rtol=1e-5, atol=1e-3 + 1e-5 * abs(total[1]))
    return worst, loaded


@pytest.mark.slow   # two models of 92 muscles, OpenSim's values of every muscle: minutes
@needs_models
@pytest.mark.skipif(not HAS_OPENSIM, reason="opensim is not installed")
def test_gait2392_with_falisse2019_spheres_matches_opensim(tmp_path):
    model = muscle_model(GAIT2392, SPHERES)
    assert len(model.contacts) == 12
    with_spheres = tmp_path / "gait2392_spheres.osim"
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "opensim_add_contacts.py"),
                           str(GAIT2392), str(SPHERES), str(with_spheres)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    states = pressing_states(model, np.random.default_rng(23), 8)
    reference = opensim_values(with_spheres, states, tmp_path)
    worst, loaded = compare(model, states, reference, "SmoothSphereHalfSpaceForce_")
    print(f"\ngait2392 + Falisse 2019 spheres vs OpenSim: worst {worst:.1e} of the normal "
          f"force, {loaded} loaded spheres")
    assert loaded >= 8   # each state presses at least one sphere with 1 N or more


@pytest.mark.slow
@pytest.mark.skipif(not FALISSE.exists(), reason="shared 3D models absent")
@pytest.mark.skipif(not HAS_OPENSIM, reason="opensim is not installed")
def test_falisse2022_muscle_model_applies_its_spheres_as_opensim(tmp_path):
    model = muscle_model(FALISSE)
    assert len(model.contacts) == 12
    assert not any("contact" in n for n in model.notes)
    states = pressing_states(model, np.random.default_rng(22), 6)
    reference = opensim_values(FALISSE, states, tmp_path)
    worst, loaded = compare(model, states, reference)
    print(f"\nFalisse 2022 muscle model vs OpenSim: worst {worst:.1e} of the normal force, "
          f"{loaded} loaded spheres")
    assert loaded >= 4   # a sphere rising fast is unloaded by its dissipation (1 + 1.5 c v)


@needs_models
def test_contact_file_bad_input_names_file_line_column_and_value(tmp_path):
    bodies = ("calcn_r", "toes_r")
    header = SPHERES.read_text().splitlines()[7]
    row = "s1_r,calcn_r,0.0,-0.02,0.0,0.032,1e6,2,0.8,0.8,0.5,0.2"
    cases = {
        "radius": (row.replace("0.032", "-0.03"), "line 3: sphere 's1_r': radius_m = '-0.03'; "
                                                  "expected a positive number"),
        "body": (row.replace("calcn_r", "foot_r"), "body 'foot_r' is not a body of the model"),
        "number": (row.replace("1e6", "stiff"), "stiffness_N_m2 = 'stiff'"),
        "count": (row + ",1", "expected 12 values, got 13"),
        "twice": (row + "\n" + row, "sphere 's1_r' is given twice"),
    }
    for name, (rows, message) in cases.items():
        path = tmp_path / f"{name}.csv"
        path.write_text("# a comment\n" + header + "\n" + rows + "\n")
        with pytest.raises(ProblemError, match=message.replace("(", r"\(")) as info:
            read_contact_file(path, bodies)
        assert str(path) in str(info.value) and "\n" not in str(info.value)
    path = tmp_path / "header.csv"
    path.write_text(header.replace("radius_m", "radius") + "\n" + row + "\n")
    with pytest.raises(ProblemError, match="expected the columns"):
        read_contact_file(path, bodies)
    assert len(read_contact_file(SPHERES, ("calcn_r", "toes_r", "calcn_l", "toes_l"))) == 12
    assert math.isclose(read_contact_file(SPHERES, ("calcn_r", "toes_r", "calcn_l",
                                                    "toes_l"))[0].sphere.radius_m, 0.032)


def test_a_contact_file_on_a_planar_model_is_refused():
    from ocp.osim import OsimError, build_osim_model
    with pytest.raises(OsimError, match="3D muscle-driven model only"):
        build_osim_model(Path(ROOT / "problems/data/gait2d/2D_gait.osim"), contacts=SPHERES)


GAIT3D = ROOT / "problems" / "gait3d_muscles.toml"


@pytest.mark.slow   # builds gait2392's 92-muscle model twice (~15 s each)
@pytest.mark.parametrize("overrides, key, message", [
    ({"bounds.pelvis_ty": [1.5, 2.0]}, "bounds", "the feet cannot reach the ground"),
    ({"average_speed.value": "3 m/s"}, "average_speed.value", "must travel"),
])
def test_the_3d_walk_refuses_feet_off_the_ground_and_a_speed_its_bounds_forbid(
        overrides, key, message):
    """What the 2D walks refuse, in 3D, before any solve: the spheres come from the
    contact file, the feet are those of the spatial ground."""
    from ocp.io.problem_file import load_problem
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ProblemError, match=message) as info:
            load_problem(GAIT3D, overrides)
    assert info.value.key == key and "gait3d_muscles.toml" in str(info.value)
