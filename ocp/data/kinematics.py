"""Joint angles from a data file, in the model's units: IK ``.mot``, ``.sto``, ``.csv``.

What the readers accept (:func:`ocp.data.files.read`):

- ``.mot``/``.sto`` (OpenSim's IK output, Moco's trajectories): angles in
  degrees when the header says ``inDegrees=yes``, radians otherwise;
  translations (``pelvis_tx``) in metres; a ``units=`` line (what
  ``ocp export`` writes) names each column's unit. Columns may be named by
  the coordinate or by its state path (``/jointset/hip_r/hip_flexion_r/value``).
- ``.csv``: a ``time`` column (``time [s]``, ``time_s``, ``time [ms]``,
  ``time_ms``: the project's own ``data.write`` and ``ocp export`` files),
  units from ``name [unit]`` headers (radians and metres when none is given).

Bad input is one DataError naming the file and the column: a missing column,
a time column in milliseconds without its unit (steps of 0.5 or more), a
coordinate column that is not an angle or a length, missing samples, an
angle column whose values exceed 2 pi in a file that says radians (degrees
given as radians: mixed units), data that do not cover the time span asked
for (today's references would be held constant beyond the data).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ocp.data.errors import DataError
from ocp.data.external_loads import check_seconds
from ocp.data.files import read
from ocp.data.references import model_name_of_column, to_unit
from ocp.data.tables import Table
from ocp.errors import suggestion

__all__ = ["Kinematics", "check_covers", "coordinate_columns", "read_kinematics"]

#: Largest magnitude of an angle in radians that a joint reaches (one turn); a
#: larger value in a column said to be in radians is an angle in degrees.
MAX_ANGLE_RAD = 2 * math.pi


@dataclass(frozen=True, eq=False)
class Kinematics:
    """Coordinates sampled at ``time_s`` (n,): ``values`` (n, m) in rad or m,
    columns in the order of ``coordinates``; ``source`` the file."""

    time_s: np.ndarray
    coordinates: tuple
    values: np.ndarray
    source: str = ""

    def column(self, coordinate: str) -> np.ndarray:
        return self.values[:, self.coordinates.index(coordinate)]


def coordinate_columns(table: Table) -> dict:
    """{coordinate: column} of a table: columns named by a coordinate or by its
    state path (``/jointset/<joint>/<coordinate>/value``)."""
    out = {}
    for c in table.columns:
        name = model_name_of_column(c)
        if not name.endswith("_speed"):
            out.setdefault(name, c)
    return out


def check_covers(time_s, start_s: float, end_s: float, file, what: str = "data") -> None:
    """DataError unless the samples span [start_s, end_s] (to 1e-9 s): beyond the
    samples a reference would be held at its last value, not measured."""
    t = np.asarray(time_s, float)
    tol = 1e-9 * max(1.0, abs(end_s))
    if t[0] > start_s + tol or t[-1] < end_s - tol:
        raise DataError(f"the {what} cover {t[0]:g} to {t[-1]:g} s, but {start_s:g} to "
                        f"{end_s:g} s are needed; shorten the time span or give longer data",
                        file, "time")


def _values(table: Table, column: str, unit: str, path) -> np.ndarray:
    values = to_unit(table, column, unit, f"a {'length' if unit == 'm' else 'angle'} "
                                          f"coordinate")
    if np.isnan(values).any():
        raise DataError(f"has {int(np.isnan(values).sum())} missing samples (NaN)", path,
                        column)
    if unit == "rad" and table.unit(column) in ("", "rad") and values.size \
            and np.max(np.abs(values)) > MAX_ANGLE_RAD:
        said = ("inDegrees=no" if "in_degrees" in table.metadata else "no unit (radians)"
                if table.unit(column) == "" else "'rad'")
        raise DataError(f"reaches {np.max(np.abs(values)):.4g}, more than one turn in "
                        f"radians, but the file says {said}: degrees and radians mixed? "
                        f"Mark the column [deg] or the file inDegrees=yes", path, column)
    return values


def read_kinematics(path, coordinates, translational=(), *, columns: dict | None = None,
                    defaults: dict | None = None, table: Table | None = None,
                    as_written=()) -> Kinematics:
    """The model's ``coordinates`` from a data file, in rad (m for ``translational``).

    ``columns``: {coordinate: column} where the names differ; ``defaults``:
    {coordinate: value} used for coordinates the file lacks (as OpenSim's tools
    do); without a default a missing column is a DataError with the closest name.
    ``table``: the file already read. ``as_written``: coordinates whose numbers
    are taken unconverted, as OpenSim does for a coupled coordinate (motion
    type Coupled: its IK writes it unconverted into a file in degrees).
    """
    path = Path(path)
    table = read(path) if table is None else table
    check_seconds(table, path)
    by_name = coordinate_columns(table)
    columns = dict(columns or {})
    unknown = [c for c in columns if c not in coordinates]
    if unknown:
        raise DataError(f"columns given for '{unknown[0]}', which is not a coordinate of the "
                        f"model" + suggestion(unknown[0], list(coordinates)), path)
    out = []
    for coordinate in coordinates:
        column = columns.get(coordinate, by_name.get(coordinate))
        unit = "m" if coordinate in translational else "rad"
        if column is None or column not in table.columns:
            if defaults is not None and coordinate in defaults and column is None:
                out.append(np.full(table.n_samples, float(defaults[coordinate])))
                continue
            wanted = column or coordinate
            raise DataError(f"no column '{wanted}' for coordinate '{coordinate}'"
                            + suggestion(wanted, list(table.columns)), path, wanted)
        if coordinate in as_written:
            out.append(table.column(column))
            continue
        out.append(_values(table, column, unit, path))
    return Kinematics(table.time_s, tuple(coordinates), np.column_stack(out), str(path))
