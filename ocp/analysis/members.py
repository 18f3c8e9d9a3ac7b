"""A surrogate ensemble's uncertainty carried to the movement: one solve per member.

``ocp train`` with ``[training] ensemble = N`` writes, beside ``OUT.casadi``
(the ensemble), each member as a drop-in of its own (``OUT_member1.casadi``,
``OUT_member2.casadi``, ...): muscle geometry, contact, an activation step
(GRU, LSTM) or a graph network's dynamics. Solving the same problem once with
each member gives a sample of the movements the surrogate's epistemic
uncertainty allows (Lakshminarayanan, Pritzel and Blundell 2017); their
spread is the uncertainty of the prediction:

- the objective: the members' values, mean, standard deviation (population,
  over members), min, max and (max - min) / |mean|;
- the final time: the members' values and standard deviation (a free final
  time may differ);
- per coordinate (states in rad or m) and per ground reaction (outputs
  ``grf_*``): the members' standard deviation at each time of the first
  member's grid, normalised to the horizon (0 to 1: members may end on
  different meshes or final times; each trace linearly interpolated), its
  largest value and RMS over time (angles also in degrees; forces also
  relative to the peak of the members' mean trace).

``ocp solve PROBLEM --members KEY`` (``KEY`` the problem file's key naming the
ensemble, e.g. ``model.dynamics``) solves the problem as given, then once per
member, each warm-started from that solution, and reports the spread
(summary.json ``members``). Members that did not converge are listed and left
out of the spread.
"""
from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ocp.engine.reports import register_summary_reader
from ocp.errors import ProblemError
from ocp.io.problem_file import load_problem
from ocp.io.tables import apply_overrides, read_toml
from ocp.models.surrogate import SurrogateRangeWarning
from ocp.solution import SUCCESS
from ocp.solve import solve

#: Outputs whose spread is reported by default: the ground reaction forces.
GRF_PREFIX = "grf_"


def member_files(ensemble_path) -> list[Path]:
    """``OUT_member1.casadi``, ``OUT_member2.casadi``, ... beside ``OUT.casadi`` (or beside
    one of them, ``OUT_member<k>.casadi``), in order."""
    path = Path(ensemble_path).with_suffix("")
    if re.fullmatch(r".+_member\d+", path.name):
        path = path.with_name(path.name.rsplit("_member", 1)[0])
    files = sorted(path.parent.glob(f"{path.name}_member*.casadi"),
                   key=lambda p: int(p.stem.rsplit("member", 1)[1]))
    if not files:
        raise FileNotFoundError(f"no member files {path.name}_member<k>.casadi in {path.parent}")
    return files


def solve_per_member(problem_path, members, overrides: dict | None = None, key: str =
                     "model.geometry", warm_start=None, verbose: bool = False) -> list:
    """One Solution per member file, ``key`` set to the member (warm-started if given)."""
    solutions = []
    for member in members:
        problem = load_problem(problem_path, {**(overrides or {}), key: str(member)})
        if warm_start is not None:
            problem.guess = warm_start
        solutions.append(solve(problem, verbose=verbose))
    return solutions


def aligned(solutions, traces) -> np.ndarray:
    """(members, times): each solution's trace (``traces``, one per solution) on the
    first solution's time grid, normalised to the horizon (linear interpolation; the
    identity on a shared grid)."""
    def normalised(t):
        t = np.asarray(t, float)
        return (t - t[0]) / (t[-1] - t[0])
    grid = normalised(solutions[0].time)
    return np.stack([np.interp(grid, normalised(s.time), v) for s, v in zip(solutions, traces)])


def output_spread(solutions, names) -> dict:
    """Per output in ``names`` (e.g. ``grf_y_r``): the members' standard deviation at
    each time, its maximum and RMS, and both relative to the mean trace's peak."""
    out = {}
    for name in names:
        values = aligned(solutions, [s.output(name) for s in solutions])
        std, peak = values.std(axis=0), float(np.max(np.abs(values.mean(axis=0))))
        out[name] = {"max_std": float(std.max()), "rms_std": float(np.sqrt(np.mean(std ** 2))),
                     "peak": peak,
                     "max_std_of_peak": float(std.max() / peak) if peak > 0 else float("nan")}
    return out


def spread(solutions, names=None, outputs=()) -> dict:
    """Spread of the members' objectives and trajectories (see the module docstring).

    ``names``: states (default: the coordinates, all rad or m); ``outputs``:
    outputs (e.g. ground reactions).
    """
    objectives = np.array([s.objective for s in solutions])
    final_times = np.array([s.final_time for s in solutions])
    out = {"members": len(solutions),
           "converged": sum(s.success for s in solutions),
           "objective": {"values": objectives.tolist(), "mean": float(objectives.mean()),
                         "std": float(objectives.std()), "min": float(objectives.min()),
                         "max": float(objectives.max()),
                         "relative_range": float(np.ptp(objectives) / abs(objectives.mean()))},
           "final_time": {"values": final_times.tolist(), "std": float(final_times.std())},
           "states": {}}
    first = solutions[0]
    if names is None:
        names = [n for n, u in zip(first.state_names, first.state_units) if u in ("rad", "m")]
    for name in names:
        std = aligned(solutions, [s.state(name) for s in solutions]).std(axis=0)
        entry = {"max_std": float(std.max()), "rms_std": float(np.sqrt(np.mean(std ** 2)))}
        unit = first.state_units[first.state_names.index(name)]
        if unit == "rad":
            entry.update(max_std_deg=math.degrees(entry["max_std"]),
                         rms_std_deg=math.degrees(entry["rms_std"]))
        out["states"][name] = entry
    if outputs:  # ground reaction forces, say
        out["outputs"] = output_spread(solutions, outputs)
    return out


