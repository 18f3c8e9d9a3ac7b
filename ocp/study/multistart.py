"""Multi-start: one problem solved from several initial guesses, its distinct optima apart.

A movement's collocation problem has local optima, and IPOPT converges to the
one whose basin holds its initial guess: the pendulum swing-up of
``problems/pendulum_swingup.toml`` ends at 75.89 pushing straight up from the
default guess and at 65.99 swinging back first. :func:`solve_from_starts`
solves the problem from ``starts`` guesses (:mod:`ocp.study.starts`) on a
study backend (:data:`ocp.study.backends.BACKENDS`: this process, or the
local pool of warm worker processes), groups the results into distinct optima
and keeps the best converged one.

Two results are one optimum when their objectives agree to
:data:`SAME_OBJECTIVE` (relative) and their states, at
:data:`COMPARED_POINTS` equally spaced fractions of the motion, to
:data:`SAME_TRAJECTORY` of each state's range (at least 1 in its unit).
"""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ocp.engine.consistency import dynamics_errors, interval_state_errors, largest_per_interval
from ocp.errors import ProblemError
from ocp.problem import MAXIMIZE, Problem
from ocp.solution import Solution
from ocp.solve import judged
from ocp.study.backends import make_backend
from ocp.study.starts import start_guess, start_kind
from ocp.study.worker import RunOutcome, describe_error

#: Relative difference of objectives below which two results may be one optimum.
SAME_OBJECTIVE = 1e-6
#: Largest difference of a state, as a share of max(1, its range), within one optimum.
SAME_TRAJECTORY = 1e-2
#: Fractions of the motion at which trajectories are compared.
COMPARED_POINTS = 101
#: Coordinates whose extremes are shown per optimum (those that tell them apart most).
SHOWN_COORDINATES = 3


@dataclass
class StartResult:
    """One start: its number, kind (own, perturbed, random) and outcome.

    ``solution`` is None when the start raised (``error`` holds the message).
    """

    start: int
    kind: str
    solution: Solution | None = None
    error: str = ""
    wall_time_s: float = 0.0

    @property
    def converged(self) -> bool:
        return self.solution is not None and self.solution.success

    def describe(self) -> str:
        if self.solution is None:
            return f"start {self.start} ({self.kind}): {self.error}"
        s = self.solution
        return (f"start {self.start} ({self.kind}): {s.status}, objective {s.objective:.8g} "
                f"after {s.iterations} iterations")


@dataclass
class Optimum:
    """A distinct optimum: the solution of ``start``, the first start that reached it,
    and every such start. ``extremes``: coordinate name -> (lowest, highest)."""

    solution: Solution
    start: int
    starts: list
    extremes: dict = field(default_factory=dict)

    @property
    def objective(self) -> float:
        return self.solution.objective


@dataclass
class MultiStart:
    """What :func:`solve_from_starts` found.

    ``optima``: the distinct converged optima, best (lowest objective) first;
    ``starts``: every start in order; ``solution``: the best optimum's
    solution, or start 0's (its last iterate) when no start converged.
    """

    starts: list
    optima: list
    seed: int
    backend: str
    wall_time_s: float

    @property
    def best(self) -> Optimum | None:
        return self.optima[0] if self.optima else None

    @property
    def solution(self) -> Solution | None:
        if self.optima:
            return self.optima[0].solution
        return self.starts[0].solution

    @property
    def failed(self) -> list:
        return [s for s in self.starts if not s.converged]

    def lines(self) -> list[str]:
        """The table ``ocp solve --starts`` prints: one row per distinct optimum."""
        out = [f"starts       {len(self.starts)} (seed {self.seed}; {self.backend}; "
               f"{self.wall_time_s:.2f} s): {len(self.optima)} distinct optima, "
               f"{len(self.failed)} not converged"]
        names = list(self.best.extremes) if self.optima else []
        header = "".join(f"  {n + ' [min, max]':<24}" for n in names)
        if self.optima:
            out.append(f"  {'optimum':<8} {'objective':>14}  {'iterations':>10}  "
                       f"{'final time':>10}{header}  starts")
        for rank, optimum in enumerate(self.optima, 1):
            s = optimum.solution
            ranges = "".join(f"  {f'[{lo:.4g}, {hi:.4g}]':<24}"
                             for lo, hi in optimum.extremes.values())
            out.append(f"  {rank:<8} {s.objective:>14.8g}  {s.iterations:>10}  "
                       f"{s.final_time:>10.4g}{ranges}  "
                       + " ".join(str(k) for k in optimum.starts))
        for start in self.failed:
            out.append(f"  not converged: {start.describe()}")
        if self.optima:
            best = self.optima[0].start
            out.append(f"best         optimum 1, from start {best} ({start_kind(best)})")
        return out

    def record(self) -> dict:
        """The multi-start as summary.json holds it (under ``study``)."""
        return {"title": "multi-start", "seed": self.seed, "starts": len(self.starts),
                "start": self.optima[0].start if self.optima else 0,
                "optima": [{"objective": o.objective, "starts": o.starts,
                            "iterations": o.solution.iterations,
                            "final_time": o.solution.final_time,
                            "extremes": {k: list(v) for k, v in o.extremes.items()}}
                           for o in self.optima],
                "not_converged": {str(s.start): s.error or s.solution.status
                                  for s in self.failed}}


