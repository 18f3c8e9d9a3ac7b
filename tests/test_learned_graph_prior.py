"""Randomized prior functions for graph networks (learned_components.graph_prior)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from learned_components.graph import (  # noqa: E402
    FORWARD_DYNAMICS,
    INVERSE_DYNAMICS,
    GraphNetwork,
    graph_function,
    tensors_of,
)
from learned_components.graph_prior import RandomizedPriorGraph, prior_scale_for  # noqa: E402
from learned_components.graph_training import (  # noqa: E402
    PRIOR_SEED,
    GraphTask,
    train_graph,
)
from learned_components.tree_data import chain_batch, tree_of_model  # noqa: E402
from ocp.models.library import build_model  # noqa: E402


def _t(a):
    return torch.as_tensor(np.ascontiguousarray(a), dtype=torch.float64)


def _inverse(net, batch):
    with torch.no_grad():
        return net.inverse_dynamics(tensors_of(batch), _t(batch.q), _t(batch.qd),
                                    _t(batch.qdd), batch.gravity_m_s2).numpy()


def test_a_member_is_its_trainable_network_plus_the_scaled_prior_and_only_the_first_trains():
    batch = chain_batch(3, 50, "train", seed=1)
    member = RandomizedPriorGraph(0.7, prior_seed=11, seed=2)
    trainable, prior = GraphNetwork(seed=2), GraphNetwork(seed=11)
    np.testing.assert_array_equal(_inverse(member, batch),
                                  _inverse(trainable, batch) + 0.7 * _inverse(prior, batch))
    # the prior's weights are no parameters of the member; a training step leaves them
    names = {id(p) for p in member.parameters()}
    assert not any(id(p) in names for p in member.prior.parameters())
    assert sum(p.numel() for p in member.parameters()) == \
        sum(p.numel() for p in trainable.parameters())
    before = {k: v.detach().clone() for k, v in member.prior.weights_.items()}
    opt = torch.optim.Adam(member.parameters(), lr=1e-2)
    loss = torch.mean((member.inverse_dynamics(tensors_of(batch), _t(batch.q), _t(batch.qd),
                                               _t(batch.qdd), batch.gravity_m_s2)
                       - _t(batch.tau)) ** 2)
    loss.backward()
    opt.step()
    for k, v in member.prior.weights_.items():
        assert torch.equal(v, before[k])
    assert not torch.equal(member.weights_["readout"], trainable.weights_["readout"])


def test_the_prior_scale_is_in_units_of_the_training_torques():
    chains = [chain_batch(n, 200, "train", seed=n) for n in (2, 3)]
    scale = prior_scale_for(0.1, chains, prior_seed=5, channels=GraphNetwork().channels)
    prior = np.concatenate([_inverse(GraphNetwork(seed=5), b).ravel() for b in chains])
    tau = np.concatenate([b.tau.ravel() for b in chains])
    assert np.sqrt(np.mean((scale * prior) ** 2)) == pytest.approx(
        0.1 * np.sqrt(np.mean(tau ** 2)), rel=1e-12)


@pytest.mark.parametrize("target", [INVERSE_DYNAMICS, FORWARD_DYNAMICS])
def test_the_casadi_export_of_a_member_equals_its_torch_values(target):
    member = RandomizedPriorGraph(1.3, prior_seed=9, seed=4)
    tree = tree_of_model(build_model("double_pendulum", {"mass2_kg": 1.3, "com1_m": 0.4}).tree)
    f = graph_function(member.weights(), tree, target)
    plain = graph_function(GraphNetwork(seed=4).weights(), tree, target)
    rng = np.random.default_rng(0)
    feats = {"parents": tree["parents"],
             **{k: _t(np.asarray(tree[k], dtype=float)[None])
                for k in ("mass_kg", "inertia_kg_m2", "joint_m", "com_m", "offset_rad")}}
    for _ in range(3):
        q, qd, x = rng.uniform(-2, 2, (3, 2))
        with torch.no_grad():
            call = member.inverse_dynamics if target == INVERSE_DYNAMICS \
                else member.forward_dynamics
            value = call(feats, _t(q[None]), _t(qd[None]), _t(x[None]),
                         tree["gravity_m_s2"])[0].numpy()
        got = np.array(f(q, qd, x)).ravel()
        np.testing.assert_allclose(got, value, rtol=0, atol=1e-10 * max(1.0, np.abs(value).max()))
        assert np.abs(got - np.array(plain(q, qd, x)).ravel()).max() > 1e-3   # the prior counts


def test_training_builds_the_member_with_its_own_prior_in_units_of_its_chains():
    task = GraphTask(seed=1, samples=40, epochs=0, lbfgs_steps=0, forward_steps=0,
                     prior_scale=0.1)
    member, _ = train_graph(task)
    assert isinstance(member, RandomizedPriorGraph)
    chains = [chain_batch(n, 40, "train", seed=1000 + n) for n in (2, 3, 4)]
    assert member.prior_scale == pytest.approx(
        prior_scale_for(0.1, chains, PRIOR_SEED + 1, member.channels), rel=1e-12)
    batch = chain_batch(3, 20, "train", seed=77)
    np.testing.assert_array_equal(_inverse(member.prior, batch),
                                  _inverse(GraphNetwork(seed=PRIOR_SEED + 1), batch))
    assert type(train_graph(GraphTask(samples=40, epochs=0, lbfgs_steps=0,
                                      forward_steps=0))[0]) is GraphNetwork
