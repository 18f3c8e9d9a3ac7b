"""The numbers of a model that can be estimated, by name, and the model rebuilt with new ones.

Names follow the model's own element names, ``kind.element.quantity``:

- ``segment.<segment>.mass`` (kg), ``segment.<segment>.inertia`` (kg m^2, about
  the centre of mass);
- ``muscle.<muscle>.max_isometric_force`` (N), ``.optimal_fiber_length`` (m),
  ``.tendon_slack_length`` (m), ``.max_contraction_velocity`` (optimal fibre
  lengths per s), ``.tendon_strain_at_one_norm_force`` (-),
  ``.activation_time_constant`` and ``.deactivation_time_constant`` (s);
- ``contact.<sphere>.stiffness`` (N/m^2), ``.dissipation`` (s/m),
  ``.friction`` (dynamic friction coefficient, -);
- ``joint.<coordinate>.damping`` (N m s/rad): the viscous damping of a
  joint's passive moment (ocp.models.passive), for every coordinate of a
  torque- or muscle-driven tree that has one.

A muscle's path (its length as a function of the joint angles) is part of the
skeleton and stays as it is when its fibre or tendon lengths change.

:func:`with_values` rebuilds a model with any of these numbers replaced, by a
float or by a CasADi symbol; :func:`parametrised` puts SX symbols in place of
the named numbers, which is how estimated parameters enter the NLP
(``ocp.engine.nlp``): every per-point function of the transcription takes the
parameter vector as an extra input.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import casadi as ca

from ocp.models.muscle_driven import MuscleDrivenTree
from ocp.models.protocols import ContactModel, MuscleModel, TreeModel, WrapperModel
from ocp.models.torque_driven import TorqueDrivenTree

#: quantity -> (field of the element's dataclass, SI unit)
SEGMENT_QUANTITIES = {"mass": ("mass_kg", "kg"), "inertia": ("inertia_kg_m2", "kg*m^2")}
MUSCLE_QUANTITIES = {
    "max_isometric_force": ("max_isometric_force_N", "N"),
    "optimal_fiber_length": ("optimal_fiber_length_m", "m"),
    "tendon_slack_length": ("tendon_slack_length_m", "m"),
    "max_contraction_velocity": ("max_contraction_velocity_lopt_per_s", "1/s"),
    "tendon_strain_at_one_norm_force": ("tendon_strain_at_one_norm_force", "-"),
    "activation_time_constant": ("activation_time_constant_s", "s"),
    "deactivation_time_constant": ("deactivation_time_constant_s", "s"),
}
CONTACT_QUANTITIES = {"stiffness": ("stiffness_N_m2", "N/m^2"),
                      "dissipation": ("dissipation_s_m", "s/m"),
                      "friction": ("dynamic_friction", "-")}
JOINT_QUANTITIES = {"damping": ("damping_Nm_s_rad", "N*m*s/rad")}


def passive_joint_moments(model) -> dict:
    """coordinate -> PassiveJointMoment of a torque- or muscle-driven tree ({} otherwise)."""
    if isinstance(model, (TorqueDrivenTree, MuscleDrivenTree)):
        return model.passive_moments
    return {}


@dataclass(frozen=True)
class ModelNumber:
    """One estimable number of a model: its value in the model and its SI unit."""

    name: str
    value: float
    unit: str


def _split(name: str):
    parts = name.split(".")
    if len(parts) < 3:
        return None
    return parts[0], ".".join(parts[1:-1]), parts[-1]


def model_numbers(model) -> dict[str, ModelNumber]:
    """Every estimable number of ``model`` by name (see the module docstring)."""
    out = {}
    for seg in (model.tree.segments if isinstance(model, TreeModel) else ()):
        for quantity, (attr, unit) in SEGMENT_QUANTITIES.items():
            name = f"segment.{seg.name}.{quantity}"
            out[name] = ModelNumber(name, float(getattr(seg, attr)), unit)
    for m in (model.muscles if isinstance(model, MuscleModel) else ()):
        for quantity, (attr, unit) in MUSCLE_QUANTITIES.items():
            name = f"muscle.{m.name}.{quantity}"
            out[name] = ModelNumber(name, float(getattr(m.parameters, attr)), unit)
    for s in (model.contacts if isinstance(model, ContactModel) else ()):
        for quantity, (attr, unit) in CONTACT_QUANTITIES.items():
            name = f"contact.{s.name}.{quantity}"
            out[name] = ModelNumber(name, float(getattr(s, attr)), unit)
    for c, element in passive_joint_moments(model).items():
        for quantity, (attr, unit) in JOINT_QUANTITIES.items():
            name = f"joint.{c}.{quantity}"
            out[name] = ModelNumber(name, float(getattr(element, attr)), unit)
    return out


def with_values(model, values: dict):
    """A new ``model`` with the named numbers replaced (floats or CasADi symbols).

    Works for every model built on a kinematic tree (torque- and muscle-driven,
    .osim, gait) and for models wrapped by do() interventions or a learned
    activation (rebuilt around the changed base). ``values`` must hold names
    of :func:`model_numbers` only. ``model`` is unchanged (Model.replace).
    """
    if not values:
        return model
    if isinstance(model, WrapperModel):
        return model.replace(base=with_values(model.base, values))
    changes = {}
    by_kind = {"segment": {}, "muscle": {}, "contact": {}, "joint": {}}
    for name, value in values.items():
        kind, element, quantity = _split(name)
        by_kind[kind].setdefault(element, {})[quantity] = value
    if by_kind["segment"]:
        segments = tuple(
            dataclasses.replace(seg, **{SEGMENT_QUANTITIES[q][0]: v for q, v in
                                        by_kind["segment"][seg.name].items()})
            if seg.name in by_kind["segment"] else seg for seg in model.tree.segments)
        changes["tree"] = dataclasses.replace(model.tree, segments=segments)
    if by_kind["muscle"]:
        changes["muscles"] = tuple(
            dataclasses.replace(m, parameters=dataclasses.replace(
                m.parameters, **{MUSCLE_QUANTITIES[q][0]: v for q, v in
                                 by_kind["muscle"][m.name].items()}))
            if m.name in by_kind["muscle"] else m for m in model.muscles)
    if by_kind["contact"]:
        changes["contacts"] = tuple(
            dataclasses.replace(s, **{CONTACT_QUANTITIES[q][0]: v for q, v in
                                      by_kind["contact"][s.name].items()})
            if s.name in by_kind["contact"] else s for s in model.contacts)
    if by_kind["joint"]:
        changes["passive_moments"] = {
            c: dataclasses.replace(e, **{JOINT_QUANTITIES[q][0]: v for q, v in
                                         by_kind["joint"][c].items()})
            if c in by_kind["joint"] else e for c, e in passive_joint_moments(model).items()}
    return model.replace(**changes)


def parametrised(model, names) -> tuple[object, ca.SX]:
    """(``model`` with SX symbols for the named numbers, the (n, 1) symbol vector)."""
    names = list(names)
    p = ca.SX.sym("p", len(names))
    if not names:
        return model, p
    return with_values(model, {n: p[i] for i, n in enumerate(names)}), p