def solve_from_starts(problem, starts: int = 8, *, workers: int | None = None, seed: int = 0,
                      overrides: dict | None = None, guess: Solution | None = None,
                      check_dynamics: bool = True) -> MultiStart:
    """Solve ``problem`` from ``starts`` initial guesses; its distinct optima, best first.

    ``problem``: a problem file (path), which each worker loads with
    ``overrides`` as a study's runs do, or a :class:`ocp.Problem` (sent to
    worker processes by pickle: a model defined in a Python file cannot be;
    give the file's path then). ``guess``: a Solution to warm-start start 0
    from, which the other starts perturb (``ocp solve --guess``).
    ``workers``: 1 (or None) solves in this process, N a local pool of N
    processes (:class:`ocp.study.backends.PoolBackend`). The starts are
    described in :mod:`ocp.study.starts`; ``seed`` makes them reproducible.
    """
    if starts < 1:
        raise ValueError(f"starts must be at least 1, got {starts}")
    started = time.perf_counter()
    if isinstance(problem, Problem):
        loaded, source, overrides = problem, problem, None
    else:
        from ocp.io.problem_file import load_problem
        source = str(Path(problem))
        loaded = load_problem(source, overrides or {})
    if guess is not None:
        loaded = copy.copy(loaded)
        loaded.guess = guess
    guesses = [guess] + [start_guess(loaded, k, seed) for k in range(1, starts)]
    # The re-simulation is needed for the kept solution only, unless the solve
    # itself needs it (mesh refinement) or it needs the solved model numbers.
    check_each = check_dynamics and (loaded.mesh_refinement is not None or bool(loaded.parameters))
    backend = make_backend(workers)
    try:
        futures = [backend.submit(solve_start, k, source, overrides, g, k > 0, check_each)
                   for k, g in enumerate(guesses)]
        outcomes = []
        for k, future in enumerate(futures):
            try:
                outcomes.append(future.result())
            except Exception as exc:  # noqa: BLE001 - a lost worker fails its start only
                outcomes.append(RunOutcome(k, error=describe_error(exc)))
    except BaseException:  # Ctrl-C: stop the solves in progress too
        backend.close(cancel=True)
        raise
    backend.close(cancel=False)
    results = [StartResult(o.run_id, start_kind(o.run_id), o.solution, o.error, o.wall_time_s)
               for o in outcomes]
    optima = distinct_optima([r for r in results if r.converged], loaded)
    result = MultiStart(results, optima, seed, backend.description, 0.0)
    if check_dynamics and not check_each and result.solution is not None:
        resimulate(result.solution, loaded)
    result.wall_time_s = time.perf_counter() - started
    return result


def resimulate(solution: Solution, problem: Problem) -> None:
    """Fill the solution's re-simulation errors and judge its accuracy as
    :func:`ocp.solve` does (its problem has one mesh and no estimated model
    numbers): a kept start that is not accurate is ``inaccurate``, not success."""
    X, U = np.asarray(solution.states, float).T, np.asarray(solution.controls, float).T
    if np.all(np.isfinite(X)) and np.all(np.isfinite(U)):
        t0 = float(solution.time[0])
        simulators = {}  # each CVODES simulator built once for both replays
        by_state = interval_state_errors(problem.model, problem.transcription, X, U, t0,
                                         solution.final_time, simulators)
        solution.max_dynamics_error, solution.max_dynamics_error_open_loop = dynamics_errors(
            problem.model, problem.transcription, X, U, t0, solution.final_time,
            local=largest_per_interval(by_state), simulators=simulators)
        judged(solution, by_state, problem)


