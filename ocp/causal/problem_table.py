"""The problem file's ``[intervention]`` table: do() operations to answer after the solve.

::

    [intervention]
    answers = ["open-loop", "re-optimised"]     # default: both

    [intervention.weak_brachialis]
    do = "scale_max_isometric_force"            # weakness
    muscle = "BRA"
    factor = 0.5

    [intervention.no_biceps]
    do = "remove_muscle"
    muscle = "BIClong"

    [intervention.elbow_fixed]
    do = "lock_joint"
    coordinate = "elbow"
    angle = "90 deg"

    [intervention.brachialis_drive]
    do = "set"                                  # an excitation, control or activation
    node = "BRA_excitation"
    value = 0.2                                 # or time = [...] (s) and values = [...]

    [intervention.weight]
    do = "external_load"                        # a generalised force on a coordinate
    coordinate = "elbow"
    value = "-1 N*m"                            # or time = [...] and values = [...]

    [intervention.hand_weight]
    do = "segment_load"                         # a force and/or moment on a segment
    segment = "forearm"
    point = ["33 cm", 0]                        # in the segment's frame
    force = [0, "-20 N"]                        # world frame; or time = [...] and
    moment = "0 N*m"                            # force = [[fx, fy], ...], moment = [...]

Every entry is validated against the model once, here: an unknown node names
the closest valid one; a do() outside a bound or against an initial/final
condition is refused with the file and key.
"""
from __future__ import annotations

import numpy as np

from ocp.causal.answers import OPEN_LOOP, REOPTIMISED
from ocp.causal.interventions import (
    ExternalLoad,
    LockJoint,
    RemoveMuscle,
    ScaleMaxForce,
    SegmentLoad,
    SetSignal,
    intervene,
)
from ocp.errors import ProblemError, suggestion
from ocp.units import UnitError, to_si

KINDS = {
    "set": {"do", "node", "value", "time", "values"},
    "scale_max_isometric_force": {"do", "muscle", "factor"},
    "remove_muscle": {"do", "muscle"},
    "lock_joint": {"do", "coordinate", "angle"},
    "external_load": {"do", "coordinate", "value", "time", "values"},
    "segment_load": {"do", "segment", "point", "force", "moment", "time"},
}


def _value(entry, units: str):
    """``value`` (a number or quantity), or ``time`` and ``values`` lists."""
    has_value = "value" in entry.table
    has_series = "time" in entry.table or "values" in entry.table
    if has_value == has_series:
        raise entry.error(None, "give either 'value' (a constant) or 'time' (s) and "
                          "'values' (a trajectory)")
    if has_value:
        try:
            return to_si(entry.table["value"], units)
        except UnitError as exc:
            raise entry.error("value", str(exc)) from None
    times, values = entry.table.get("time"), entry.table.get("values")
    for key, seq in (("time", times), ("values", values)):
        if not (isinstance(seq, list) and len(seq) >= 2 and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in seq)):
            raise entry.error(key, "expected a list of at least two numbers")
    if len(times) != len(values):
        raise entry.error("values", f"has {len(values)} entries, 'time' has {len(times)}")
    if np.any(np.diff(times) <= 0):
        raise entry.error("time", "must increase strictly")
    return (tuple(float(t) for t in times), tuple(float(v) for v in values))


class Interventions(list):
    """The do() operations of a problem file, with their keys and the answers asked for."""

    def __init__(self, items=(), keys=(), answers=(OPEN_LOOP, REOPTIMISED)):
        super().__init__(items)
        self.keys, self.answers = list(keys), tuple(answers)


