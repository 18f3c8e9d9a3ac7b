"""Marker tracking in problems: a ``.trc`` (or ``.c3d``) of marker positions as references.

A ``tracking`` cost term whose ``reference`` is a marker file (and that names
no ``columns``), or that has ``markers`` or ``ik_setup``, follows marker
positions: each marker ``M`` of the file that the model also has (outputs
``M_x``, ``M_y`` and, in 3D, ``M_z``, in m) is tracked with its weight w_M::

    integrand = sum_M w_M(t) |x_M(q) - m_M(t)|^2 / sum_M w_M        (m^2)

the weighted mean squared marker distance, as OpenSim's IK objective weighs
its markers. Weights come from ``markers = { R.Heel = 10, ... }`` (a list:
weight 1 each), from an InverseKinematicsTool setup's ``IKMarkerTask``
weights (``ik_setup``), or are 1 for every marker of the file. A marker of
weight 0 is dropped.

- Markers that the model lacks are listed (:attr:`MarkerReference.lacking`)
  and the rest used; none left is an error naming the file.
- Gaps (samples that are NaN in the file) are skipped, as OpenSim's IK skips a
  missing marker in a frame: the marker's weight is 0 at those samples
  (``w_M(t)`` interpolates the per-sample weights linearly, so it fades over
  the sample interval next to a gap) and its positions there are bridged
  linearly, only to keep the interpolant finite.

After a solve, :func:`marker_residuals` reports the marker distances as
OpenSim's IK does per frame (RMS over markers, the largest, its marker), over
the solution's grid.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ocp.data.errors import DataError
from ocp.data.files import read_tables
from ocp.data.filters import zero_phase
from ocp.data.references import to_unit

__all__ = ["MarkerReference", "marker_references", "marker_residuals", "model_markers"]

AXES = "xyz"


@dataclass
class MarkerReference:
    """References of a marker-tracking term.

    ``reference`` {output name (``M_x``): (times_s, values_m)}; ``weights``
    {output name: (times_s, per-sample weight)}; ``markers`` the markers
    tracked (in file order); ``lacking`` markers asked for (or in the file)
    that the model does not have; ``gaps`` {marker: samples missing}."""

    reference: dict
    weights: dict
    markers: tuple
    lacking: tuple = ()
    gaps: dict = field(default_factory=dict)

    def notes(self, source: str) -> list[str]:
        """One line per thing the user should know: markers not used, gaps skipped."""
        out = []
        if self.lacking:
            out.append(f"{source}: {len(self.lacking)} markers not tracked, the model has "
                       f"none of that name: {', '.join(self.lacking)}")
        if self.gaps:
            out.append(f"{source}: gaps skipped (samples missing): " + ", ".join(
                f"{m} {n}" for m, n in self.gaps.items()))
        return out


def model_markers(model) -> dict:
    """{marker: axes} of the model's marker outputs (``M_x``, ``M_y``[, ``M_z``] in m)."""
    units = model.output_units()
    out = {}
    for name, unit in units.items():
        if name.endswith("_x") and unit == "m":
            marker = name[:-2]
            axes = "".join(a for a in AXES if units.get(f"{marker}_{a}") == "m")
            if f"{marker}_vx" in units:       # a marker has a velocity; a frame has not
                out[marker] = axes
    return out


def file_markers(table) -> list:
    """Marker names of a table: its ``markers`` metadata (.trc, .c3d) or its ``M_x`` columns."""
    names = table.metadata.get("markers")
    if names:
        return [m for m in names if f"{m}_x" in table.columns]
    return [c[:-2] for c in table.columns if c.endswith("_x")]


def _weights(markers, setup, source) -> dict | None:
    """{marker: weight} asked for, or None for every marker of the file at weight 1."""
    if setup is not None:
        from ocp.sensors.ik_setup import read_ik_setup
        weights = dict(read_ik_setup(setup).marker_weights) or None
    else:
        weights = None
    if isinstance(markers, dict):
        weights = {**(weights or {}), **markers}
    elif markers is not None:
        weights = {m: (weights or {}).get(m, 1.0) for m in markers}
    for name, w in (weights or {}).items():
        if isinstance(w, bool) or not isinstance(w, (int, float)) or not (0 <= w < math.inf):
            raise DataError(f"marker '{name}': weight {w!r}, expected a number >= 0", source,
                            name)
    return weights


