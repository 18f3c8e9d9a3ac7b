"""Where the runs of a study execute: in this process, a local process pool, or Dask.

Each backend is one class registered in :data:`BACKENDS` under its name in
study files (``[backend] name = "pool"``), with a docstring whose first line
describes it and its options declared once (:func:`ocp.io.declarations.option`);
``BACKENDS.markdown_table()`` lists them for the documentation. All offer the
same small interface to the runner: ``capacity`` (runs to keep in flight),
``submit(fn, *args) -> future``, ``wait(futures) -> done`` (at least one),
``restart(future)``, ``close()``. Futures follow ``concurrent.futures``
(Dask's have the same ``result()``).

- ``inline`` (:class:`InlineBackend`, ``--workers 1``): solves in the study
  process, no start-up cost.
- ``pool`` (:class:`PoolBackend`, ``--workers N``): a ``ProcessPoolExecutor``
  whose workers are forks of the study process after it has built the first
  run's NLP and solvers (:meth:`StudyBackend.prepare`): they start in
  milliseconds with that build in hand, so a study of one structure builds
  once in all. Elsewhere (no ``fork``, or macOS, where it is unsafe), workers come from
  a fork server (spawn where there is none) that has imported ocp and CasADi,
  and each builds for itself.
- ``dask`` (:class:`DaskBackend`, ``--scheduler ADDRESS``): a Dask distributed
  cluster; its workers need ocp installed and the problem file (and any model
  file) at the same path, e.g. on a shared file system. Start them with one
  thread each (``dask worker ADDRESS --nthreads 1``): solves hold the GIL.

The command-line flags, when given, choose the backend (each class says
which flags select it, :meth:`StudyBackend.selected_by`); else the study
file's ``[backend]`` table; else ``inline``.
"""
from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import sys
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import ClassVar

from ocp.errors import ProblemError
from ocp.io.declarations import Registry, declared_options, option
from ocp.io.tables import TableReader
from ocp.study.worker import watch_study

#: Modules the fork server imports once, so that every worker starts warm.
PRELOAD = ["ocp.study.worker", "ocp.solve", "ocp.io.problem_file"]

#: The study backends, by their name in study files.
BACKENDS = Registry("study backend")


class StudyBackend:
    """Base of the study backends: registers each subclass in :data:`BACKENDS`.

    A subclass is a dataclass whose :func:`~ocp.io.declarations.option`
    fields are its study-file keys; it sets ``toml_name``, ``flags`` (the
    command line that selects it, for messages and docs) and
    :meth:`selected_by`.
    """

    toml_name: ClassVar[str]
    flags: ClassVar[str]
    lost_worker_errors: tuple = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        BACKENDS.register(cls)

    @classmethod
    def selected_by(cls, workers: int | None, scheduler: str | None) -> bool:
        """Whether the command-line flags ``--workers``/``--scheduler`` choose this backend."""
        raise NotImplementedError

    @classmethod
    def from_flags(cls, workers: int | None, scheduler: str | None) -> StudyBackend:
        """The backend the command-line flags describe."""
        raise NotImplementedError

    def prepare(self, build, *args) -> int:
        """Before the first run: ``build(*args)`` in this process where the workers
        will inherit what it builds (forked from it); returns the NLPs it built.
        Other backends build in their workers: nothing to do, 0."""
        return 0

    def restart(self, future=None):
        """Start afresh after a lost worker (nothing to do unless a backend says so)."""

    def close(self, cancel: bool = True):
        """Release the backend's workers or connection."""


@dataclass
class InlineBackend(StudyBackend):
    """Solves each run in the study process, one at a time (no start-up cost)."""

    toml_name: ClassVar[str] = "inline"
    flags: ClassVar[str] = "--workers 1 (the default)"
    capacity: ClassVar[int] = 1
    description: ClassVar[str] = "1 worker (this process)"

    @classmethod
    def selected_by(cls, workers, scheduler) -> bool:
        return scheduler is None and workers in (None, 1)

    @classmethod
    def from_flags(cls, workers, scheduler) -> InlineBackend:
        return cls()

    def submit(self, fn, *args):
        future = cf.Future()
        try:
            future.set_result(fn(*args))
        except Exception as exc:  # noqa: BLE001 - handed to the caller like a pool would
            future.set_exception(exc)
        return future

    def wait(self, futures):
        return {f for f in futures if f.done()}