def read_interventions(reader, problem) -> Interventions:
    """The interventions of the [intervention] reader, checked against ``problem``.

    ``reader`` is the problem-file loader's table reader of [intervention];
    ``problem`` the problem as written, to check every do() against.
    """
    answers = reader.strings("answers", [OPEN_LOOP, REOPTIMISED])
    for a in answers:
        if a not in (OPEN_LOOP, REOPTIMISED):
            raise reader.error("answers", f"'{a}' is not an answer; expected '{OPEN_LOOP}' "
                               f"and/or '{REOPTIMISED}'" +
                               suggestion(a, [OPEN_LOOP, REOPTIMISED]))
    model = problem.model
    units = model.units()
    items, keys = [], []
    for name in reader.table:
        if name == "answers":
            continue
        entry = reader.sub(name)
        kind = entry.string("do")
        if kind is None:
            raise entry.error("do", "every intervention needs 'do': " + ", ".join(KINDS))
        if kind not in KINDS:
            raise entry.error("do", f"unknown intervention '{kind}'" + suggestion(kind, KINDS))
        entry.only(KINDS[kind])
        if kind == "segment_load":
            item = _segment_load(entry)
        elif kind == "set":
            node = entry.string("node")
            if node is None:
                raise entry.error("node", "name the node to set (e.g. 'BRA_excitation')")
            item = SetSignal(node, _value(entry, units.get(node, "-")))
        elif kind in ("scale_max_isometric_force", "remove_muscle"):
            muscle = entry.string("muscle")
            if muscle is None:
                raise entry.error("muscle", "name the muscle")
            if kind == "remove_muscle":
                item = RemoveMuscle(muscle)
            else:
                if "factor" not in entry.table:
                    raise entry.error("factor", "give the factor (e.g. 0.5 for half strength)")
                item = ScaleMaxForce(muscle, entry.number("factor"))
        else:
            coordinate = entry.string("coordinate")
            if coordinate is None:
                raise entry.error("coordinate", "name the coordinate")
            unit = units.get(coordinate, "-")
            if kind == "lock_joint":
                if "angle" not in entry.table:
                    raise entry.error("angle", "give the angle to lock at (e.g. '90 deg')")
                item = LockJoint(coordinate, entry.number("angle", unit=unit))
            else:
                moment_unit = "N" if unit == "m" else "N*m"
                item = ExternalLoad(coordinate, _value(entry, moment_unit))
        items.append(item)
        keys.append(entry.prefix)
    if not items and reader.table:
        raise reader.error(None, "no intervention given: add [intervention.NAME] with 'do'")
    try:
        intervene(problem, items, keys)  # every do() checked against the model once
    except ProblemError as exc:
        exc.file = reader.file
        raise
    except ValueError as exc:
        raise ProblemError(str(exc), reader.prefix, reader.file) from None
    return Interventions(items, keys, answers)


def _segment_load(entry) -> SegmentLoad:
    """``segment``, ``point`` [x, y] (m), ``force`` [fx, fy] (N) and/or ``moment`` (N m);
    with ``time`` (s), ``force`` is a list of [fx, fy] and ``moment`` a list, one per time."""
    segment = entry.string("segment")
    if segment is None:
        raise entry.error("segment", "name the segment the load acts on")
    if "force" not in entry.table and "moment" not in entry.table:
        raise entry.error(None, "give 'force' = [fx, fy] (N) and/or 'moment' (N m)")

    def quantity(key, value, unit):
        try:
            return to_si(value, unit)
        except UnitError as exc:
            raise entry.error(key, str(exc)) from None

    def pair(key, value, unit):
        if not (isinstance(value, list) and len(value) == 2):
            raise entry.error(key, f"expected [x, y] in {unit}, got {value!r}")
        return tuple(quantity(key, v, unit) for v in value)

    point = pair("point", entry.table.get("point", [0.0, 0.0]), "m")
    force, moment = entry.table.get("force", [0.0, 0.0]), entry.table.get("moment", 0.0)
    if "time" not in entry.table:
        fx, fy = pair("force", force, "N")
        return SegmentLoad(segment, point, fx, fy, quantity("moment", moment, "N*m"))
    times = entry.table["time"]
    if not (isinstance(times, list) and len(times) >= 2 and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in times)):
        raise entry.error("time", "expected a list of at least two numbers (s)")
    if np.any(np.diff(times) <= 0):
        raise entry.error("time", "must increase strictly")
    times = tuple(float(t) for t in times)
    fx = fy = mz = 0.0
    if "force" in entry.table:
        if not (isinstance(force, list) and len(force) == len(times)):
            raise entry.error("force", f"expected {len(times)} pairs [fx, fy], one per time")
        pairs = [pair("force", f, "N") for f in force]
        fx, fy = (times, tuple(p[0] for p in pairs)), (times, tuple(p[1] for p in pairs))
    if "moment" in entry.table:
        if not (isinstance(moment, list) and len(moment) == len(times)):
            raise entry.error("moment", f"expected {len(times)} values, one per time")
        mz = (times, tuple(quantity("moment", m, "N*m") for m in moment))
    return SegmentLoad(segment, point, fx, fy, mz)
