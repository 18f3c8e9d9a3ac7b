"""Last-layer Laplace: posterior and evidence against independent formulas, and calibration."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from learned_components.ensemble import ensemble_predict, interval_coverage, train_ensemble  # noqa: E402
from learned_components.laplace import (  # noqa: E402
    PRIOR_GRID,
    features,
    fit_laplace,
    gaussian_nll,
    laplace_function,
    laplace_predict,
    toy_dataset,
    toy_noise_std,
)
from learned_components.networks import MeanVarianceMLP  # noqa: E402
from learned_components.training import TrainOptions, train_network  # noqa: E402


def small_network(seed=0):
    torch.manual_seed(seed)
    return MeanVarianceMLP(1, 1, (8,), "tanh", [0.0], [0.6], [0.1], [0.8])


def test_posterior_covariance_is_the_inverse_hessian_of_the_last_layer_loss():
    """GGN + prior against torch's Hessian of the negative log posterior (a second method)."""
    net = small_network()
    data = toy_dataset(60, seed=1)
    laplace = fit_laplace(net, data.inputs, data.outputs)
    lam = laplace.prior_precision
    x = torch.as_tensor(data.inputs, dtype=torch.float64)
    y = torch.as_tensor((data.outputs - 0.1) / 0.8, dtype=torch.float64)
    with torch.no_grad():
        z = net.normalised(x)
        var = torch.log1p(torch.exp(z[:, 1:])) + 1e-8
    phi = torch.as_tensor(features(net, data.inputs), dtype=torch.float64)

    def neg_log_posterior(w):
        return 0.5 * torch.sum((phi @ w - y[:, 0]) ** 2 / var[:, 0]) + 0.5 * lam * w @ w

    w = torch.as_tensor(laplace.weights[0], dtype=torch.float64)
    hessian = torch.autograd.functional.hessian(neg_log_posterior, w).numpy()
    np.testing.assert_allclose(np.linalg.inv(hessian), laplace.covariances[0], rtol=1e-8)
    # and the weights are its minimiser: zero gradient
    grad = torch.autograd.functional.jacobian(neg_log_posterior, w).numpy()
    assert np.abs(grad).max() < 1e-8 * np.abs(hessian).max()


def test_evidence_equals_the_gaussian_marginal_likelihood_and_is_maximised():
    """log p(y | lambda) = log N(y; 0, Phi Phi^T / lambda + diag sigma^2), the closed form."""
    net = small_network(2)
    data = toy_dataset(40, seed=3)
    laplace = fit_laplace(net, data.inputs, data.outputs)
    phi = features(net, data.inputs)
    with torch.no_grad():
        z = net.normalised(torch.as_tensor(data.inputs, dtype=torch.float64)).numpy()
    var = np.log1p(np.exp(z[:, 1])) + 1e-8
    y = (data.outputs[:, 0] - 0.1) / 0.8
    for k in (10, 80, 150):
        lam = PRIOR_GRID[k]
        K = phi @ phi.T / lam + np.diag(var)
        exact = -0.5 * (y @ np.linalg.solve(K, y) + np.linalg.slogdet(K)[1]
                        + len(y) * np.log(2 * np.pi))
        assert laplace.log_evidence[k] == pytest.approx(exact, rel=1e-9)
    assert laplace.log_evidence.max() == laplace.log_evidence[
        list(PRIOR_GRID).index(laplace.prior_precision)]


def test_laplace_exports_to_casadi_matching_numpy():
    net = small_network(4)
    data = toy_dataset(50, seed=5)
    laplace = fit_laplace(net, data.inputs, data.outputs)
    f = laplace_function(laplace)
    x = np.linspace(-1.5, 1.5, 7)[:, None]
    p = laplace_predict(laplace, x)
    out = [np.array(v).ravel() for v in f.map(7)(x.T)]
    for got, want in zip(out, (p.mean, p.aleatoric, p.epistemic, p.total)):
        np.testing.assert_allclose(got, want.ravel(), rtol=1e-10, atol=1e-14)


OPTIONS = TrainOptions(epochs=1500, learning_rate=1e-2, patience=300)


def laplace_on(samples, seed=0):
    data = toy_dataset(samples, seed=samples + seed)
    trained = train_network(data, (32, 32), "tanh", OPTIONS, mean_variance=True)
    index = trained.train_index
    return fit_laplace(trained.module, data.inputs[index], data.outputs[index])


def test_laplace_is_calibrated_and_less_uncertain_where_data_are_dense():
    laplace = laplace_on(300)
    test = toy_dataset(3000, seed=77)
    prediction = laplace_predict(laplace, test.inputs)
    assert 0.90 <= interval_coverage(prediction, test.outputs) <= 0.98
    grid = np.linspace(-1, 1, 201)[:, None]
    epistemic = laplace_predict(laplace, grid).epistemic[:, 0]
    # 80 % of the points lie in [-1, 0], 20 % in [0, 1]
    assert epistemic[grid[:, 0] < 0].mean() < 0.5 * epistemic[grid[:, 0] > 0].mean()


