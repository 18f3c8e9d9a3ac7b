"""The spatial tree read from 3D .osim files against OpenSim itself (a second method).

OpenSim runs in a subprocess (tests/opensim_osim_reference.py): its wheel bundles
a CasADi library that cannot share a process with casadi. Skipped cleanly when
OpenSim or the shared models (../shared/data/models3d) are absent; the Falisse
model (AGPL-3.0) is read from there and never copied.

At random states within each coordinate's range (translations of the pelvis
within +-1 m), ocp's mass matrix over all the file's coordinates, its inverse
dynamics at zero acceleration without forces (velocity and gravity terms), the
body origins and the marker positions must agree with OpenSim's to 1e-6 of each
quantity's scale (max abs over the matrix or vector). Both sides evaluate the
same mechanics in double precision (Newton-Euler here, Simbody's recursions
there), so the agreement measured is ~1e-16: the bound cannot pass by accident
and cannot flake.

One exception, OpenSim's and not ours: Simbody's FunctionBased mobilizer
(CustomJoint) computes the velocity-product term of a joint whose three
rotations all follow one coordinate (Rajagopal's walker knee) with the whole
joint's angular velocity where that of the first (second) rotation alone is
needed (MobilizedBodyImpl.h, buildHdot: Wdot from V1 = H u with only u[0]
kept, which is all of u for a one-coordinate joint). Its velocity forces are
then off, by ~1e-3 N m per (rad/s)^2 of knee speed, ~7e-5 of the forces' scale
at the states tested. There the knee speeds are zero; that ours are exact is
checked against Lagrange's equations in tests/test_spatial_tree.py.
"""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import casadi as ca
import numpy as np
import pytest

from ocp.osim.spatial_skeleton import read_spatial, spatial_tree

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT.parent / "shared" / "data" / "models3d"
FILES = ["gait2392_millard2012muscle.osim", "Rajagopal2016.osim", "Falisse_et_al_2022.osim"]
RTOL = 1e-6
#: Coordinates whose speed OpenSim's velocity forces get wrong (see above).
SIMBODY_HDOT_APPROXIMATE = {"Rajagopal2016.osim": ("knee_angle_r", "knee_angle_l")}

pytestmark = pytest.mark.skipif(importlib.util.find_spec("opensim") is None,
                                reason="opensim is not installed")


def opensim_values(path, names, states):
    request = {"model": str(path), "coordinates": names, "states": states,
               "kinematics_only": True}
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "opensim_osim_reference.py")],
                          input=json.dumps(request), capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)["states"]


def random_states(doc, rng, count):
    """Coordinates uniform within their ranges (pelvis translations within +-1 m),
    speeds ~ N(0, 1), zero accelerations."""
    coords = doc.coordinates()
    states = []
    for _ in range(count):
        q = [rng.uniform(-1, 1) if c.range[1] - c.range[0] > 10 else rng.uniform(*c.range)
             for c in coords.values()]
        states.append({"q": q, "qd": list(rng.normal(size=len(coords))),
                       "qdd": [0.0] * len(coords)})
    return states


def relative_error(ours, theirs) -> float:
    ours, theirs = np.asarray(ours, float), np.asarray(theirs, float)
    return float(np.max(np.abs(ours - theirs)) / max(np.max(np.abs(theirs)), 1e-300))


@pytest.mark.parametrize("name", FILES)
def test_spatial_tree_matches_opensim_at_random_states(name):
    path = MODELS / name
    if not path.exists():
        pytest.skip(f"{path} is absent")
    doc = read_spatial(path)
    tree = spatial_tree(doc)
    states = random_states(doc, np.random.default_rng(20), 3)
    for s in states:
        for k, c in enumerate(doc.coordinates()):
            if c in SIMBODY_HDOT_APPROXIMATE.get(name, ()):
                s["qd"][k] = 0.0
    reference = opensim_values(path, list(tree.coordinates), states)
    q, qd = ca.SX.sym("q", tree.n), ca.SX.sym("qd", tree.n)
    states_fn = tree.body_states(q)
    ours = ca.Function("ours", [q, qd], [
        tree.mass_matrix(q),
        tree.inverse_dynamics(q, qd, ca.DM.zeros(tree.n, 1)),
        ca.horzcat(*[states_fn[b.name].p for b in tree.bodies]),
        ca.horzcat(*tree.marker_positions(q).values()) if tree.markers else ca.DM(3, 0)])
    for s, ref in zip(states, reference):
        mass, tau, origins, markers = (np.array(v) for v in ours(s["q"], s["qd"]))
        assert relative_error(mass, ref["M"]) < RTOL
        assert relative_error(tau.ravel(), ref["tau"]) < RTOL
        theirs = np.array([ref["body_origins"][b.name] for b in tree.bodies]).T
        assert relative_error(origins, theirs) < RTOL
        if tree.markers:
            theirs = np.array([ref["markers"][m.name] for m in tree.markers]).T
            assert relative_error(markers, theirs) < RTOL


def test_every_joint_type_matches_opensim(tmp_path):
    """Free, Ball, Gimbal, Universal, Pin, Slider, Planar, Weld and a CustomJoint of
    every function type, between rotated offset frames (tests/spatial_joints_model.py).

    OpenSim's speeds of BallJoint and FreeJoint are the child's angular velocity in
    the parent frame, u = E q' (E: the angular rows of our motion subspace), where
    ours are q': there M_ours = E^T M_OpenSim E and tau_ours = E^T tau_OpenSim at
    zero speed of those joints (then q'' = 0 is u' = 0).
    """
    from spatial_joints_model import joints_model_text

    path = tmp_path / "joints.osim"
    path.write_text(joints_model_text())
    tree = spatial_tree(read_spatial(path))
    names = list(tree.coordinates)
    rng = np.random.default_rng(9)
    ball_free = [b for b in tree.bodies if b.joint.name in ("j1", "j2")]
    held = {c for b in ball_free for c in b.joint.coordinates}
    states = [{"q": list(rng.uniform(-1, 1, tree.n)),
               "qd": [0.0 if c in held else float(rng.normal()) for c in names],
               "qdd": [0.0] * tree.n} for _ in range(2)]
    reference = opensim_values(path, names, states)
    for s, ref in zip(states, reference):
        q = ca.DM(s["q"])
        change = np.eye(tree.n)
        for b in ball_free:
            idx = [names.index(c) for c in b.joint.coordinates]
            subspace = np.array(tree.motion_function(b)(q[idx], ca.DM.zeros(len(idx)))[2])
            change[np.ix_(idx[:3], idx)] = subspace[:3]
        mass = change.T @ np.array(ref["M"]) @ change
        tau = change.T @ np.array(ref["tau"])
        assert relative_error(np.array(tree.mass_matrix(q)), mass) < RTOL
        ours = tree.inverse_dynamics(q, ca.DM(s["qd"]), ca.DM.zeros(tree.n))
        assert relative_error(np.array(ours).ravel(), tau) < RTOL
        states_q = tree.body_states(q)
        assert relative_error([np.array(states_q[b.name].p).ravel() for b in tree.bodies],
                              [ref["body_origins"][b.name] for b in tree.bodies]) < RTOL
        markers = tree.marker_positions(q)
        assert relative_error([np.array(markers[m.name]).ravel() for m in tree.markers],
                              [ref["markers"][m.name] for m in tree.markers]) < RTOL
