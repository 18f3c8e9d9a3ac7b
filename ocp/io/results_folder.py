"""The output folder of ``ocp solve``: checked before the solve, cleared of the
previous results before the new ones are written.

A solve can take hours; a folder that cannot be written, or that holds the
results of another problem, is found before it starts
(:func:`check_results_folder`), not when its result is to be saved. Writing
into a folder first removes every file the ``ocp`` commands write there
(:data:`RESULT_FILES`, :func:`clear_results`), so that no plot or export of
an earlier solve is left beside the new summary. Other files are never
touched.
"""
from __future__ import annotations

import errno
import json
import os
import tempfile
from pathlib import Path

from ocp.errors import ProblemError

#: Files the ``ocp`` commands write into a solution folder: the solution
#: (``Solution.save``), the plots (``ocp solve --plot``, ``ocp plot``), a
#: what-if's answers, the causal graph, and the exports at their default names
#: (``ocp export``).
RESULT_FILES = (
    "summary.json", "solution.npz",
    "states.png", "controls.png", "muscles.png", "gait.png", "gait.gif", "costs.png",
    "what_if.json", "causal_graph.png",
    "solution.sto", "solution.mot", "solution.csv", "solution_grf.sto",
)
#: Subfolders a what-if writes (``[intervention]``), each a solution folder.
RESULT_FOLDERS = ("open_loop", "reoptimised")
#: The file that names the problem whose results a folder holds.
SUMMARY = "summary.json"


def writable_folder(folder, option: str = "--out", create: bool = True) -> Path:
    """Make sure ``folder`` can hold results, by writing and removing a temporary
    file in it: ProblemError (one line naming the folder) when it is a file or
    cannot be created or written. ``create=False`` leaves a missing folder
    uncreated and writes into the nearest folder above it instead."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ProblemError(f"{option} '{folder}' is a file, not a folder; choose another "
                           f"{option}")
    probe = folder
    try:
        if create:
            folder.mkdir(parents=True, exist_ok=True)
        else:
            probe = next(p for p in [folder, *folder.absolute().parents] if p.exists())
            if not probe.is_dir():
                raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(probe))
    except OSError as exc:
        raise ProblemError(f"{option} '{folder}': cannot create the folder "
                           f"({exc.strerror or exc}); choose another {option}") from None
    try:
        fd, tmp = tempfile.mkstemp(dir=probe, prefix=".ocp-write-test.", suffix=".tmp")
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise ProblemError(f"{option} '{folder}': cannot write a file there "
                           f"({exc.strerror or exc}); choose another {option}") from None
    return folder


def previous_problem(folder) -> dict | None:
    """The problem whose results ``folder`` holds, from its summary.json:
    ``{"problem": name, "problem_file": path or ""}``; None when it holds none.
    A summary.json that cannot be read names no problem (``problem`` None)."""
    path = Path(folder) / SUMMARY
    if not path.is_file():
        return None
    try:
        summary = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {"problem": None, "problem_file": ""}
    if not isinstance(summary, dict):
        return {"problem": None, "problem_file": ""}
    return {"problem": summary.get("problem"), "problem_file": summary.get("problem_file") or ""}


def is_same_problem(previous: dict, name: str, problem_file: str = "") -> bool:
    """Whether results of ``previous`` (:func:`previous_problem`) are of the problem
    ``name`` read from ``problem_file``: the same file when both are known, else
    the same name."""
    if previous["problem_file"] and problem_file:
        return Path(previous["problem_file"]) == Path(problem_file)
    return previous["problem"] == name


def check_results_folder(folder, name: str, problem_file: str = "", force: bool = False,
                         option: str = "--out") -> Path:
    """Before a solve: refuse a folder holding another problem's results unless
    ``force``, then make sure the folder can be created and written
    (:func:`writable_folder`). ProblemError, one line, otherwise."""
    folder = Path(folder)
    previous = previous_problem(folder) if folder.is_dir() else None
    if previous is not None and not force and not is_same_problem(previous, name,
                                                                  problem_file):
        if previous["problem"] is None:
            what = f"a {SUMMARY} that names no problem"
        else:
            what = f"the results of another problem, '{previous['problem']}'" + (
                f" ({previous['problem_file']})" if previous["problem_file"] else "")
        raise ProblemError(f"{option} '{folder}' holds {what}; add --force to replace "
                           f"them, or choose another {option}")
    return writable_folder(folder, option)


def clear_results(folder, keep=()) -> list[Path]:
    """Remove from ``folder`` the files the ``ocp`` commands write there (and the
    temporary files of an interrupted write of one), except the names in
    ``keep`` (files about to be replaced atomically); return what was removed.
    What-if subfolders go too when nothing else is left in them."""
    folder = Path(folder)
    removed = []
    for where in [folder] + [folder / sub for sub in RESULT_FOLDERS]:
        if not where.is_dir():
            continue
        for name in RESULT_FILES:
            kept = where == folder and name in keep
            for path in [*([] if kept else [where / name]), *where.glob(f".{name}.*.tmp")]:
                if path.is_file() or path.is_symlink():
                    path.unlink()
                    removed.append(path)
        if where != folder and not any(where.iterdir()):
            where.rmdir()
            removed.append(where)
    return removed
