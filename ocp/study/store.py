"""The results store of a study: one SQLite file and one solution folder per run.

``DIR/study.sqlite`` holds three tables:

- ``meta``: what study this is (``spec_hash``, study and problem files, swept
  keys, versions);
- ``runs``: one row per run: ``run_id``, ``overrides`` and ``sweep`` (JSON),
  ``command`` (the ``ocp solve`` line that reproduces it), ``status``
  (``pending``, ``running``, ``success`` or ``failed``), ``ipopt_status``,
  ``message``, ``objective``, ``final_time_s``, ``iterations``,
  ``solve_time_s``, ``setup_time_s``, ``max_dynamics_error``,
  ``solution_path`` (relative to DIR), ``warm_start_from``, ``attempts``,
  ``worker``, ``started_at``, ``finished_at``;
- ``cost_terms``: ``run_id``, ``name``, ``weight``, ``value`` (weighted, as in
  the objective), ``unweighted`` (``value / weight``, NULL for weight 0),
  ``unit`` (of the unweighted value);
- ``repairs``: one row per re-solve of the cross-check
  (:mod:`ocp.study.cross_check`): ``run_id``, ``from_run`` (whose solution
  beat it and warm-started the re-solve), ``before``, ``challenger`` (that
  solution's objective under the run's weights), ``after``, ``outcome``
  (``repaired``, ``not improved`` or ``failed``), ``message``,
  ``iterations``, ``finished_at``.

Every change is one transaction (SQLite's rollback journal, synchronous=FULL):
a study killed at any instant leaves each row as it was before or after a
change, never between. A run is recorded ``success``/``failed`` only after its
solution folder is written (itself atomically, by :meth:`ocp.Solution.save`),
so a finished row always points at complete files. The rollback journal is
used rather than WAL because WAL needs shared memory, which network file
systems (where cluster studies keep their results) do not provide.
"""
from __future__ import annotations

import json
import math
import os
import sqlite3
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from ocp.engine.accuracy import INACCURATE
from ocp.errors import ProblemError
from ocp.study.integrity import Gaps, check_tables, damaged, find_gaps, readable

STORE_FILE = "study.sqlite"
LOCK_FILE = ".study.lock"
RUNS_FOLDER = "runs"
PENDING, RUNNING, SUCCESS, FAILED = "pending", "running", "success", "failed"
FINISHED = (SUCCESS, FAILED)

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    run_id             INTEGER PRIMARY KEY,
    overrides          TEXT NOT NULL,
    sweep              TEXT NOT NULL,
    command            TEXT NOT NULL,
    status             TEXT NOT NULL DEFAULT 'pending'
                       CHECK (status IN ('pending', 'running', 'success', 'failed')),
    ipopt_status       TEXT,
    message            TEXT,
    objective          REAL,
    final_time_s       REAL,
    iterations         INTEGER,
    solve_time_s       REAL,
    setup_time_s       REAL,
    max_dynamics_error REAL,
    solution_path      TEXT,
    warm_start_from    INTEGER REFERENCES runs(run_id),
    attempts           INTEGER NOT NULL DEFAULT 0,
    worker             TEXT,
    started_at         TEXT,
    finished_at        TEXT
);
CREATE TABLE IF NOT EXISTS cost_terms (
    run_id     INTEGER NOT NULL REFERENCES runs(run_id),
    name       TEXT NOT NULL,
    weight     REAL,
    value      REAL,
    unweighted REAL,
    unit       TEXT,
    PRIMARY KEY (run_id, name)
);
CREATE TABLE IF NOT EXISTS repairs (
    run_id      INTEGER NOT NULL REFERENCES runs(run_id),
    from_run    INTEGER NOT NULL,
    before      REAL,
    challenger  REAL,
    after       REAL,
    outcome     TEXT NOT NULL,
    message     TEXT,
    iterations  INTEGER,
    finished_at TEXT
);
"""
#: Tables every study store has (``repairs`` came later: created when a study resumes).
TABLES = ("meta", "runs", "cost_terms")
REPAIRED, NOT_IMPROVED = "repaired", "not improved"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _finite(x):
    """SQLite has no NaN or infinity: store them as NULL."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def run_folder(run_id: int) -> str:
    """Folder of a run's solution, relative to the study folder."""
    return f"{RUNS_FOLDER}/{run_id:04d}"


