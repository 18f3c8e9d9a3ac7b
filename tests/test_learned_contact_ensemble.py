"""An ensemble for the contact surrogate: the ensemble function and each member as a drop-in.

Reference: the members' own exported functions (the ensemble's mean is their
mean, its epistemic variance their population variance) and torch.
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from learned_components.checkpoint import load_checkpoint  # noqa: E402
from learned_components.ensemble import ensemble_predict  # noqa: E402
from learned_components.spec import spec_from_dict  # noqa: E402
from learned_components.train import train_from_spec  # noqa: E402
from ocp.models.surrogate import load_surrogate  # noqa: E402


def test_contact_ensemble_exports_its_spread_and_drop_in_members(tmp_path):
    spec = spec_from_dict({
        "component": "contact_normal_force", "out": str(tmp_path / "heel"),
        "sphere": {"radius_m": 0.035},
        "inputs": {"indentation": ["-2 cm", "4 cm"], "indentation_speed": ["-1 m/s", "3 m/s"]},
        "data": {"samples": 200, "seed": 0, "noise": "5 N"},
        "network": {"hidden": [8]},
        "training": {"ensemble": 3, "epochs": 30}}, tmp_path / "heel.train.toml")
    result = train_from_spec(spec, progress=False)
    ensemble = load_surrogate(tmp_path / "heel.casadi", "contact_normal_force_ensemble")
    members = [load_surrogate(tmp_path / f"heel_member{k}.casadi", "contact_normal_force")
               for k in (1, 2, 3)]
    networks = load_checkpoint(tmp_path / "heel.pt").networks
    x = np.array([[0.01, 0.2], [0.03, -0.5], [-0.01, 1.0]])
    p = ensemble_predict(networks, x)
    for i, xi in enumerate(x):
        mean, aleatoric, epistemic, total = (float(v) for v in ensemble.function(xi))
        forces = np.array([float(m.function(xi)) for m in members])
        assert mean == pytest.approx(forces.mean(), rel=1e-12, abs=1e-9)
        assert epistemic == pytest.approx(forces.var(), rel=1e-9, abs=1e-12)
        assert aleatoric == pytest.approx(float(p.aleatoric[i, 0]), rel=1e-9)
        assert total == pytest.approx(aleatoric + epistemic, rel=1e-12)
    assert forces.std() > 0  # the members differ
    assert "epistemic" in " ".join(result.lines)
