"""The result of a solve, its files, and atomic writing.

A solve leaves two files in its output folder:

- ``summary.json``: status, objective (with its ``sense``, ``"minimize"`` or
  ``"maximize"``, and ``units``, ``"si"`` or ``"none"``), each weighted cost term, final time,
  iterations, solve time and the dynamic-consistency errors; with a
  ``[parameters]`` table, each estimated model number's value, bounds and
  standard error (``parameters``, read back by :meth:`Solution.load` as a
  ParameterReport without its covariance), and the other reports of the
  solve (``warnings``, ``tracking_error``, ``muscle_geometry_fit``,
  ``mesh_refinement``, ``final_misses``, ``study``), each a typed field of
  :class:`Solution`;
- ``solution.npz``: plain arrays (no pickles) on the collocation grid:
  ``time`` (n_t,), ``states`` (n_t, n_x), ``controls`` (n_t, n_u),
  ``outputs`` (n_t, n_y), ``cost_integrands`` (n_t, n_terms) and the
  names and units of every column.

Both are written to a temporary file in the same folder, flushed to disk and
renamed over the target, so a crash leaves the old file or the new one, never
half of one.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ocp.engine.reports import summary_readers
from ocp.errors import ProblemError

SUCCESS = "success"


def atomic_write(path: Path, write) -> None:
    """Write a file by ``write(fileobj)`` into a temporary file, then rename it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _json_number(x):
    return x if x is None or math.isfinite(x) else str(x)


@dataclass
class MeshRefinementRecord:
    """How a solve refined its mesh (ocp.engine.mesh_refinement), as summary.json holds it.

    ``tolerance``: the re-simulation error aimed at (state units);
    ``started_on``: the transcription the first pass was solved on
    (``Transcription.describe()``); ``passes``: one dict per solve (intervals,
    status, objective, iterations, times in s, max_dynamics_error); ``mesh``:
    the normalised mesh points of the last pass, in [0, 1].
    """

    tolerance: float
    started_on: str
    passes: list
    mesh: list

    def to_dict(self) -> dict:
        return {"tolerance": self.tolerance, "started_on": self.started_on,
                "passes": self.passes, "mesh": self.mesh}

    @classmethod
    def from_dict(cls, record: dict) -> MeshRefinementRecord:
        return cls(record["tolerance"], record.get("started_on", ""),
                   list(record.get("passes", [])), list(record.get("mesh", [])))