def solve_start(start: int, source, overrides, guess, replaces_guess: bool,
                check_dynamics: bool = True) -> RunOutcome:
    """One start, in a worker: the problem (``source``: a file loaded with ``overrides``,
    or a Problem) solved from ``guess``. ``replaces_guess``: the guess is a whole
    trajectory on the problem's grid (a half-cycle warm start of the file is not
    applied). Never raises: the exception is returned as text."""
    started = time.perf_counter()
    outcome = RunOutcome(start)
    try:
        from ocp.solve import solve
        if isinstance(source, Problem):
            problem = copy.copy(source)
        else:
            from ocp.io.problem_file import load_problem
            problem = load_problem(source, overrides or {})
        if guess is not None:
            problem.guess = guess
        if replaces_guess:
            problem.guess_half_cycle_of = None
        outcome.solution = solve(problem, verbose=False, check_dynamics=check_dynamics)
    except Exception as exc:  # noqa: BLE001 - a start's failure is data, not a crash
        outcome.error = describe_error(exc)
    outcome.wall_time_s = time.perf_counter() - started
    return outcome


def same_optimum(a: Solution, b: Solution) -> bool:
    """Objectives within :data:`SAME_OBJECTIVE` (relative) and every state within
    :data:`SAME_TRAJECTORY` of max(1, its range) over the motion."""
    scale = max(abs(a.objective), abs(b.objective), 1e-300)
    if abs(a.objective - b.objective) > SAME_OBJECTIVE * scale:
        return False
    if list(a.state_names) != list(b.state_names):
        return False
    sa, sb = sampled(a), sampled(b)
    span = np.maximum(1.0, np.maximum(np.ptp(sa, axis=0), np.ptp(sb, axis=0)))
    return bool(np.all(np.abs(sa - sb) <= SAME_TRAJECTORY * span))


def sampled(solution: Solution) -> np.ndarray:
    """States at :data:`COMPARED_POINTS` equally spaced fractions of the motion,
    (points, n_x): solutions of other meshes or durations compare point by point."""
    t = np.asarray(solution.time, float)
    s = (t - t[0]) / (t[-1] - t[0]) if t[-1] > t[0] else np.linspace(0, 1, t.size)
    fractions = np.linspace(0.0, 1.0, COMPARED_POINTS)
    states = np.asarray(solution.states, float)
    return np.column_stack([np.interp(fractions, s, states[:, j])
                            for j in range(states.shape[1])])


def distinct_optima(converged: list, problem: Problem) -> list:
    """Group converged starts into distinct optima, best first: the lowest objective,
    or the highest when the problem is maximised (``problem.sense``)."""
    optima: list[Optimum] = []
    sign = -1.0 if problem.sense == MAXIMIZE else 1.0
    for result in sorted(converged, key=lambda r: (sign * r.solution.objective, r.start)):
        for optimum in optima:
            if same_optimum(optimum.solution, result.solution):
                optimum.starts.append(result.start)
                break
        else:
            optima.append(Optimum(result.solution, result.start, [result.start]))
    for optimum in optima:  # the first start that reached it stands for it
        optimum.starts.sort()
        optimum.start = optimum.starts[0]
        optimum.solution = next(r.solution for r in converged if r.start == optimum.start)
    names = shown_coordinates([o.solution for o in optima], problem)
    for optimum in optima:
        states = optimum.solution
        optimum.extremes = {n: (float(np.min(states.state(n))), float(np.max(states.state(n))))
                            for n in names}
    return optima


def shown_coordinates(solutions: list, problem: Problem) -> list[str]:
    """The coordinates (states but ``<name>_speed``) whose extremes differ most
    between the optima, relative to max(1, their range): at most
    :data:`SHOWN_COORDINATES`, in the model's order."""
    if not solutions:
        return []
    names = list(problem.model.state_names)
    coordinates = [n for n in names if not (n.endswith("_speed") and n[:-6] in names)] or names
    spread = []
    for n in coordinates:
        lows = np.array([np.min(s.state(n)) for s in solutions])
        highs = np.array([np.max(s.state(n)) for s in solutions])
        scale = max(1.0, float(np.max(highs) - np.min(lows)))
        spread.append((np.ptp(lows) + np.ptp(highs)) / scale)
    order = sorted(range(len(coordinates)), key=lambda i: (-spread[i], i))
    chosen = sorted(order[:SHOWN_COORDINATES])
    return [coordinates[i] for i in chosen]


def solve_for_command_line(path, problem: Problem, overrides: dict, starts: int,
                           workers: int | None, seed: int) -> Solution:
    """``ocp solve --starts``: print the distinct optima, return the best solution
    (start 0's last iterate if none converged) with the multi-start in ``study``."""
    if starts < 1:
        raise ProblemError(f"--starts must be at least 1, got {starts}")
    result = solve_from_starts(path, starts, workers=workers, seed=seed, overrides=overrides,
                               guess=problem.guess)
    print("\n".join(result.lines()))
    solution = result.solution
    if solution is None:  # start 0 raised: a bug, shown as such
        raise RuntimeError(result.starts[0].error)
    solution.study = result.record()
    return solution
