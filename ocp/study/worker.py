"""One run of a study, as executed in a worker process (local pool or Dask).

CasADi objects cannot be pickled, so a worker receives the problem file's
path and the run's overrides (plain data), builds the problem itself (the
NLP and its solver once per structure: runs that differ in cost weights or
bounds re-solve the one its process built, ocp/engine/reuse.py), and
sends back a :class:`RunOutcome` holding a :class:`ocp.Solution` (numpy
arrays only). Workers never touch the results store: only the process that
runs the study writes to it.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import socket
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path


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
    #: whether this run built its NLP (False: re-solved one its worker had built)
    built: bool = False


#: The NLPs this worker process has built, by structure (an
#: ocp.engine.reuse.Builds, made at the first run: importing this module stays light).
BUILDS = []
#: Keys whose values enter the NLP as numbers, not as its structure: a cost's
#: weight (the NLP's parameter) and, for a state, control or algebraic, its
#: bounds and initial and final values (lbx/ubx).
WEIGHT_KEY = re.compile(r"^costs\.[^.]+\.weight$")
BOUND_KEY = re.compile(r"^(bounds|initial|final)\.(.+)$")


def structure_key(problem_path: str, overrides: dict, problem) -> str:
    """What decides the NLP's structure: the problem file and every override
    except cost weights, the bounds and endpoint values of states, controls
    and algebraics, and the final time's range when it is free."""
    kinds = problem.names()
    kept = {}
    for key, value in overrides.items():
        bound = BOUND_KEY.match(key)
        if WEIGHT_KEY.match(key) or (bound and kinds.get(bound.group(2)) in
                                     ("state", "control", "algebraic")):
            continue
        kept[key] = "free" if key == "time.final" and problem.free_final_time else value
    text = Path(problem_path).read_bytes() + json.dumps(kept, sort_keys=True,
                                                         default=str).encode()
    return f"{problem_path}:{hashlib.sha256(text).hexdigest()}"


def builds_here():
    """This process's :class:`ocp.engine.reuse.Builds` (made at first use)."""
    if not BUILDS:
        from ocp.engine.reuse import Builds
        BUILDS.append(Builds())
    return BUILDS[0]


def prebuild(problem_path: str, overrides: dict) -> int:
    """Build here the NLP of a run's structure and its cold and warm-start solvers,
    for worker processes forked from this one to re-solve (ocp.study.backends);
    returns the NLPs built (0: already built, or a problem built per run)."""
    from ocp.io.problem_file import load_problem

    problem = load_problem(problem_path, overrides)
    if problem.parameters or problem.mesh_refinement is not None:
        return 0  # built for each solve anyway (ocp/engine/reuse.py, ocp.solve)
    build = builds_here().keyed(structure_key(problem_path, overrides, problem))
    tp = build.transcribe(problem)
    for warm in (False, True):
        build.solver(problem, tp, False, warm)
    return int(build.built)


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
        build = builds_here().keyed(structure_key(problem_path, overrides, problem))
        outcome.solution = solve(problem, verbose=False, check_dynamics=check_dynamics,
                                 build=build)
        outcome.built = build.built
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