@dataclass
class PoolBackend(StudyBackend):
    """A local pool of worker processes, forked from the study once it has built."""

    toml_name: ClassVar[str] = "pool"
    flags: ClassVar[str] = "--workers N (N >= 2)"
    lost_worker_errors: ClassVar[tuple] = (BrokenProcessPool,)
    workers: int = option(2, doc="worker processes (runs solved at once); at least 1")
    pool: object = field(default=None, init=False, repr=False)

    @classmethod
    def selected_by(cls, workers, scheduler) -> bool:
        return scheduler is None and workers is not None and workers > 1

    @classmethod
    def from_flags(cls, workers, scheduler) -> PoolBackend:
        return cls(workers)

    def __post_init__(self):
        check_workers(self.workers)
        self.capacity = self.workers
        self.description = f"{self.workers} local worker processes"
        methods = multiprocessing.get_all_start_methods()
        # fork only on Linux: macOS offers it, but its system libraries are not
        # safe in a forked child (Python's default there is spawn)
        if sys.platform.startswith("linux") and "fork" in methods:
            method = "fork"
        else:
            method = "forkserver" if "forkserver" in methods else "spawn"
        self.context = multiprocessing.get_context(method)
        if method == "forkserver":
            self.context.set_forkserver_preload(PRELOAD)
        self.generation = 0
        self.pool = None  # started at the first run, after prepare()

    def prepare(self, build, *args) -> int:
        """With ``fork``: ``build(*args)`` here, before the workers are forked, so
        they inherit it (a build that raises is left to the workers, which report
        the error with their run). A crash while building (not a Python
        exception) ends the study as it would with ``--workers 1``; crashes while
        solving stay in their worker."""
        if self.context.get_start_method() != "fork":
            return 0
        try:
            return build(*args)
        except Exception:  # noqa: BLE001 - each worker builds and reports it itself
            return 0

    def _start(self):
        for stream in (sys.stdout, sys.stderr):  # not written twice by the forks
            stream.flush()
        return cf.ProcessPoolExecutor(self.capacity, mp_context=self.context,
                                      initializer=watch_study, initargs=(os.getpid(),))

    def submit(self, fn, *args):
        if self.pool is None:
            self.pool = self._start()
        try:
            future = self.pool.submit(fn, *args)
        except BrokenProcessPool:  # a worker died; its runs have not reported it yet
            self.restart()
            future = self.pool.submit(fn, *args)
        future.pool_generation = self.generation
        return future

    def wait(self, futures):
        return cf.wait(futures, return_when=cf.FIRST_COMPLETED).done

    def restart(self, future=None):
        """A new pool after a worker died (a broken pool refuses new work); once
        per broken pool, however many of its futures report it."""
        if future is not None and getattr(future, "pool_generation", None) != self.generation:
            return
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
        self.generation += 1
        self.pool = self._start()

    def close(self, cancel: bool = True):
        """Shut the pool down; ``cancel`` also stops solves in progress at once
        (an interrupted study: their results would not be recorded anyway)."""
        if self.pool is None:
            return
        if cancel:
            # no public way before Python 3.14 (ProcessPoolExecutor.terminate_workers)
            for process in list((getattr(self.pool, "_processes", None) or {}).values()):
                process.terminate()
        self.pool.shutdown(wait=True, cancel_futures=cancel)


