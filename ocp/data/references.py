"""Tracking references read from data files, in the model's units.

A ``tracking`` cost term of a problem file names a data file
(``reference = "data/arm_reach.mot"``) and the columns to follow::

    columns = ["shoulder", "elbow"]                      # data columns named like the model's
    columns = { shoulder = "shoulder_flexion", elbow = "elbow_flexion" }
                                                          # model name = data column

:func:`reference_from_file` turns that into the ``{name: (times_s, values)}``
of :class:`ocp.Tracking`, in the model's units: degrees become radians
(a ``deg`` unit, or ``inDegrees=yes`` on a column of unknown unit), mm
become m, and units of another kind (newtons for an angle) are an error
naming the file and the column. Several terms with their own weights track
columns of different kinds (angles, forces, EMG-derived activations).
"""
from __future__ import annotations

import math

import numpy as np
from scipy import interpolate

from ocp.data.errors import DataError
from ocp.data.files import read_tables
from ocp.data.filters import zero_phase
from ocp.data.natural_spline import NaturalSpline
from ocp.data.opensim_filter import opensim_lowpass
from ocp.data.tables import ANGLE_UNITS, Table, unit_factor
from ocp.errors import suggestion
from ocp.models.protocols import TreeModel
from ocp.models.spatial.reduced import ReducedTree
from ocp.models.spatial.tree import SpatialTree


def to_unit(table: Table, column: str, unit: str, owner: str = "the model") -> np.ndarray:
    """A column in ``unit`` (a model's unit): deg -> rad, mm -> m, ...; DataError if
    the units are of different kinds."""
    have = table.unit(column)
    values = table.column(column)
    if have == "" and unit in ANGLE_UNITS and table.metadata.get("in_degrees"):
        return values * (math.pi / 180.0)
    # A model quantity of unstated unit ("-", the default of CustomModel) takes
    # the numbers as they are.
    factor = unit_factor(have, unit) if unit not in ("-", "") else 1.0
    if factor is None:
        raise DataError(f"is in '{have}', but {owner} expects '{unit}'",
                        table.source or None, column)
    return values * factor


def model_name_of_column(column: str) -> str:
    """The model's name of a column named by an OpenSim state path, else the column.

    ``/jointset/hip_r/hip_flexion_r/value`` -> ``hip_flexion_r``,
    ``.../speed`` -> ``hip_flexion_r_speed``, ``/forceset/soleus_r/activation``
    -> ``soleus_r_activation`` (the names Moco writes in its .sto files).
    """
    parts = column.strip("/").split("/")
    if len(parts) == 4 and parts[0] == "jointset" and parts[3] in ("value", "speed"):
        return parts[2] + ("_speed" if parts[3] == "speed" else "")
    if len(parts) == 3 and parts[0] == "forceset" and parts[2] == "activation":
        return parts[1] + "_activation"
    return column


def column_mapping(columns, tables: dict[str, Table]) -> dict[str, str]:
    """Model name -> data column from ``columns`` (None, list or dict)."""
    if columns is None:
        return {model_name_of_column(c): c for t in tables.values() for c in t.columns}
    if isinstance(columns, dict):
        return dict(columns)
    return {c: c for c in columns}


def reference_from_file(path, model, columns=None, *, lowpass_hz: float | None = None,
                        lowpass_filter: str = "butterworth", file_times: bool = False) -> dict:
    """Tracking references ``{model name: (times_s, values)}`` from a data file.

    ``columns``: None (every column, each named like a model quantity), a
    list of column names, or a dict model name -> data column. ``lowpass_hz``
    filters each column before it is tracked: ``lowpass_filter =
    "butterworth"``, zero-phase Butterworth with the pair's -3 dB point at
    that frequency; ``"opensim"``, OpenSim's TabOpLowPassFilter as Moco's
    examples use it (:func:`ocp.data.opensim_filter.opensim_lowpass`, which
    also resamples a not exactly uniform time column). The times of a
    uniformly sampled file are the exact t_0 + k / rate, unless ``file_times``
    (OpenSim splines the file's own, rounded, times). Raises DataError (a
    ProblemError) naming the file and the column.
    """
    if lowpass_filter not in ("butterworth", "opensim"):
        raise ValueError(f"lowpass_filter is 'butterworth' or 'opensim', got {lowpass_filter!r}")
    tables = read_tables(path)
    units = model.units()
    mapping = column_mapping(columns, tables)
    out = {}
    for name, column in mapping.items():
        if name not in units:
            hint = suggestion(name, sorted(units))
            if column in units:
                hint = (f"; in columns = {{ model name = \"data column\" }} the keys are the "
                        f"model's names: write {{ {column} = \"{name}\" }}")
            raise DataError(f"'{name}' is not a state, control or output of model "
                            f"'{model.name}'" + hint, path, column)
        table = next((t for t in tables.values() if column in t), None)
        if table is None:
            every = [c for t in tables.values() for c in t.columns]
            raise DataError(f"no column '{column}'" + suggestion(column, every), path, column)
        values = to_unit(table, column, units[name], f"'{name}' of model '{model.name}'")
        missing = int(np.isnan(values).sum())
        if missing:
            raise DataError(f"has {missing} missing samples (NaN); fill the gaps or track "
                            f"another column", path, column)
        times = table.uniform_time() if table.is_uniform and not file_times else table.time_s
        if lowpass_hz and lowpass_filter == "opensim":
            times, values = opensim_lowpass(table.time_s, values, lowpass_hz,
                                            file=path, column=column)
        elif lowpass_hz:
            values = zero_phase(values, table.require_uniform("low-pass filtering"),
                                lowpass_hz, file=path, column=column)
        if times.size < 2:
            raise DataError("a reference needs at least two samples", path, "time")
        out[name] = (times, values)
    if not out:
        raise DataError("no columns to track", path)
    return out


