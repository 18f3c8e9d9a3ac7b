"""Deep ensembles: calibrated intervals, the variance split, and the spread of movements."""
import math

import casadi as ca
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from conftest import PROBLEMS  # noqa: E402

import ocp  # noqa: E402
from learned_components.datasets import muscle_geometry_data  # noqa: E402
from learned_components.ensemble import (  # noqa: E402
    ensemble_predict,
    interval_coverage,
    outside_points,
    train_ensemble,
    uncertainty_report,
)
from learned_components.export import ensemble_function  # noqa: E402
from learned_components.training import TrainOptions  # noqa: E402

RANGES = {"shoulder": (math.radians(-30), math.radians(150)),
          "elbow": (math.radians(10), math.radians(150))}


def noise(x):
    """Length noise growing with the elbow angle, 0.5 to 1.5 mm (heteroscedastic)."""
    lo, hi = RANGES["elbow"]
    return 0.5e-3 + 1e-3 * (x[:, 1:2] - lo) / (hi - lo)


@pytest.fixture(scope="module")
def ensemble():
    data = muscle_geometry_data(ocp.build_model("six_muscle_arm"), RANGES, 1000, seed=0,
                                noise_m=noise)
    options = TrainOptions(epochs=400, learning_rate=0.02, patience=100)
    trained = train_ensemble(data, 5, (16,), "tanh", options)
    return data, trained


def test_95_percent_intervals_cover_90_to_98_percent_of_validation_data(ensemble):
    data, trained = ensemble
    networks = [t.module for t in trained]
    val = data.subset(trained[0].validation_index)
    coverage = interval_coverage(ensemble_predict(networks, val.inputs), val.outputs, 0.95)
    assert 0.90 <= coverage <= 0.98


def test_aleatoric_variance_recovers_the_noise_and_its_growth(ensemble):
    data, trained = ensemble
    networks = [t.module for t in trained]
    val = data.subset(trained[0].validation_index)
    p = ensemble_predict(networks, val.inputs)
    learned_std = np.sqrt(p.aleatoric.mean(axis=1))
    true_std = val.noise_std.mean(axis=1)
    # the mean level within 25 %, and noisier at larger elbow angles as in the data
    assert np.mean(learned_std) == pytest.approx(np.mean(true_std), rel=0.25)
    assert np.corrcoef(learned_std, true_std)[0, 1] > 0.8
    # inside the range the members agree: epistemic well below aleatoric
    assert p.epistemic.mean() < 0.1 * p.aleatoric.mean()


def test_epistemic_variance_grows_outside_the_training_range(ensemble):
    data, trained = ensemble
    networks = [t.module for t in trained]
    outside = outside_points(data.ranges, 500, margin=0.5, seed=1)
    lo, hi = np.array(data.ranges).T
    assert np.all(np.any((outside < lo) | (outside > hi), axis=1))
    report = uncertainty_report(networks, data, trained[0].validation_index, outside)
    assert report["epistemic_growth"] > 10
    assert report["outside_epistemic_std"] > report["validation_epistemic_std"]


def test_total_variance_is_aleatoric_plus_epistemic_by_the_law_of_total_variance(ensemble):
    """Sampling y from the mixture of member Gaussians reproduces mean and variance."""
    _, trained = ensemble
    networks = [t.module for t in trained]
    x = np.array([[0.3, 1.2]])
    p = ensemble_predict(networks, x)
    rng = np.random.default_rng(0)
    draws = []
    for net in networks:
        with torch.no_grad():
            m, v = (a.numpy()[0] for a in net(torch.as_tensor(x)))
        draws.append(m + np.sqrt(v) * rng.standard_normal((40000, m.size)))
    draws = np.vstack(draws)
    standard_error = np.sqrt(p.total[0] / draws.shape[0])
    assert np.all(np.abs(draws.mean(axis=0) - p.mean[0]) < 4 * standard_error)
    np.testing.assert_allclose(draws.var(axis=0), p.total[0], rtol=0.03)


def test_exported_ensemble_matches_the_torch_ensemble(ensemble):
    _, trained = ensemble
    networks = [t.module for t in trained]
    f = ensemble_function([n.weights() for n in networks], 2, input_name="q")
    x = np.array([[0.1, 0.5], [2.0, 2.2], [3.5, -0.5]])  # the last far outside
    p = ensemble_predict(networks, x)
    for k in range(len(x)):
        mean, aleatoric, epistemic, total = (np.array(a).ravel() for a in f(x[k]))
        np.testing.assert_allclose(mean, p.mean[k], atol=1e-10, rtol=0)
        np.testing.assert_allclose(aleatoric, p.aleatoric[k], atol=1e-14, rtol=1e-9)
        np.testing.assert_allclose(epistemic, p.epistemic[k], atol=1e-14, rtol=1e-7)
        np.testing.assert_allclose(total, aleatoric + epistemic, rtol=1e-14)
    assert isinstance(f, ca.Function) and f.name_out() == ["mean", "aleatoric", "epistemic",
                                                           "total"]


@pytest.mark.slow
def test_reach_solved_once_per_shipped_member_spreads_little_and_all_converge():
    from learned_components.propagation import member_files, solve_per_member, spread
    members = member_files(PROBLEMS / "surrogates" / "six_muscle_arm_geometry_ensemble.casadi")
    assert len(members) == 5
    analytic = ocp.solve(ocp.load_problem(PROBLEMS / "arm_reach_muscles.toml"))
    solutions = solve_per_member(PROBLEMS / "arm_reach_muscles.toml", members)
    result = spread(solutions)
    assert result["converged"] == 5
    # members trained on 1 mm noisy lengths: costs within 10 % of each other, and the
    # analytic optimum inside (or near) their range
    assert result["objective"]["relative_range"] < 0.10
    assert result["objective"]["min"] * 0.95 < analytic.objective < \
        result["objective"]["max"] * 1.05
    assert 0 < result["states"]["elbow"]["max_std_deg"] < 5
