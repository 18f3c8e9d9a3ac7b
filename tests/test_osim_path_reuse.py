"""The forward pass that a model's muscle paths share (ocp.osim.paths._segment_poses,
built once for all muscles in the model's geometry function) gives what a pass built
for each muscle on its own gives; the joints each muscle crosses follow from it."""
from pathlib import Path

import casadi as ca
import numpy as np

from ocp.models.muscles.geometry import crossed_coordinates, moment_arms
from ocp.osim.model import build_osim_model

MODEL = Path(__file__).resolve().parent.parent / "problems" / "data" / "walking" / \
    "gait10dof18musc.osim"


def test_shared_forward_pass_gives_each_muscles_own_lengths_and_moment_arms():
    model = build_osim_model(MODEL)
    tree = model.tree
    postures = np.random.default_rng(1).uniform(-1.0, 1.0, (5, tree.n))
    crossed = crossed_coordinates(model.geometry, tree)
    for k, m in enumerate(model.muscles):
        if k % 3:
            continue   # six of the 18, right and left
        own = ca.SX.sym("q", tree.n)   # a fresh symbol: the muscle's own forward pass
        length = m.geometry.length(tree, own)
        fresh = ca.Function("f", [own], [length, moment_arms(length, own)])
        for q in postures:
            lengths, arms = model.geometry(q)
            own_length, own_arms = fresh(q)
            np.testing.assert_allclose(float(lengths[k]), float(own_length), rtol=1e-12,
                                       err_msg=m.name)
            np.testing.assert_allclose(np.array(arms[:, k]), np.array(own_arms),
                                       rtol=1e-12, atol=1e-15, err_msg=m.name)
        arms = np.abs(np.hstack([np.array(fresh(q)[1]) for q in postures]))
        assert set(crossed[k]) >= {c for i, c in enumerate(tree.coordinates)
                                   if arms[i].max() > 1e-6}, m.name
