"""``[training] ensemble = N`` for recurrent and graph networks: each member a drop-in,
their mean the ensemble's drop-in, checked against the members run one by one."""
import casadi as ca
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from learned_components.recurrent import rollout  # noqa: E402
from learned_components.spec import spec_from_dict  # noqa: E402
from learned_components.train import train_from_spec  # noqa: E402
from ocp.analysis.members import member_files  # noqa: E402
from ocp.errors import ProblemError  # noqa: E402
from ocp.models.learned_activation import load_recurrent_activation  # noqa: E402
from ocp.models.surrogate import learned_tree_dynamics, load_surrogate  # noqa: E402


def recurrent(tmp_path, kind):
    spec = spec_from_dict({"component": "emg_activation", "out": str(tmp_path / kind),
                           "network": {"architecture": kind, "hidden": [3]},
                           "data": {"sequences": 3, "duration": "0.5 s", "seed": 4},
                           "training": {"epochs": 5, "ensemble": 2}},
                          tmp_path / f"{kind}.train.toml")
    train_from_spec(spec, progress=False)
    return tmp_path / f"{kind}.casadi"


@pytest.mark.parametrize("kind", ["gru", "lstm"])
def test_a_recurrent_ensemble_steps_its_members_side_by_side_and_averages(tmp_path, kind):
    path = recurrent(tmp_path, kind)
    members = [load_recurrent_activation(m) for m in member_files(path)]
    ensemble = load_recurrent_activation(path)
    assert len(members) == 2 and ensemble.hidden == 2 * members[0].hidden
    # seeds 4 and 5: two different networks
    envelope = np.abs(np.sin(np.linspace(0, 6, 80)))
    alone = [rollout(m.step, envelope) for m in members]
    assert np.max(np.abs(alone[0] - alone[1])) > 1e-3
    np.testing.assert_allclose(rollout(ensemble.step, envelope), np.mean(alone, axis=0),
                               atol=1e-14)
    # the stacked state keeps an LSTM's halves: hidden states first, then cells, with the
    # members' bounds in that order
    suffixes = ensemble.state_suffixes()
    half = len(suffixes) // 2
    if kind == "lstm":
        assert suffixes[:half] == tuple(f"hidden_{i}" for i in range(half))
        assert suffixes[half:] == tuple(f"cell_{i}" for i in range(half))
        h = members[0].hidden // 2
        b = [m.state_bounds for m in members]
        assert ensemble.state_bounds == b[0][:h] + b[1][:h] + b[0][h:] + b[1][h:]
    else:
        assert ensemble.state_bounds == [(-1.0, 1.0)] * ensemble.hidden
    rest = ensemble.rest_state(0.2)
    h = members[0].hidden // 2 if kind == "lstm" else members[0].hidden
    parts = [m.rest_state(0.2) for m in members]
    expected = np.concatenate([parts[0][:h], parts[1][:h], parts[0][h:], parts[1][h:]]) \
        if kind == "lstm" else np.concatenate(parts)
    np.testing.assert_allclose(rest, expected, atol=1e-10)


def test_a_graph_ensemble_is_the_mean_of_its_members_and_each_is_tree_dynamics(tmp_path):
    import ocp
    spec = spec_from_dict({"component": "tree_dynamics", "out": str(tmp_path / "g"),
                           "network": {"target": "inverse_dynamics"},
                           "chains": {"segments": [2], "samples": 300},
                           "model": {"name": "double_pendulum"},
                           "training": {"epochs": 150, "lbfgs_steps": 5, "ensemble": 2}},
                          tmp_path / "g.train.toml")
    result = train_from_spec(spec, progress=False)
    assert len(result.metrics["members"]) == 2
    files = member_files(tmp_path / "g.casadi")
    functions = [load_surrogate(f, "tree_dynamics").function for f in files]
    ensemble = load_surrogate(tmp_path / "g.casadi", "tree_dynamics")
    assert ensemble.metadata["members"] == [f.name for f in files]
    rng = np.random.default_rng(3)
    q, qd, qdd = (rng.uniform(-1, 1, (2, 50)) * s for s in (3.0, 3.0, 15.0))
    each = np.stack([np.array(f.map(50)(q, qd, qdd)) for f in functions])
    assert np.max(each.std(axis=0)) > 1e-4   # the members differ
    np.testing.assert_allclose(np.array(ensemble.function.map(50)(q, qd, qdd)),
                               each.mean(axis=0), rtol=1e-12, atol=1e-12)
    assert isinstance(ensemble.function, ca.Function)
    # each member and the mean pass the model's own check (Newton-Euler, 5 %)
    model = ocp.build_model("double_pendulum")
    for path in [tmp_path / "g.casadi", *files]:
        assert learned_tree_dynamics(load_surrogate(path), model)[1] == "inverse_dynamics"


def test_an_ensemble_of_one_member_is_refused(tmp_path):
    with pytest.raises(ProblemError, match="at least 2 members") as info:
        spec_from_dict({"component": "emg_activation", "network": {"architecture": "gru"},
                        "training": {"ensemble": 1}}, tmp_path / "r.train.toml")
    assert "training.ensemble" in str(info.value)
