"""The forward pass that crossed_coordinates' probe shares from muscle to muscle
(ocp.osim.paths._segment_poses) gives what a pass built for each muscle gives."""
from pathlib import Path

import casadi as ca
import numpy as np

from ocp.models.muscles.geometry import crossed_coordinates, moment_arms, probe_symbols
from ocp.osim.model import build_osim_model

MODEL = Path(__file__).resolve().parent.parent / "problems" / "data" / "walking" / \
    "gait10dof18musc.osim"


def test_shared_forward_pass_gives_each_muscles_own_lengths_and_moment_arms():
    model = build_osim_model(MODEL)
    tree = model.tree
    postures = np.random.default_rng(1).uniform(-1.0, 1.0, (5, tree.n))
    probe = probe_symbols(tree.n)
    for m in model.muscles[::3]:   # six of the 18, right and left
        own = ca.SX.sym("q", tree.n)   # a fresh symbol: the muscle's own forward pass
        fresh = ca.Function("f", [own], [moment_arms(m.geometry.length(tree, own), own)])
        shared = ca.Function("s", [probe], [moment_arms(m.geometry.length(tree, probe), probe)])
        for q in postures:
            np.testing.assert_allclose(np.array(shared(q)), np.array(fresh(q)),
                                       rtol=1e-12, atol=1e-15, err_msg=m.name)
        crossed = crossed_coordinates(m.geometry, tree)
        arms = np.abs(np.hstack([np.array(fresh(q)) for q in postures]))
        assert set(crossed) >= {c for i, c in enumerate(tree.coordinates) if arms[i].max() > 1e-6}
    lengths, arms = model.geometry(postures[0])
    # the model's geometry is built on its own symbols, as before the sharing
    assert not ca.depends_on(model.geometry.sx_in(0), probe)
    assert np.all(np.array(lengths) > 0) and np.array(arms).shape == (tree.n, len(model.muscles))
