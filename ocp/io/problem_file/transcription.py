"""``[transcription]``: the collocation scheme, its mesh, the dynamics form, refinement.

The scheme is looked up in :data:`ocp.transcriptions.TRANSCRIPTIONS` by
``method``; its keys are the ones its ``Options`` declare, so a new scheme
needs no change here. A key another scheme declares is an error naming that
scheme.
"""
from __future__ import annotations

import dataclasses

from ocp.engine.mesh_refinement import MeshRefinement
from ocp.errors import suggestion
from ocp.io.declarations import option_keys, read_options
from ocp.io.tables import TableReader
from ocp.problem import EXPLICIT
from ocp.transcriptions import TRANSCRIPTIONS

DEFAULT_METHOD = "hermite-simpson"
#: Keys of [transcription] that are the problem's, not the scheme's.
PROBLEM_KEYS = ("method", "dynamics", "refinement")


def read_transcription(reader: TableReader):
    """The scheme, the dynamics form ("explicit" or "implicit") and the mesh refinement
    (or None) of a ``[transcription]`` table."""
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
    options = scheme.Options(**read_options(scheme, reader))  # the declared defaults filled in
    transcription = scheme(**dataclasses.asdict(options))
    dynamics = reader.string("dynamics", EXPLICIT, choices=["explicit", "implicit"])
    return transcription, dynamics, mesh_refinement(reader.sub("refinement"))


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
