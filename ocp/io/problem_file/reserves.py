"""``[model.reserves]``, ``[model.residuals]`` and muscle options of ``.osim`` models.

- ``[model.reserves]``: a reserve actuator (OpenSim's ``CoordinateActuator``,
  Moco's ``ModOpAddReserves``) on each listed coordinate (``coordinates =
  "all"`` or a list): ``optimal_force`` (N m or N per unit control, default
  1), ``bound`` (control limit, default none, as Moco), ``weight`` (adds
  ``weight * integral of sum of squared reserve controls`` to the costs;
  default none: the reserves then cost what the problem's other costs say).
- ``[model.residuals]``: residual forces and moment at the root joint (the
  pelvis of a gait model: the coordinates from the ground to the first body
  with mass), Moco's ``ModOpAddResiduals``: ``optimal_force`` (N, default
  50), ``optimal_moment`` (N m, default 250), ``bound``, ``weight``. They take
  the place of reserves on those coordinates.
- ``remove_muscles = true`` (Moco's ``ModOpRemoveMuscles``): the model is
  torque-driven by its reserves and residuals (controls ``tau_<coordinate>``,
  ``force_<coordinate>``, normalised by their optimal forces).
- ``passive_fiber_force = false`` (Moco's ``ModOpIgnorePassiveFiberForcesDGF``),
  ``active_force_width_scale`` (``ModOpScaleActiveFiberForceCurveWidthDGF``).
"""
from __future__ import annotations

import dataclasses
import math

from ocp.analysis.reserves import floating_base, root_coordinates, spatial_root_coordinates
from ocp.errors import suggestion
from ocp.models.multibody import REVOLUTE
from ocp.models.muscle_driven import MuscleDrivenTree
from ocp.models.muscles.curves import OPENSIM_2016

OSIM_ACTUATOR_KEYS = {"reserves", "residuals", "passive_fiber_force", "active_force_width_scale",
                      "remove_muscles"}


def reserve_coordinates(sub, coords: list, kind: str, owner: str) -> list:
    """The coordinates ``[model.reserves] coordinates`` names ("all": every one of
    ``coords``); one line naming the key for anything else or a name not in ``coords``
    ("no {kind} 'x' in '{owner}'")."""
    which = sub.table.get("coordinates", "all")
    if which == "all":
        return list(coords)
    if not (isinstance(which, list) and all(isinstance(c, str) for c in which)):
        raise sub.error("coordinates", f"expected \"all\" or a list of coordinates, "
                        f"got {which!r}")
    for c in which:
        if c not in coords:
            raise sub.error("coordinates", f"no {kind} '{c}' in '{owner}'"
                            + suggestion(c, coords))
    return which