@pytest.mark.slow
def test_laplace_and_ensemble_meet_the_uncertainty_targets():
    test = toy_dataset(4000, seed=1234)
    grid = np.linspace(-1, 1, 201)[:, None]
    true_variance = np.mean(toy_noise_std(test.inputs) ** 2)
    epistemic = {}
    for samples in (100, 1000):
        data = toy_dataset(samples, seed=samples)
        laplace = laplace_on(samples)
        members = [t.module for t in train_ensemble(data, 5, (32, 32), "tanh", OPTIONS)]
        for name, predict in (("laplace", lambda x: laplace_predict(laplace, x)),  # noqa: B023 (called in this iteration)
                              ("ensemble", lambda x: ensemble_predict(members, x))):  # noqa: B023 (called in this iteration)
            p = predict(test.inputs)
            assert 0.90 <= interval_coverage(p, test.outputs) <= 0.98, (name, samples)
            assert np.isfinite(gaussian_nll(p, test.outputs))
            if samples == 1000:
                assert abs(p.aleatoric.mean() / true_variance - 1) <= 0.10, name
            epistemic[name, samples] = predict(grid).epistemic.mean()
    for name in ("laplace", "ensemble"):
        assert epistemic[name, 100] >= 3 * epistemic[name, 1000], epistemic


def test_ocp_train_with_laplace_writes_the_drop_in_and_its_uncertainty(tmp_path):
    from learned_components.spec import spec_from_dict
    from learned_components.train import train_from_spec
    from ocp.models.surrogate import load_surrogate
    spec = spec_from_dict({
        "component": "contact_normal_force", "out": str(tmp_path / "heel"),
        "sphere": {"radius_m": 0.035},
        "inputs": {"indentation": ["0 cm", "1 cm"], "indentation_speed": ["-0.5 m/s",
                                                                          "0.5 m/s"]},
        "data": {"samples": 400, "noise": "20 N"},
        "network": {"hidden": [16, 16]},
        "training": {"epochs": 400, "lbfgs_steps": 0, "laplace": True}},
        tmp_path / "heel.train.toml")
    result = train_from_spec(spec, progress=False)
    drop_in = load_surrogate(tmp_path / "heel.casadi", "contact_normal_force")
    uncertainty = load_surrogate(tmp_path / "heel_laplace.casadi",
                                 "contact_normal_force_laplace")
    assert uncertainty.function.name_out() == ["mean", "aleatoric", "epistemic", "total"]
    x = [0.005, 0.1]
    mean = float(uncertainty.function(x)[0])
    # the posterior mean refits the last layer: it stays within the noise of the drop-in
    assert abs(mean - float(drop_in.function(x))) < 20.0
    assert result.metrics["epistemic_growth"] > 1
    assert 0.85 <= result.metrics["validation_coverage"] <= 1.0


def test_the_noise_adds_back_the_variance_a_fit_takes_from_its_residuals():
    """Closed form: a linear fit's residual r = (I - H) y has covariance
    (I - H) Sigma (I - H)^T, whose diagonal is sigma^2 - e for a flat prior;
    and a Monte Carlo of 2000 fits (a second method): mean r^2 + e is sigma^2."""
    from learned_components.laplace import linear_evidence, residual_corrected_noise
    rng = np.random.default_rng(0)
    n, P = 60, 8
    phi = rng.standard_normal((n, P))
    sigma2 = (0.1 + rng.random(n)) ** 2
    _, _, precision = linear_evidence(phi, rng.standard_normal(n), sigma2, 1e-10)
    e = np.einsum("ia,ab,ib->i", phi, np.linalg.inv(precision), phi)
    hat = phi @ np.linalg.solve(precision, phi.T / sigma2)
    residual_cov = (np.eye(n) - hat) @ np.diag(sigma2) @ (np.eye(n) - hat).T
    np.testing.assert_allclose(residual_corrected_noise(np.diag(residual_cov), e), sigma2,
                               rtol=1e-7)
    w0 = rng.standard_normal(P)
    r2 = np.mean([(y - phi @ linear_evidence(phi, y, sigma2, 1e-10)[1]) ** 2 for y in
                  phi @ w0 + np.sqrt(sigma2) * rng.standard_normal((2000, n))], axis=0)
    # residuals alone fall short by gamma / n = P / n on average; corrected, within MC error
    assert np.mean(r2 / sigma2) == pytest.approx(1 - P / n, abs=0.01)
    assert np.mean(residual_corrected_noise(r2, e) / sigma2) == pytest.approx(1, abs=0.01)


def test_laplace_noise_holds_its_edge_value_outside_the_head_box_in_numpy_and_casadi():
    torch.manual_seed(6)
    net = MeanVarianceMLP(1, 1, (8,), "tanh", [0.0], [0.6], [0.1], [0.8],
                          input_range=[(-0.8, 0.8)])
    data = toy_dataset(50, seed=7)
    laplace = fit_laplace(net, data.inputs, data.outputs)
    x = np.array([[-1.5], [-0.8], [0.3], [0.8], [1.5]])
    p = laplace_predict(laplace, x)
    edge = laplace_predict(laplace, np.array([[-0.8], [0.8]]))
    np.testing.assert_allclose(p.aleatoric[[0, 4]], edge.aleatoric, rtol=1e-12)
    assert p.epistemic[4, 0] > p.epistemic[3, 0]  # the epistemic part is not clamped
    out = [np.array(v).ravel() for v in laplace_function(laplace).map(5)(x.T)]
    for got, want in zip(out, (p.mean, p.aleatoric, p.epistemic, p.total)):
        np.testing.assert_allclose(got, want.ravel(), rtol=1e-10, atol=1e-14)
