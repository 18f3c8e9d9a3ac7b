"""``inverse_kinematics(model, markers, setup)``: a marker trial -> joint angles, as OpenSim's tool.

Inputs as OpenSim's InverseKinematicsTool takes them: an ``.osim`` model with
a MarkerSet, a ``.trc`` trial (its ``Units`` header: mm, cm or m), and
optionally its setup file (:func:`ocp.sensors.ik_setup.read_ik_setup`).
Which markers are used (OpenSim's ``populateReferences``): when the setup
has marker tasks, the markers that have an applied task, are in the model
and in the file; without marker tasks, every marker of the file that the
model has, weight 1. Markers of the file that the model lacks, and tasks
naming markers that the model or the file lack, are listed in
``IKResult.ignored``. The frames are those of the file between the start and
end of the time range, each end taken at its nearest frame, as OpenSim does.
"""
from __future__ import annotations

import time as clock
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ocp.data.errors import DataError
from ocp.data.opensim_text import marker_names, read_storage, read_trc, write_storage
from ocp.data.tables import Table
from ocp.sensors.ik_setup import CoordinateTask, IKSetup, read_ik_setup
from ocp.sensors.marker_ik import FrameErrors, MarkerIKProblem, smooth_frames, solve_frames

__all__ = ["IKResult", "TRC_UNITS", "inverse_kinematics", "translational", "write_marker_errors"]

#: Length units of a .trc header -> metres (OpenSim's Units: mm, cm, m).
TRC_UNITS = {"mm": 1e-3, "millimeters": 1e-3, "cm": 1e-2, "centimeters": 1e-2,
             "m": 1.0, "meters": 1.0}


@dataclass
class IKResult:
    """Joint angles of a trial and the marker errors of each frame.

    ``values`` (frames, coordinates) over every coordinate of the model, in its
    order (rad or m; ``translational`` says which are m), ``errors`` one
    :class:`FrameErrors` per frame; ``markers`` and ``weights`` those in use;
    ``ignored``: lines saying which markers were left out and why;
    ``time_solve_s``: the time of the frames' solves (the model's kinematics
    built once before). From IMUs (:mod:`ocp.sensors.imu_ik`), ``markers`` are
    the sensors and the errors are angles (rad).
    """

    time_s: np.ndarray
    coordinates: tuple
    values: np.ndarray
    translational: tuple
    errors: list
    markers: tuple
    weights: tuple
    ignored: list = field(default_factory=list)
    iterations: list = field(default_factory=list)
    time_build_s: float = 0.0
    time_solve_s: float = 0.0
    heading_rad: float | None = None       # IMUs: the placer's heading correction
    coupled: tuple = ()                    # dependent coordinates of coupler constraints

    def table(self) -> Table:
        """The angles as a table, units rad and m (``write_storage`` writes degrees)."""
        # a coupled coordinate is neither: OpenSim writes it unconverted in a file in
        # degrees (its motion type is Coupled), and so do we (unit "", taken as SI)
        units = tuple("" if c in self.coupled else "m" if t else "rad"
                      for c, t in zip(self.coordinates, self.translational))
        return Table(self.time_s, self.values, self.coordinates, units, None)

    def write(self, path) -> Path:
        """A ``.mot`` file as OpenSim's tool writes it (inDegrees=yes)."""
        return write_storage(path, self.table(), in_degrees=True, name="Coordinates",
                             comments=["Inverse kinematics (ocp ik)"])


def write_marker_errors(path, result: IKResult) -> Path:
    """The per-frame errors as OpenSim's ``_ik_marker_errors.sto`` (m^2, m, m)."""
    values = np.array([[e.total_squared_m2, e.rms_m, e.max_m] for e in result.errors])
    table = Table(result.time_s, values.reshape(-1, 3),
                  ("total_squared_error", "marker_error_RMS", "marker_error_max"),
                  ("m^2", "m", "m"), None)
    return write_storage(path, table, in_degrees=False, name="Model Marker Errors from IK")


