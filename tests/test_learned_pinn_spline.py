"""The B-spline multibody PINN (learned_components/pinn_spline.py)."""
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from learned_components.pinn_multibody import NAMES, Chain, noisy_motion  # noqa: E402
from learned_components.pinn_spline import (  # noqa: E402
    NLP_NAMES,
    SplineNetwork,
    fit_spline_pinn,
)

ROOT = Path(__file__).resolve().parents[1]


def test_spline_network_starts_at_rest_with_exact_derivatives():
    """q(0) = q'(0) = 0; q' and q'' equal central differences of q (h = 1e-5 s)."""
    net = SplineNetwork(2.0, 3, intervals=8)
    with torch.no_grad():
        net.weight.copy_(torch.as_tensor(np.random.default_rng(0).standard_normal(
            tuple(net.weight.shape))))
    h = 1e-5
    t = np.linspace(0.1, 1.9, 13)
    q, qd, qdd = (v.detach().numpy() for v in net(torch.as_tensor(t)))
    plus, minus = (net(torch.as_tensor(t + s))[0].detach().numpy() for s in (h, -h))
    np.testing.assert_allclose(qd, (plus - minus) / (2 * h), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(qdd, (plus - 2 * q + minus) / h ** 2, rtol=1e-4, atol=1e-3)
    start = [v.detach().numpy()[0] for v in net(torch.zeros(1, dtype=torch.float64))]
    assert np.abs(start[0]).max() == 0.0 and np.abs(start[1]).max() == 0.0
    assert np.abs(start[2]).max() > 1e-3 and np.abs(q).max() > 1e-2


@pytest.mark.slow
def test_spline_pinn_within_5_percent_and_agrees_with_the_nlp():
    """The benchmark's data (100 samples, 0.005 rad): masses and inertias within 5 % of
    the truth, and every parameter within the combined standard error (PINN's
    output-error, NLP's reduced Hessian) of the NLP's own identification
    (problems/triple_pendulum_identify.toml, same samples)."""
    import ocp
    chain = Chain()
    pinn = fit_spline_pinn(chain, noisy_motion(chain, 100, 4.0, 0.005, 0))
    assert pinn.worst() < 0.05
    report = ocp.solve(ocp.load_problem(ROOT / "problems" /
                                        "triple_pendulum_identify.toml")).parameters
    for name in NAMES:
        for i, key in enumerate(NLP_NAMES[name]):
            e = report.estimates[key]
            se = np.hypot(pinn.standard_errors[name][i], e.standard_error)
            assert abs(pinn.parameters[name][i] - e.value) < se, (key, pinn.parameters[name][i],
                                                                  e.value, se)
