"""Solutions of .osim models as files OpenSim users open: OpenSim's column names.

States ``/jointset/<joint>/<coordinate>/value`` and ``/speed``,
``/forceset/<muscle>/activation``; controls ``/forceset/<muscle>`` and
``/forceset/<actuator>`` (Moco's MocoTrajectory names), and the ground
reaction forces as an external-loads file with the columns of Moco's
``createExternalLoadsTableForGait`` (``ground_force_r_vx`` ... per foot).
A half-cycle solution of a mirrored problem is written as the whole stride.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from ocp.analysis.stride import full_stride
from ocp.data.export import solution_table
from ocp.data.opensim_text import write_storage
from ocp.data.tables import Table
from ocp.errors import ProblemError
from ocp.models.protocols import MuscleModel, OsimModel


def opensim_names(model) -> dict:
    """Our state and control names -> OpenSim's component paths (a model read from .osim)."""
    if not isinstance(model, OsimModel):
        raise ProblemError(f"model '{model.name}' was not read from an .osim file")
    skeleton = model.osim
    joint_of = {c.name: j.name for j in skeleton.doc.joints for c in j.coordinates}
    out = {}
    for c in model.tree.coordinates:
        out[c] = f"/jointset/{joint_of[c]}/{c}/value"
        out[f"{c}_speed"] = f"/jointset/{joint_of[c]}/{c}/speed"
    for m in (model.muscles if isinstance(model, MuscleModel) else ()):
        out[f"{m.name}_activation"] = f"/forceset/{m.name}/activation"
        out[f"{m.name}_excitation"] = f"/forceset/{m.name}"
    for a in skeleton.doc.actuators:
        out[f"reserve_{a.coordinate}"] = f"/forceset/{a.name}"
    return out


def write_opensim_solution(solution, problem, out: Path) -> tuple[Path, Path | None]:
    """``out`` (states and controls) and ``out``'s ``_grf.sto`` sibling (if the model has feet)."""
    out = Path(out)
    if problem.mirror:
        solution = full_stride(solution, problem)
    names = opensim_names(problem.model)
    table = solution_table(solution, outputs=False)
    table = dataclasses.replace(table, columns=tuple(names.get(c, c) for c in table.columns))
    time = table.time_s
    write_storage(out, table, in_degrees=False,
                  comments=(f"ocp solution of {solution.problem_name}",))
    grf_path = None
    if solution.outputs is not None and "grf_y_r" in solution.output_names:
        zero = np.zeros_like(time)
        cols, vals = [], []
        for side in ("r", "l"):
            o = solution.output
            for name, v in ((f"ground_force_{side}_vx", o(f"grf_x_{side}")),
                            (f"ground_force_{side}_vy", o(f"grf_y_{side}")),
                            (f"ground_force_{side}_vz", zero),
                            (f"ground_force_{side}_px", o(f"cop_x_{side}")),
                            (f"ground_force_{side}_py", zero), (f"ground_force_{side}_pz", zero),
                            (f"ground_torque_{side}_x", zero), (f"ground_torque_{side}_y", zero),
                            (f"ground_torque_{side}_z", zero)):
                cols.append(name)
                vals.append(np.asarray(v, float))
        unit = lambda c: "N" if "force" in c and c[-2] == "v" else ("m" if "_p" in c else "N*m")  # noqa: E731,E501
        grf = Table(time, np.column_stack(vals), tuple(cols), tuple(unit(c) for c in cols),
                    None, "", {"problem": solution.problem_name})
        grf_path = out.with_name(out.stem + "_grf.sto")
        write_storage(grf_path, grf, in_degrees=False,
                      comments=("ground reaction forces (on the feet), ocp",))
    return out, grf_path
