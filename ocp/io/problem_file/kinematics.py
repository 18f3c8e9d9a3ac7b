"""``[kinematics]``: measured joint angles that muscles must explain.

With this section the problem is the muscle redundancy problem
(:mod:`ocp.analysis.muscle_redundancy`): the time span and the coordinates'
motion come from the file, the muscles are found.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ocp.errors import suggestion
from ocp.io.tables import TableReader


def read_kinematics(reader: TableReader, model, base: Path):
    """[kinematics]: joint angles to explain with muscles (the muscle redundancy problem).

    ``file`` is a CSV with a ``time`` column (s) and one column per coordinate
    (rad); ``columns`` maps coordinate -> column name when they differ.
    """
    from ocp.analysis.muscle_redundancy import kinematics_from_samples, redundancy_problem
    from ocp.models.muscle_driven import MuscleDrivenTree
    reader.only({"file", "columns"})
    if not isinstance(model, MuscleDrivenTree):
        raise reader.error(None, f"[kinematics] needs a muscle-driven model; "
                           f"'{model.name}' has no muscles")
    path = reader.path("file", base)
    if path is None:
        raise reader.error("file", "the kinematics file is required (CSV with 'time')")
    mapping = reader.sub("columns").table
    try:
        table = np.genfromtxt(path, delimiter=",", names=True)
    except (OSError, ValueError) as exc:
        raise reader.error("file", f"cannot read CSV '{path}': {exc}") from None
    columns = list(table.dtype.names or ())
    if "time" not in columns:
        raise reader.error("file", f"'{path}' has no 'time' column (columns: {columns})")
    time = np.atleast_1d(table["time"])
    if time.size < 6 or np.any(np.diff(time) <= 0):
        raise reader.error("file", f"'{path}': column 'time' must increase strictly "
                           f"over at least 6 rows")
    values = []
    for coordinate in model.tree.coordinates:
        column = mapping.get(coordinate, coordinate)
        if column not in columns:
            raise reader.error("columns", f"'{path}' has no column '{column}' for coordinate "
                               f"'{coordinate}'" + suggestion(column, columns))
        values.append(np.atleast_1d(table[column]))
    kinematics = kinematics_from_samples(model, time, np.column_stack(values))
    return redundancy_problem(model, kinematics)
