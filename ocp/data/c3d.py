"""C3D files (the binary format of motion-capture systems), read with ezc3d.

A C3D file holds 3-D marker trajectories at the camera rate (``POINT:RATE``)
and analog channels (force plates, EMG) at a multiple of it
(``ANALOG:RATE``). They come back as two tables, each at its own rate and
in its own units (``POINT:UNITS``, ``ANALOG:UNITS``): nothing is resampled
here. Frame ``k`` of the points and analog samples ``k * ratio`` to
``(k + 1) * ratio - 1`` start at the same instant; time starts at
``first_frame / point_rate`` (0 for the usual file).

Markers flagged invalid (negative residual) are NaN. Analog values are
already scaled by ezc3d (``ANALOG:SCALE``, ``GEN_SCALE``, ``OFFSET``).

Reader: ezc3d (Michaud and Begon, "ezc3d: An easy C3D file I/O cross-platform
solution for C++, Python and MATLAB", JOSS 2021), an optional dependency:
``pip install "ocp-movement[data]"``.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ocp.data.errors import DataError
from ocp.data.opensim_text import AXES, marker_names
from ocp.data.tables import Table


@dataclass(frozen=True, eq=False)
class C3DData:
    """The contents of a C3D file: ``points`` (markers) and ``analogs``, each a Table or None."""

    points: Table | None
    analogs: Table | None
    metadata: dict = field(default_factory=dict)

    def tables(self) -> dict[str, Table]:
        return {k: t for k, t in (("points", self.points), ("analogs", self.analogs))
                if t is not None}


def _ezc3d(path):
    try:
        import ezc3d
    except ImportError:
        raise DataError("reading or writing C3D files needs the ezc3d package: "
                        "pip install 'ocp-movement[data]' (or pip install ezc3d)",
                        path) from None
    return ezc3d


def _unique(labels) -> list[str]:
    out, seen = [], {}
    for i, label in enumerate(labels):
        label = str(label).strip() or f"channel{i + 1}"
        if label in seen:
            seen[label] += 1
            label = f"{label}#{seen[label]}"
        else:
            seen[label] = 1
        out.append(label)
    return out


def _parameter(c3d, group: str, name: str, default):
    try:
        value = c3d["parameters"][group][name]["value"]
    except KeyError:
        return default
    return default if value is None or len(value) == 0 else value


def _check_length(path: Path) -> None:
    """DataError if the file is shorter than its header's frame count needs.

    ezc3d reads a truncated file silently (and adjusts its header to what it
    read), so the original header is read here: words 2 to 5 (points,
    analog samples per frame, first and last frame), 7-8 (scale factor:
    negative means 4-byte floats, positive 2-byte integers) and 9 (first
    data block), in the byte order of the processor named in the parameter
    section (C3D User Guide, "The header section").
    """
    try:
        with open(path, "rb") as f:
            head = f.read(512)
            f.seek((head[0] - 1) * 512)
            processor = f.read(4)[3] - 83       # 1 Intel, 2 DEC, 3 MIPS
            size = f.seek(0, 2)
    except (OSError, IndexError):
        return  # ezc3d says what is wrong with it
    if len(head) < 512 or head[1] != 0x50 or processor not in (1, 2, 3):
        return
    order = ">" if processor == 3 else "<"
    n_points, analog_per_frame, first, last = struct.unpack(order + "4H", head[2:10])
    if processor == 2:  # DEC (VAX) float: the sign is the top bit of the second byte
        is_float = bool(head[13] & 0x80)
    else:
        is_float = struct.unpack(order + "f", head[12:16])[0] < 0
    data_block = struct.unpack(order + "H", head[16:18])[0]
    frame_bytes = (4 * n_points + analog_per_frame) * (4 if is_float else 2)
    frames = last - first + 1
    if last == 0xFFFF or frames <= 0 or frame_bytes == 0 or data_block == 0:
        return  # very long trials keep their length elsewhere (TRIAL group)
    held = (size - (data_block - 1) * 512) // frame_bytes
    if held < frames:
        raise DataError(f"the header says {frames} frames, the file holds {max(held, 0)}: "
                        f"truncated file?", path)


def read_c3d(path) -> C3DData:
    """Marker and analog tables of a C3D file; DataError for an unreadable or truncated one."""
    path = Path(path)
    ezc3d = _ezc3d(path)
    if not path.exists():
        raise DataError("file does not exist", path)
    _check_length(path)
    try:
        c3d = ezc3d.c3d(str(path))
    except (OSError, RuntimeError, ValueError) as exc:
        raise DataError(f"not a readable C3D file ({exc})", path) from None
    header = c3d["header"]
    points = c3d["data"]["points"]            # (4, n_markers, n_frames)
    analogs = c3d["data"]["analogs"]          # (1, n_channels, n_samples)
    n_markers = int(header["points"]["size"])
    n_channels = int(header["analogs"]["size"])
    first_frame = int(header["points"]["first_frame"])
    n_frames = points.shape[2] if n_markers else None
    point_rate = float(header["points"]["frame_rate"])
    analog_rate = float(header["analogs"]["frame_rate"])
    if not point_rate > 0:
        raise DataError(f"the point rate of the header is {point_rate}, not a positive "
                        f"number", path)
    if not (n_markers or n_channels):
        raise DataError("the file holds neither markers nor analog channels", path)
    if n_frames is None:
        n_frames = int(round(analogs.shape[2] * point_rate / analog_rate))
    t0 = first_frame / point_rate
    meta = {"first_frame": first_frame, "point_rate_hz": point_rate}
    point_table = None
    if n_markers:
        labels = _unique(_parameter(c3d, "POINT", "LABELS", [])[:n_markers])
        if len(labels) < n_markers:
            labels += [f"point{i + 1}" for i in range(len(labels), n_markers)]
        xyz = points[:3].copy()
        residuals = c3d["data"]["meta_points"]["residuals"]
        xyz[:, residuals[0] < 0] = np.nan
        values = xyz.transpose(2, 1, 0).reshape(n_frames, 3 * n_markers)
        unit = str(_parameter(c3d, "POINT", "UNITS", ["mm"])[0]).strip()
        columns = tuple(f"{m}_{a}" for m in labels for a in AXES)
        point_table = Table(t0 + np.arange(n_frames) / point_rate, values, columns,
                            (unit,) * len(columns), point_rate, str(path),
                            dict(meta, markers=labels, group="points"))
    analog_table = None
    if n_channels:
        rate = analog_rate
        labels = _unique(_parameter(c3d, "ANALOG", "LABELS", [])[:n_channels])
        if len(labels) < n_channels:
            labels += [f"channel{i + 1}" for i in range(len(labels), n_channels)]
        units = [str(u).strip() for u in _parameter(c3d, "ANALOG", "UNITS", [])][:n_channels]
        units += [""] * (n_channels - len(units))
        values = analogs[0].T
        analog_table = Table(t0 + np.arange(values.shape[0]) / rate, values, tuple(labels),
                             tuple(units), rate, str(path), dict(meta, group="analogs"))
    return C3DData(point_table, analog_table, meta)


def write_c3d(path, points: Table | None = None, analogs: Table | None = None) -> Path:
    """Write marker (``M_x, M_y, M_z`` columns) and analog tables as a C3D file.

    The analog rate must be an integer multiple of the point rate, and the
    analog table must hold that many samples per point frame. NaN markers are
    written as invalid (residual -1).
    """
    path = Path(path)
    ezc3d = _ezc3d(path)
    if points is None:
        raise DataError("a C3D file needs a point (marker) table to set its frame rate", path)
    rate = points.require_uniform("a C3D file")
    c3d = ezc3d.c3d()
    names = marker_names(points)
    n = points.n_samples
    xyz = points.values.reshape(n, len(names), 3).transpose(2, 1, 0)
    data = np.ones((4, len(names), n))
    data[:3] = np.nan_to_num(xyz)
    residuals = np.where(np.isnan(xyz).any(axis=0), -1.0, 0.0)[None]
    c3d["parameters"]["POINT"]["RATE"]["value"] = [rate]
    c3d["parameters"]["POINT"]["LABELS"]["value"] = tuple(names)
    c3d["parameters"]["POINT"]["UNITS"]["value"] = [points.units[0] or "m"]
    c3d["data"]["points"] = data
    c3d["data"]["meta_points"]["residuals"] = residuals
    c3d["data"]["meta_points"]["camera_masks"] = np.zeros((7, len(names), n), dtype=bool)
    if analogs is not None:
        arate = analogs.require_uniform("a C3D file")
        ratio = arate / rate
        if abs(ratio - round(ratio)) > 1e-9 or analogs.n_samples != n * round(ratio):
            raise DataError(f"analog rate {arate:g} Hz must be an integer multiple of the "
                            f"point rate {rate:g} Hz, with {round(ratio)} samples per frame "
                            f"({n * round(ratio)} in all, got {analogs.n_samples})", path)
        c3d["parameters"]["ANALOG"]["RATE"]["value"] = [arate]
        c3d["parameters"]["ANALOG"]["LABELS"]["value"] = tuple(analogs.columns)
        c3d["parameters"]["ANALOG"]["UNITS"]["value"] = list(analogs.units)
        c3d["data"]["analogs"] = analogs.values.T[None].copy()
    path.parent.mkdir(parents=True, exist_ok=True)
    c3d.write(str(path))
    return path
