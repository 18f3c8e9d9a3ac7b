"""Run a study: every pending run solved once, each recorded as it finishes.

The study process is the only writer of the store. It keeps ``capacity`` runs
in flight on a backend (this process, a local pool, or Dask), warm-starts each
from its nearest succeeded neighbour (:mod:`ocp.study.order`), writes each
finished run's solution folder and then, in one transaction, its row. A run
that raises or does not converge is recorded as failed with its message; the
others go on. A worker process that dies (a crash in a native library, out of
memory) takes the runs in flight with it; they are started again one at a
time, and the run whose worker dies while it runs alone is recorded as failed
after ``max_crashes`` such deaths.

When every run has finished, the study checks its own optima
(:mod:`ocp.study.cross_check`): a run beaten by another run's solution under
its own weights is solved again from that solution, until none is beaten.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from ocp.solution import Solution
from ocp.study.backends import check_workers, make_backend
from ocp.study.cross_check import Beaten, beaten_runs, better, study_sense
from ocp.study.order import NeighbourOrder
from ocp.study.progress import Progress
from ocp.study.spec import Study, short
from ocp.study.store import (
    FAILED,
    NOT_IMPROVED,
    PENDING,
    REPAIRED,
    SUCCESS,
    Store,
    read_runs,
    run_folder,
)
from ocp.study.worker import RunOutcome, prebuild, solve_run

#: Starts of a run, each ended by the study stopping, before --resume gives up on it.
MAX_ATTEMPTS = 3
#: Deaths of a worker process solving a run alone before the run is recorded as failed.
MAX_CRASHES = 2


@dataclass
class StudyResult:
    """What a call of :func:`run_study` did.

    ``solved`` counts runs finished in this call (success or failed);
    ``iterations`` and ``solve_time_s`` add up over the runs that succeeded
    in this call.
    """

    folder: Path
    total: int
    success: int
    failed: int
    solved: int
    wall_time_s: float
    iterations: int = 0
    solve_time_s: float = 0.0
    #: NLPs built in this call: one per problem structure in each process that builds
    #: (the study process before it forks its workers, else each worker), the
    #: other runs re-solve them with their own weights and bounds (ocp/engine/reuse.py)
    builds: int = 0
    #: seconds the study process spent building before its workers were forked
    #: (ocp.study.backends.PoolBackend.prepare), counted in ``wall_time_s``
    prepare_time_s: float = 0.0
    backend: str = ""
    failures: dict = field(default_factory=dict)  # run id -> message
    #: the store's gaps (rows or run folders missing) solved again, as text; "" if none
    store_repaired: str = ""
    #: re-solves of the cross-check in this call: dicts as the store's ``repairs`` rows
    repairs: list = field(default_factory=list)
    #: runs still beaten by another run's solution after the cross-check (Beaten)
    still_beaten: list = field(default_factory=list)
    cross_checked: bool = False

    @property
    def complete(self) -> bool:
        return self.success + self.failed == self.total


def run_study(study: Study, out, *, workers: int | None = None, scheduler: str | None = None,
              resume: bool = False, retry_failed: bool = False, warm_start: bool = True,
              progress: bool = True, stream=None, check_dynamics: bool = True,
              max_attempts: int = MAX_ATTEMPTS, max_crashes: int = MAX_CRASHES,
              cross_check: bool = True) -> StudyResult:
    """Solve every run of ``study`` not yet finished in the store in ``out``.

    ``workers``: runs in flight (1: in this process; N: a local process pool;
    with ``scheduler``, at most N on the Dask cluster, default all its
    threads); without either, the study file's ``[backend]``
    (:data:`ocp.study.backends.BACKENDS`), else this process. ``resume``
    continues a store of the same study (runs left
    ``running`` by a killed study start again; finished ones are kept);
    ``retry_failed`` also starts failed runs again. ``warm_start=False``
    solves every run from the problem's own initial guess, in id order.
    ``max_attempts``: on ``resume``, a run the study was solving when it
    stopped, in each of its last ``max_attempts`` starts, is recorded as
    failed rather than started again (it may be what kills the study);
    ``max_crashes``: deaths of a pool worker solving a run alone before the
    run is recorded as failed. ``cross_check``: once every run has finished,
    re-solve each run beaten by another run's solution under its own weights
    (:mod:`ocp.study.cross_check`), warm-started from it, until none is.
    A resumed store missing a row or a run folder solves those runs again.
    """
    if workers is not None:
        check_workers(workers)
    started = time.perf_counter()
    out = Path(out)
    # first: an unreachable cluster writes nothing
    backend = make_backend(workers, scheduler, study.backend)
    try:
        store = Store.open(out, study, resume)
        try:
            gaps = store.repair_gaps(study)
            if resume:
                store.give_up_interrupted(max_attempts)
                store.requeue(failed=retry_failed)
            statuses = store.statuses()
            pending = [i for i, s in statuses.items() if s == PENDING]
            succeeded = [i for i, s in statuses.items() if s == SUCCESS]
            total = len(statuses)
            order = NeighbourOrder(study.coordinates(), pending, succeeded, warm_start)
            result = StudyResult(out, total, len(succeeded),
                                 sum(s == FAILED for s in statuses.values()), 0, 0.0,
                                 backend=backend.description)
            result.store_repaired = gaps.describe()
            bar = Progress(total, total - len(pending), stream, enabled=progress)
            if pending:  # workers forked after this build inherit it
                building = time.perf_counter()
                result.builds += backend.prepare(prebuild, str(Path(study.problem_path).resolve()),
                                                 next(r.overrides for r in study.runs
                                                      if r.run_id == pending[0]))
                result.prepare_time_s = time.perf_counter() - building
            _loop(study, out, store, backend, order, bar, result, check_dynamics, max_crashes)
            bar.close()
            if cross_check and result.complete:
                note = bar.stream.write if progress else None
                _cross_check(study, out, store, backend, result, check_dynamics, note)
        finally:
            store.close()
    finally:
        backend.close(cancel=True)
    result.wall_time_s = time.perf_counter() - started
    return result


def _loop(study, out, store, backend, order, bar, result, check_dynamics, max_crashes) -> None:
    problem_path = str(Path(study.problem_path).resolve())
    runs = {r.run_id: r for r in study.runs}
    in_flight: dict = {}  # future -> run id
    # A dead worker process breaks the whole local pool: every run in flight is
    # lost, and which one killed it is unknown. Those runs are started again one
    # at a time; a run whose worker dies while it runs alone is the culprit.
    suspects: list[int] = []
    crashes: dict[int, int] = {}
    alone = False

    def start(run_id: int) -> None:
        source = order.neighbour(run_id)
        guess = Solution.load(out / run_folder(source)) if source is not None else None
        store.mark_running(run_id, source)
        future = backend.submit(solve_run, run_id, problem_path, runs[run_id].overrides,
                                guess, check_dynamics)
        in_flight[future] = run_id

    while True:
        if suspects:
            if not in_flight:
                start(suspects.pop(0))
                alone = True
        else:
            alone = False
            while len(in_flight) < backend.capacity:
                run_id = order.next()
                if run_id is None:
                    break
                start(run_id)
        bar.set_running(len(in_flight))
        if not in_flight:
            return
        for future in backend.wait(in_flight):
            run_id = in_flight.pop(future)
            try:
                outcome = future.result()
            except backend.lost_worker_errors as exc:
                backend.restart(future)
                store.mark_pending(run_id)
                if not alone:
                    suspects.append(run_id)
                    continue
                crashes[run_id] = crashes.get(run_id, 0) + 1
                if crashes[run_id] < max_crashes:
                    suspects.insert(0, run_id)
                    continue
                outcome = RunOutcome(run_id, error=(
                    f"the worker process died while solving this run alone, "
                    f"{crashes[run_id]} times (a crash in native code, or out of memory; "
                    f"{type(exc).__name__})"))
            except Exception as exc:  # noqa: BLE001 - recorded, the study goes on
                outcome = RunOutcome(run_id, error=f"{type(exc).__name__}: {exc}")
            _finish(study, out, store, order, bar, result, outcome, runs[run_id])


def _finish(study, out, store, order, bar, result, outcome: RunOutcome, run) -> None:
    """Write the run's solution folder, then its row; update order and progress."""
    solution = outcome.solution
    folder = None
    if solution is not None:
        source = store.conn.execute("SELECT warm_start_from FROM runs WHERE run_id = ?",
                                    (run.run_id,)).fetchone()[0]
        folder = _save(study, out, run, solution, source)
    status = store.record(outcome, folder)
    order.finished(run.run_id, status == SUCCESS)
    result.solved += 1
    result.builds += outcome.built
    if status == SUCCESS:
        result.success += 1
        result.iterations += max(solution.iterations, 0)
        result.solve_time_s += solution.solve_time_s
        detail = (f"objective {solution.objective:.6g}, {solution.iterations} iterations, "
                  f"{solution.solve_time_s:.2f} s")
        message = ""
    else:
        result.failed += 1
        message = outcome.error or f"IPOPT did not converge: {solution.status}"
        result.failures[run.run_id] = message
        detail = ""
    setting = ", ".join(f"{k}={short(v)}" for k, v in run.sweep.items())
    bar.run_finished(run.run_id, status, f"({setting}) {detail}".rstrip(), message)


