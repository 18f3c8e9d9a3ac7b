"""Comma-separated tables: a header row of names, a ``time`` column, one row per sample.

A name may carry its unit in brackets, ``elbow [deg]`` or ``elbow (deg)``;
``time`` may be in s or ms. Lines starting with ``#`` before the header are
comments. An empty field is a missing sample (NaN).
"""
from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path

import numpy as np

from ocp.data.errors import DataError
from ocp.data.opensim_text import parse_row, read_lines
from ocp.data.tables import Table
from ocp.solution import atomic_write

_NAME_UNIT = re.compile(r"^\s*(.*?)\s*(?:\[([^\]]*)\]|\(([^)]*)\))\s*$")
_TIME_UNITS = {"s": 1.0, "ms": 1e-3, "": 1.0}


def _split_name(text: str) -> tuple[str, str]:
    text = text.strip().strip('"').strip()
    if text in ("time_ms", "time_s"):  # the unit written into the name
        return "time", text[5:]
    match = _NAME_UNIT.match(text)
    if match:
        return match.group(1), (match.group(2) or match.group(3) or "").strip()
    return text, ""


def read_csv(path) -> Table:
    """A CSV table with a ``time`` column (s or ms); units from ``name [unit]`` headers."""
    path = Path(path)
    lines = read_lines(path)
    comments = []
    start = 0
    while start < len(lines) and (lines[start].startswith("#") or not lines[start].strip()):
        if lines[start].startswith("#"):
            comments.append(lines[start][1:].strip())
        start += 1
    if start == len(lines):
        raise DataError("no header row (names of the columns)", path)
    rows = list(csv.reader(io.StringIO("\n".join(lines[start:]))))
    names, units = zip(*(_split_name(h) for h in rows[0]))
    names, units = list(names), list(units)
    while names and names[-1] == "":
        names.pop(), units.pop()
    if "time" not in names:
        raise DataError(f"no 'time' column (columns: {names})", path, "time")
    t_col = names.index("time")
    if units[t_col] not in _TIME_UNITS:
        raise DataError(f"time must be in s or ms, got '{units[t_col]}'", path, "time")
    for i, n in enumerate(names):
        if n == "":
            raise DataError(f"column {i + 1} has no name", path)
    data = []
    for line_no, fields in enumerate(rows[1:], start=start + 2):
        if not fields or all(not f.strip() for f in fields):
            continue
        while len(fields) > len(names) and fields[-1].strip() == "":
            fields = fields[:-1]
        data.append(parse_row(fields, names, path, line_no))
    if not data:
        raise DataError("no data rows", path, "time")
    data = np.array(data)
    time = data[:, t_col] * _TIME_UNITS[units[t_col]]
    keep = [i for i in range(len(names)) if i != t_col]
    return Table(time, data[:, keep], tuple(names[i] for i in keep),
                 tuple(units[i] for i in keep), None, str(path), {"comments": comments})


def csv_time_unit(path) -> str | None:
    """The unit written in the ``time`` header of the CSV file ``path`` ("" when
    none is), or None for a file that is not a readable CSV with a time column."""
    if path is None or Path(path).suffix.lower() != ".csv":
        return None
    try:
        lines = [ln for ln in read_lines(Path(path))
                 if ln.strip() and not ln.startswith("#")]
        header = next(csv.reader(io.StringIO(lines[0])))
    except (OSError, IndexError, StopIteration, DataError):
        return None
    units = dict(_split_name(h) for h in header)
    return units.get("time")


def write_csv(path, table: Table) -> Path:
    """Write ``time [s]`` and every column as ``name [unit]`` (unit left out if unknown)."""
    path = Path(path)
    for c in table.columns:
        if any(ch in c for ch in ',"[]()\n'):
            raise DataError("CSV column names cannot contain commas, quotes or brackets",
                            table.source or None, c)
    header = ["time [s]"] + [f"{c} [{u}]" if u else c
                             for c, u in zip(table.columns, table.units)]
    lines = [",".join(header)]
    for k in range(table.n_samples):
        row = [table.time_s[k], *table.values[k].tolist()]
        lines.append(",".join("" if math.isnan(v) else repr(float(v)) for v in row))
    text = "\n".join(lines) + "\n"
    atomic_write(path, lambda f: f.write(text.encode()))
    return path