def connect(path: Path, reader: bool = False) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit).

    Readers open the file read-write too, without writing: SQLite must be able
    to roll back the journal a killed study left behind before anyone reads.
    """
    conn = sqlite3.connect(path, timeout=30.0, isolation_level=None)
    if not reader:
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.row_factory = sqlite3.Row
    return conn


class Store:
    """The SQLite store of one study in ``folder``; only the study process writes."""

    def __init__(self, folder: Path, conn: sqlite3.Connection, lock_fd: int | None = None):
        self.folder = Path(folder)
        self.conn = conn
        self._lock_fd = lock_fd

    # -- opening -----------------------------------------------------------------
    @classmethod
    def open(cls, folder, study, resume: bool) -> Store:
        """Create the store for ``study`` in ``folder``, or reopen it to resume.

        Raises ProblemError (before anything is written) when ``folder`` holds
        another study's store, when it holds this study's store but
        ``resume`` is false, or when another process is running the study.
        """
        folder = Path(folder)
        path = folder / STORE_FILE
        meta = read_meta(path) if path.exists() else {}
        if meta.get("spec_hash"):  # (no hash: killed while creating the store; start again)
            if meta["spec_hash"] != study.spec_hash:
                raise ProblemError(
                    f"holds the results of another study (study file "
                    f"'{meta.get('study_file', '?')}', {meta.get('n_runs', '?')} runs, "
                    f"spec hash {meta.get('spec_hash', '?')}; this study's hash is "
                    f"{study.spec_hash}: its problem file or sweep differ); choose another "
                    f"--out or remove that folder", file=str(folder))
            if not resume:
                counts = _counts(path)
                raise ProblemError(
                    f"already holds this study ({counts.get(SUCCESS, 0)} succeeded, "
                    f"{counts.get(FAILED, 0)} failed of {meta.get('n_runs', '?')} runs); "
                    f"add --resume to continue it", file=str(folder))
        elif (folder / RUNS_FOLDER).exists():
            raise ProblemError(f"has a '{RUNS_FOLDER}' folder but no {STORE_FILE}; choose "
                               f"another --out", file=str(folder))
        folder.mkdir(parents=True, exist_ok=True)
        lock_fd = _lock(folder)
        try:
            with readable(path):
                conn = connect(path)
                store = cls(folder, conn, lock_fd)
                if meta.get("spec_hash"):  # a store of this study: it must be whole
                    check_tables(conn, path, TABLES)
                store._initialise(study)
        except BaseException:
            _unlock(lock_fd)
            raise
        return store

    def _initialise(self, study) -> None:
        self.conn.executescript(SCHEMA)  # idempotent; meta and runs come in one transaction
        with self.transaction() as c:
            if c.execute("SELECT COUNT(*) FROM meta").fetchone()[0]:
                return
            c.execute("DELETE FROM runs")
            import casadi

            from ocp import __version__
            meta = {
                "spec_hash": study.spec_hash,
                "title": study.title,
                "study_file": str(Path(study.path).resolve()),
                "problem_file": str(Path(study.problem_path).resolve()),
                "mode": study.mode,
                "axes": json.dumps([{"key": a.key, "values": list(a.values), "scale": a.scale,
                                     "unit": a.unit} for a in study.axes]),
                "n_runs": str(len(study.runs)),
                "created_at": _now(),
                "ocp_version": __version__,
                "casadi_version": casadi.__version__,
            }
            c.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", meta.items())
            c.executemany(
                "INSERT INTO runs (run_id, overrides, sweep, command) VALUES (?, ?, ?, ?)",
                [(r.run_id, json.dumps(r.overrides), json.dumps(r.sweep),
                  study.command(r)) for r in study.runs])

    @contextmanager
    def transaction(self):
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()
        _unlock(self._lock_fd)
        self._lock_fd = None

    # -- state changes -----------------------------------------------------------
    def repair_gaps(self, study) -> Gaps:
        """Runs whose row or solution folder is missing become ``pending`` (to be
        solved again); rows that are not runs of ``study`` are refused. Returns the gaps."""
        rows = [dict(r) for r in self.conn.execute("SELECT run_id, overrides, status, "
                                                   "solution_path FROM runs")]
        gaps = find_gaps(self.folder, rows, len(study.runs),
                         {r.run_id: r.overrides for r in study.runs})
        if gaps.foreign_rows:
            raise ProblemError(f"inconsistent study store: {gaps.describe()}; remove it and "
                               f"its '{RUNS_FOLDER}' folder, or choose another --out",
                               file=str(self.folder / STORE_FILE))
        with self.transaction() as c:
            c.executemany(
                "INSERT INTO runs (run_id, overrides, sweep, command) VALUES (?, ?, ?, ?)",
                [(r.run_id, json.dumps(r.overrides), json.dumps(r.sweep), study.command(r))
                 for r in study.runs if r.run_id in gaps.missing_rows])
            for run_id in gaps.missing_folders:
                c.execute("DELETE FROM cost_terms WHERE run_id = ?", (run_id,))
                c.execute("UPDATE runs SET status = 'pending', ipopt_status = NULL, "
                          "message = NULL, objective = NULL, final_time_s = NULL, "
                          "iterations = NULL, solve_time_s = NULL, setup_time_s = NULL, "
                          "max_dynamics_error = NULL, solution_path = NULL, finished_at = "
                          "NULL WHERE run_id = ?", (run_id,))
        return gaps

    def requeue(self, failed: bool = False) -> int:
        """Runs left ``running`` by an interrupted study (and ``failed`` ones if
        asked) become ``pending`` again; returns how many."""
        statuses = (RUNNING, FAILED) if failed else (RUNNING,)
        with self.transaction() as c:
            marks = ",".join("?" * len(statuses))
            if failed:
                c.execute(f"DELETE FROM cost_terms WHERE run_id IN (SELECT run_id FROM runs "
                          f"WHERE status IN ({marks}))", statuses)
            cur = c.execute(
                f"UPDATE runs SET status = 'pending', ipopt_status = NULL, message = NULL, "
                f"objective = NULL, final_time_s = NULL, iterations = NULL, "
                f"solve_time_s = NULL, setup_time_s = NULL, max_dynamics_error = NULL, "
                f"solution_path = NULL, finished_at = NULL WHERE status IN ({marks})",
                statuses)
            return cur.rowcount

    def give_up_interrupted(self, max_attempts: int) -> int:
        """Runs left ``running`` after ``max_attempts`` starts become ``failed``:
        each start ended with the study stopping (killed, or killed by the run)."""
        with self.transaction() as c:
            cur = c.execute(
                "UPDATE runs SET status = 'failed', finished_at = ?, message = 'the study "
                "stopped while solving this run in each of its ' || attempts || ' attempts "
                "(killed, or the run crashed the study process); --resume --retry-failed "
                "tries it again' WHERE status = 'running' AND attempts >= ?",
                (_now(), max_attempts))
            return cur.rowcount

    def mark_running(self, run_id: int, warm_start_from: int | None) -> None:
        with self.transaction() as c:
            c.execute("UPDATE runs SET status = 'running', attempts = attempts + 1, "
                      "warm_start_from = ?, started_at = ? WHERE run_id = ?",
                      (warm_start_from, _now(), run_id))

    def mark_pending(self, run_id: int) -> None:
        """Give back a run that was started but not finished (a lost worker)."""
        with self.transaction() as c:
            c.execute("UPDATE runs SET status = 'pending' WHERE run_id = ? AND status = "
                      "'running'", (run_id,))

    def record(self, outcome, solution_path: str | None) -> str:
        """Record a finished run (its files already written); returns its status."""
        s = outcome.solution
        if s is None:
            status, ipopt_status, message = FAILED, None, outcome.error
        elif s.success:
            status, ipopt_status, message = SUCCESS, s.message, ""
        elif s.status == INACCURATE:  # converged on too coarse a mesh (ocp.engine.accuracy)
            status, ipopt_status = FAILED, s.message
            message = next((w for w in s.warnings if w.startswith(INACCURATE)), INACCURATE)
        else:
            status, ipopt_status = FAILED, s.status
            message = f"IPOPT did not converge: {s.status}"
        iterations = None
        if s is not None and s.iterations is not None and s.iterations >= 0:
            iterations = int(s.iterations)
        with self.transaction() as c:
            c.execute(
                "UPDATE runs SET status = ?, ipopt_status = ?, message = ?, objective = ?, "
                "final_time_s = ?, iterations = ?, solve_time_s = ?, setup_time_s = ?, "
                "max_dynamics_error = ?, solution_path = ?, worker = ?, finished_at = ? "
                "WHERE run_id = ?",
                (status, ipopt_status, message,
                 _finite(s.objective) if s else None, _finite(s.final_time) if s else None,
                 iterations, _finite(s.solve_time_s) if s else None,
                 _finite(s.setup_time_s) if s else None,
                 _finite(s.max_dynamics_error) if s else None,
                 solution_path, outcome.worker, _now(), outcome.run_id))
            c.execute("DELETE FROM cost_terms WHERE run_id = ?", (outcome.run_id,))
            if s is not None:
                rows = []
                for name, value in s.cost_terms.items():
                    weight = outcome.weights.get(name)
                    unweighted = value / weight if weight else None
                    rows.append((outcome.run_id, name, _finite(weight), _finite(value),
                                 _finite(unweighted), outcome.units.get(name, "-")))
                c.executemany("INSERT INTO cost_terms (run_id, name, weight, value, "
                              "unweighted, unit) VALUES (?, ?, ?, ?, ?, ?)", rows)
        return status

    def record_repair(self, run_id: int, from_run: int, before: float, challenger: float,
                      after: float | None, outcome: str, message: str = "",
                      iterations: int | None = None) -> None:
        with self.transaction() as c:
            c.execute("INSERT INTO repairs (run_id, from_run, before, challenger, after, "
                      "outcome, message, iterations, finished_at) VALUES (?, ?, ?, ?, ?, ?, "
                      "?, ?, ?)", (run_id, from_run, _finite(before), _finite(challenger),
                                   _finite(after), outcome, message, iterations, _now()))
            if outcome == REPAIRED:
                c.execute("UPDATE runs SET warm_start_from = ? WHERE run_id = ?",
                          (from_run, run_id))

    # -- reading -----------------------------------------------------------------
    def statuses(self) -> dict[int, str]:
        return {r["run_id"]: r["status"] for r in
                self.conn.execute("SELECT run_id, status FROM runs ORDER BY run_id")}

    def counts(self) -> dict[str, int]:
        return {r[0]: r[1] for r in
                self.conn.execute("SELECT status, COUNT(*) FROM runs GROUP BY status")}


def _counts(path: Path) -> dict:
    with readable(path):
        conn = connect(path, reader=True)
        try:
            check_tables(conn, path, TABLES)
            return {r[0]: r[1] for r in conn.execute("SELECT status, COUNT(*) FROM runs "
                                                     "GROUP BY status")}
        finally:
            conn.close()


def read_meta(path: Path) -> dict:
    """The ``meta`` table of a store file ({} if the store was never completed;
    ProblemError if SQLite cannot read the file)."""
    try:
        conn = connect(path, reader=True)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master "
                                                 "WHERE type = 'table'")}
            if "meta" not in tables:
                return {}
            return {r["key"]: r["value"] for r in conn.execute("SELECT key, value FROM meta")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise damaged(path, str(exc)) from None


def read_runs(folder) -> tuple[dict, list[dict]]:
    """Meta and all runs of a study folder, each run with ``cost_terms``:
    name -> dict(weight, value, unweighted, unit); ``meta["repairs"]`` holds the
    rows of the ``repairs`` table. Safe while the study runs. A damaged store,
    or one with a row or a run folder missing, raises ProblemError."""
    folder = Path(folder)
    path = folder / STORE_FILE
    if not path.exists():
        raise ProblemError(f"no {STORE_FILE} here; run 'ocp study STUDY.toml --out {folder}' "
                           "first", file=str(folder))
    meta = read_meta(path)
    if not meta.get("spec_hash"):
        raise damaged(path, "its 'meta' table records no study: the study was stopped "
                      "while creating the store, or the table was emptied")
    if "axes" not in meta:
        raise damaged(path, "its 'meta' table lacks the study's axes")
    with readable(path):
        conn = connect(path, reader=True)
        try:
            check_tables(conn, path, TABLES)
            conn.execute("BEGIN")  # one consistent snapshot of the tables
            runs = [dict(r) for r in conn.execute("SELECT * FROM runs ORDER BY run_id")]
            terms: dict[int, dict] = {}
            for r in conn.execute("SELECT * FROM cost_terms ORDER BY run_id, rowid"):
                terms.setdefault(r["run_id"], {})[r["name"]] = {
                    "weight": r["weight"], "value": r["value"], "unweighted": r["unweighted"],
                    "unit": r["unit"]}
            has_repairs = conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = "
                                       "'table' AND name = 'repairs'").fetchone()[0]
            meta["repairs"] = [dict(r) for r in conn.execute(
                "SELECT * FROM repairs ORDER BY rowid")] if has_repairs else []
            conn.execute("COMMIT")
        finally:
            conn.close()
    gaps = find_gaps(folder, runs, int(meta.get("n_runs", len(runs))))
    if gaps:
        raise ProblemError(f"inconsistent study store: {gaps.describe()}; solve what is "
                           f"missing with 'ocp study {meta.get('study_file', 'STUDY.toml')} "
                           f"--out {folder} --resume'", file=str(path))
    try:
        for run in runs:
            run["overrides"] = json.loads(run["overrides"])
            run["sweep"] = json.loads(run["sweep"])
            run["cost_terms"] = terms.get(run["run_id"], {})
        meta["axes"] = json.loads(meta["axes"])
    except (ValueError, KeyError, TypeError) as exc:  # a row edited by hand: named
        raise damaged(path, f"{type(exc).__name__}: {exc}") from None
    return meta, runs


# -- one study process per folder --------------------------------------------------
def _lock(folder: Path) -> int | None:
    """An exclusive lock on the folder, released by the OS if the process dies."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no protection against two concurrent studies
        return None
    fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
        os.close(fd)
        raise ProblemError(f"another 'ocp study' (pid {holder}) is running in this folder",
                           file=str(folder)) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def _unlock(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)  # closing the descriptor releases the flock


def cost_names(runs: list[dict]) -> list[str]:
    """Cost term names in the order of the problem file (first run that has them)."""
    names: list[str] = []
    for run in runs:
        for name in run["cost_terms"]:
            if name not in names:
                names.append(name)
    return names


def cost_units(runs: list[dict]) -> dict[str, str]:
    """Each cost term's unit, from the first run that has it ("-" when it has none)."""
    units = {}
    for run in runs:
        for name, term in run["cost_terms"].items():
            units.setdefault(name, term["unit"] or "-")
    return units
