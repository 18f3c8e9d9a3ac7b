"""A study store checks itself: its tables, its rows against the runs, its run folders.

The ``runs`` table is the manifest of the study: one row per run of the study
file, and every finished row with a solution names its folder. A row or a run
folder deleted by hand (or lost with a disk) would otherwise go unnoticed: the
study would report "nothing to solve" with a run missing. ``ocp study
--resume`` repairs such gaps by solving the missing runs again
(:meth:`ocp.study.store.Store.repair_gaps`); ``ocp report`` refuses a store
with gaps, naming what is missing. A store SQLite cannot read (truncated,
overwritten, a table dropped) is refused in one line.
"""
from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ocp.errors import ProblemError

FINISHED = ("success", "failed")


def damaged(path, detail: str) -> ProblemError:
    return ProblemError(f"damaged study store ({detail}); remove it and its 'runs' folder, "
                        f"or choose another --out", file=str(path))


@contextmanager
def readable(path):
    """SQLite errors of a store (``database disk image is malformed``, ``no such
    table: runs``, ``file is not a database``) become one ProblemError."""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        raise damaged(path, str(exc)) from None


def check_tables(conn: sqlite3.Connection, path, tables) -> None:
    """Every table of ``tables`` is in the store (checked before any is read)."""
    present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    missing = [t for t in tables if t not in present]
    if missing:
        raise damaged(path, f"table '{missing[0]}' is missing")


def _ids(ids) -> str:
    ids = sorted(ids)
    return ("run " if len(ids) == 1 else "runs ") + ", ".join(map(str, ids))


@dataclass
class Gaps:
    """What a store lacks against its study: rows of runs, and folders of finished runs."""

    missing_rows: list = field(default_factory=list)
    missing_folders: list = field(default_factory=list)
    foreign_rows: list = field(default_factory=list)  # ids or overrides not of this study

    def __bool__(self) -> bool:
        return bool(self.missing_rows or self.missing_folders or self.foreign_rows)

    def describe(self) -> str:
        parts = []
        if self.missing_rows:
            parts.append(f"no row for {_ids(self.missing_rows)}")
        if self.missing_folders:
            parts.append(f"the solution folder of {_ids(self.missing_folders)} is missing")
        if self.foreign_rows:
            parts.append(f"the row of {_ids(self.foreign_rows)} is not a run of this study")
        return "; ".join(parts)


def find_gaps(folder, rows: list[dict], n_runs: int, overrides: dict | None = None) -> Gaps:
    """Compare ``rows`` (the ``runs`` table) with the study's ``n_runs`` runs (and their
    ``overrides`` by id, when known) and the run folders on disk."""
    folder = Path(folder)
    gaps = Gaps()
    ids = {r["run_id"] for r in rows}
    gaps.missing_rows = sorted(set(range(n_runs)) - ids)
    for row in rows:
        run_id = row["run_id"]
        if run_id not in range(n_runs) or (overrides is not None and _canonical(
                row["overrides"]) != _canonical(overrides[run_id])):
            gaps.foreign_rows.append(run_id)
        elif row["status"] in FINISHED and row["solution_path"] and not (
                folder / row["solution_path"] / "solution.npz").is_file():
            gaps.missing_folders.append(run_id)
    return gaps


def _canonical(overrides) -> str:
    if isinstance(overrides, str):
        overrides = json.loads(overrides)
    return json.dumps(overrides, sort_keys=True)
