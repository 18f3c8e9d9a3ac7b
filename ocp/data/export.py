"""Solutions as data files: ``.sto``/``.mot`` for OpenSim, ``.csv`` for anything else.

One row per point of the solution's grid; the columns are the states
(coordinates and speeds, named as in the model: ``elbow``,
``elbow_speed``), the controls (``tau_elbow``) and the outputs (``hand_x``
...), each with its unit. A ``.mot`` file is written with angles in degrees
and ``inDegrees=yes`` (what OpenSim's GUI expects of a motion), a ``.sto``
file in SI units. The header says which problem and solve made the file.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ocp.data.errors import DataError
from ocp.data.files import write
from ocp.data.tables import Table

FORMATS = ("sto", "mot", "csv")


def solution_table(solution, *, outputs: bool = True) -> Table:
    """States, controls and (optionally) outputs of a Solution as one Table."""
    blocks = [(solution.states, solution.state_names, solution.state_units),
              (solution.controls, solution.control_names, solution.control_units)]
    if outputs and solution.outputs is not None and len(solution.output_names):
        blocks.append((solution.outputs, solution.output_names, solution.output_units))
    values, names, units = [], [], []
    for arr, n, u in blocks:
        arr = np.asarray(arr, float).reshape(len(solution.time), -1)
        if arr.shape[1] == 0:
            continue
        values.append(arr)
        names += list(n)
        units += list(u) if len(u) == len(n) else [""] * len(n)
    units = ["" if u == "-" else u for u in units]
    return Table(np.asarray(solution.time, float), np.hstack(values), tuple(names),
                 tuple(units), None, "",
                 {"problem": solution.problem_name, "model": solution.model_name})


def export_solution(solution, path, *, outputs: bool = True) -> Path:
    """Write a Solution as ``path`` (``.sto``, ``.mot`` or ``.csv``, by its extension)."""
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise DataError(f"cannot export a solution as '.{fmt}'; formats: "
                        f"{', '.join('.' + f for f in FORMATS)}", path)
    table = solution_table(solution, outputs=outputs)
    if fmt == "csv":
        return write(path, table)
    comments = [f"Solution of problem '{solution.problem_name}' (model "
                f"'{solution.model_name}', {solution.transcription}): status "
                f"{solution.status}, objective {solution.objective:.10g}",
                "Written by ocp (ocp export); units of each column in the units line"]
    name = solution.problem_name.replace("\n", " ").replace("=", " ").strip()
    return write(path, table, name=name or path.stem,
                 comments=[c.replace("=", " ") for c in comments])
