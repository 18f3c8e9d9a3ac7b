"""Tracking: squared differences to constant targets or to measured data."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import ClassVar

import casadi as ca
import numpy as np

from ocp.costs.base import CostContext, CostTerm, squared_integral_unit
from ocp.data.natural_spline import NaturalSpline
from ocp.errors import ProblemError, suggestion
from ocp.io.declarations import option
from ocp.io.tables import TableReader, kind

INTERPOLATIONS = ("linear", "quintic", "gcv")
LOWPASS_FILTERS = ("butterworth", "opensim")


@dataclass
class Tracking(CostTerm):
    """``integral of sum_i (y_i(t) - r_i(t))^2 dt`` for states, controls or outputs.

    ``reference`` maps a name to a constant, to a pair ``(times_s, values)``
    interpolated linearly in time, or to a spline through the samples
    (:class:`ocp.data.natural_spline.NaturalSpline`, Moco's GCV spline); held
    constant outside the data.
    ``scale`` multiplies the squared errors: ``1 / (m g)`` (N^-1) makes a
    ground-reaction tracking term Moco's MocoContactTrackingGoal, which
    divides the integral of squared force errors by the body weight.

    In a problem file, ``reference`` (a data file) or ``target`` (constants)
    gives the references; the other keys say how the file is read. The fields
    after ``scale`` record those keys: the reader has already built
    ``reference`` and ``scale`` from them.
    """

    toml_name: ClassVar[str] = "tracking"

    reference: dict = field(default_factory=dict)
    scale: float = 1.0
    target: dict | None = option(None, doc="a table {name = constant value} to track "
                                           "(in the name's unit)")
    reference_file: str | None = option(
        None, key="reference", doc="a data file to track: .mot, .sto, .trc, .csv or .c3d")
    columns: list | dict | None = option(
        None, doc="the data columns to track, or a table {model name = data column}")
    lowpass_hz: float | None = option(None, unit="Hz", minimum=0.0,
                                      doc="cut-off of a low-pass filter of the reference")
    lowpass_filter: str = option("butterworth", choices=LOWPASS_FILTERS,
                                 doc="butterworth (zero-phase) or opensim "
                                     "(TabOpLowPassFilter)")
    interpolation: str = option("linear", choices=INTERPOLATIONS,
                                doc="linear, quintic or gcv (OpenSim's GCVSpline) in time")
    speeds: bool = option(False, doc="also track the speeds, differentiated from the "
                                     "coordinates")
    divide_by_body_weight: bool = option(False, doc="divide by m g (Moco's "
                                                    "MocoContactTrackingGoal)")
    markers: list | dict | None = option(
        None, doc="markers of a .trc to track: a list, or a table {marker = weight}; "
                  "default every marker of the file that the model has")
    ik_setup: str | None = option(None, doc="an InverseKinematicsTool setup .xml whose "
                                            "marker weights weigh the tracked markers")
    antialias_hz: float | None = option(
        None, unit="Hz", minimum=0.0, doc="low-pass each reference at this rate's Nyquist "
        "frequency with the data module's anti-aliasing filter, keeping its own samples")
    #: {name: (times_s, weights)}: per-sample weights (marker tracking; 0 in a gap)
    weights: dict = field(default_factory=dict)
    #: the markers followed (marker tracking: ocp.sensors.marker_tracking)
    marker_names: tuple = ()
    #: what the user should know of the reference (markers not tracked, gaps skipped)
    notes: tuple = ()
    #: {name: spacing (s) of the measured samples}, before any resampling
    #: (``interpolation``): what the standard errors count as independent samples
    sample_spacing: dict = field(default_factory=dict)

    @classmethod
    def from_table(cls, name, reader: TableReader, context: CostContext):
        from ocp.data.references import (
            body_weight_N,
            natural_spline_references,
            quintic_references,
            with_speed_references,
        )
        reader.only(cls.file_keys())
        model = context.model
        weight = reader.number("weight", 1.0, minimum=0.0)
        scale = 1.0
        divide = reader.boolean("divide_by_body_weight", False)
        if divide:
            try:
                scale = 1.0 / body_weight_N(model)
            except ValueError as exc:
                raise reader.error("divide_by_body_weight", str(exc)) from None
        weights, markers, notes = {}, (), ()
        if is_marker_term(reader):
            found = marker_tracking_reference(reader, model, context.base)
            reference, weights, markers = found.reference, found.weights, found.markers
            notes = tuple(found.notes(reader.table["reference"]))
        else:
            reference = tracking_reference(reader, model, context.base)
        reference = sampled = antialiased(reader, reference)
        # "gcv": Moco's references, OpenSim's GCVSpline (degree 5, error variance 0)
        interpolation = reader.string("interpolation", "linear", choices=list(INTERPOLATIONS))
        speeds = reader.boolean("speeds", False)
        if speeds:
            reference = with_speed_references(reference, model,
                                              natural=interpolation == "gcv")
        spacing = {n: float(np.median(np.diff(np.asarray(r[0], float))))
                   for n, r in reference.items()
                   if not np.isscalar(r) and np.asarray(r[0]).size > 1}
        if interpolation == "quintic":
            reference = quintic_references(reference)
        elif interpolation == "gcv":
            try:
                reference = natural_spline_references(reference)
            except ValueError as exc:
                source = reader.table.get("reference", "the reference")
                raise reader.error("interpolation", f"{source}: {exc}") from None
        lowpass_hz, lowpass_filter = read_lowpass(reader)
        if "reference" in reader.table and context.horizon is not None:
            check_coverage(reader, sampled, *context.horizon, base=context.base)  # keys checked
        return cls(name, weight, divide_by_displacement=reader.string("divide_by_displacement"),
                   reference=reference, scale=scale, target=reader.table.get("target"),
                   reference_file=reader.string("reference"),
                   columns=reader.table.get("columns"), lowpass_hz=lowpass_hz,
                   lowpass_filter=lowpass_filter, interpolation=interpolation, speeds=speeds,
                   divide_by_body_weight=divide, markers=reader.table.get("markers"),
                   sample_spacing=spacing,
                   ik_setup=reader.string("ik_setup"),
                   antialias_hz=reader.number("antialias_hz", minimum=0.0),
                   weights=weights, marker_names=markers, notes=notes)

    def check(self, model):
        known = set(model.state_names) | set(model.control_names) | set(model.output_units())
        for n in self.reference:
            if n not in known:
                raise ValueError(f"cannot track '{n}': not a state, control or "
                                 f"output of model '{model.name}'")

    def value_unit(self, model):
        return squared_integral_unit(list(self.reference), model)

    def integrand(self, v):
        total = 0
        for n, ref in self.reference.items():
            if np.isscalar(ref):
                r = float(ref)
            elif isinstance(ref, NaturalSpline):  # a spline through the samples
                r = ref.expression(v.t)
            else:
                r = _linear(f"ref_{n}", ref, v.t)
            if n in self.weights:      # per-sample weights (markers: 0 in gaps)
                total += _linear(f"weight_{n}", self.weights[n], v.t) * (v.value(n) - r) ** 2
            else:
                total += (v.value(n) - r) ** 2
        if self.marker_names:          # weighted mean over the markers (m^2)
            axes = len(self.reference) / len(self.marker_names)
            total = total * axes / sum(float(np.max(w[1])) for w in self.weights.values())
        return self.scale * total


def _linear(name, samples, t):
    """The linear interpolant of (times, values) at t, held at the end values."""
    times, values = (np.asarray(a, dtype=float) for a in samples)
    # CasADi's names are letters, digits and single underscores ("R.Heel_x" is not one)
    name = re.sub(r"_+", "_", re.sub(r"[^A-Za-z0-9_]", "_", name)).strip("_")
    interp = ca.interpolant(name, "linear", [times], values)
    return interp(ca.fmin(ca.fmax(t, times[0]), times[-1]))


def is_marker_term(reader: TableReader) -> bool:
    """Marker tracking: ``markers`` or ``ik_setup`` given, or a .trc reference without
    ``columns``."""
    reference = str(reader.table.get("reference", ""))
    return ("markers" in reader.table or "ik_setup" in reader.table or
            (reference.lower().endswith(".trc") and "columns" not in reader.table))


def marker_tracking_reference(reader: TableReader, model, base):
    """The MarkerReference (ocp.sensors.marker_tracking) of a marker-tracking table;
    markers that the model lacks and gaps are warned about (a MarkerTrackingNote)."""
    import warnings

    from ocp.sensors.marker_tracking import marker_references
    for key in ("columns", "target", "speeds"):
        if key in reader.table:
            raise reader.error(key, "does not go with marker tracking ('markers', "
                                    "'ik_setup' or a .trc without 'columns')")
    if "reference" not in reader.table:
        raise reader.error(None, "marker tracking needs 'reference', a marker file (.trc)")
    markers = reader.table.get("markers")
    if markers is not None and not (
            (isinstance(markers, list) and all(isinstance(m, str) for m in markers)) or
            isinstance(markers, dict)):
        raise reader.error("markers", "expected a list of marker names or a table "
                           "{marker = weight}, got " + kind(markers))
    lowpass_hz, lowpass_filter = read_lowpass(reader)
    if lowpass_filter != "butterworth":
        raise reader.error("lowpass_filter", "marker tracking filters with 'butterworth'")
    setup = reader.path("ik_setup", base) if "ik_setup" in reader.table else None
    try:
        found = marker_references(reader.path("reference", base), model, markers, setup,
                                  lowpass_hz=lowpass_hz)
    except ProblemError as exc:
        named = getattr(exc, "column", None) in (markers or ())   # a marker asked for
        blame = "markers" if named else (
            "ik_setup" if setup is not None and str(setup) in str(exc) else "reference")
        raise reader.error(blame, str(exc)) from None
    for note in found.notes(reader.table["reference"]):
        warnings.warn(MarkerTrackingNote(note), stacklevel=2)
    return found


class MarkerTrackingNote(UserWarning):
    """Markers of a tracked file that the model lacks, or gaps skipped."""


def antialiased(reader: TableReader, reference: dict) -> dict:
    """``antialias_hz``: each sampled reference low-passed at that rate's Nyquist
    frequency (ocp.data.resample.antialias: a zero-phase FIR, flat to 80 % of it),
    at its own samples: a 200 Hz gyroscope tracked on a 50 Hz mesh keeps its 200
    samples a second, none of their content above 25 Hz."""
    from ocp.data.resample import antialias
    from ocp.data.tables import Table
    rate = reader.number("antialias_hz", minimum=0.0)
    if not rate:
        return reference
    out = {}
    for name, ref in reference.items():
        times, values = (np.asarray(a, float) for a in ref)
        try:
            table = antialias(Table(times, values[:, None], (name,), ("",)), rate)
        except ProblemError as exc:
            raise reader.error("antialias_hz", f"'{name}': {exc}") from None
        out[name] = (times, table.values[:, 0])
    return out


def read_lowpass(reader: TableReader) -> tuple:
    """``lowpass_hz`` (Hz or None) and ``lowpass_filter`` of a reference: "butterworth"
    (zero-phase) or "opensim" (OpenSim's TabOpLowPassFilter, as Moco's examples)."""
    lowpass_hz = reader.number("lowpass_hz", minimum=0.0)
    lowpass_filter = reader.string("lowpass_filter", "butterworth",
                                   choices=list(LOWPASS_FILTERS))
    if "lowpass_filter" in reader.table and not lowpass_hz:
        raise reader.error("lowpass_filter", "chooses the filter of 'lowpass_hz', "
                           "which is not given")
    return lowpass_hz, lowpass_filter


def check_coverage(reader: TableReader, reference: dict, start: float, final,
                   base=None) -> None:
    """Refuse a reference file whose samples do not span the problem's time, start
    to final (to the lower bound of a free final time), to within one sample
    interval: beyond its samples a reference would be held constant. A CSV whose
    ``time`` column has no unit and spans more than 100 times the problem's
    time is refused too: it is most likely in milliseconds."""
    from ocp.data.csv_table import csv_time_unit
    end = min(final) if isinstance(final, (tuple, list)) else final
    for name, (times, _) in reference.items():
        times = np.asarray(times, float)
        path = reader.path("reference", base) if base is not None else None
        if times[-1] - times[0] > 100 * (end - start) and csv_time_unit(path) == "":
            raise reader.error("reference", f"{reader.table['reference']}: its 'time' column "
                               f"has no unit and spans {times[0]:g} to {times[-1]:g}, more "
                               f"than 100 times the problem's {end - start:g} s: if it is in "
                               f"milliseconds, name it 'time [ms]' (or 'time_ms'); if in "
                               f"seconds, 'time [s]'")
        slack = float(np.median(np.diff(times))) + 1e-9 * max(1.0, abs(end))
        if times[0] > start + slack or times[-1] < end - slack:
            raise reader.error("reference", f"{reader.table['reference']} covers "
                               f"{times[0]:g} to {times[-1]:g} s (column of '{name}'), but "
                               f"the problem runs from {start:g} to {end:g} s: the reference "
                               f"would be held constant beyond its samples; give data over "
                               f"the whole span or shorten [time]")


def tracking_reference(reader: TableReader, model, base) -> dict:
    """The references of a tracking table: its ``target`` constants or its
    ``reference`` file's columns, by model name (values in SI units)."""
    from ocp.data.references import reference_from_file
    units = model.units()
    if ("target" in reader.table) == ("reference" in reader.table):
        raise reader.error(None, "give either 'target' (a table of constant values) or "
                           "'reference' (a data file: .mot, .sto, .trc, .csv or .c3d)")
    if "target" in reader.table:
        for key in ("lowpass_hz", "lowpass_filter"):
            if key in reader.table:
                raise reader.error(key, "filters a 'reference' file; a 'target' is "
                                   "constant")
        target = reader.sub("target")
        out = {}
        for name in target.table:
            if name not in units:
                raise target.error(name, f"'{name}' is not a state, control or output" +
                                   suggestion(name, sorted(units)))
            out[name] = target.number(name, unit=units[name])
        return out
    data_path = reader.path("reference", base)
    columns = reader.table.get("columns")
    if columns is not None and not (
            (isinstance(columns, list) and all(isinstance(c, str) for c in columns)) or
            (isinstance(columns, dict) and all(isinstance(c, str) for c in columns.values()))):
        raise reader.error("columns", "expected a list of column names or a table "
                           "{model name = \"data column\"}, got " + kind(columns))
    lowpass_hz, lowpass_filter = read_lowpass(reader)
    try:
        return reference_from_file(data_path, model, columns, lowpass_hz=lowpass_hz,
                                   lowpass_filter=lowpass_filter,
                                   file_times=reader.table.get("interpolation") == "gcv")
    except ProblemError as exc:  # a DataError naming the data file and its column
        tracked = set(columns.values() if isinstance(columns, dict) else columns or ())
        blame = "columns" if getattr(exc, "column", None) in tracked else "reference"
        raise reader.error(blame, str(exc)) from None