def translational(doc) -> set:
    """Coordinates that move a joint along an axis (m), the others turn it (rad)."""
    out = set()
    for j in doc.joints:
        names = [c.name for c in j.coordinates]
        if j.kind == "CustomJoint":
            rotating = {i for axis in j.transform.axes[:3] for i in axis.indices}
            moving = {i for axis in j.transform.axes[3:] for i in axis.indices}
            out |= {names[i] for i in moving - rotating}
        elif j.kind == "SliderJoint":
            out |= set(names)
        elif j.kind == "PlanarJoint":
            out |= set(names[1:])
        elif j.kind == "FreeJoint":
            out |= set(names[3:])
    return out


def _observed(table: Table, names, path) -> np.ndarray:
    unit = str(table.units[0]) if table.units else ""
    scale = TRC_UNITS.get(unit.strip().lower())
    if scale is None:
        raise DataError(f"the Units header says '{unit}', which is not a length unit this "
                        f"reader knows ({', '.join(TRC_UNITS)})", path)
    columns = {c: j for j, c in enumerate(table.columns)}
    index = [[columns[f"{m}_{a}"] for a in "xyz"] for m in names]
    return scale * table.values[:, np.array(index)]


def _frames(time_s, time_range):
    """First and last frame index of a time range, each its nearest frame (OpenSim)."""
    if time_range is None:
        return 0, len(time_s) - 1
    start = max(time_range[0], time_s[0])
    end = min(time_range[1], time_s[-1])
    first = int(np.argmin(np.abs(time_s - start)))
    last = int(np.argmin(np.abs(time_s - end)))
    return first, max(first, last)


