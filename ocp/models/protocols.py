"""What a model is, declared: capabilities as runtime-checkable Protocols.

The engine and the features ask ``isinstance(model, TreeModel)``, never
``hasattr(model, "tree")``. A model satisfies a protocol by having its
members (Python checks their presence, not their types); every built-in model
declares its members in its constructor, and wrappers forward them
explicitly. The protocols and who satisfies them (tests/test_model_protocols.py
holds the list):

=======================  ==================================================
protocol                 satisfied by
=======================  ==================================================
TreeModel                every model on a kinematic tree
ContactModel             torque- and muscle-driven trees (spheres may be
                         none), a learned activation around one
MuscleModel              muscle-driven trees, and wrappers of one
SurrogateModel           torque- and muscle-driven trees (surrogates may be
                         none), a learned activation
LearnableDynamicsModel   torque-driven trees
OsimModel                models read from an .osim file
DiscreteStepModel        a learned recurrent activation (learned_activation)
RestConditionsModel      a learned recurrent activation (learned_activation)
WrapperModel             a learned activation, do() interventions
=======================  ==================================================

A do() intervention (ocp.causal.interventions.IntervenedModel) forwards its
base's tree and muscles, not its contacts or surrogates.

As in bioptim's ``models/protocols/`` (a model declares what it can do) and
PEP 544 (structural subtyping).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:  # annotations only: importing these at run time would be a cycle
    from ocp.models.base import Model
    from ocp.models.contact import ContactSphere
    from ocp.models.multibody import KinematicTree
    from ocp.models.muscle_driven import Muscle
    from ocp.models.muscles.polynomial_fit import GeometryFitError
    from ocp.models.surrogate import Surrogate, SurrogateInputs
    from ocp.osim.tree import Skeleton


@runtime_checkable
class TreeModel(Protocol):
    """A model on a planar kinematic tree.

    ``tree``: the segments, joints and markers (ocp.models.multibody). The
    model's first states are the coordinates ``q`` (n,) in the tree's order
    (rad or m), then their speeds ``q'`` (n,) (rad/s or m/s).
    """

    tree: KinematicTree


@runtime_checkable
class ContactModel(TreeModel, Protocol):
    """A tree model that may touch the ground through contact spheres.

    ``contacts``: tuple of ContactSphere (ocp.models.contact), each on a
    segment of ``tree``, or of SpatialContact on a spatial tree; empty for a
    model without feet. ``ground``: what computes them on that tree
    (``ocp.models.contact.PLANAR_GROUND`` or
    ``ocp.models.spatial.contact.SPATIAL_GROUND``: reactions, external forces,
    outputs, power, lowest reachable sphere).
    """

    contacts: tuple[ContactSphere, ...]
    ground: object


@runtime_checkable
class MuscleModel(TreeModel, Protocol):
    """A tree model driven by Hill-type muscles.

    ``muscles``: tuple of Muscle (name, Hill parameters in SI units, path);
    ``tendon``: ``"rigid"`` or ``"compliant"``; ``activation_dynamics``: True
    when the controls are excitations and the activations ``<m>_activation``
    are states (dimensionless, in [0, 1]), False when the activations are the
    controls.
    """

    muscles: tuple[Muscle, ...]
    tendon: str
    activation_dynamics: bool


@runtime_checkable
class SurrogateModel(Protocol):
    """A model that may hold learned surrogates (ocp.models.surrogate).

    ``surrogates``: role (``"geometry"``, ``"contact"``, ``"dynamics"``,
    ``"activation"``) -> Surrogate, empty when every part is analytic;
    ``surrogate_inputs``: role -> SurrogateInputs, for a surrogate whose
    inputs a solution holds under other names (a contact network's
    indentation of every sphere); a role absent here is read under its
    inputs' own names.
    """

    surrogates: Mapping[str, Surrogate]
    surrogate_inputs: Mapping[str, SurrogateInputs]


@runtime_checkable
class LearnableDynamicsModel(TreeModel, Protocol):
    """A tree model whose equations of motion can be swapped for a learned graph network.

    ``learned_dynamics``: (CasADi function, target) in use, or None for
    Newton-Euler; ``with_learned_dynamics(surrogate)`` returns a new model
    with the checked ``tree_dynamics`` surrogate in place (this one is
    unchanged).
    """

    learned_dynamics: tuple | None

    def with_learned_dynamics(self, surrogate: Surrogate) -> Model: ...


@runtime_checkable
class OsimModel(TreeModel, Protocol):
    """A model read from an OpenSim .osim file (ocp.osim.model).

    ``osim``: the Skeleton (the tree, and where each OpenSim body and
    coordinate sits in it, with the parsed document); ``file_bounds``: name
    -> (lower, upper) from the file (coordinate ranges in rad or m, control
    limits); ``notes``: conversion notes (str); ``geometry_fit``: per muscle,
    the GeometryFitError of a fitted path (empty for exact paths);
    ``geometry_method``: ``"exact"``, ``"polynomial"`` or ``"neural"``.
    """

    osim: Skeleton
    file_bounds: dict
    notes: tuple[str, ...]
    geometry_fit: tuple[GeometryFitError, ...]
    geometry_method: str


@runtime_checkable
class DiscreteStepModel(Protocol):
    """A model with states advanced by a discrete map once per mesh interval.

    ``discrete_origin``: where the map comes from, for messages (``"the
    learned activation 'gru.casadi' ([model] activation_dynamics)"``). The map
    itself is ``Model.discrete_step``, its states ``Model.discrete_state_names``
    and its time step ``Model.sample_time_s`` (s).
    """

    discrete_origin: str


@runtime_checkable
class RestConditionsModel(Protocol):
    """A model whose hidden states start at rest, given the initial conditions.

    ``rest_conditions(initial)``: state name -> value (the states' own units)
    to add to the problem's initial conditions ``initial`` (name -> value or
    (lower, upper)); names already in ``initial`` are left out.
    """

    def rest_conditions(self, initial: dict) -> dict: ...


@runtime_checkable
class WrapperModel(Protocol):
    """A model built around another one, ``base`` (a Model), whose states come first.

    Rebuild the wrapper around a changed base with ``replace(base=...)``.
    """

    base: Model


#: Every capability protocol, for tests and documentation.
PROTOCOLS = (TreeModel, ContactModel, MuscleModel, SurrogateModel, LearnableDynamicsModel,
             OsimModel, DiscreteStepModel, RestConditionsModel, WrapperModel)

#: The attribute names whose probing (getattr/hasattr) these protocols replace.
CAPABILITY_NAMES = frozenset({
    "tree", "contacts", "muscles", "tendon", "activation_dynamics", "surrogates",
    "surrogate_inputs", "surrogate", "learned_dynamics", "use_learned_dynamics",
    "with_learned_dynamics", "osim", "file_bounds", "notes", "geometry_fit",
    "geometry_method", "discrete_origin", "rest_conditions", "base"})


def capabilities(model) -> tuple[type, ...]:
    """The protocols of :data:`PROTOCOLS` that ``model`` satisfies."""
    return tuple(p for p in PROTOCOLS if isinstance(model, p))
