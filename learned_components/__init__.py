"""Learned components: neural surrogates trained in PyTorch, exported as exact CasADi functions.

The field replaces expensive or hard-to-personalise parts of a musculoskeletal
model (muscle-tendon geometry, foot-ground contact) by fitted surrogates. Here
they are small networks with smooth activations, trained in float64 with
PyTorch, then rebuilt from their weights as CasADi SX expressions and saved
with CasADi's own serialisation: the solve path never imports torch, and
IPOPT still gets exact first and second derivatives.

Modules, one job each:

- ``datasets``: samples of the analytic components over the ranges the
  optimiser visits (numpy and CasADi only).
- ``networks``: the torch modules (MLP, mean-variance MLP) with their
  normalisation built in.
- ``training``: train/validation split, early stopping, fixed seeds, progress.
- ``checkpoint``: weights plus metadata in one file, read back with checks.
- ``export``: weights to CasADi expressions; ``.casadi`` plus ``.json`` files
  that :mod:`ocp.models.surrogate` loads.
- ``ensemble``: deep ensembles, aleatoric and epistemic variance;
  ``propagation``: the movement solved once per member, and its spread.
- ``pinn``: physics-informed identification of a joint's inertia, damping
  and stiffness.
- ``sequence``: a GRU from EMG envelopes to muscle activation.
- ``graph`` (with ``tree_data``, ``graph_training``): message passing over
  the kinematic tree for inverse and forward dynamics, unrolled into CasADi;
  ``contact_graph`` (with ``walker_training``): the walker's graph network
  with a contact edge per sphere, trained on its inverse dynamics.
- ``recurrent``: RNN, GRU and LSTM with their CasADi step and the gradient
  profile over long sequences.
- ``laplace``: a last-layer Laplace approximation beside the ensemble.
- ``structured_spec``, ``train_structured``: ``ocp train`` for graph and
  recurrent networks; ``structured_ensemble``: their ensembles (``[training]
  ensemble = N``), each member a drop-in, the mean another;
  ``structured_laplace``: their last-layer Laplace posterior (``laplace =
  true``), with posterior draws as members.
- ``spec``, ``train``: the ``ocp train SPEC.toml`` command.
- ``osim_geometry``: networks for the muscle paths of an .osim model
  (``[model] geometry = "neural"``), trained together and cached by
  ``ocp.osim.neural_geometry``.

``datasets``, ``export`` and ``propagation`` work without torch; everything
that trains needs ``pip install "ocp-movement[learned]"``. The solve side
(loading, checks, range warnings) is ``ocp.models.surrogate``.
"""
from learned_components._torch import TORCH_MISSING, require_torch

__all__ = ["TORCH_MISSING", "require_torch"]