def marker_references(path, model, markers=None, setup=None, *,
                      lowpass_hz: float | None = None) -> MarkerReference:
    """:class:`MarkerReference` of the marker file ``path`` for ``model``.

    ``markers``: None (every marker of the file), a list, or {marker: weight};
    ``setup``: an IK setup .xml whose marker weights are used (``markers``
    overrides them); ``lowpass_hz``: zero-phase Butterworth of each coordinate
    (after the gaps are bridged). Raises DataError naming the file."""
    path = Path(path)
    tables = read_tables(path)
    table = max(tables.values(), key=lambda t: len(file_markers(t)))
    in_file = file_markers(table)
    if not in_file:
        raise DataError("holds no markers (columns M_x, M_y, M_z)", path)
    weights = _weights(markers, setup, path)
    asked = list(weights) if weights is not None else in_file
    absent = [m for m in asked if m not in in_file]
    if absent and isinstance(markers, (list, dict)) and any(m in markers for m in absent):
        wrong = [m for m in absent if m in markers]
        raise DataError(f"has no marker {', '.join(repr(m) for m in wrong)} (markers: "
                        f"{', '.join(in_file)})", path, wrong[0])
    have = model_markers(model)
    lacking = tuple(m for m in asked if m in in_file and m not in have)
    used = [m for m in in_file if m in asked and m in have
            and (weights is None or weights[m] > 0)]
    if not used:
        raise DataError(f"none of its markers is a marker of model '{model.name}' "
                        f"(file: {', '.join(in_file[:8])}{' ...' if len(in_file) > 8 else ''};"
                        f" model: {', '.join(list(have)[:8]) or 'none'})", path)
    times = table.uniform_time() if table.is_uniform else table.time_s
    reference, per_sample, gaps = {}, {}, {}
    for m in used:
        seen = np.ones(times.size, bool)
        columns = {}
        for axis in have[m]:
            values = to_unit(table, f"{m}_{axis}", "m", f"marker '{m}' of model "
                                                        f"'{model.name}'")
            seen &= np.isfinite(values)
            columns[axis] = values
        if seen.sum() < 2:
            raise DataError(f"marker '{m}' is seen in {int(seen.sum())} samples; a marker "
                            "to track needs at least two", path, f"{m}_x")
        if not seen.all():
            gaps[m] = int((~seen).sum())
        w = (1.0 if weights is None else float(weights[m])) * seen.astype(float)
        for axis, values in columns.items():
            bridged = np.interp(times, times[seen], values[seen])
            if lowpass_hz:
                bridged = zero_phase(bridged, table.require_uniform("low-pass filtering"),
                                     lowpass_hz, file=path, column=f"{m}_{axis}")
            reference[f"{m}_{axis}"] = (times, bridged)
            per_sample[f"{m}_{axis}"] = (times, w)
    return MarkerReference(reference, per_sample, tuple(used), lacking, gaps)


def marker_residuals(term, solution) -> dict | None:
    """Marker distances of a solved marker-tracking ``term`` over the solution's grid:
    ``{"rms", "max_abs", "unit", "worst_marker", "worst_marker_rms", "per_marker"}``
    (m). RMS over markers and grid points, a missing marker (a gap) left out, as
    OpenSim's per-frame RMS; ``max_abs`` the largest distance; ``per_marker``
    {marker: RMS}. None when the term tracks no markers or the solution lacks them."""
    markers = tuple(term.marker_names)
    t = np.asarray(solution.time, float)
    if not markers or t.size < 1:
        return None
    total, count, largest, per = 0.0, 0.0, 0.0, {}
    for m in markers:
        names = [n for n in (f"{m}_{a}" for a in AXES) if n in term.reference]
        if any(n not in solution.output_names for n in names):
            return None
        squared = sum((solution.output(n) - np.interp(t, *term.reference[n])) ** 2
                      for n in names)
        seen = np.interp(t, *term.weights[names[0]]) > 0
        seen = seen & np.isfinite(squared)
        if not seen.any():
            continue
        per[m] = math.sqrt(float(np.mean(squared[seen])))
        total += float(np.sum(squared[seen]))
        count += int(seen.sum())
        largest = max(largest, math.sqrt(float(np.max(squared[seen]))))
    if not per:
        return None
    worst = max(per, key=per.get)
    return {"rms": math.sqrt(total / count), "max_abs": largest, "unit": "m",
            "worst_marker": worst, "worst_marker_rms": per[worst], "per_marker": per}

