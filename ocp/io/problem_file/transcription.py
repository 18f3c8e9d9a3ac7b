"""``[transcription]``: the scheme, its mesh, the dynamics form, refinement, accuracy.

The scheme is looked up in :data:`ocp.transcriptions.TRANSCRIPTIONS` by
``method``; its keys are the ones its ``Options`` declare, so a new scheme
needs no change here. A key another scheme declares is an error naming that
scheme.
"""
from __future__ import annotations

import dataclasses
import math

from ocp.engine.accuracy import DEFAULT_ACCURACY
from ocp.engine.mesh_refinement import MeshRefinement
from ocp.errors import suggestion
from ocp.io.declarations import option_keys, read_options
from ocp.io.tables import TableReader
from ocp.problem import EXPLICIT
from ocp.transcriptions import TRANSCRIPTIONS

DEFAULT_METHOD = "hermite-simpson"
#: Keys of [transcription] that are the problem's, not the scheme's.
PROBLEM_KEYS = ("method", "dynamics", "refinement", "accuracy")


def read_transcription(reader: TableReader):
    """The scheme (on a graded ``mesh`` if given), the dynamics form ("explicit" or
    "implicit"), the mesh refinement (or None) and the accuracy (a fraction of each
    state's range, :mod:`ocp.engine.accuracy`) of a ``[transcription]`` table."""
    method = reader.string("method", DEFAULT_METHOD, choices=list(TRANSCRIPTIONS))
    scheme = TRANSCRIPTIONS[method]
    own = set(option_keys(scheme))
    others = {}
    for name, cls in TRANSCRIPTIONS.items():
        for key in set(option_keys(cls)) - own:
            others.setdefault(key, []).append(name)
    for key in reader.table:
        if key in own or key in PROBLEM_KEYS:
            continue
        if key in others:
            methods = " and ".join(f"'{m}'" for m in others[key])
            raise reader.error(key, f"'{key}' applies to method {methods} only, not '{method}'")
        valid = sorted(own | set(PROBLEM_KEYS) | set(others))
        raise reader.error(key, f"unknown key '{key}'" + suggestion(key, valid))
    values = read_options(scheme, reader, skip=("mesh",))
    mesh = graded_mesh(reader, values.get("intervals"))
    if mesh is not None:
        values.update(mesh=mesh, intervals=len(mesh) - 1)
    options = scheme.Options(**values)  # the declared defaults filled in
    transcription = scheme(**dataclasses.asdict(options))
    dynamics = reader.string("dynamics", EXPLICIT, choices=["explicit", "implicit"])
    accuracy = reader.number("accuracy", DEFAULT_ACCURACY)
    if not (accuracy > 0 and math.isfinite(accuracy)):
        raise reader.error("accuracy", "expected a positive fraction of each state's range, "
                           f"e.g. {DEFAULT_ACCURACY}, got {accuracy}")
    return transcription, dynamics, mesh_refinement(reader.sub("refinement")), accuracy


def graded_mesh(reader: TableReader, intervals: int | None) -> tuple[float, ...] | None:
    """``mesh``: where the intervals end as fractions of the horizon, or None.

    Increasing numbers from 0 to 1; with ``intervals`` also given, one more
    than it. ``mesh = [0, 0.001, 0.01, 0.99, 0.999, 1]`` puts short intervals at
    both ends of the horizon and one long one between.
    """
    value = reader.table.get("mesh")
    if value is None:
        return None
    numbers = (isinstance(value, list)
               and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value))
    if not numbers or len(value) < 2:
        raise reader.error("mesh", "expected a list of at least two numbers, fractions of "
                           f"the horizon from 0 to 1 (e.g. [0, 0.1, 0.5, 1]), got {value!r}")
    mesh = [float(v) for v in value]
    if mesh[0] != 0.0 or mesh[-1] != 1.0:
        raise reader.error("mesh", f"must start at 0 and end at 1 (fractions of the horizon), "
                           f"got {mesh[0]:g} ... {mesh[-1]:g}")
    steps = [b - a for a, b in zip(mesh, mesh[1:])]
    if not all(step > 0 for step in steps):
        where = next(i for i, step in enumerate(steps) if not step > 0)
        raise reader.error("mesh", f"must increase, but entry {where + 1} ({mesh[where + 1]:g}) "
                           f"does not exceed entry {where} ({mesh[where]:g})")
    if intervals is not None and intervals != len(mesh) - 1:
        raise reader.error("intervals", f"{intervals} intervals do not fit a mesh of "
                           f"{len(mesh)} points ({len(mesh) - 1} intervals): give one of "
                           f"the two, or make them agree")
    return tuple(mesh)


def mesh_refinement(reader: TableReader) -> MeshRefinement | None:
    """[transcription.refinement]: tolerance (state units) and passes, or None."""
    if not reader.table:
        return None
    reader.only({"tolerance", "passes"})
    if "tolerance" not in reader.table:
        raise reader.error("tolerance", "give the largest re-simulation error wanted of an "
                           "interval, in state units (m, rad, m/s, rad/s), e.g. 0.05")
    tolerance = reader.number("tolerance")
    if not tolerance > 0:
        raise reader.error("tolerance", f"expected a positive number, got {tolerance}")
    return MeshRefinement(tolerance, reader.integer("passes", MeshRefinement.passes, minimum=1))