@dataclass
class DaskBackend(StudyBackend):
    """A Dask distributed cluster: runs go to its scheduler's workers."""

    toml_name: ClassVar[str] = "dask"
    flags: ClassVar[str] = "--scheduler ADDRESS [--workers N]"
    scheduler: str = option(doc="the scheduler's address, e.g. tcp://host:8786")
    workers: int | None = option(None, doc="at most this many runs in flight "
                                 "(default: all the cluster's threads)")
    client: object = field(default=None, init=False, repr=False)

    @classmethod
    def selected_by(cls, workers, scheduler) -> bool:
        return scheduler is not None

    @classmethod
    def from_flags(cls, workers, scheduler) -> DaskBackend:
        return cls(scheduler, workers)

    def __post_init__(self):
        address = self.scheduler
        if self.workers is not None:
            check_workers(self.workers)
        try:
            import distributed
        except ImportError:
            raise ProblemError("--scheduler needs Dask: pip install \"ocp-movement[study]\" "
                               "(or pip install \"dask[distributed]\")") from None
        self._distributed = distributed
        try:  # connect timeout: Dask's setting distributed.comm.timeouts.connect
            self.client = distributed.Client(address, set_as_default=False)
        except (OSError, ValueError, TypeError) as exc:
            raise ProblemError(f"cannot reach the Dask scheduler at '{address}': {exc}") from None
        self.limit = self.workers
        # Dask retries a task whose worker died and names the culprit itself
        # (KilledWorker): that is recorded as the run's failure.
        self.lost_worker_errors = ()
        self.description = f"Dask scheduler {address}"

    @property
    def capacity(self) -> int:
        """Runs to keep in flight: the cluster's threads now (it may grow or shrink);
        with no worker yet, one run waits in the scheduler's queue."""
        threads = sum(self.client.nthreads().values()) or 1
        return min(threads, self.limit) if self.limit else threads

    def submit(self, fn, *args):
        return self.client.submit(fn, *args, pure=False)

    def wait(self, futures):
        with self.client.as_current():  # wait() uses the current client
            return self._distributed.wait(list(futures), return_when="FIRST_COMPLETED").done

    # restart: nothing to do, the scheduler replaces lost workers itself

    def close(self, cancel: bool = True):
        self.client.close()


def check_workers(workers: int) -> None:
    """``--workers`` (or ``workers`` in a study file) is at least 1."""
    if workers < 1:
        raise ProblemError(f"--workers must be at least 1, got {workers}")


@dataclass(frozen=True)
class BackendChoice:
    """A backend named in a study file's ``[backend]`` table, with its options."""

    name: str
    options: dict


def read_backend(reader: TableReader) -> BackendChoice | None:
    """The ``[backend]`` table of a study file (``name`` and the backend's options),
    checked against the backend's declared options; None if there is none."""
    if not reader.table:
        return None
    name = reader.string("name", "inline")
    cls = BACKENDS.get(name, reader.key("name"), reader.file)
    declared = {o.key: o for o in declared_options(cls)}
    reader.only({"name", *declared})
    options = {}
    for key, doc in declared.items():
        if doc.type in ("int", "int | None"):
            value = reader.integer(key, minimum=1)
        else:
            value = reader.string(key)
        if value is None and doc.required:
            raise reader.error(key, f"the {name} backend needs '{key}': {doc.doc}")
        if value is not None:
            options[key] = value
    return BackendChoice(name, options)


def make_backend(workers: int | None = None, scheduler: str | None = None,
                 chosen: BackendChoice | None = None) -> StudyBackend:
    """The backend the command-line flags choose (Dask if a scheduler address is
    given, at most ``workers`` runs in flight, default all its threads; else a
    local pool of ``workers``, one worker in this process); without flags the
    study file's ``chosen`` backend, else ``inline``."""
    if workers is not None:
        check_workers(workers)
    if workers is None and scheduler is None and chosen is not None:
        return BACKENDS[chosen.name](**chosen.options)
    classes = {cls for _, cls in BACKENDS.items()}
    selected = [cls for cls in classes if cls.selected_by(workers, scheduler)]
    if len(selected) != 1:  # the classes' rules do not cover the flags once each
        raise RuntimeError(f"--workers {workers} --scheduler {scheduler} select "
                           f"{len(selected)} study backends: {selected}")
    return selected[0].from_flags(workers, scheduler)
