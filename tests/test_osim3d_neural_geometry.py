"""``geometry = "neural"`` for 3D .osim files: networks trained on the exact 3D paths.

gait2392 (../shared/data/models3d, CC BY 3.0; skipped when absent, and without
PyTorch). The errors the fit reports must be those measured on fresh samples
against the exact path (``ocp.osim.paths3d``: lengths, and moment arms as the
derivative of the exact length, ``paths3d.moment_arm``), the model's moment arms
minus the derivative of its learned lengths, and the muscles of a walking box
within the 0.5 mm / 2 mm targets.
"""
import importlib.util
import math
import time
import warnings

import casadi as ca
import numpy as np
import pytest
from test_osim3d_muscles import (
    BOX,
    GAIT,
    assert_reported_errors_hold,
    trimmed,
    walking_box_paths,
)

from ocp.models.muscles.polynomial_fit import sample_box
from ocp.osim.geometry3d import ExactPaths
from ocp.osim.neural_geometry import NeuralGeometryOptions
from ocp.osim.neural_geometry3d import neural_paths3d
from ocp.osim.paths3d import moment_arm

pytestmark = [pytest.mark.skipif(not GAIT.exists(), reason="../shared/data is absent"),
              pytest.mark.skipif(importlib.util.find_spec("torch") is None,
                                 reason="PyTorch is not installed"),
              pytest.mark.filterwarnings("ignore::ocp.osim.OsimConversionNote")]
#: a knee extensor, an ankle muscle and a biarticular one (knee, ankle, subtalar)
MUSCLES = ("vas_int_r", "soleus_r", "med_gas_r")
#: smaller than the default training, to keep this test short
QUICK = NeuralGeometryOptions(samples=400, validation_samples=400, adam_epochs=300,
                              lbfgs_iterations=200)


@pytest.fixture(scope="module")
def learned(tmp_path_factory):
    folder = tmp_path_factory.mktemp("neural3d")
    path = trimmed(folder, MUSCLES)
    _, tree, paths, ranges, defaults = walking_box_paths(path)
    units = ["m" if c in ("pelvis_tx", "pelvis_ty", "pelvis_tz") else "rad"
             for c in tree.coordinates]
    start = time.perf_counter()
    geometries, errors = neural_paths3d(path, tree, paths, ranges, defaults, units=units,
                                        model_name="gait2392", cache=folder, options=QUICK)
    print(f"\ntrained in {time.perf_counter() - start:.1f} s")
    return tree, paths, ranges, defaults, geometries, errors


def test_the_errors_reported_are_those_against_the_exact_paths_on_fresh_samples(learned):
    tree, paths, ranges, defaults, geometries, errors = learned
    q = ca.SX.sym("q", tree.n)
    exact = ExactPaths(tree, paths, defaults)
    base = np.array([defaults[c] for c in tree.coordinates])
    for geometry, error in zip(geometries, errors):
        index = [tree.coordinates.index(c) for c in geometry.coordinates]
        length = geometry.length(tree, q)
        learned_fn = ca.Function("learned", [q], [length, -ca.gradient(length, q)])
        samples = sample_box([ranges[c] for c in geometry.coordinates], 60, seed=99,
                             kind="uniform")
        dl, dr = [], []
        for row in samples:
            full = base.copy()
            full[index] = row
            (q_dict, poses), = exact.poses(full[None, :])

            def poses_of(values, full=full, index=index, coords=geometry.coordinates):
                point = full.copy()
                point[index] = [values[c] for c in coords]
                return exact.poses(point[None, :])[0][1]
            l_fit, r_fit = (np.array(v).ravel() for v in learned_fn(full))
            dl.append(l_fit[0] - paths[error.muscle].length(poses, q_dict))
            dr += [r_fit[i] - moment_arm(paths[error.muscle], poses_of,
                                         dict(zip(tree.coordinates, full)), c)
                   for c, i in zip(geometry.coordinates, index)]
            others = [j for j in range(tree.n) if j not in index]
            assert np.all(r_fit[others] == 0), "no moment arm about a coordinate not crossed"
        assert_reported_errors_hold(error, dl, dr, within=(0.5, 2.0))


@pytest.mark.slow
def test_a_3d_model_with_neural_geometry_from_its_key(tmp_path):
    """build_spatial_osim_model(geometry="neural") (the [model] key) with the default
    training: the model's moment arms are minus the derivative of its lengths, each
    muscle's error is reported, and a second build reads the cached networks."""
    from ocp.osim.muscles3d import build_spatial_osim_model
    path = trimmed(tmp_path, MUSCLES + ("glut_med1_r",))

    def build():
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            built = build_spatial_osim_model(path, geometry="neural", fit_ranges=BOX,
                                             cache=tmp_path)
        return built, time.perf_counter() - start
    model, first = build()
    assert model.geometry_method == "neural"
    assert [e.muscle for e in model.geometry_fit] == [m.name for m in model.muscles]
    assert sorted(m.name for m in model.muscles) == sorted(MUSCLES + ("glut_med1_r",))
    for e in model.geometry_fit:
        print(e.describe())
        assert e.length_rms_m < 0.5e-3 and e.moment_arm_rms_m < 2e-3
    rng = np.random.default_rng(3)
    q0 = np.array([rng.uniform(*BOX.get(c, (-0.2, 0.2))) for c in model.tree.coordinates])
    _, arms = (np.array(v) for v in model.geometry(q0))
    h = 1e-6
    for j in range(model.tree.n):
        dq = np.zeros(model.tree.n)
        dq[j] = h
        plus, minus = (np.array(model.geometry(q0 + s * dq)[0]).ravel() for s in (1, -1))
        assert -(plus - minus) / (2 * h) == pytest.approx(arms[j], abs=1e-8)
    again, second = build()
    print(f"first build {first:.1f} s (training), second {second:.1f} s (cached)")
    assert again.geometry_fit == model.geometry_fit and second < first / 3
    assert math.isclose(float(again.geometry(q0)[0][0]), float(model.geometry(q0)[0][0]))
