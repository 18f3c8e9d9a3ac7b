"""OpenSim's ExternalLoads (``GRF.xml`` and its data file): measured forces on bodies.

An ``ExternalLoads`` file lists ``ExternalForce`` elements and names one data
file (``<datafile>``, a ``.mot``/``.sto``, relative to the ``.xml``; the
``datafile`` argument overrides it). Each force reads, from that file:

- ``force_identifier`` + ``x``/``y``/``z``: the force (N), expressed in
  ``force_expressed_in_body`` (``ground`` or a body);
- ``point_identifier`` + ``x``/``y``/``z`` (optional): where it acts (m),
  expressed in ``point_expressed_in_body``; without one, at the origin of
  ``applied_to_body``;
- ``torque_identifier`` + ``x``/``y``/``z`` (optional): a free torque (N m),
  expressed like the force.

The force acts on ``applied_to_body``. OpenSim (``ExternalForce``) makes each
component a function of time: a natural cubic spline through the samples
(``GCVSpline`` of degree 3, zero error variance; piecewise linear for 2 or 3
samples), which :meth:`ExternalLoads.at` evaluates the same way. OpenSim 4's
InverseDynamicsTool does not filter the loads.

A body that a reader merged into another (a planar model welds ``calcn_r`` to
``talus_r``) keeps its offset: :func:`body_in_tree` gives the surviving body
and the fixed pose between them, and points and directions given in the merged
body are carried through that pose.

Reference: opensim-core ``OpenSim/Simulation/Model/ExternalForce.cpp``,
``ExternalLoads.cpp``; OpenSim User's Guide, "External Loads".
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ocp.data.errors import DataError
from ocp.data.files import read
from ocp.data.natural_spline import NaturalSpline
from ocp.data.opensim_text import opensim_xml_element
from ocp.data.tables import Table
from ocp.errors import suggestion

__all__ = ["ExternalForce", "ExternalLoads", "LoadSamples", "body_in_tree",
           "read_external_loads"]

GROUND = "ground"
#: A time column whose median step is at least this (s) is taken for milliseconds:
#: force plates and motion capture sample at 10 Hz or faster.
MILLISECOND_STEP_S = 0.5


@dataclass(frozen=True)
class ExternalForce:
    """One ``<ExternalForce>`` element (identifiers are column prefixes; "" if absent)."""

    name: str
    applied_to_body: str
    force_expressed_in_body: str = GROUND
    point_expressed_in_body: str = GROUND
    force_identifier: str = ""
    point_identifier: str = ""
    torque_identifier: str = ""

    @property
    def has_point(self) -> bool:
        return bool(self.point_identifier) and bool(self.force_identifier)


@dataclass(frozen=True, eq=False)
class LoadSamples:
    """One force at the times ``time_s`` (n,): ``force`` (n, 3) N, ``point`` (n, 3) m
    or None (the body's origin), ``torque`` (n, 3) N m or None, each in the frame
    its :class:`ExternalForce` names."""

    spec: ExternalForce
    time_s: np.ndarray
    force: np.ndarray | None
    point: np.ndarray | None
    torque: np.ndarray | None


@dataclass(frozen=True, eq=False)
class ExternalLoads:
    """The forces of an ExternalLoads file and their data table."""

    forces: tuple
    table: Table
    file: str
    datafile: str

    @property
    def bodies(self) -> tuple:
        return tuple(f.applied_to_body for f in self.forces)

    def check_bodies(self, body_names, model: str = "the model") -> None:
        """DataError naming the file and the force when a body is not in ``body_names``
        (ground is allowed as a frame, not as the body a force acts on)."""
        names = list(body_names)
        for f in self.forces:
            frames = (("applied_to_body", f.applied_to_body),
                      ("force_expressed_in_body", f.force_expressed_in_body),
                      ("point_expressed_in_body", f.point_expressed_in_body))
            for key, body in frames:
                if body in names or (body == GROUND and key != "applied_to_body"):
                    continue
                raise DataError(f"ExternalForce '{f.name}': {key} '{body}' is not a body of "
                                f"{model}" + suggestion(body, names), self.file)

    def samples(self, force: ExternalForce) -> LoadSamples:
        """The raw samples of one force, at the data file's times."""
        return self._evaluate(force, self.table.time_s, None)

    def at(self, time_s, force: ExternalForce | None = None) -> tuple:
        """Every force (or one) at ``time_s`` through OpenSim's splines: a tuple of
        :class:`LoadSamples` (one LoadSamples if ``force`` is given). Times outside
        the data are a DataError: the loads would be held, not measured."""
        t = np.atleast_1d(np.asarray(time_s, float))
        lo, hi = self.table.time_s[0], self.table.time_s[-1]
        # a hundredth of a sample: the rounding of resampled times (OpenSim's t += dt)
        tol = 0.01 * float(np.min(np.diff(self.table.time_s))) if self.table.n_samples > 1 \
            else 1e-9
        if t.min() < lo - tol or t.max() > hi + tol:
            raise DataError(f"the loads cover {lo:g} to {hi:g} s, but are needed from "
                            f"{t.min():g} to {t.max():g} s", self.datafile, "time")
        if force is not None:
            return self._evaluate(force, t, True)
        return tuple(self._evaluate(f, t, True) for f in self.forces)

    def _evaluate(self, force: ExternalForce, t, splined) -> LoadSamples:
        out = []
        for ident in (force.force_identifier,
                      force.point_identifier if force.has_point else "",
                      force.torque_identifier):
            if not ident:
                out.append(None)
                continue
            columns = identifier_columns(self.table, ident, force.name, self.datafile)
            values = np.column_stack([self.table.column(c) for c in columns])
            if splined:
                values = np.column_stack([_interpolant(self.table.time_s, values[:, k])(t)
                                          for k in range(3)])
            out.append(values)
        return LoadSamples(force, np.asarray(t, float), *out)


def _interpolant(times, values):
    """OpenSim's function of one data column: natural cubic spline (GCVSpline degree
    3) from 4 samples, piecewise linear below."""
    if times.size >= 4:
        return NaturalSpline(times, values, 3)
    return lambda t: np.interp(t, times, values)


def identifier_columns(table: Table, identifier: str, force: str, file) -> tuple:
    """The three columns of an identifier: ``<id>x``, ``<id>y``, ``<id>z``, else the
    three columns that start with it (OpenSim's Storage::getDataForIdentifier)."""
    xyz = tuple(identifier + a for a in "xyz")
    if all(c in table.columns for c in xyz):
        return xyz
    starting = tuple(c for c in table.columns if c.startswith(identifier))
    if len(starting) == 3:
        return starting
    missing = next(c for c in xyz if c not in table.columns)
    raise DataError(f"ExternalForce '{force}' needs columns {', '.join(xyz)}; no column "
                    f"'{missing}'" + suggestion(missing, list(table.columns)), file, missing)


def _text(el, tag: str, default: str = "") -> str:
    child = el.find(tag)
    if child is None or child.text is None:
        return default
    text = child.text.strip()
    return default if text in ("", "Unassigned") else text


def check_seconds(table: Table, path) -> None:
    """DataError when the time column looks like milliseconds (OpenSim files are in s)."""
    t = table.time_s
    if t.size > 1:
        step = float(np.median(np.diff(t)))
        if step >= MILLISECOND_STEP_S:
            raise DataError(f"time steps of {step:g} (from {t[0]:g} to {t[-1]:g}) look like "
                            f"milliseconds; OpenSim data files give time in seconds: divide "
                            f"the time column by 1000", path, "time")


def read_external_loads(path, datafile=None) -> ExternalLoads:
    """An OpenSim ExternalLoads ``.xml`` and its data file.

    ``datafile`` overrides the file's ``<datafile>`` (relative paths in the
    ``.xml`` are from its folder). Raises DataError (one line naming the file,
    the element or column, the value): an unreadable or foreign XML, a data
    file that does not exist, a missing column, a time column in milliseconds,
    a glitch sample (a 1e30 fill value).
    """
    path = Path(path)
    loads = opensim_xml_element(path, "ExternalLoads", "external loads file")
    forces = []
    for el in loads.iter("ExternalForce"):
        if _text(el, "isDisabled", "false").lower() == "true" \
                or _text(el, "appliesForce", "true").lower() == "false":
            continue
        name = el.get("name") or f"ExternalForce {len(forces) + 1}"
        body = _text(el, "applied_to_body")
        if not body:
            raise DataError(f"ExternalForce '{name}' has no applied_to_body", path)
        spec = ExternalForce(name, body, _text(el, "force_expressed_in_body", GROUND),
                             _text(el, "point_expressed_in_body", GROUND),
                             _text(el, "force_identifier"), _text(el, "point_identifier"),
                             _text(el, "torque_identifier"))
        if not spec.force_identifier and not spec.torque_identifier:
            raise DataError(f"ExternalForce '{name}' names neither a force_identifier nor a "
                            f"torque_identifier", path)
        forces.append(spec)
    if not forces:
        raise DataError("no (enabled) ExternalForce in the file", path)
    if datafile is None:
        named = _text(loads, "datafile")
        if not named:
            raise DataError("no <datafile>: give the data file (.mot) of the loads", path)
        datafile = path.parent / named
        if not datafile.is_file():
            raise DataError(f"<datafile> '{named}' does not exist (looked for {datafile})",
                            path)
    datafile = Path(datafile)
    if not datafile.is_file():
        raise DataError("the data file of the external loads does not exist", datafile)
    table = read(datafile)
    check_seconds(table, datafile)
    loaded = ExternalLoads(tuple(forces), table, str(path), str(datafile))
    for f in forces:
        for ident in (f.force_identifier, f.point_identifier if f.has_point else "",
                      f.torque_identifier):
            if ident:
                for c in identifier_columns(table, ident, f.name, datafile):
                    if np.isnan(table.column(c)).any():
                        raise DataError(f"ExternalForce '{f.name}': missing samples (NaN)",
                                        datafile, c)
    return loaded


def body_in_tree(body: str, merged: dict, body_pose: dict | None = None):
    """``(surviving body, pose or None)`` of a body in a model whose reader merged
    welded bodies: ``merged`` maps a merged body to the body it went into (the
    planar reader's ``Skeleton.merged``), ``body_pose`` (its ``Skeleton.body_pose``,
    body -> (segment, pose body -> segment)) gives the fixed offset."""
    if body_pose is not None and body in body_pose:
        segment, pose = body_pose[body]
        return (segment or GROUND), pose
    seen = body
    while seen in merged:
        seen = merged[seen]
    return seen, None