def osim_actuators(reader, path) -> tuple:
    """(doc, muscle_options) for ``build_osim_model``: the table's reserves, residuals and
    muscle options on the planar .osim file ``path`` (their weights are costs:
    :func:`actuator_costs`), or (None, None) when the table has none."""
    from ocp.osim import build_skeleton, read_osim
    from ocp.osim.spatial_skeleton import is_planar
    keys = sorted(OSIM_ACTUATOR_KEYS & set(reader.table))
    if not keys:
        return None, None
    if not is_planar(path):   # a 3D torque-driven model: spatial_actuators, once built
        return None, None
    doc = read_osim(path)
    if "remove_muscles" in reader.table and not isinstance(reader.table["remove_muscles"], bool):
        raise reader.error("remove_muscles", "expected true or false (Moco's "
                           "ModOpRemoveMuscles), got " + repr(reader.table["remove_muscles"]))
    if not doc.muscles:
        raise reader.error(keys[0], f"'{path.name}' has no muscles; reserves, residuals and "
                           f"muscle options apply to .osim files with muscles")
    tree = build_skeleton(doc).tree
    options, reserves, bounds = {}, {}, {}
    kinds = tree.coordinate_kinds()
    coords = list(tree.coordinates)
    sub = reader.sub("reserves")
    if sub.table:
        sub.only({"optimal_force", "coordinates", "bound", "weight"})
        sub.number("weight", None, minimum=0.0)   # checked here, used by actuator_costs
        optimal = sub.number("optimal_force", 1.0, minimum=0.0)
        which = reserve_coordinates(sub, coords, "coordinate", path.name)
        bound = sub.number("bound", math.inf, minimum=0.0)
        for c in which:
            reserves[c] = optimal
            bounds[f"reserve_{c}"] = (-bound, bound)
    sub = reader.sub("residuals")
    if sub.table:
        sub.only({"optimal_force", "optimal_moment", "bound", "weight"})
        sub.number("weight", None, minimum=0.0)
        force = sub.number("optimal_force", 50.0, minimum=0.0)
        moment = sub.number("optimal_moment", 250.0, minimum=0.0)
        bound = sub.number("bound", math.inf, minimum=0.0)
        if not root_coordinates(tree):
            raise sub.error(None, f"'{path.name}' has no floating base (no sliding joint "
                            f"between the ground and its first body): use [model.reserves]")
        for c in root_coordinates(tree):
            reserves[c] = moment if kinds[c] == REVOLUTE else force
            bounds[f"reserve_{c}"] = (-bound, bound)
    if reader.table.get("remove_muscles"):
        for key in ("passive_fiber_force", "active_force_width_scale"):
            if key in reader.table:
                raise reader.error(key, "a muscle option, and remove_muscles = true")
        for name in ("reserves", "residuals"):
            if "weight" in reader.sub(name).table:
                raise reader.sub(name).error("weight", "with remove_muscles = true the reserves "
                                             "are the model's torques: weigh them with a "
                                             "control_effort cost")
        from ocp.osim.forces import CoordinateActuator
        kept = [a for a in doc.actuators if a.coordinate not in reserves]
        added = [CoordinateActuator(f"reserve_{c}", c, optimal, *bounds[f"reserve_{c}"], 0)
                 for c, optimal in reserves.items()]
        return dataclasses.replace(doc, muscles=[], actuators=kept + added), None
    if reserves:
        options.update(reserves=reserves, bounds=bounds)
    if "passive_fiber_force" in reader.table:
        options["passive_fiber_force"] = bool(reader.boolean("passive_fiber_force", True))
    if "active_force_width_scale" in reader.table:
        scale = reader.number("active_force_width_scale", 1.0, minimum=1.0)
        options["curves"] = dataclasses.replace(OPENSIM_2016, active_width_scale=scale)
    return doc, options


def actuator_costs(reader, model) -> list:
    """The SquaredControls costs that ``weight`` of [model.reserves]/[model.residuals]
    add; ``model`` is the problem's (the .osim model, or its MuscleStates)."""
    from ocp.analysis.muscle_redundancy import MuscleStates
    from ocp.costs.squared_controls import SquaredControls
    if not isinstance(reader.table, dict) or not (OSIM_ACTUATOR_KEYS & set(reader.table)) \
            or not str(reader.table.get("file", "")).lower().endswith(".osim"):
        return []   # built-in muscle models: [model.reserves] maps coordinate -> torque
    source = model.source if isinstance(model, MuscleStates) else model
    if not isinstance(source, MuscleDrivenTree):
        return []
    roots = floating_base(source.tree) if reader.sub("residuals").table else ()
    out = []
    for name in ("reserves", "residuals"):
        sub = reader.sub(name)
        weight = sub.number("weight", None, minimum=0.0) if sub.table else None
        if not weight:
            continue
        coords = [c for c in source.reserves if (c in roots) == (name == "residuals")]
        out.append(SquaredControls(name, weight=weight,
                                   controls=tuple(f"reserve_{c}" for c in coords)))
    return out


