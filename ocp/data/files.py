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

import numpy as np

from ocp.data.c3d import read_c3d
from ocp.data.csv_table import read_csv, write_csv
from ocp.data.errors import DataError
from ocp.data.opensim_text import read_storage, read_trc, write_storage, write_trc
from ocp.data.tables import Table

READERS = {".trc": read_trc, ".mot": read_storage, ".sto": read_storage, ".csv": read_csv}
WRITERS = {".trc": write_trc, ".mot": write_storage, ".sto": write_storage, ".csv": write_csv}
SUFFIXES = tuple(READERS) + (".c3d",)


#: Largest magnitude a sample of movement data can have. Forces (N), positions
#: (mm in .trc files), angles (deg) and moments stay below 1e5; a value beyond
#: 1e10 is a glitch of the recording or export (a 1e30 fill value), and one
#: such sample wrecks a filter or a tracking cost for the whole file.
GLITCH_MAGNITUDE = 1e10


def check_glitches(table: Table, path: Path) -> Table:
    """``table``, if no sample is infinite or beyond :data:`GLITCH_MAGNITUDE`; a
    DataError naming the file, the column and the sample otherwise (NaN is a
    gap, allowed)."""
    with np.errstate(invalid="ignore"):
        bad = np.abs(table.values) > GLITCH_MAGNITUDE
    if bad.any():
        row, col = (int(i[0]) for i in np.nonzero(bad))
        # the column is named in the message, not as DataError.column: the file is at
        # fault, not the choice of columns
        raise DataError(f"column '{table.columns[col]}', sample {row + 1} (t = "
                        f"{table.time_s[row]:.6g} s) is {table.values[row, col]:g}, beyond "
                        f"{GLITCH_MAGNITUDE:g}: a glitch in the recording; remove or fix that "
                        f"sample", path)
    return table


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
        return {group: check_glitches(table, path)
                for group, table in read_c3d(path).tables().items()}
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
    return check_glitches(READERS[suffix](path), path)


def write(path, table: Table, **options) -> Path:
    """Write a table in the format of the file's extension (see the module table)."""
    path = Path(path)
    return WRITERS[_suffix(path, tuple(WRITERS))](path, table, **options)
