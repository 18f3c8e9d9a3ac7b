"""Read and write any supported data file by its extension.

========  =======================================  ====================
suffix    what                                     module
========  =======================================  ====================
``.trc``  marker trajectories (OpenSim)            :mod:`.opensim_text`
``.mot``  motion / forces (OpenSim Storage)        :mod:`.opensim_text`
``.sto``  any time series (OpenSim Storage)        :mod:`.opensim_text`
``.csv``  comma-separated, ``time`` column         :mod:`.csv_table`
``.c3d``  markers and analogs, two rates (ezc3d)   :mod:`.c3d`
========  =======================================  ====================
"""
from __future__ import annotations

from pathlib import Path

from ocp.data.c3d import read_c3d
from ocp.data.csv_table import read_csv, write_csv
from ocp.data.errors import DataError
from ocp.data.opensim_text import read_storage, read_trc, write_storage, write_trc
from ocp.data.tables import Table

READERS = {".trc": read_trc, ".mot": read_storage, ".sto": read_storage, ".csv": read_csv}
WRITERS = {".trc": write_trc, ".mot": write_storage, ".sto": write_storage, ".csv": write_csv}
SUFFIXES = tuple(READERS) + (".c3d",)


def _suffix(path: Path, allowed) -> str:
    suffix = path.suffix.lower()
    if suffix not in allowed:
        raise DataError(f"unknown data file type '{suffix or '(none)'}'; expected one of "
                        f"{', '.join(allowed)}", path)
    return suffix


def read_tables(path) -> dict[str, Table]:
    """Every table of a data file by group: ``{"points": ..., "analogs": ...}`` for
    C3D, ``{"data": table}`` for the text formats."""
    path = Path(path)
    if _suffix(path, SUFFIXES) == ".c3d":
        return read_c3d(path).tables()
    return {"data": read(path)}


def read(path) -> Table:
    """The table of a text data file (``.trc``, ``.mot``, ``.sto``, ``.csv``).

    A C3D file holds two tables at two rates: use :func:`read_c3d` or
    :func:`read_tables`.
    """
    path = Path(path)
    suffix = _suffix(path, SUFFIXES)
    if suffix == ".c3d":
        raise DataError("a C3D file holds markers and analogs at two rates; read it with "
                        "read_c3d() or read_tables()", path)
    return READERS[suffix](path)


def write(path, table: Table, **options) -> Path:
    """Write a table in the format of the file's extension (see the module table)."""
    path = Path(path)
    return WRITERS[_suffix(path, tuple(WRITERS))](path, table, **options)