def inverse_kinematics(model, markers=None, setup=None, *, weights=None,
                       coordinate_tasks=None, time_range=None,
                       smoothing: float = 0.0) -> IKResult:
    """Inverse kinematics of a ``.trc`` trial on an ``.osim`` model.

    ``setup``: an InverseKinematicsTool file (its model, markers, time range
    and tasks, paths from its folder); ``model``, ``markers``, ``weights``
    ({marker: weight}, replacing the setup's marker tasks), ``coordinate_tasks``
    (CoordinateTask list, replacing the setup's) and ``time_range`` (s, s)
    override it. ``smoothing`` > 0 then solves the whole trial at once with that
    weight on the integral of the squared coordinate accelerations (rad^2/s^3;
    :func:`ocp.sensors.marker_ik.smooth_frames`), from the frames' solutions.
    """
    from ocp.osim.spatial_skeleton import read_spatial, reduced_tree

    config = read_ik_setup(setup) if setup is not None else IKSetup()
    changes = {k: v for k, v in (("model_file", model), ("marker_file", markers),
                                 ("time_range_s", time_range)) if v is not None}
    if weights is not None:
        changes["marker_weights"] = dict(weights)
    if coordinate_tasks is not None:
        changes["coordinate_tasks"] = tuple(coordinate_tasks)
    config = replace(config, **{k: Path(v) if k.endswith("file") else v
                                for k, v in changes.items()})
    for key, what in (("model_file", "model"), ("marker_file", "marker")):
        path = getattr(config, key)
        if path is None:
            raise DataError(f"no {what} file: give one (or a setup file naming it)",
                            config.source or None)
        if not path.is_file():
            raise DataError(f"the {what} file does not exist" +
                            (f" (named by {config.source})" if config.source else ""), path)
    if config.coordinate_file is not None and not config.coordinate_file.is_file():
        raise DataError(f"the coordinate file does not exist (named by {config.source})",
                        config.coordinate_file)

    started = clock.perf_counter()
    doc = read_spatial(config.model_file)
    tree = reduced_tree(doc)
    trc = read_trc(config.marker_file)
    in_file = marker_names(trc)
    in_model = {m.name for m in tree.markers}
    ignored = []
    lacking = [m for m in in_file if m not in in_model]
    if lacking:
        ignored.append(f"markers in {config.marker_file.name} that the model lacks "
                       f"(not used): {', '.join(lacking)}")
    if config.marker_weights:
        use = [m for m in in_file if m in in_model and m in config.marker_weights]
        absent = [m for m in config.marker_weights if m not in in_file or m not in in_model]
        if absent:
            ignored.append(f"marker tasks for markers the model or {config.marker_file.name} "
                           f"lack (not used): {', '.join(absent)}")
        used_weights = [config.marker_weights[m] for m in use]
    else:
        use = [m for m in in_file if m in in_model]
        used_weights = [1.0] * len(use)
    if not use:
        raise DataError(f"no marker of the file is in the model (model markers: "
                        f"{', '.join(sorted(in_model)) or 'none'})", config.marker_file)

    coords = doc.coordinates()
    free = tree.coordinates
    full = tree.tree.coordinates
    tasks, targets, from_file = [], [], []
    for task in config.coordinate_tasks:
        if task.name not in coords:
            raise DataError(f"IKCoordinateTask '{task.name}' names a coordinate the model "
                            f"lacks", config.source or None)
        if task.name in tree.locked:
            continue                      # OpenSim locks it and drops the task
        tasks.append((full.index(task.name), task.weight))
        if task.value_type == "default_value":
            targets.append(coords[task.name].default_value)
        elif task.value_type == "manual_value":
            targets.append(task.value)
        else:
            targets.append(None)
            from_file.append((len(targets) - 1, task.name))

    first, last = _frames(trc.time_s, config.time_range_s)
    time_s = trc.time_s[first:last + 1]
    observed = _observed(trc, use, config.marker_file)[first:last + 1]
    empty = np.where(~np.any(np.all(np.isfinite(observed), axis=2), axis=1))[0]
    if empty.size:
        k = int(empty[0])
        raise DataError(f"frame {first + k + int(trc.metadata.get('first_frame', 1))} "
                        f"(t = {time_s[k]:g} s) has none of the markers in use: every one "
                        f"is missing; choose a time range without it", config.marker_file)
    table_targets = np.array([[t if t is not None else np.nan for t in targets]] *
                             len(time_s)).reshape(len(time_s), len(targets))
    if from_file:
        stored = read_storage(config.coordinate_file)
        for column, name in from_file:
            if name not in stored.columns:
                raise DataError(f"no column for the coordinate task '{name}'",
                                config.coordinate_file, name)
            j = stored.columns.index(name)
            unit = stored.units[j]
            factor = np.pi / 180.0 if str(unit).startswith("deg") else 1.0
            table_targets[:, column] = np.interp(time_s, stored.time_s,
                                                 factor * stored.values[:, j])

    lower = np.array([coords[c].range[0] if coords[c].clamped else -np.inf for c in free])
    upper = np.array([coords[c].range[1] if coords[c].clamped else np.inf for c in free])
    problem = MarkerIKProblem(tree, tuple(use), np.array(used_weights, float), tuple(tasks),
                              lower, upper)
    function = problem.kinematics()
    q0 = np.array([coords[c].default_value for c in free])
    built = clock.perf_counter()
    q, errors, iterations = solve_frames(problem, observed, table_targets, q0,
                                         config.accuracy)
    if smoothing > 0:
        q, errors, _ = smooth_frames(problem, observed, table_targets, q, time_s, smoothing)
    solved = clock.perf_counter()
    expand = np.hstack([np.asarray(function(row)[2]) for row in q]).T
    moving = translational(doc)
    return IKResult(time_s, full, expand, tuple(c in moving for c in full), errors,
                    tuple(use), tuple(used_weights), ignored, iterations,
                    built - started, solved - built,
                    coupled=tuple(c.dependent for c in tree.couplings))


def describe_errors(errors: list) -> list:
    """OpenSim's log line of each frame: total squared error, RMS, max (worst marker)."""
    return [f"total squared error = {e.total_squared_m2:.6g} m^2, marker error: RMS = "
            f"{e.rms_m * 1e3:.3f} mm, max = {e.max_m * 1e3:.3f} mm ({e.worst_marker})"
            for e in errors]


__all__ += ["CoordinateTask", "FrameErrors", "describe_errors"]
