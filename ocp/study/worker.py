"""One run of a study, as executed in a worker process (local pool or Dask).

CasADi objects cannot be pickled, so a worker receives the problem file's
path and the run's overrides (plain data), builds the problem itself, and
sends back a :class:`RunOutcome` holding a :class:`ocp.Solution` (numpy
arrays only). Workers never touch the results store: only the process that
runs the study writes to it.
"""
from __future__ import annotations

import os
import signal
import socket
import threading
import time
import traceback
from dataclasses import dataclass, field


@dataclass
class RunOutcome:
    """What a worker returns for one run.

    ``solution`` is None when the run raised (``error`` then holds the
    exception); otherwise it is the Solution, converged or not.
    ``weights`` and ``units`` describe each cost term (unit of the
    unweighted term), so unweighted values can be compared across weights.
    """

    run_id: int
    solution: object = None
    error: str = ""
    weights: dict = field(default_factory=dict)
    units: dict = field(default_factory=dict)
    worker: str = ""
    wall_time_s: float = 0.0


def solve_run(run_id: int, problem_path: str, overrides: dict, guess=None,
              check_dynamics: bool = True) -> RunOutcome:
    """Load the problem with ``overrides``, warm-start from ``guess``, solve.

    Never raises for a failing run: the exception is returned as text so that
    the study records it and goes on.
    """
    started = time.perf_counter()
    outcome = RunOutcome(run_id, worker=f"{socket.gethostname()}:{os.getpid()}")
    try:
        from ocp.io.problem_file import load_problem
        from ocp.solve import solve

        problem = load_problem(problem_path, overrides)
        outcome.weights = {c.name: float(c.weight) for c in problem.costs}
        outcome.units = {c.name: cost_unit(c, problem.model) for c in problem.costs}
        if guess is not None:
            problem.guess = guess
        outcome.solution = solve(problem, verbose=False, check_dynamics=check_dynamics)
    except Exception as exc:  # noqa: BLE001 - a run's failure is data, not a crash
        outcome.error = describe_error(exc)
    outcome.wall_time_s = time.perf_counter() - started
    return outcome


def describe_error(exc: BaseException) -> str:
    """``Type: message`` plus where it was raised (last frame), on few lines."""
    text = f"{type(exc).__name__}: {exc}".strip()
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:
        last = frames[-1]
        text += f" (at {os.path.basename(last.filename)}:{last.lineno} in {last.name})"
    return text


def cost_unit(term, model) -> str:
    """Unit of the unweighted value of a cost term (``"-"`` when unknown): each cost
    type says its own (:meth:`ocp.costs.CostTerm.value_unit`)."""
    return term.value_unit(model)


def _process_identity(pid: int):
    """Start time of a living process (Linux /proc), True where /proc is absent,
    None if the process is gone or a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        if os.path.isdir("/proc"):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return True
    except OSError:
        return True
    return None if fields[0] in ("Z", "X") else fields[19]  # field 22: start time


def watch_study(study_pid: int) -> None:
    """Pool initializer: end this worker as soon as the study process is gone.

    Ctrl-C is left to the study process, which stops the pool itself. A study
    killed with SIGKILL cannot stop its pool. Its workers would go on
    as orphans, and with a fork server they are not even reparented (the
    server lives as long as they do), so the study's own pid is watched;
    its start time guards against a reused pid.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the study process
    identity = _process_identity(study_pid)

    def watch():
        while _process_identity(study_pid) == identity:
            time.sleep(0.2)
        os._exit(1)

    if identity is not None:
        threading.Thread(target=watch, name="ocp-study-watch", daemon=True).start()
