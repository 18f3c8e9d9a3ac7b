"""``[constraints.NAME]``: path constraints written in Python."""
from __future__ import annotations

import math
from pathlib import Path

from ocp.io.problem_file.distances import DistanceConstraint
from ocp.io.python_functions import python_function
from ocp.io.tables import TableReader, kind
from ocp.problem import PathConstraint


def read_constraint(name: str, reader: TableReader, base: Path, model=None) -> PathConstraint:
    """``lower <= function(v) <= upper`` at every point; ``file`` defines ``function``.
    ``type = "distance"``: between two body origins (:mod:`.distances`)."""
    if "type" in reader:
        reader.string("type", choices=("distance",))
        return DistanceConstraint.from_table(name, reader, model).path_constraint()
    reader.only({"file", "function", "lower", "upper"})
    fn = python_function(reader, base, "function")
    if fn is None:
        raise reader.error("function", "the name of the constraint function is required")
    lower = reader.table.get("lower", -math.inf)
    upper = reader.table.get("upper", math.inf)
    for key, value in (("lower", lower), ("upper", upper)):
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            raise reader.error(key, f"expected a number or a list of numbers, got {kind(value)}")
    return PathConstraint(name, fn, lower, upper)