def with_speed_references(reference: dict, model, natural: bool = False) -> dict:
    """Add the time derivative of every tracked coordinate as its speed's reference.

    Moco's ``track_reference_position_derivatives``: the speed reference is
    the derivative of a quintic spline through the (filtered) positions, at
    the data's times. ``natural=True`` differentiates Moco's own spline, the
    natural quintic of OpenSim's GCVSpline (:class:`ocp.data.natural_spline.
    NaturalSpline`); otherwise a not-a-knot quintic, which differs near the
    ends. Coordinates whose speed is already tracked are left alone.
    """
    out = dict(reference)
    for name, ref in reference.items():
        speed = f"{name}_speed"
        if speed in model.state_names and speed not in out and not np.isscalar(ref):
            times, values = (np.asarray(a, float) for a in ref)
            if natural:
                out[speed] = (times, NaturalSpline(times, values).derivative_at_samples())
                continue
            k = min(5, times.size - 1)
            if k % 2 == 0:
                k -= 1
            spline = interpolate.make_interp_spline(times, values, k=k)
            out[speed] = (times, spline.derivative()(times))
    return out


def natural_spline_references(reference: dict, degree: int = 5) -> dict:
    """Every sampled reference as the natural spline of ``degree`` through its samples.

    Moco's tracking goals' references: OpenSim's ``GCVSplineSet(table)``,
    degree 5 with error variance 0 (:class:`ocp.data.natural_spline.NaturalSpline`).
    Constants stay constants. Raises ValueError naming the quantity when a
    reference has too few samples (degree + 1 are needed).
    """
    out = {}
    for name, ref in reference.items():
        if np.isscalar(ref):
            out[name] = ref
            continue
        try:
            out[name] = NaturalSpline(*ref, degree=degree)
        except ValueError as exc:
            raise ValueError(f"'{name}': {exc}") from None
    return out


def quintic_references(reference: dict, oversample: int = 20) -> dict:
    """References resampled ``oversample`` times finer along a quintic spline.

    The tracking cost interpolates linearly between samples. Through the
    finer samples the linear interpolant follows a not-a-knot quintic
    spline to within (h / oversample)^2 of its curvature. Moco's own
    references are natural quintics, evaluated exactly:
    :func:`natural_spline_references` (``interpolation = "gcv"``).
    """
    out = {}
    for name, ref in reference.items():
        if np.isscalar(ref):
            out[name] = ref
            continue
        times, values = (np.asarray(a, float) for a in ref)
        k = min(5, times.size - 1 - (times.size % 2 == 1 and times.size < 7))
        k = k if k % 2 == 1 else k - 1
        spline = interpolate.make_interp_spline(times, values, k=k)
        fine = np.linspace(times[0], times[-1], (times.size - 1) * oversample + 1)
        out[name] = (fine, spline(fine))
    return out


def body_weight_N(model) -> float:
    """``m g`` (N): the total mass of the model's segments times its gravity."""
    if not isinstance(model, TreeModel):
        raise ValueError(f"model '{model.name}' has no segments to weigh")
    tree = model.tree
    if isinstance(tree, SpatialTree | ReducedTree):   # 3D: bodies, a gravity vector
        return sum(b.mass_kg for b in tree.bodies) * float(np.linalg.norm(tree.gravity_m_s2))
    return sum(s.mass_kg for s in tree.segments) * tree.gravity_m_s2
