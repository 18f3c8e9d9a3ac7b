"""The aleatoric head does not extrapolate: outside the training range it keeps its edge value.

Reference: the noise the data were generated with (a constant 1 mm on the
arm's muscle lengths), known exactly; and the exported CasADi ensemble against
torch at the same points outside the range.
"""
import math
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ocp  # noqa: E402
from learned_components.checkpoint import load_checkpoint  # noqa: E402
from learned_components.datasets import muscle_geometry_data  # noqa: E402
from learned_components.ensemble import ensemble_predict, outside_points  # noqa: E402
from learned_components.export import ensemble_function  # noqa: E402
from learned_components.training import (  # noqa: E402
    TrainOptions,
    noise_box,
    train_network,
)

RANGES = {"shoulder": (math.radians(-30), math.radians(150)),
          "elbow": (math.radians(10), math.radians(150))}
NOISE_M = 1e-3


SHIPPED = Path(__file__).resolve().parent.parent / "problems" / "surrogates" / \
    "six_muscle_arm_geometry_ensemble.pt"


@pytest.fixture(scope="module")
def members():
    """The shipped ensemble (its training file: 1500 samples, constant 1 mm noise)."""
    networks = load_checkpoint(SHIPPED).networks
    data = muscle_geometry_data(ocp.build_model("six_muscle_arm"), RANGES, 500, seed=5,
                                noise_m=NOISE_M)
    return data, networks


def test_noise_outside_the_range_is_within_20_percent_of_the_true_noise(members):
    data, networks = members
    outside = outside_points(data.ranges, 500, margin=0.5, seed=1)
    inside = ensemble_predict(networks, data.inputs)
    beyond = ensemble_predict(networks, outside)
    assert np.sqrt(inside.aleatoric.mean()) == pytest.approx(NOISE_M, rel=0.2)
    assert np.sqrt(beyond.aleatoric.mean()) == pytest.approx(NOISE_M, rel=0.2)
    # each point outside carries the noise of its nearest point in the box held
    # constant (the outer tenth of each range), exactly
    np.testing.assert_allclose(networks[0].input_range, noise_box(data.ranges), rtol=1e-12)
    lo, hi = np.array(networks[0].input_range).T
    edge = ensemble_predict(networks, np.clip(outside, lo, hi))
    np.testing.assert_allclose(beyond.aleatoric, edge.aleatoric, rtol=1e-12)
    # while the mean (and with it the epistemic spread) still sees the true input
    assert np.max(np.abs(beyond.mean - edge.mean)) > 1e-3


def test_exported_ensemble_clamps_like_torch(members):
    data, networks = members
    f = ensemble_function([n.weights() for n in networks], 2)
    outside = outside_points(data.ranges, 20, margin=0.5, seed=2)
    p = ensemble_predict(networks, outside)
    for k in range(len(outside)):
        mean, aleatoric = (np.array(a).ravel() for a in f(outside[k])[:2])
        np.testing.assert_allclose(mean, p.mean[k], rtol=1e-9, atol=1e-14)
        np.testing.assert_allclose(aleatoric, p.aleatoric[k], rtol=1e-9, atol=1e-18)


@pytest.mark.slow
def test_an_ensemble_trained_here_keeps_its_noise_outside_the_range():
    data = muscle_geometry_data(ocp.build_model("six_muscle_arm"), RANGES, 1500, seed=0,
                                noise_m=NOISE_M)
    options = TrainOptions(epochs=1000, learning_rate=0.01, patience=100)
    networks = [train_network(data, (16,), "tanh", options, mean_variance=True,
                              seed_offset=k).module for k in range(3)]
    beyond = ensemble_predict(networks, outside_points(data.ranges, 500, margin=0.5, seed=1))
    assert np.sqrt(beyond.aleatoric.mean()) == pytest.approx(NOISE_M, rel=0.2)
