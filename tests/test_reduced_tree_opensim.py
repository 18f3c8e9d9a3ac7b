"""Coupled and locked coordinates substituted (ReducedTree) against OpenSim's constraint forces.

Rajagopal et al. 2016 makes each knee's ``knee_angle_beta`` follow the knee angle
through a CoordinateCouplerConstraint (the patella moves with it), and locks the
subtalar, mtp and wrist coordinates. ocp substitutes them: the free coordinates q
give q_full = map(q), and the equations of motion over q are
G^T ID_full(q_full, G q', G q'' + G' q') = tau, G = d map / dq
(ocp/models/spatial/reduced.py). OpenSim keeps every coordinate and adds the
constraints, which Simbody enforces with Lagrange multipliers
(tests/opensim_constrained_reference.py, a subprocess). With gravity alone acting,
at random states of the free coordinates:

- the accelerations Simbody solves for satisfy our reduced equations of motion
  (tau = 0) to 1e-6 of the size of the forces (measured: 2e-16 to 3e-13);
- Simbody's accelerations of the coupled and locked coordinates are those our
  substitution gives from its free ones (G q'' + G' q').

The comparison is made in forces, not in accelerations: the reduced mass matrix has
condition numbers near 1e6 and more (the patellae weigh 86 g, the hands' and wrists'
inertias are small, the pelvis's Euler angles near +-90 degrees are singular), so
accelerations solved either way differ by up to 1e-5 of their size (measured) while
both sets satisfy the same equations to 1e-12 of the forces.

The knee speeds are zero: Simbody's velocity terms of the walker knee's
FunctionBased mobilizer are approximate (see tests/test_osim3d_opensim.py); the
other free coordinates move at random speeds.
"""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import casadi as ca
import numpy as np
import pytest

from ocp.osim.spatial_skeleton import read_spatial, reduced_tree

ROOT = Path(__file__).resolve().parents[1]
RAJAGOPAL = ROOT.parent / "shared" / "data" / "models3d" / "Rajagopal2016.osim"
SCRIPT = ROOT / "tests" / "opensim_constrained_reference.py"
KNEES = ("knee_angle_r", "knee_angle_l")

pytestmark = [
    pytest.mark.skipif(importlib.util.find_spec("opensim") is None,
                       reason="opensim is not installed"),
    pytest.mark.skipif(not RAJAGOPAL.exists(), reason=f"{RAJAGOPAL} is absent")]


def opensim_accelerations(names, states):
    request = {"model": str(RAJAGOPAL), "coordinates": names, "states": states}
    done = subprocess.run([sys.executable, str(SCRIPT)], input=json.dumps(request),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)["states"]


def test_opensims_constrained_motion_satisfies_the_substituted_equations():
    doc = read_spatial(RAJAGOPAL)
    tree = reduced_tree(doc)
    assert {c.dependent for c in tree.couplings} == {"knee_angle_r_beta", "knee_angle_l_beta"}
    assert tree.locked, "Rajagopal 2016 locks its subtalar, mtp and wrist coordinates"
    coords = doc.coordinates()
    q, qd, qdd = (ca.SX.sym(s, tree.n) for s in ("q", "qd", "qdd"))
    full, qd_full, qdd_full, _ = tree.expand(q, qd, qdd)
    expand = ca.Function("expand", [q, qd, qdd], [full, qd_full, qdd_full])
    residual = ca.Function("residual", [q, qd, qdd], [tree.inverse_dynamics(q, qd, qdd)])
    rng = np.random.default_rng(7)
    states, requests = [], []
    for _ in range(4):
        q0 = np.array([rng.uniform(-1, 1) if coords[c].range[1] - coords[c].range[0] > 10
                       else rng.uniform(*coords[c].range) for c in tree.coordinates])
        qd0 = np.array([0.0 if c in KNEES else rng.normal() for c in tree.coordinates])
        q_full, v_full, _ = (np.array(v).ravel() for v in expand(q0, qd0, np.zeros(tree.n)))
        states.append((q0, qd0))
        requests.append({"q": list(q_full), "qd": list(v_full)})
    names = list(tree.tree.coordinates)
    free = [names.index(c) for c in tree.coordinates]
    for (q0, qd0), ref in zip(states, opensim_accelerations(names, requests)):
        assert ref["qerr"] < 1e-9 and ref["uerr"] < 1e-9, "the state breaks a constraint"
        theirs = np.array(ref["qdd"])
        forces = np.max(np.abs(np.array(residual(q0, qd0, np.zeros(tree.n)))))
        assert forces > 100.0, "gravity and random speeds must load the tree"
        tau = np.array(residual(q0, qd0, theirs[free])).ravel()
        assert np.max(np.abs(tau)) / forces < 1e-6
        followed = np.array(expand(q0, qd0, theirs[free])[2]).ravel()
        assert np.max(np.abs(followed - theirs)) < 1e-9 * max(1.0, np.max(np.abs(theirs)))
        beta = [names.index(f"{k}_beta") for k in KNEES]
        assert np.all(np.abs(theirs[beta]) > 1e-3), "the coupled coordinates must move"
        print(f"residual {np.max(np.abs(tau)) / forces:.1e} of {forces:.0f} N m")