@dataclass
class MemberSolves:
    """``ocp solve --members KEY``: the member files of the ensemble that ``KEY`` names.

    Loaded before the nominal solve (:meth:`from_problem_file` checks the key,
    finds the files and loads the problem with each, so that a bad member is
    bad input before anything is solved), solved after it (:meth:`solve`).
    """

    key: str
    members: list
    problems: list

    @classmethod
    def from_problem_file(cls, problem_path, overrides: dict | None,
                          key: str | None) -> MemberSolves | None:
        """The members of the surrogate named by ``key`` (a dotted key, after
        overrides); None without a key.

        A key that names no surrogate file, a surrogate without
        ``_member<k>.casadi`` files beside it, or a member the problem cannot
        use, is a ProblemError naming the file, the key and the value.
        """
        if key is None:
            return None
        path = Path(problem_path)
        value = apply_overrides(read_toml(path), overrides, str(path))
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if not isinstance(value, str) or not value.endswith(".casadi"):
            raise ProblemError(f"--members {key}: expected the key of a learned surrogate "
                               f"file (\"x.casadi\", e.g. model.dynamics), got "
                               f"{'nothing' if value is None else repr(value)}", key, str(path))
        # absolute: a member's path is set as the key's value, which a relative path
        # would make relative to the problem file's folder a second time
        surrogate = (Path(value) if Path(value).is_absolute() else path.parent / value).resolve()
        try:
            members = member_files(surrogate)
        except FileNotFoundError:
            raise ProblemError(f"--members {key}: '{value}' has no member files "
                               f"{surrogate.stem}_member<k>.casadi beside it; train it with "
                               f"[training] ensemble = N (or laplace = true)", key,
                               str(path)) from None
        if len(members) < 2:
            raise ProblemError(f"--members {key}: '{value}' has {len(members)} member file; "
                               f"a spread needs at least 2", key, str(path))
        problems = [load_problem(path, {**(overrides or {}), key: str(m)}) for m in members]
        return cls(key, members, problems)

    def solve(self, nominal, verbose: bool = False) -> MemberSpread:
        """Solve once per member from ``nominal`` (the problem's own solution): each
        member's status, objective and iterations, and the spread of those that
        converged."""
        solutions = []
        with warnings.catch_warnings():  # each member's are in its record
            warnings.simplefilter("ignore", SurrogateRangeWarning)
            for problem in self.problems:
                problem.guess = nominal
                solutions.append(solve(problem, verbose=verbose))
        record = {"key": self.key,
                  "files": [m.name for m in self.members],
                  "solves": [{"status": s.status, "objective": float(s.objective),
                              "iterations": int(s.iterations),
                              "final_time_s": float(s.final_time),
                              "solve_time_s": float(s.solve_time_s),
                              "warnings": list(s.warnings)} for s in solutions]}
        converged = [s for s in solutions if s.success]
        if len(converged) >= 2:
            grf = [n for n in converged[0].output_names if n.startswith(GRF_PREFIX)]
            record["spread"] = spread(converged, outputs=grf)
        return MemberSpread(record)


@dataclass(frozen=True)
class MemberSpread:
    """The report of ``ocp solve --members``: ``record`` as written to summary.json
    (``members``: key, files, solves, spread)."""

    record: dict

    def to_dict(self) -> dict:
        return {"members": self.record}

    @classmethod
    def from_summary(cls, summary: dict) -> MemberSpread | None:
        return cls(summary["members"]) if isinstance(summary.get("members"), dict) else None

    def lines(self) -> list[str]:
        """The ``ocp solve`` report's lines."""
        solves = self.record["solves"]
        ok = sum(s["status"] == SUCCESS for s in solves)
        lines = [f"members      {len(solves)} solves, {self.record['key']} = each member "
                 f"({ok} converged)"]
        for k, s in enumerate(solves, 1):
            lines += [f"  member {k}: warning {w}" for w in s.get("warnings", [])]
        sp = self.record.get("spread")
        if sp is None:
            return lines + ["  fewer than 2 converged: no spread"]
        o = sp["objective"]
        lines.append(f"  objective  mean {o['mean']:.6g}, std {o['std']:.3g} "
                     f"({100 * o['std'] / abs(o['mean']):.3g} %), range {o['min']:.6g} to "
                     f"{o['max']:.6g}")
        if sp.get("final_time", {}).get("std", 0) > 0:   # a free final time
            lines.append(f"  final time std {sp['final_time']['std']:.3g} s, values "
                         + ", ".join(f"{t:.4g}" for t in sp["final_time"]["values"]))
        for name, v in sp["states"].items():
            shown = (f"{v['max_std_deg']:.3g} deg, RMS {v['rms_std_deg']:.3g} deg"
                     if "max_std_deg" in v else
                     f"{v['max_std']:.3g} m, RMS {v['rms_std']:.3g} m")
            lines.append(f"  {name:<10} std over time: max {shown}")
        for name, v in sp.get("outputs", {}).items():
            lines.append(f"  {name:<10} std over time: max {v['max_std']:.3g} N "
                         f"({100 * v['max_std_of_peak']:.3g} % of peak {v['peak']:.4g} N), "
                         f"RMS {v['rms_std']:.3g} N")
        return lines


register_summary_reader("members", MemberSpread.from_summary)
