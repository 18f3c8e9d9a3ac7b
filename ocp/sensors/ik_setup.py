"""OpenSim's InverseKinematicsTool setup file (``IK_setup.xml``) -> :class:`IKSetup`.

What is read: ``model_file``, ``marker_file``, ``coordinate_file``,
``time_range``, ``accuracy``, ``constraint_weight``, ``output_motion_file``
and the ``IKTaskSet``: ``IKMarkerTask`` (a weight per marker) and
``IKCoordinateTask`` (a weight and a target: ``default_value``,
``manual_value`` with ``value``, or ``from_file``). Tasks whose ``apply`` is
false are dropped, as OpenSim does. Paths are relative to the setup file's
folder (OpenSim resolves them from the working directory, which its GUI sets
to that folder); the command line overrides them.

Reference: opensim-core ``OpenSim/Tools/InverseKinematicsTool.cpp``
(``populateReferences``), ``IKMarkerTask``, ``IKCoordinateTask``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ocp.osim.elements import ElementReader, OsimError, objects, parse_xml

__all__ = ["VALUE_TYPES", "CoordinateTask", "IKSetup", "read_ik_setup"]

#: IKCoordinateTask value types (OpenSim's names).
VALUE_TYPES = ("default_value", "manual_value", "from_file")


@dataclass(frozen=True)
class CoordinateTask:
    """Hold ``name`` near a target: weight * (q - target)^2 / 2 in the objective.

    ``value_type``: ``default_value`` (the model's default), ``manual_value``
    (``value``, in the model's units: rad or m) or ``from_file`` (the
    coordinate file's column of that name)."""

    name: str
    weight: float
    value_type: str = "default_value"
    value: float = 0.0


@dataclass(frozen=True)
class IKSetup:
    """An inverse-kinematics run: files, time range, tasks. Paths are absolute or None."""

    model_file: Path | None = None
    marker_file: Path | None = None
    coordinate_file: Path | None = None
    output_motion_file: Path | None = None
    time_range_s: tuple | None = None
    accuracy: float = 1e-5
    constraint_weight: float = float("inf")
    marker_weights: dict = field(default_factory=dict)   # {marker: weight}; {} = all, weight 1
    coordinate_tasks: tuple = ()                          # of CoordinateTask
    source: str = ""


def _path(folder: Path, text: str | None) -> Path | None:
    if text is None or text.strip() in ("", "Unassigned"):
        return None
    path = Path(text.strip())
    return path if path.is_absolute() else folder / path


def read_ik_setup(path) -> IKSetup:
    """Read an InverseKinematicsTool setup file (OpenSim 3 or 4)."""
    path = Path(path)
    if not path.is_file():
        raise OsimError("the IK setup file does not exist", None, str(path))
    root, lines = parse_xml(path)
    ctx = ElementReader(str(path), lines)
    tool = root.find("InverseKinematicsTool") if root.tag == "OpenSimDocument" else None
    if tool is None:
        raise OsimError("not an InverseKinematicsTool setup: expected <OpenSimDocument> "
                        "holding <InverseKinematicsTool>", root.tag, str(path),
                        lines.get(root, 1))
    folder = path.parent
    time_range = ctx.numbers(tool, "time_range", 2, ()) or None
    if time_range and time_range[1] < time_range[0]:
        raise ctx.error(tool.find("time_range"), f"the time range {time_range[0]} to "
                                                 f"{time_range[1]} s ends before it starts")
    weights, tasks = {}, []
    for task in objects(tool.find("IKTaskSet")):
        if task.tag not in ("IKMarkerTask", "IKCoordinateTask"):
            raise ctx.error(task, f"'{task.tag}' is not supported in an IKTaskSet "
                                  f"(IKMarkerTask, IKCoordinateTask)")
        if not ctx.boolean(task, "apply", True):
            continue
        weight = ctx.number(task, "weight", 1.0)
        if weight < 0:
            raise ctx.error(task, f"<weight> must be at least 0, got {weight}")
        if task.tag == "IKMarkerTask":
            weights[task.get("name")] = weight
            continue
        value_type = ctx.text(task, "value_type", "default_value")
        if value_type not in VALUE_TYPES:
            raise ctx.error(task, f"<value_type> '{value_type}' is not one of "
                                  f"{', '.join(VALUE_TYPES)}")
        tasks.append(CoordinateTask(task.get("name"), weight, value_type,
                                    ctx.number(task, "value", 0.0)))
    coordinate_file = _path(folder, ctx.text(tool, "coordinate_file", ""))
    if coordinate_file is None and any(t.value_type == "from_file" for t in tasks):
        task = next(t for t in tasks if t.value_type == "from_file")
        raise OsimError("takes its value from_file but the setup names no <coordinate_file>",
                        f"IKCoordinateTask '{task.name}'", str(path))
    constraint_text = ctx.text(tool, "constraint_weight", "inf")
    constraint_weight = (float("inf") if constraint_text.lower() in ("inf", "infinity")
                         else ctx.number(tool, "constraint_weight"))
    output = ctx.text(tool, "output_motion_file", "")
    results = ctx.text(tool, "results_directory", "")
    return IKSetup(
        model_file=_path(folder, ctx.text(tool, "model_file", "")),
        marker_file=_path(folder, ctx.text(tool, "marker_file", "")),
        coordinate_file=coordinate_file,
        output_motion_file=_path(_path(folder, results) or folder, output),
        time_range_s=tuple(time_range) if time_range else None,
        accuracy=ctx.number(tool, "accuracy", 1e-5),
        constraint_weight=constraint_weight,
        marker_weights=weights, coordinate_tasks=tuple(tasks), source=str(path))

