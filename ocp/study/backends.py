"""Where the runs of a study execute: in this process, a local process pool, or Dask.

All three offer the same small interface to the runner: ``capacity`` (runs to
keep in flight), ``submit(fn, *args) -> future``, ``wait(futures) -> done``
(at least one), ``close()``. Futures follow ``concurrent.futures`` (Dask's
have the same ``result()``).

- :class:`InlineBackend` (``--workers 1``): solves in the study process, no
  start-up cost.
- :class:`PoolBackend` (``--workers N``): a ``ProcessPoolExecutor`` whose
  workers come from a fork server (spawn where there is none) that has
  already imported ocp and CasADi; never a plain fork of the study process.
- :class:`DaskBackend` (``--scheduler ADDRESS``): a Dask distributed cluster;
  its workers need ocp installed and the problem file (and any model file)
  at the same path, e.g. on a shared file system. Start them with one thread
  each (``dask worker ADDRESS --nthreads 1``): solves hold the GIL.
"""
from __future__ import annotations

import concurrent.futures as cf
from concurrent.futures.process import BrokenProcessPool
import multiprocessing
import os

from ocp.errors import ProblemError
from ocp.study.worker import watch_study

#: Modules the fork server imports once, so that every worker starts warm.
PRELOAD = ["ocp.study.worker", "ocp.solve", "ocp.io.problem_file"]


class InlineBackend:
    """Runs each submitted call at once, in this process."""

    capacity = 1
    description = "1 worker (this process)"
    lost_worker_errors: tuple = ()

    def submit(self, fn, *args):
        future = cf.Future()
        try:
            future.set_result(fn(*args))
        except Exception as exc:  # noqa: BLE001 - handed to the caller like a pool would
            future.set_exception(exc)
        return future

    def wait(self, futures):
        return {f for f in futures if f.done()}

    def restart(self, future=None):
        pass

    def close(self, cancel: bool = True):
        pass


class PoolBackend:
    """A local process pool of ``workers`` processes."""

    lost_worker_errors = (BrokenProcessPool,)

    def __init__(self, workers: int):
        self.capacity = workers
        self.description = f"{workers} local worker processes"
        methods = multiprocessing.get_all_start_methods()
        self.context = multiprocessing.get_context("forkserver" if "forkserver" in methods
                                                   else "spawn")
        if self.context.get_start_method() == "forkserver":
            self.context.set_forkserver_preload(PRELOAD)
        self.generation = 0
        self.pool = self._start()

    def _start(self):
        return cf.ProcessPoolExecutor(self.capacity, mp_context=self.context,
                                      initializer=watch_study, initargs=(os.getpid(),))

    def submit(self, fn, *args):
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
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.generation += 1
        self.pool = self._start()

    def close(self, cancel: bool = True):
        """Shut the pool down; ``cancel`` also stops solves in progress at once
        (an interrupted study: their results would not be recorded anyway)."""
        if cancel:
            # no public way before Python 3.14 (ProcessPoolExecutor.terminate_workers)
            for process in list((getattr(self.pool, "_processes", None) or {}).values()):
                process.terminate()
        self.pool.shutdown(wait=True, cancel_futures=cancel)


class DaskBackend:
    """A Dask distributed scheduler at ``address`` (``tcp://host:8786``)."""

    def __init__(self, address: str, workers: int | None = None):
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
        self.limit = workers
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

    def restart(self, future=None):
        pass  # the scheduler replaces lost workers itself

    def close(self, cancel: bool = True):
        self.client.close()


def make_backend(workers: int | None = None, scheduler: str | None = None):
    """Dask if a scheduler address is given (at most ``workers`` runs in flight,
    default: all its threads); else a local pool of ``workers`` (default 1)."""
    if workers is not None and workers < 1:
        raise ProblemError(f"--workers must be at least 1, got {workers}")
    if scheduler:
        return DaskBackend(scheduler, workers)
    workers = workers or 1
    if workers < 1:
        raise ProblemError(f"--workers must be at least 1, got {workers}")
    return InlineBackend() if workers == 1 else PoolBackend(workers)
