"""OpenSim's text formats: markers (``.trc``) and storage files (``.mot``, ``.sto``).

``.trc`` (the Motion Analysis track row column format that OpenSim reads and
writes): three header lines of key/value pairs (``DataRate``, ``NumFrames``,
``NumMarkers``, ``Units`` ...), a line of marker names, a line of coordinate
labels (``X1 Y1 Z1 ...``), then one tab-separated row per frame: frame
number, time, then x, y, z of every marker; a missing marker is left empty.
Marker ``M`` becomes the columns ``M_x``, ``M_y``, ``M_z`` in the units of
the header (often mm).

``.mot`` and ``.sto`` (OpenSim's Storage): free header lines and ``key=value``
lines (``nRows``, ``nColumns``, ``inDegrees`` ...) up to ``endheader``, a
line of column labels starting with ``time``, then one row of numbers per
sample. ``inDegrees=yes`` says the rotational coordinates are in degrees; the
file cannot say which columns those are (``pelvis_tx`` is in metres in the
same file), so units follow OpenSim's naming conventions (see
:func:`opensim_unit`) unless the file carries a ``units=`` line, which
:func:`write_storage` writes (OpenSim keeps unknown header keys as metadata).

Reference: OpenSim documentation, "Marker (.trc) Files" and "Storage (.sto)
Files" (opensim-org, OpenSim User's Guide).
"""
from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from ocp.data.errors import DataError
from ocp.data.tables import ANGLE_UNITS, Table
from ocp.solution import atomic_write

AXES = ("x", "y", "z")


# -- reading helpers -----------------------------------------------------------

def opensim_xml_element(path, tag: str, what: str):
    """The ``<tag>`` element of the OpenSim ``.xml`` at ``path`` (the root itself or its
    child). DataError naming the file: ``what`` (e.g. "setup file") does not exist, is
    not readable XML, or has no ``<tag>``."""
    import xml.etree.ElementTree as ET

    path = Path(path)
    if not path.is_file():
        raise DataError(f"the {what} does not exist", path)
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise DataError(f"not readable XML: {exc}", path) from None
    element = root if root.tag == tag else root.find(tag)
    if element is None:
        raise DataError(f"no <{tag}> element (root is <{root.tag}>): not an OpenSim "
                        f"{what}", path)
    return element