def spatial_actuators(reader, model):
    """[model.reserves] and [model.residuals] on a 3D torque-driven .osim model.

    The model's generalised forces become the reserves (``optimal_force`` per
    listed coordinate) and residuals (the pelvis: ``optimal_force`` on its
    translations, ``optimal_moment`` on its rotations), with the file's own
    CoordinateActuators; every other coordinate is left without one. Controls
    stay ``tau_<c>`` / ``force_<c>``, normalised by the optimal forces, bounded
    by ``bound``. Weights are refused: weigh them with a control_effort cost.
    Returns ``model`` unchanged without those tables.
    """
    from ocp.models.torque_driven import TorqueDrivenTree, actuator_name
    keys = sorted(OSIM_ACTUATOR_KEYS & set(reader.table))
    if not keys:
        return model
    if isinstance(model, MuscleDrivenTree):
        return spatial_muscle_actuators(reader, model)
    if not isinstance(model, TorqueDrivenTree):
        raise reader.error(keys[0], "reserves, residuals and muscle options of 3D .osim files "
                           "apply to torque-driven models for now: add remove_muscles = true")
    for key in ("passive_fiber_force", "active_force_width_scale"):
        if key in reader.table:
            raise reader.error(key, "a muscle option, and this 3D model is torque-driven")
    coords, kinds = list(model.tree.coordinates), model.tree.coordinate_kinds()
    optimal = {c: model.optimal_torque[c] for c in model.actuated if c in model.optimal_torque}
    bounds = dict(model.file_bounds)
    for name in ("reserves", "residuals"):
        sub = reader.sub(name)
        if not sub.table:
            continue
        if "weight" in sub.table:
            raise sub.error("weight", "on a torque-driven model the reserves and residuals are "
                            "its generalised forces: weigh them with a control_effort cost")
        if name == "reserves":
            sub.only({"optimal_force", "coordinates", "bound"})
            force = sub.number("optimal_force", 1.0, minimum=0.0)
            which = reserve_coordinates(sub, coords, "free coordinate", model.name)
            chosen = {c: force for c in which}
        else:
            sub.only({"optimal_force", "optimal_moment", "bound"})
            chosen = spatial_residuals(sub, model, kinds)
        bound = sub.number("bound", math.inf, minimum=0.0)
        for c, value in chosen.items():
            optimal[c] = value
            bounds[actuator_name(c, kinds[c])] = (-bound, bound)
    return model.replace(actuated=tuple(c for c in coords if c in optimal),
                         optimal_torque=optimal, bounds=bounds)


def spatial_residuals(sub, model, kinds) -> dict:
    """[model.residuals] of a 3D tree: {root coordinate: ``optimal_moment`` (N m) on a
    rotation, ``optimal_force`` (N) on a translation}; an error for a fixed base."""
    force = sub.number("optimal_force", 50.0, minimum=0.0)
    moment = sub.number("optimal_moment", 250.0, minimum=0.0)
    roots = spatial_root_coordinates(model.tree)
    if not roots:
        raise sub.error(None, f"'{model.name}' has no floating base: use [model.reserves]")
    return {c: moment if kinds[c] == REVOLUTE else force for c in roots}


def spatial_muscle_actuators(reader, model):
    """[model.reserves], [model.residuals] and the muscle options on a 3D muscle-driven
    .osim model, as on a planar one (:func:`osim_actuators`): a reserve control
    ``reserve_<c>`` (``optimal_force`` per unit, bounded by ``bound``, default
    none) on each listed coordinate, the residuals on the pelvis' six."""
    if reader.table.get("remove_muscles"):
        raise reader.error("remove_muscles", "on a 3D file, remove_muscles goes without "
                           "reserves and residuals (they are then its torques)")
    coords, kinds = list(model.tree.coordinates), model.coordinate_kinds()
    reserves, bounds = {}, {}
    for name in ("reserves", "residuals"):
        sub = reader.sub(name)
        if not sub.table:
            continue
        sub.number("weight", None, minimum=0.0)   # a cost: actuator_costs
        if name == "reserves":
            sub.only({"optimal_force", "coordinates", "bound", "weight"})
            force = sub.number("optimal_force", 1.0, minimum=0.0)
            chosen = {c: force for c in reserve_coordinates(sub, coords, "free coordinate",
                                                           model.name)}
        else:
            sub.only({"optimal_force", "optimal_moment", "bound", "weight"})
            chosen = spatial_residuals(sub, model, kinds)
        bound = sub.number("bound", math.inf, minimum=0.0)
        for c, value in chosen.items():
            reserves[c] = value
            bounds[f"reserve_{c}"] = (-bound, bound)
    options = {}
    if reserves:
        options.update(reserves=reserves, bounds={**model.file_bounds, **bounds})
    if "passive_fiber_force" in reader.table:
        options["passive_fiber_force"] = bool(reader.boolean("passive_fiber_force", True))
    if "active_force_width_scale" in reader.table:
        scale = reader.number("active_force_width_scale", 1.0, minimum=1.0)
        options["curves"] = dataclasses.replace(model.curves, active_width_scale=scale)
    return model.replace(**options) if options else model
