"""``[model]`` options of ``.osim`` models applied after the file is read.

- ``passive_moments``: ``"predsim"`` (PredSim's limit torques and damping,
  ``ocp.models.passive.predsim_passive_moments``) or a table: ``preset``,
  ``damping`` (N m s/rad, the preset's) and per coordinate
  ``[model.passive_moments.COORDINATE] k = [k1, k2, k3, k4]``,
  ``theta = [low, up]`` (rad or "deg"), ``damping``, ``stiffness`` (N m/rad, a
  linear spring about 0; none by default): exponential limit torques plus damping
  (ocp.models.passive.PassiveJointMoment).
- ``tendon_stiffness``: the shape factor kT of the tendon force-length curve
  ``f_T = c1 exp(kT (l~T - c2)) - c3`` of every muscle (a number; 35 in De
  Groote et al. 2016 and PredSim), or a table by muscle with an optional
  ``default``. With the model's curves (OpenSim's DeGrooteFregly2016Muscle
  constants by default, c2 = 1) the force at slack length stays zero for any
  kT, which is what PredSim's shift of the curve (``getShift``) ensures for
  its constants.
- ``no_muscle_moment``: coordinates on which the muscles crossing them put no
  moment (their lengths still change with them), so that the coordinate moves
  under its passive moment only: PredSim's ``mtp_type = '2022paper'``
  (``OCP_formulation.m``: the mtp's muscle moment is left out of its torque balance).
"""
from __future__ import annotations

import dataclasses
import math

from ocp.errors import suggestion
from ocp.io.tables import TableReader, kind
from ocp.models.multibody import REVOLUTE
from ocp.models.muscle_driven import COMPLIANT, MuscleDrivenTree
from ocp.models.passive import (
    PREDSIM_DAMPING_NM_S_RAD,
    PassiveJointMoment,
    floating_base,
    predsim_passive_moments,
)

PASSIVE_KEYS = ("preset", "damping")
COORDINATE_KEYS = ("k", "theta", "damping", "stiffness")


def tendon_strain(stiffness: float, curves) -> float:
    """Tendon strain at one normalised force for the shape factor kT (inverse of
    ocp.models.muscles.curves.tendon_stiffness_shape)."""
    return math.log((1.0 + curves.c3) / curves.c1) / stiffness + curves.c2 - 1.0


def read_passive_moments(reader: TableReader, model) -> dict:
    """coordinate -> PassiveJointMoment from ``[model] passive_moments``."""
    value = reader.table["passive_moments"]
    coords = list(model.tree.coordinates)
    if isinstance(value, str):
        table = TableReader({"preset": value}, reader.key("passive_moments"), reader.file)
    elif isinstance(value, dict):
        table = reader.sub("passive_moments")
    else:
        raise reader.error("passive_moments", f"expected \"predsim\" or a table, got "
                           f"{kind(value)}")
    elements = {}
    damping = table.number("damping", PREDSIM_DAMPING_NM_S_RAD, minimum=0.0)
    if table.string("preset", None, choices=["predsim"]) == "predsim":
        elements = predsim_passive_moments(coords, floating_base(model.tree), damping)
    kinds = model.coordinate_kinds() if isinstance(model, MuscleDrivenTree) \
        else model.tree.coordinate_kinds()
    elements = {c: e for c, e in elements.items() if kinds.get(c) == REVOLUTE}
    for c, sub_table in table.table.items():
        if c in PASSIVE_KEYS:
            continue
        if c not in coords:
            raise table.error(c, f"unknown coordinate '{c}'" + suggestion(c, coords + list(
                PASSIVE_KEYS)))
        sub = table.sub(c)
        sub.only(COORDINATE_KEYS)
        k = sub_table.get("k")
        theta = sub_table.get("theta")
        if not (isinstance(k, list) and len(k) == 4):
            raise sub.error("k", "expected [k1 (N m), k2 (1/rad), k3 (N m), k4 (1/rad)]")
        if not (isinstance(theta, list) and len(theta) == 2):
            raise sub.error("theta", "expected [lower, upper] limits (rad or \"deg\")")
        ks = [TableReader({"k": v}, sub.key("k"), sub.file).number("k") for v in k]
        thetas = [TableReader({"theta": v}, sub.key("theta"), sub.file).number("theta",
                                                                                 unit="rad")
                  for v in theta]
        element = PassiveJointMoment(*ks, *thetas, sub.number("damping", damping, minimum=0.0),
                                     sub.number("stiffness", 0.0, minimum=0.0))
        try:
            element.check(c)
        except ValueError as exc:
            raise sub.error(None, str(exc)) from None
        elements[c] = element
    return elements


def read_tendon_stiffness(reader: TableReader, model) -> list:
    """The model's muscles with ``[model] tendon_stiffness`` applied (kT, -)."""
    if not isinstance(model, MuscleDrivenTree):
        raise reader.error("tendon_stiffness", "this model has no muscles")
    if model.tendon != COMPLIANT:
        raise reader.error("tendon_stiffness", "a rigid tendon has no stiffness; set "
                           "tendon = \"compliant\"")
    value = reader.table["tendon_stiffness"]
    names = [m.name for m in model.muscles]
    if isinstance(value, dict):
        table = reader.sub("tendon_stiffness")
        for key in table.table:
            if key != "default" and key not in names:
                raise table.error(key, f"unknown muscle '{key}'" + suggestion(key, names))
        default = table.number("default", None, minimum=0.0)
        per_muscle = {m: table.number(m, minimum=0.0) for m in names if m in table.table}
    else:
        default, per_muscle = reader.number("tendon_stiffness", minimum=0.0), {}
        table = reader
    muscles = []
    for m in model.muscles:
        stiffness = per_muscle.get(m.name, default)
        if stiffness is None:
            muscles.append(m)
            continue
        if not 0 < stiffness < math.inf:
            key = "tendon_stiffness" if table is reader else \
                m.name if m.name in per_muscle else "default"
            raise table.error(key, f"expected a positive, finite stiffness (35 in De Groote "
                              f"et al. 2016), got {stiffness}")
        strain = tendon_strain(stiffness, model.curves)
        muscles.append(dataclasses.replace(m, parameters=dataclasses.replace(
            m.parameters, tendon_strain_at_one_norm_force=strain)))
    return muscles


def read_no_muscle_moment(reader: TableReader, model) -> tuple:
    """The coordinates of ``[model] no_muscle_moment`` (a list of the model's
    coordinates crossed by one of its muscles)."""
    if not isinstance(model, MuscleDrivenTree):
        raise reader.error("no_muscle_moment", "this model has no muscles")
    return tuple(reader.strings("no_muscle_moment", choices=model.tree.coordinates,
                                what="coordinate"))


def apply_osim_options(reader: TableReader, model):
    """The model with its ``passive_moments``, ``tendon_stiffness`` and
    ``no_muscle_moment`` (if given)."""
    changes = {}
    if "passive_moments" in reader.table:
        changes["passive_moments"] = read_passive_moments(reader, model)
    if "tendon_stiffness" in reader.table:
        changes["muscles"] = read_tendon_stiffness(reader, model)
    if "no_muscle_moment" in reader.table:
        changes["no_muscle_moment"] = read_no_muscle_moment(reader, model)
    if not changes:
        return model
    try:
        return model.replace(**changes)
    except (TypeError, ValueError) as exc:
        raise reader.error(next(iter(changes)) if len(changes) == 1 else None,
                           str(exc)) from None