@dataclass
class Solution:
    """Named arrays of a solved (or last-iterate) trajectory and its report.

    ``states[:, j]`` is ``state_names[j]`` at ``time`` (s); use
    :meth:`state`, :meth:`control` and :meth:`output` to look up by name.
    ``cost_terms`` holds weighted values, so they add up to ``objective``.
    ``max_dynamics_error`` is the largest absolute state deviation (state
    units) when each mesh interval is re-simulated from its collocated initial
    state with the transcription's own control interpolant by an adaptive
    integrator (CVODES, tolerance 1e-10); ``max_dynamics_error_open_loop``
    re-simulates the whole horizon from the initial state, which also measures
    how unstable the motion is. The reports of the solve (``warnings``,
    ``mesh_refinement``, ``tracking_error``, ``muscle_geometry_fit``,
    ``parameters``, ``final_misses``, ``study``, ``members``) are typed fields, written to
    summary.json under their own names.
    """

    time: np.ndarray
    states: np.ndarray
    controls: np.ndarray
    state_names: list
    control_names: list
    status: str
    objective: float
    cost_terms: dict
    final_time: float
    iterations: int
    solve_time_s: float
    max_dynamics_error: float = float("nan")
    max_dynamics_error_open_loop: float = float("nan")
    message: str = ""
    state_units: list = field(default_factory=list)
    control_units: list = field(default_factory=list)
    algebraics: np.ndarray | None = None
    algebraic_names: list = field(default_factory=list)
    outputs: np.ndarray | None = None
    output_names: list = field(default_factory=list)
    output_units: list = field(default_factory=list)
    cost_integrands: np.ndarray | None = None
    problem_name: str = ""
    #: the problem file solved (absolute path; "" when solved from Python): with
    #: problem_name, what tells one problem's results folder from another's
    problem_file: str = ""
    model_name: str = ""
    transcription: str = ""
    setup_time_s: float = 0.0
    #: IPOPT's multipliers of the variable bounds and constraints, for warm starts
    multipliers_x: np.ndarray | None = None
    multipliers_g: np.ndarray | None = None
    #: what a solve warns about (surrogates outside their training range, estimated
    #: parameters that are not identifiable, a refinement stopped short), in words
    warnings: list = field(default_factory=list)
    #: the mesh refinement's passes and final mesh, or None when the mesh was not refined
    mesh_refinement: MeshRefinementRecord | None = None
    #: how a converged solve's re-simulation was judged (ocp.engine.accuracy: rule,
    #: tolerance, error, state, accurate), or None when it was not re-simulated
    accuracy: dict | None = None
    #: RMS tracking error per tracking term and column (ocp.analysis.tracking), or None
    tracking_error: dict | None = None
    #: fitted muscle geometry's errors against the exact paths (ocp.osim), or None
    muscle_geometry_fit: dict | None = None
    #: reserve and residual actuators per coordinate: kind, RMS, peak, share of the
    #: joint moment's RMS (ocp.analysis.reserves), or None
    reserves: dict | None = None
    #: EMG tracking: each muscle's estimated scale, its bounds, the RMS of signal minus
    #: scaled EMG and the scaled EMG at ``time`` (ocp.analysis.emg), or None
    emg: dict | None = None
    #: speed (m/s) of the treadmill belt under the contact spheres (ocp.models.treadmill),
    #: or None overground
    treadmill_speed_m_s: float | None = None
    #: estimated model numbers with standard errors (ocp.estimation.ParameterReport), or None
    parameters: object = None
    #: an intervention's answer: how far each final condition is missed (ocp.causal), or None
    final_misses: dict | None = None
    #: the study run this solution belongs to (ocp.study), or None
    study: dict | None = None
    #: one solve per member of a surrogate ensemble and their spread
    #: (ocp.analysis.members.MemberSpread: ``ocp solve --members``), or None
    members: object = None
    #: "minimize" or "maximize": ``objective`` is J with its true sign either way
    sense: str = "minimize"
    #: "si", or "none" for a dimensionless problem (reported without units)
    units: str = "si"

    @property
    def success(self) -> bool:
        return self.status == SUCCESS

    def _column(self, values, names, name, what):
        if name not in names:
            raise KeyError(f"no {what} named '{name}'; {what}s: {list(names)}")
        return values[:, list(names).index(name)]

    def state(self, name: str) -> np.ndarray:
        return self._column(self.states, self.state_names, name, "state")

    def control(self, name: str) -> np.ndarray:
        return self._column(self.controls, self.control_names, name, "control")

    def output(self, name: str) -> np.ndarray:
        return self._column(self.outputs, self.output_names, name, "output")

    # -- files -----------------------------------------------------------
    def summary(self) -> dict:
        return {
            "status": self.status,
            "message": self.message,
            "objective": _json_number(self.objective),
            "sense": self.sense,
            "units": self.units,
            "cost_terms": {k: _json_number(v) for k, v in self.cost_terms.items()},
            "final_time": self.final_time,
            "iterations": self.iterations,
            "solve_time_s": self.solve_time_s,
            "setup_time_s": self.setup_time_s,
            "max_dynamics_error": _json_number(self.max_dynamics_error),
            "max_dynamics_error_open_loop": _json_number(self.max_dynamics_error_open_loop),
            "problem": self.problem_name,
            "problem_file": self.problem_file,
            "model": self.model_name,
            "transcription": self.transcription,
            "n_points": int(len(self.time)),
            **self.extra,
        }

    @property
    def extra(self) -> dict:
        """The summary's report sections beyond the core fields, by their summary.json
        keys (a read-only view of the typed fields; absent ones are left out)."""
        out = {}
        if self.tracking_error:
            out["tracking_error"] = self.tracking_error
        if self.warnings:
            out["warnings"] = list(self.warnings)
        if self.muscle_geometry_fit:
            out["muscle_geometry_fit"] = self.muscle_geometry_fit
        if self.reserves:
            out["reserves"] = self.reserves
        if self.emg:
            out["emg"] = self.emg
        if self.treadmill_speed_m_s:
            out["treadmill_speed_m_s"] = self.treadmill_speed_m_s
        if self.parameters is not None:
            out.update(self.parameters.to_dict())
        if self.mesh_refinement is not None:
            out["mesh_refinement"] = self.mesh_refinement.to_dict()
        if self.accuracy is not None:
            out["accuracy"] = self.accuracy
        if self.final_misses is not None:
            out["final_misses"] = self.final_misses
        if self.study is not None:
            out["study"] = self.study
        if self.members is not None:
            out.update(self.members.to_dict())
        return out

    def save(self, folder) -> Path:
        """Write ``summary.json`` and ``solution.npz`` into ``folder`` atomically."""
        folder = Path(folder)
        arrays = {
            "time": np.asarray(self.time, float),
            "states": np.asarray(self.states, float),
            "controls": np.asarray(self.controls, float),
            "state_names": np.array(self.state_names, dtype=str),
            "control_names": np.array(self.control_names, dtype=str),
            "state_units": np.array(self.state_units, dtype=str),
            "control_units": np.array(self.control_units, dtype=str),
            "algebraic_names": np.array(self.algebraic_names, dtype=str),
            "output_names": np.array(self.output_names, dtype=str),
            "output_units": np.array(self.output_units, dtype=str),
            "cost_names": np.array(list(self.cost_terms), dtype=str),
        }
        n = len(self.time)
        arrays["algebraics"] = (np.zeros((n, 0)) if self.algebraics is None
                                else np.asarray(self.algebraics, float))
        arrays["outputs"] = (np.zeros((n, 0)) if self.outputs is None
                             else np.asarray(self.outputs, float))
        arrays["cost_integrands"] = (np.zeros((n, 0)) if self.cost_integrands is None
                                     else np.asarray(self.cost_integrands, float))
        for key, value in (("multipliers_x", self.multipliers_x),
                           ("multipliers_g", self.multipliers_g)):
            if value is not None:
                arrays[key] = np.asarray(value, float)
        atomic_write(folder / "solution.npz", lambda f: np.savez(f, **arrays))
        text = json.dumps(self.summary(), indent=2) + "\n"
        atomic_write(folder / "summary.json", lambda f: f.write(text.encode()))
        return folder

    @classmethod
    def load(cls, folder) -> Solution:
        """Read a folder written by :meth:`save` (or a path to its solution.npz)."""
        folder = Path(folder)
        npz_path = folder if folder.suffix == ".npz" else folder / "solution.npz"
        folder = npz_path.parent
        summary_path = folder / "summary.json"
        reading = npz_path
        try:  # a truncated or foreign file is bad input, named, not a traceback
            with np.load(npz_path, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
            if not isinstance(arrays, dict) or not {"time", "states", "controls"} <= set(arrays):
                raise ValueError("it lacks the arrays 'time', 'states' and 'controls'")
            reading = summary_path
            summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
        except FileNotFoundError:
            raise
        except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
            raise ProblemError(f"not a readable solution ({type(exc).__name__}: {exc}); "
                               f"solve again to rewrite it", file=str(reading)) from None

        def number(key, default=float("nan")):
            value = summary.get(key, default)
            return float(value) if value is not None else default

        names = lambda key: [str(s) for s in arrays.get(key, [])]  # noqa: E731
        solution = cls(
            time=arrays["time"], states=arrays["states"], controls=arrays["controls"],
            state_names=names("state_names"), control_names=names("control_names"),
            state_units=names("state_units"), control_units=names("control_units"),
            algebraics=arrays.get("algebraics"), algebraic_names=names("algebraic_names"),
            outputs=arrays.get("outputs"), output_names=names("output_names"),
            output_units=names("output_units"),
            cost_integrands=arrays.get("cost_integrands"),
            status=summary.get("status", "unknown"), message=summary.get("message", ""),
            objective=number("objective"),
            cost_terms={k: float(v) for k, v in summary.get("cost_terms", {}).items()},
            final_time=number("final_time", float(arrays["time"][-1])),
            iterations=int(summary.get("iterations", 0)),
            solve_time_s=number("solve_time_s"), setup_time_s=number("setup_time_s", 0.0),
            max_dynamics_error=number("max_dynamics_error"),
            max_dynamics_error_open_loop=number("max_dynamics_error_open_loop"),
            problem_name=summary.get("problem", ""),
            problem_file=summary.get("problem_file", ""), model_name=summary.get("model", ""),
            transcription=summary.get("transcription", ""),
            multipliers_x=arrays.get("multipliers_x"),
            multipliers_g=arrays.get("multipliers_g"))
        # what the solve added to the summary comes back in the typed fields, so
        # that saving again writes it again
        solution.warnings = list(summary.get("warnings", []))
        solution.tracking_error = summary.get("tracking_error")
        solution.reserves = summary.get("reserves")
        solution.emg = summary.get("emg")
        solution.treadmill_speed_m_s = summary.get("treadmill_speed_m_s")
        solution.muscle_geometry_fit = summary.get("muscle_geometry_fit")
        solution.final_misses = summary.get("final_misses")
        solution.accuracy = summary.get("accuracy")
        solution.study = summary.get("study")
        solution.sense = summary.get("sense", "minimize")
        solution.units = summary.get("units", "si")
        if "mesh_refinement" in summary:
            solution.mesh_refinement = MeshRefinementRecord.from_dict(summary["mesh_refinement"])
        # fields whose value is a feature's object (estimated parameters: a
        # ParameterReport) are read by the reader that feature registered
        for name, reader in summary_readers().items():
            value = reader(summary)
            if value is not None:
                setattr(solution, name, value)
        return solution
