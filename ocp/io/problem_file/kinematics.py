"""``[kinematics]``: measured joint angles that muscles must explain.

With this section the problem is the muscle redundancy problem
(:mod:`ocp.analysis.muscle_redundancy`): the time span and the coordinates'
motion come from the file, the muscles are found. ``[external_loads]``
(an OpenSim ExternalLoads ``.xml``) adds measured forces to the inverse
dynamics, as Moco's ``ModOpAddExternalLoads`` in a ``MocoInverse``.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ocp.errors import ProblemError, suggestion
from ocp.io.tables import TableReader

#: Step (s) of the grid on which the kinematics' spline, the inverse-dynamics
#: moments and the muscle paths are evaluated before the NLP interpolates them.
GRID_STEP_S = 0.0025


def read_kinematics(reader: TableReader, model, base: Path, loads_reader=None):
    """[kinematics]: joint angles to explain with muscles (the muscle redundancy problem).

    ``file`` is a CSV with a ``time`` column (s) and one column per coordinate
    (rad), or an OpenSim ``.mot``/``.sto`` (degrees when its header says
    ``inDegrees=yes``); ``columns`` maps coordinate -> column name when they
    differ; ``start`` and ``final`` (s) clip the time span (default: the file's).
    ``initial_activation = true``: each muscle's initial activation equals its
    initial excitation (Moco's MocoInitialActivationGoal in a MocoInverse).
    ``loads_reader``: the ``[external_loads]`` table (``file``: ExternalLoads .xml).
    """
    from ocp.analysis.muscle_redundancy import kinematics_from_samples, redundancy_problem
    from ocp.models.muscle_driven import MuscleDrivenTree
    reader.only({"file", "columns", "start", "final", "initial_activation"})
    if not isinstance(model, MuscleDrivenTree):
        raise reader.error(None, f"[kinematics] needs a muscle-driven model; "
                           f"'{model.name}' has no muscles")
    path = reader.path("file", base)
    if path is None:
        raise reader.error("file", "the kinematics file is required (CSV with 'time', "
                           ".mot or .sto)")
    mapping = reader.sub("columns").table
    if path.suffix.lower() in (".mot", ".sto"):
        time, columns, column = _storage(reader, path, model.coordinate_kinds())
    else:
        time, columns, column = _csv(reader, path)
    if time.size < 6 or np.any(np.diff(time) <= 0):
        raise reader.error("file", f"'{path}': column 'time' must increase strictly "
                           f"over at least 6 rows")
    values = []
    for coordinate in model.tree.coordinates:
        name = mapping.get(coordinate, coordinate)
        if name not in columns:
            raise reader.error("columns", f"'{path}' has no column '{name}' for coordinate "
                               f"'{coordinate}'" + suggestion(name, columns))
        values.append(column(name, coordinate))
    start = reader.number("start", float(time[0]), unit="s")
    final = reader.number("final", float(time[-1]), unit="s")
    if not (time[0] - 1e-9 <= start < final <= time[-1] + 1e-9):
        key = "start" if not time[0] - 1e-9 <= start else "final"
        raise reader.error(key, f"expected {time[0]:g} s <= start < final <= {time[-1]:g} s "
                           f"(the span of '{path.name}'), got start {start:g} s, "
                           f"final {final:g} s")
    grid = None
    if "start" in reader.table or "final" in reader.table or loads_reader is not None:
        n = max(int(math.ceil((final - start) / GRID_STEP_S)), 5) + 1
        grid = np.linspace(start, final, n)
    loads = read_loads(loads_reader, model, base, (start, final))
    kinematics = kinematics_from_samples(model, time, np.column_stack(values), loads=loads,
                                         grid=grid)
    problem = redundancy_problem(model, kinematics)
    if reader.boolean("initial_activation", False):   # Moco's MocoInitialActivationGoal
        problem.initial_equal = [(f"{m.name}_activation", f"{m.name}_excitation")
                                 for m in model.muscles]
    return problem


def read_loads(reader, model, base: Path, span) -> tuple:
    """``[external_loads] file``: the ExternalLoads of an .osim model (planar), or ()."""
    if reader is None or not reader.table:
        return ()
    from ocp.analysis.planar_loads import read_planar_loads
    from ocp.models.protocols import OsimModel
    from ocp.osim.tree import Skeleton
    reader.only({"file"})
    path = reader.path("file", base)
    if path is None:
        raise reader.error("file", "the ExternalLoads .xml file is required")
    skeleton = model.osim if isinstance(model, OsimModel) else None
    if not isinstance(skeleton, Skeleton):
        raise reader.error("file", f"external loads need a planar .osim model; "
                           f"'{model.name}' is not one")
    try:
        loads = read_planar_loads(path, skeleton)
    except ProblemError as exc:
        raise reader.error("file", str(exc)) from None
    t = loads[0].time_s
    if t[0] > span[0] + 1e-9 or t[-1] < span[1] - 1e-9:
        raise reader.error("file", f"the forces of '{path.name}' cover {t[0]:g} to {t[-1]:g} s, "
                           f"not the kinematics' {span[0]:g} to {span[1]:g} s")
    return loads


def _csv(reader, path):
    try:
        table = np.genfromtxt(path, delimiter=",", names=True)
    except (OSError, ValueError) as exc:
        raise reader.error("file", f"cannot read CSV '{path}': {exc}") from None
    columns = list(table.dtype.names or ())
    if "time" not in columns:
        raise reader.error("file", f"'{path}' has no 'time' column (columns: {columns})")
    return (np.atleast_1d(table["time"]), columns,
            lambda name, coordinate: np.atleast_1d(table[name]))


def _storage(reader, path, kinds):
    from ocp.analysis.inverse_dynamics import coordinate_values
    from ocp.data.files import read
    from ocp.models.multibody import REVOLUTE
    try:
        table = read(path)
    except ProblemError as exc:
        raise reader.error("file", str(exc)) from None

    def column(name, coordinate):
        return coordinate_values(table, name, "rad" if kinds[coordinate] == REVOLUTE else "m")
    return np.asarray(table.time_s, float), list(table.columns), column


def measured_loads(reader, model, base: Path, span):
    """``[external_loads]`` of a forward problem: ``model`` with the loads in its dynamics
    (ocp.models.measured_loads.MeasuredLoads)."""
    from ocp.models.measured_loads import MeasuredLoads
    if isinstance(span[1], tuple | list):
        raise reader.error("file", "measured loads need a fixed final time")
    return MeasuredLoads(model, read_loads(reader, model, base, span))
