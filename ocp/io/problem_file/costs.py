"""``[costs.NAME]``: one cost term per table, its type looked up in COST_TYPES.

Each cost type reads its own table (:meth:`ocp.costs.CostTerm.from_table`)
from the keys it declares; a new type needs no change here.
"""
from __future__ import annotations

from pathlib import Path

from ocp.costs import COST_TYPES, CostContext, CostTerm
from ocp.io.tables import TableReader


def read_cost(name: str, reader: TableReader, model, base: Path,
              horizon: tuple | None = None) -> CostTerm:
    """The term a ``[costs.NAME]`` table describes (``base``: the problem file's folder;
    ``horizon``: the problem's (start, final) times, s)."""
    kind = reader.string("type")
    if kind is None:
        raise reader.error("type", "every cost term needs a type: " + ", ".join(COST_TYPES))
    cls = COST_TYPES.get(kind, reader.key("type"), reader.file)
    weight = reader.table.get("weight")
    if isinstance(weight, (int, float)) and not isinstance(weight, bool) and weight < 0:
        raise reader.error("weight", f"must be at least 0, got {weight}; to maximise, set "
                           f"sense = \"maximize\" at the top of the file and keep the "
                           f"weights positive")
    return cls.from_table(name, reader, CostContext(model, base, reader.file, horizon))
