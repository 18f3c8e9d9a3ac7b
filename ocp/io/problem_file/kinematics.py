"""``[kinematics]``: measured joint angles that muscles must explain.

With this section the problem is the muscle redundancy problem
(:mod:`ocp.analysis.muscle_redundancy`): the time span and the coordinates'
motion come from the file, the muscles are found.
"""
from __future__ import annotations

from pathlib import Path

from ocp.io.tables import TableReader


def read_kinematics(reader: TableReader, model, base: Path):
    """[kinematics]: joint angles to explain with muscles (the muscle redundancy problem).

    ``file``: an IK ``.mot``/``.sto`` (degrees if its header says so) or a
    ``.csv`` with a time column (``time``, ``time [s]``, ``time_s``: the
    project's own files) and one column per coordinate (rad, m, or the unit in
    its header); ``columns`` maps coordinate -> column name when they differ
    (:func:`ocp.data.kinematics.read_kinematics`).
    """
    from ocp.analysis.muscle_redundancy import kinematics_from_samples, redundancy_problem
    from ocp.models.muscle_driven import MuscleDrivenTree
    reader.only({"file", "columns"})
    if not isinstance(model, MuscleDrivenTree):
        raise reader.error(None, f"[kinematics] needs a muscle-driven model; "
                           f"'{model.name}' has no muscles")
    path = reader.path("file", base)
    if path is None:
        raise reader.error("file", "the kinematics file is required (.mot, .sto or .csv "
                           "with a time column)")
    from ocp.data.errors import DataError
    from ocp.data.kinematics import read_kinematics
    from ocp.models.multibody import PRISMATIC
    mapping = reader.sub("columns").table
    tree = model.tree
    translational = [s.joint.coordinate for s in tree.segments if s.joint.kind == PRISMATIC]
    try:
        kinematics = read_kinematics(path, tuple(tree.coordinates), translational,
                                     columns={c: str(v) for c, v in mapping.items()})
    except DataError as exc:
        missing = exc.column not in (None, "time") and exc.message.startswith("no column")
        raise reader.error("columns" if missing else "file", str(exc)) from None
    time = kinematics.time_s
    if time.size < 6:
        raise reader.error("file", f"'{path}': at least 6 samples are needed, the file "
                           f"has {time.size}")
    return redundancy_problem(model, kinematics_from_samples(model, time, kinematics.values))
