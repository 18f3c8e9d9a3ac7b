"""Surrogate uncertainty carried to the movement: solve once per ensemble member.

Each member's mean is a complete drop-in geometry (``OUT_member<k>.casadi``,
written by ``ocp train`` for an ensemble). Solving the same problem with each
gives a sample of the movements the surrogate's epistemic uncertainty allows;
their spread (of the objective, of every state over time) is the reported
uncertainty of the prediction. Needs no torch.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ocp.io.problem_file import load_problem
from ocp.solve import solve


def member_files(ensemble_path) -> list[Path]:
    """``OUT_member1.casadi``, ``OUT_member2.casadi``, ... beside ``OUT.casadi``, in order."""
    path = Path(ensemble_path).with_suffix("")
    files = sorted(path.parent.glob(f"{path.name}_member*.casadi"),
                   key=lambda p: int(p.stem.rsplit("member", 1)[1]))
    if not files:
        raise FileNotFoundError(f"no member files {path.name}_member<k>.casadi in {path.parent}")
    return files


def solve_per_member(problem_path, members, overrides: dict | None = None, key: str =
                     "model.geometry", warm_start=None) -> list:
    """One Solution per member file, ``key`` set to the member (warm-started if given)."""
    solutions = []
    for member in members:
        problem = load_problem(problem_path, {**(overrides or {}), key: str(member)})
        if warm_start is not None:
            problem.guess = warm_start
        solutions.append(solve(problem))
    return solutions


def output_spread(solutions, names) -> dict:
    """Per output in ``names`` (e.g. ``grf_y_r``): the members' standard deviation at
    each time, its maximum and RMS, and both relative to the mean trace's peak."""
    out = {}
    for name in names:
        values = np.stack([s.output(name) for s in solutions])
        std, peak = values.std(axis=0), float(np.max(np.abs(values.mean(axis=0))))
        out[name] = {"max_std": float(std.max()), "rms_std": float(np.sqrt(np.mean(std ** 2))),
                     "peak": peak,
                     "max_std_of_peak": float(std.max() / peak) if peak > 0 else float("nan")}
    return out


def spread(solutions, names=None, outputs=()) -> dict:
    """Spread of the members' objectives and trajectories.

    ``objective``: mean, std (over members), min, max and (max - min) / mean;
    per state in ``names`` (default: the coordinates, all rad or m): the
    standard deviation across members at each time, its maximum and RMS over
    time (angles also in degrees).
    """
    objectives = np.array([s.objective for s in solutions])
    out = {"members": len(solutions),
           "converged": sum(s.success for s in solutions),
           "objective": {"values": objectives.tolist(), "mean": float(objectives.mean()),
                         "std": float(objectives.std()), "min": float(objectives.min()),
                         "max": float(objectives.max()),
                         "relative_range": float(np.ptp(objectives) / abs(objectives.mean()))},
           "states": {}}
    first = solutions[0]
    if names is None:
        names = [n for n, u in zip(first.state_names, first.state_units) if u in ("rad", "m")]
    for name in names:
        values = np.stack([s.state(name) for s in solutions])
        std = values.std(axis=0)
        entry = {"max_std": float(std.max()), "rms_std": float(np.sqrt(np.mean(std ** 2)))}
        unit = first.state_units[first.state_names.index(name)]
        if unit == "rad":
            entry.update(max_std_deg=math.degrees(entry["max_std"]),
                         rms_std_deg=math.degrees(entry["rms_std"]))
        out["states"][name] = entry
    if outputs:  # ground reaction forces, say
        out["outputs"] = output_spread(solutions, outputs)
    return out