def _save(study, out, run, solution, source) -> str:
    """Write a run's solution folder; return its path relative to ``out``."""
    solution.study = {
        "title": study.title, "spec_hash": study.spec_hash, "run_id": run.run_id,
        "overrides": run.overrides, "warm_start_from": source}
    folder = run_folder(run.run_id)
    for stale in (out / folder).glob(".*.tmp"):  # left by a study killed mid-write
        stale.unlink()
    solution.save(out / folder)
    return folder


def _tried(repairs: list[dict], b: Beaten) -> bool:
    """Whether this run was already re-solved from this very solution of ``b.by``
    (same score under the run's weights)."""
    return any(r["run_id"] == b.run_id and r["from_run"] == b.by and r["challenger"] is not None
               and not better(r["challenger"], b.score, "minimize")
               and not better(b.score, r["challenger"], "minimize") for r in repairs)


def _cross_check(study, out, store, backend, result, check_dynamics, note=None) -> None:
    """Re-solve every run beaten by another run's solution, warm-started from it, in
    rounds, until no run is beaten or every beaten run was tried from its challenger.
    ``note`` (if given) is told of each re-solve as it starts."""
    problem_path = str(Path(study.problem_path).resolve())
    runs = {r.run_id: r for r in study.runs}
    for _ in range(3 * len(runs) + 1):  # each round repairs a run or exhausts a challenger
        meta, rows = read_runs(out)
        by_id = {r["run_id"]: r for r in rows}
        sense = study_sense(out, rows)
        beaten = beaten_runs(study.keys, rows, sense)
        todo = [b for b in beaten if not _tried(meta["repairs"], b)]
        if not todo:
            break
        in_flight: dict = {}
        while todo or in_flight:
            while todo and len(in_flight) < backend.capacity:
                b = todo.pop(0)
                if note is not None:
                    note(f"cross-check: run {b.run_id} ({b.own:.6g}) is beaten by run {b.by}'s "
                         f"solution ({b.score:.6g} under its weights); solving it again from "
                         "that solution\n")
                guess = Solution.load(out / by_id[b.by]["solution_path"])
                in_flight[backend.submit(solve_run, b.run_id, problem_path,
                                         runs[b.run_id].overrides, guess, check_dynamics)] = b
            for future in backend.wait(in_flight):
                b = in_flight.pop(future)
                try:
                    outcome = future.result()
                except Exception as exc:  # noqa: BLE001 - the old solution stays
                    if isinstance(exc, backend.lost_worker_errors):
                        backend.restart(future)
                    outcome = RunOutcome(b.run_id, error=f"{type(exc).__name__}: {exc}")
                _finish_repair(study, out, store, result, b, outcome, runs[b.run_id], sense)
    _, rows = read_runs(out)
    result.cross_checked = True
    result.still_beaten = beaten_runs(study.keys, rows, study_sense(out, rows))


def _finish_repair(study, out, store, result, b: Beaten, outcome, run, sense) -> None:
    s = outcome.solution
    result.builds += outcome.built
    after, iterations = None, None
    if s is None:
        kind, message = FAILED, outcome.error
    elif not s.success:
        kind, message = FAILED, f"IPOPT did not converge: {s.status}"
        after, iterations = s.objective, s.iterations
    else:
        after, iterations = s.objective, s.iterations
        if better(s.objective, b.own, sense):
            kind, message = REPAIRED, ""
            store.record(outcome, _save(study, out, run, s, b.by))
            if b.was_failed:  # an inaccurate run, now solved accurately
                result.success, result.failed = result.success + 1, result.failed - 1
        else:
            kind, message = NOT_IMPROVED, "the re-solve ended no better: the run keeps its solution"
    store.record_repair(b.run_id, b.by, b.own, b.score, after, kind, message, iterations)
    result.repairs.append({"run_id": b.run_id, "from_run": b.by, "before": b.own,
                           "challenger": b.score, "after": after, "outcome": kind,
                           "message": message})

