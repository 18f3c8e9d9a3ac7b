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

from ocp.errors import ProblemError
from ocp.io.tables import TableReader

#: Step (s) of the grid on which the kinematics' spline, the inverse-dynamics
#: moments and the muscle paths are evaluated before the NLP interpolates them.
GRID_STEP_S = 0.0025


def read_kinematics(reader: TableReader, model, base: Path, loads_reader=None):
    """[kinematics]: joint angles to explain with muscles (the muscle redundancy problem).

    ``file``: an IK ``.mot``/``.sto`` (degrees if its header says so) or a
    ``.csv`` with a time column (``time``, ``time [s]``, ``time_s``: the
    project's own files) and one column per coordinate (rad, m, or the unit in
    its header); ``columns`` maps coordinate -> column name when they differ
    (:func:`ocp.data.kinematics.read_kinematics`); ``start`` and ``final`` (s)
    clip the time span (default: the file's).
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
    from ocp.data.errors import DataError
    from ocp.data.kinematics import read_kinematics as read_angles
    from ocp.models.multibody import PRISMATIC
    mapping = reader.sub("columns").table
    tree = model.tree
    translational = [c for c, k in model.coordinate_kinds().items() if k == PRISMATIC]
    try:
        angles = read_angles(path, tuple(tree.coordinates), translational,
                             columns={c: str(v) for c, v in mapping.items()})
    except DataError as exc:
        missing = exc.column not in (None, "time") and exc.message.startswith("no column")
        raise reader.error("columns" if missing else "file", str(exc)) from None
    time = angles.time_s
    if time.size < 6:
        raise reader.error("file", f"'{path}': at least 6 samples are needed, the file "
                           f"has {time.size}")
    values = [angles.values[:, k] for k in range(tree.n)]
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
    """``[external_loads] file``: the ExternalLoads of an .osim model (planar: its
    PlanarLoads; 3D: the ExternalLoads, its bodies checked), or ()."""
    if reader is None or not reader.table:
        return ()
    from ocp.analysis.planar_loads import read_planar_loads
    from ocp.models.multibody import KinematicTree
    from ocp.models.protocols import OsimModel
    from ocp.osim.tree import Skeleton
    skeleton = model.osim if isinstance(model, OsimModel) else None
    if skeleton is not None and not isinstance(model.tree, KinematicTree):   # 3D
        return read_spatial_loads(reader, model, base, span)
    reader.only({"file"})
    path = reader.path("file", base)
    if path is None:
        raise reader.error("file", "the ExternalLoads .xml file is required")
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


def measured_loads(reader, model, base: Path, span):
    """``[external_loads]`` of a forward problem: ``model`` with the loads in its dynamics
    (ocp.models.measured_loads.MeasuredLoads)."""
    from ocp.models.measured_loads import MeasuredLoads
    from ocp.models.protocols import OsimModel
    from ocp.osim.model3d import SpatialSkeleton
    if isinstance(span[1], tuple | list):
        raise reader.error("file", "measured loads need a fixed final time")
    if isinstance(model, OsimModel) and isinstance(model.osim, SpatialSkeleton):
        return spatial_loads(reader, model, base, span)
    loads = read_loads(reader, model, base, span)
    if not isinstance(loads, tuple):   # a 3D model's ExternalLoads: not in its dynamics yet
        raise reader.error("file", f"external loads in the dynamics of the 3D muscle-driven "
                           f"model '{model.name}' are not built; they work with [kinematics] "
                           f"(MocoInverse), or with remove_muscles = true")
    return MeasuredLoads(model, loads)


def spatial_loads(reader, model, base: Path, span):
    """``[external_loads]`` on a 3D .osim model: the ExternalLoads in its dynamics, each
    force on its body, in ground or body frames (ocp.models.measured_loads)."""
    from ocp.models.measured_loads import SpatialMeasuredLoads
    return SpatialMeasuredLoads(model, read_spatial_loads(reader, model, base, span))


def read_spatial_loads(reader, model, base: Path, span):
    """The ExternalLoads (ocp.data.external_loads) of ``[external_loads] file`` on a 3D
    model: its bodies the model's, its samples covering ``span``."""
    from ocp.data.errors import DataError
    from ocp.data.external_loads import read_external_loads
    reader.only({"file"})
    path = reader.path("file", base)
    if path is None:
        raise reader.error("file", "the ExternalLoads .xml file is required")
    try:
        loads = read_external_loads(path)
        loads.check_bodies(model.tree.body_names(), f"model '{model.name}'")
    except DataError as exc:
        raise reader.error("file", str(exc)) from None
    t = loads.table.time_s
    if t[0] > span[0] + 1e-9 or t[-1] < span[1] - 1e-9:
        raise reader.error("file", f"the forces of '{path.name}' cover {t[0]:g} to {t[-1]:g} s, "
                           f"not the problem's {span[0]:g} to {span[1]:g} s")
    return loads