def read_lines(path) -> list[str]:
    """The lines of a text file; DataError if it cannot be read as text."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataError("file does not exist", path) from None
    except OSError as exc:
        raise DataError(f"cannot read the file: {exc.strerror}", path) from None
    if b"\x00" in data[:4096]:
        raise DataError("not a text file (binary data)", path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return text.splitlines()


def _number(text: str, path, line_no: int, column: str) -> float:
    text = text.strip()
    if text == "":
        return math.nan
    try:
        return float(text)
    except ValueError:
        raise DataError(f"line {line_no}: '{text}' is not a number", path, column) from None


def parse_row(fields, names, path, line_no: int) -> list[float]:
    """One data row as numbers; a row of the wrong width is an error naming its column."""
    if len(fields) != len(names):
        column = names[len(fields)] if len(fields) < len(names) else None
        raise DataError(f"line {line_no} has {len(fields)} values, expected "
                        f"{len(names)}" + (": truncated file?" if column else ""),
                        path, column)
    return [_number(f, path, line_no, c) for f, c in zip(fields, names)]


def _format(x: float) -> str:
    """Shortest text that reads back to the same double."""
    return "NaN" if math.isnan(x) else repr(float(x))


# -- .trc ----------------------------------------------------------------------

def read_trc(path) -> Table:
    """Marker trajectories from a ``.trc`` file, at the rate and in the units of its header.

    Columns ``<marker>_x``, ``_y``, ``_z``; ``metadata`` keeps the header
    (``DataRate``, ``Units`` ...), ``markers`` (names in file order) and
    ``first_frame``. The rate of the header is checked against the time
    column, the number of frames and markers against the data.
    """
    path = Path(path)
    lines = read_lines(path)
    if not lines or not lines[0].startswith("PathFileType"):
        raise DataError("not a .trc file: the first line must start with 'PathFileType'", path)
    if len(lines) < 5:
        raise DataError(f"truncated header: {len(lines)} lines, a .trc header has 5", path)
    keys = lines[1].split("\t")
    vals = lines[2].split("\t")
    header = {k.strip(): v.strip() for k, v in zip(keys, vals) if k.strip()}
    for required in ("DataRate", "NumFrames", "NumMarkers", "Units"):
        if required not in header:
            raise DataError(f"the header has no '{required}' (keys: {sorted(header)})", path)
    try:
        rate = float(header["DataRate"])
        n_frames, n_markers = int(header["NumFrames"]), int(header["NumMarkers"])
    except ValueError:
        raise DataError("DataRate, NumFrames and NumMarkers must be numbers, got "
                        f"{header['DataRate']!r}, {header['NumFrames']!r}, "
                        f"{header['NumMarkers']!r}", path) from None
    names = [n.strip() for n in lines[3].split("\t")[2:] if n.strip()]
    if len(names) != n_markers:
        raise DataError(f"the header says {n_markers} markers, the name line lists "
                        f"{len(names)}", path)
    columns = [f"{m}_{a}" for m in names for a in AXES]
    width = 2 + 3 * n_markers
    frames, times, rows = [], [], []
    for line_no, line in enumerate(lines[5:], start=6):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) < width:
            raise DataError(f"line {line_no} has {len(fields)} fields, expected {width} "
                            f"(frame, time, 3 per marker): truncated file?", path,
                            columns[max(0, len(fields) - 2)] if len(fields) > 2 else "time")
        if any(f.strip() for f in fields[width:]):
            raise DataError(f"line {line_no} has {len(fields)} fields, expected {width}", path)
        frames.append(_number(fields[0], path, line_no, "Frame#"))
        times.append(_number(fields[1], path, line_no, "time"))
        rows.append([_number(f, path, line_no, c) for f, c in zip(fields[2:width], columns)])
    if len(rows) != n_frames:
        raise DataError(f"the header says {n_frames} frames, the file holds {len(rows)}"
                        + (": truncated file?" if len(rows) < n_frames else ""), path)
    units = header["Units"]
    metadata = dict(header, markers=names, first_frame=int(frames[0]) if frames else 1)
    return Table(np.array(times), np.array(rows).reshape(len(rows), len(columns)),
                 tuple(columns), (units,) * len(columns), rate, str(path), metadata)


def marker_names(table: Table) -> list[str]:
    """Markers of a table whose columns come in ``M_x, M_y, M_z`` triplets."""
    names = []
    for i in range(0, len(table.columns), 3):
        triple = table.columns[i:i + 3]
        stem = triple[0][:-2] if triple[0].endswith("_x") else None
        if stem is None or list(triple) != [f"{stem}_{a}" for a in AXES]:
            raise DataError("a .trc table needs columns in <marker>_x, _y, _z triplets",
                            table.source or None, triple[0])
        names.append(stem)
    return names


def write_trc(path, table: Table) -> Path:
    """Write marker columns (``M_x, M_y, M_z`` triplets, uniform rate) as a ``.trc`` file."""
    path = Path(path)
    rate = table.require_uniform("a .trc file")
    names = marker_names(table)
    units = set(table.units)
    if len(units) != 1:
        raise DataError(f"all marker columns of a .trc file share one unit, got "
                        f"{sorted(units)}", table.source or None)
    unit = units.pop() or "m"
    n = table.n_samples
    first = int(table.metadata.get("first_frame", 1))
    lines = [
        f"PathFileType\t4\t(X/Y/Z)\t{path.name}",
        "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\t"
        "OrigDataStartFrame\tOrigNumFrames",
        f"{rate!r}\t{rate!r}\t{n}\t{len(names)}\t{unit}\t{rate!r}\t{first}\t{n}",
        "Frame#\tTime\t" + "\t".join(f"{m}\t\t" for m in names),
        "\t\t" + "\t".join(f"X{i}\tY{i}\tZ{i}" for i in range(1, len(names) + 1)),
        "",
    ]
    for k in range(n):
        values = [_format(v) for v in table.values[k].tolist()]
        lines.append(f"{first + k}\t{_format(table.time_s[k])}\t" + "\t".join(values))
    text = "\n".join(lines) + "\n"
    atomic_write(path, lambda f: f.write(text.encode()))
    return path


# -- .mot / .sto ---------------------------------------------------------------

_PATTERNS = (  # OpenSim's column naming conventions -> unit
    (re.compile(r"force\w*_v[xyz]$"), "N"),         # ground reaction force (_r_vx too)
    (re.compile(r"force\w*_p[xyz]$"), "m"),         # its point of application
    (re.compile(r"(torque|moment)\w*_[xyz]$"), "N*m"),  # free moment
    (re.compile(r"_moment$"), "N*m"),               # inverse dynamics output
    (re.compile(r"_force$"), "N"),
    (re.compile(r"_t[xyz]$"), "m"),                 # translational coordinate
    (re.compile(r"_t[xyz]_speed$"), "m/s"),
)
_DIMENSIONLESS_STATES = {"activation", "excitation", "normalized_tendon_force",
                         "normalized_fiber_length"}


def opensim_unit(label: str, in_degrees: bool) -> str:
    """The unit of a storage column from its name (OpenSim conventions).

    Forces (``ground_force_vy``, ``ground_force_r_vy``, ``*_force``) N,
    points (``ground_force_px``) and translations (``pelvis_tx``) m, torques
    and moments N*m; state paths (``/jointset/hip_r/hip_flexion_r/value``,
    ``.../speed``, ``/forceset/soleus_r/activation``) by their last part.
    Any other column is a rotational coordinate in degrees if the file says
    ``inDegrees=yes``, and of unknown unit (``""``, taken as SI) otherwise.
    """
    angle = "deg" if in_degrees else "rad"
    if "/" in label:
        parts = label.rstrip("/").split("/")
        leaf, owner = parts[-1], parts[-2] if len(parts) > 1 else ""
        translation = re.search(r"_t[xyz]$", owner) is not None
        if leaf == "value":
            return "m" if translation else angle
        if leaf == "speed":
            return "m/s" if translation else angle + "/s"
        if leaf in _DIMENSIONLESS_STATES:
            return "-"
        return ""
    for pattern, unit in _PATTERNS:
        if pattern.search(label):
            return unit
    return "deg" if in_degrees else ""


def _yes(value: str) -> bool:
    return value.strip().lower() in ("yes", "true", "1")


def read_storage(path) -> Table:
    """A ``.mot`` or ``.sto`` file: its columns at the rate of its time column.

    ``metadata`` holds the header's ``key=value`` pairs, ``in_degrees``,
    ``name`` (first line) and ``comments`` (other free header lines).
    ``nRows`` and ``nColumns`` (or the older ``datarows``, ``datacolumns``)
    are checked against the data.
    """
    path = Path(path)
    lines = read_lines(path)
    end = next((i for i, line in enumerate(lines) if line.strip().lower() == "endheader"), None)
    if end is None:
        raise DataError("no 'endheader' line: not an OpenSim .sto/.mot file, or a "
                        "truncated header", path)
    header, comments, name = {}, [], ""
    for i, line in enumerate(lines[:end]):
        if "=" in line:
            key, value = line.split("=", 1)
            header[key.strip()] = value.strip()
        elif line.strip():
            parts = line.split(None, 1)
            if parts[0] in ("datarows", "datacolumns", "range") and len(parts) == 2:
                header[parts[0]] = parts[1].strip()  # SIMM's older header
            elif i == 0:
                name = line.strip()
            else:
                comments.append(line.strip())
    vec3 = header.get("DataType", "double") == "Vec3"
    if header.get("DataType", "double") not in ("double", "Vec3"):
        raise DataError(f"DataType={header['DataType']} is not supported (tables of "
                        f"numbers, DataType=double, or of x,y,z cells, DataType=Vec3 as "
                        f"OpenSense's accelerometer and gyroscope files)", path)
    rest = [(n, line) for n, line in enumerate(lines[end + 1:], start=end + 2) if line.strip()]
    if not rest:
        raise DataError("no column labels after 'endheader': truncated file?", path)
    label_line_no, label_line = rest[0]
    labels = ([s.strip() for s in label_line.strip("\r\n").split("\t")] if "\t" in label_line
              else label_line.split())
    while labels and labels[-1] == "":
        labels.pop()
    if not labels or labels[0].lower() != "time":
        raise DataError(f"line {label_line_no}: the first column label must be 'time', "
                        f"got {labels[0] if labels else 'nothing'!r}", path)
    rows = []
    for line_no, line in rest[1:]:
        fields = line.split()
        if vec3:   # each cell "x,y,z" of a sensor: three columns <label>_x, _y, _z
            fields = fields[:1] + [v for cell, label in zip(fields[1:], labels[1:])
                                   for v in vec3_cell(cell, label, path, line_no)]
        rows.append(parse_row(fields, vec3_labels(labels) if vec3 else labels, path, line_no))
    n_rows = header.get("nRows", header.get("datarows"))
    if n_rows is not None and n_rows.strip().isdigit() and int(n_rows) != len(rows):
        raise DataError(f"the header says {int(n_rows)} rows, the file holds {len(rows)}"
                        + (": truncated file?" if len(rows) < int(n_rows) else ""), path)
    n_cols = header.get("nColumns", header.get("datacolumns"))
    if n_cols is not None and n_cols.strip().isdigit() and int(n_cols) != len(labels):
        raise DataError(f"the header says {int(n_cols)} columns, the label line has "
                        f"{len(labels)}", path)
    if not rows:
        raise DataError("no data rows", path, "time")
    data = np.array(rows)
    in_degrees = _yes(header.get("inDegrees", "no"))
    columns = (vec3_labels(labels) if vec3 else labels)[1:]
    if "units" in header:
        units = [u.strip() for u in header["units"].split(",")]
        if len(units) != len(columns):
            raise DataError(f"the 'units' line lists {len(units)} units for "
                            f"{len(columns)} columns", path)
    else:
        units = [opensim_unit(c, in_degrees) for c in columns]
    metadata = dict(header, in_degrees=in_degrees, name=name, comments=comments)
    return Table(data[:, 0], data[:, 1:], tuple(columns), tuple(units), None, str(path),
                 metadata)


def vec3_labels(labels) -> list[str]:
    """``time`` and the labels of a DataType=Vec3 file, each as ``_x``, ``_y``, ``_z``."""
    return labels[:1] + [f"{c}_{a}" for c in labels[1:] for a in "xyz"]


def vec3_cell(cell: str, label: str, path, line_no: int) -> list[str]:
    """The three values of a Vec3 cell ``x,y,z`` (DataError naming the column otherwise)."""
    values = cell.split(",")
    if len(values) != 3:
        raise DataError(f"line {line_no}: '{cell}' has {len(values)} values, a Vec3 cell "
                        f"has 3 (x,y,z)", path, label)
    return values


def write_storage(path, table: Table, *, in_degrees: bool | None = None,
                  name: str | None = None, comments=()) -> Path:
    """Write a table as an OpenSim ``.sto``/``.mot`` file (version 1 header).

    ``in_degrees``: True writes every angle column (rad, rad/s, rad/s^2 or
    their degree forms) in degrees and says ``inDegrees=yes``; False writes
    them in radians; None (default) is True for ``.mot``, False for
    ``.sto``. Each ``comments`` line is written as a free header line (what
    made the file, for example). The units of all columns go in a
    ``units=`` header line, so :func:`read_storage` gets them back exactly.
    """
    path = Path(path)
    if in_degrees is None:
        in_degrees = path.suffix.lower() == ".mot"
    values = table.values.copy()
    units = list(table.units)
    for j, unit in enumerate(units):
        if unit in ANGLE_UNITS:
            si = ANGLE_UNITS[unit]
            scale = (math.pi / 180.0) if unit.startswith("deg") else 1.0
            if in_degrees:
                values[:, j] *= scale * 180.0 / math.pi
                units[j] = si.replace("rad", "deg")
            else:
                values[:, j] *= scale
                units[j] = si
    for c in table.columns:
        if any(ch.isspace() for ch in c) or "," in c:
            raise DataError("column names of .sto/.mot files cannot contain spaces, tabs "
                            "or commas", table.source or None, c)
    for c in comments:
        if "=" in c or c.strip().lower() == "endheader":
            raise DataError(f"a comment line cannot contain '=' or be 'endheader' (readers "
                            f"would take it for a header key): {c!r}", path)
    lines = [name or path.stem]
    lines += [c for c in comments if c.strip()]
    lines += ["version=1", f"nRows={table.n_samples}", f"nColumns={len(table.columns) + 1}",
              f"inDegrees={'yes' if in_degrees else 'no'}",
              "units=" + ",".join(units), "endheader",
              "\t".join(("time",) + table.columns)]
    for k in range(table.n_samples):
        lines.append("\t".join(_format(v) for v in [float(table.time_s[k]),
                                                     *values[k].tolist()]))
    text = "\n".join(lines) + "\n"
    atomic_write(path, lambda f: f.write(text.encode()))
    return path
