"""Randomized prior functions for graph networks (Osband, Aslanides and Cassirer 2018).

A member of a randomized-prior ensemble is ``f_theta + beta p``: a trainable
graph network ``f_theta`` plus a fixed graph network ``p`` with random weights
of its own seed, never trained. Every member is trained on the same kind of
data as a plain deep-ensemble member; on the data ``f_theta`` learns to
cancel its prior, away from them the priors, which differ per member, are
cancelled less, so the members disagree where the data say nothing (the
ensemble approximates a posterior with the random networks as its prior).

``beta`` is given in units of the data: the prior's RMS torque on the
training chains equals ``beta`` times the training torques' RMS
(``prior_scale_for``). The member is a GraphNetwork: its forward dynamics,
its mass matrix and its CasADi export (``graph.graph_function``, which adds
the prior's pass when ``weights()`` carries one) include the prior.
"""
from __future__ import annotations

import numpy as np

from learned_components._torch import require_torch
from learned_components.graph import GraphNetwork, tensors_of

torch = require_torch()


class RandomizedPriorGraph(GraphNetwork):
    """A trainable GraphNetwork plus ``scale`` times a frozen one (seed ``prior_seed``)."""

    def __init__(self, scale: float, prior_seed: int, seed: int = 0, **channels):
        super().__init__(**channels, seed=seed)
        prior = GraphNetwork(**channels, seed=prior_seed).requires_grad_(False)
        self._prior = (prior,)        # a tuple: not a submodule, so never a trained parameter
        self.prior_scale = float(scale)

    @property
    def prior(self) -> GraphNetwork:
        return self._prior[0]

    def trainable_inverse_dynamics(self, batch: dict, q, qd, qdd, gravity: float):
        return super().inverse_dynamics(batch, q, qd, qdd, gravity)

    def inverse_dynamics(self, batch: dict, q, qd, qdd, gravity: float):
        return self.trainable_inverse_dynamics(batch, q, qd, qdd, gravity) \
            + self.prior_scale * self.prior.inverse_dynamics(batch, q, qd, qdd, gravity)

    def architecture(self) -> dict:
        return {**super().architecture(), "prior_scale": self.prior_scale}

    def weights(self) -> dict:
        return {**super().weights(),
                "prior": {"scale": self.prior_scale,
                          "weights": self.prior.weights()["weights"]}}


def prior_scale_for(beta: float, chains, prior_seed: int, channels: dict) -> float:
    """The factor on the prior network that makes its RMS torque over ``chains``
    (TreeBatches) ``beta`` times the chains' RMS torque."""
    prior = GraphNetwork(**channels, seed=prior_seed)
    own, data = [], []
    with torch.no_grad():
        for b in chains:
            t = lambda a: torch.as_tensor(np.ascontiguousarray(a), dtype=torch.float64)  # noqa: E731
            own.append(prior.inverse_dynamics(tensors_of(b), t(b.q), t(b.qd), t(b.qdd),
                                              b.gravity_m_s2).numpy().ravel())
            data.append(b.tau.ravel())
    return float(beta * np.sqrt(np.mean(np.concatenate(data) ** 2))
                 / np.sqrt(np.mean(np.concatenate(own) ** 2)))
