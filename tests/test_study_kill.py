"""A study killed with SIGKILL in the middle resumes without redoing or losing work.

A real ``ocp study`` process with two local workers is killed (SIGKILL: no
clean-up code runs) once the store shows at least two finished runs. Then
``--resume`` must solve each remaining run and leave every finished run as it
was: same attempt count, same finish time, same solution files. The SQLite
store must pass its own integrity check and every row must be complete.
"""
import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_study import write_study

from ocp.cli import main
from ocp.study import read_runs
from ocp.study.store import STORE_FILE


def finished_runs(store: Path) -> dict:
    """run id -> (attempts, finished_at) of finished runs, read as an outside observer."""
    if not store.exists():
        return {}
    try:
        conn = sqlite3.connect(store, timeout=5)
        try:
            rows = conn.execute("SELECT run_id, attempts, finished_at FROM runs "
                                "WHERE status IN ('success', 'failed')").fetchall()
        finally:
            conn.close()
    except sqlite3.OperationalError:  # the tables do not exist yet
        return {}
    return {r[0]: (r[1], r[2]) for r in rows}


def fingerprint(folder: Path) -> dict:
    return {p.name: (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
            for p in sorted(folder.iterdir())}


def alive(pid: int) -> bool:
    """A process that exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc").exists() or sys.platform == "win32",
                    reason="needs POSIX signals and /proc")
def test_sigkilled_study_resumes_each_run_exactly_once(tmp_path):
    path = write_study(tmp_path, '"costs.effort.weight" = {logspace = [0.2, 5, 4]}\n'
                                 '"costs.time.weight" = {logspace = [1, 4, 3]}',
                       fixed='"transcription.intervals" = 40')
    out = tmp_path / "out"
    store = out / STORE_FILE
    process = subprocess.Popen(
        [sys.executable, "-m", "ocp", "study", str(path), "--out", str(out), "--workers", "2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while len(finished_runs(store)) < 2:
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, "the study did not finish two runs in time"
            time.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL

    before = finished_runs(store)
    assert 2 <= len(before) < 12, "the kill must come in the middle of the study"
    files = {run_id: fingerprint(out / "runs" / f"{run_id:04d}") for run_id in before
             if (out / "runs" / f"{run_id:04d}").exists()}
    # the pool's workers notice that the study is gone and stop
    _, runs = read_runs(out)
    workers = {int(r["worker"].rsplit(":", 1)[1]) for r in runs if r["worker"]}
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(pid) for pid in workers), "orphaned workers are still running"
    interrupted = {r["run_id"] for r in runs if r["status"] == "running"}

    assert main(["study", str(path), "--out", str(out), "--workers", "2", "--resume",
                 "--quiet"]) == 0

    conn = sqlite3.connect(store)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()
    _, runs = read_runs(out)
    assert len(runs) == 12
    for run in runs:
        run_id = run["run_id"]
        assert run["status"] == "success", run["message"]
        assert run["objective"] is not None and run["iterations"] is not None
        assert run["final_time_s"] is not None and run["finished_at"] is not None
        assert set(run["cost_terms"]) == {"effort", "time"}
        folder = out / run["solution_path"]
        assert sorted(p.name for p in folder.iterdir()) == ["solution.npz", "summary.json"]
        if run_id in before:  # finished before the kill: untouched
            assert (run["attempts"], run["finished_at"]) == before[run_id]
            assert fingerprint(folder) == files[run_id]
        else:  # started once more after the kill if it was running, else once
            assert run["attempts"] == (2 if run_id in interrupted else 1)
    assert sorted(p.name for p in (out / "runs").iterdir()) == [f"{i:04d}" for i in range(12)]
