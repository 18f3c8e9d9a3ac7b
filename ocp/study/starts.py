"""Initial guesses for a multi-start: the problem's own, perturbed ones and random ones.

Start k draws from ``numpy.random.default_rng([seed, k])``, so a start's
guess depends on the seed and its number only, not on how many starts there
are. Start 0 is the problem's own guess (its ``[guess]`` table, a warm start,
or the default: states linear between the initial and final conditions);
then odd starts are perturbed and even starts random:

- **perturbed**: start 0's guess plus, for each state, control and algebraic
  variable, a smooth random curve ``sum_j c_j sin(j pi s)`` (j = 1..3, ``c_j``
  uniform in [-1, 1], ``s`` the fraction of the motion), scaled by
  :data:`PERTURBATION` of the variable's range; it vanishes at an end that
  has an initial or final condition, and a free end moves by a uniform random
  share of the same scale;
- **random**: each variable through :data:`KNOTS` values drawn uniformly from
  its range at equally spaced fractions of the motion, linear in between;
  an end with an initial or final condition keeps start 0's value there.

A variable's range is its bounds. A side without a bound (infinite) is
start 0's guess of that variable, its lowest or highest value, widened by
``max(1, span)`` (span: that guess's highest minus lowest value, in the
variable's unit: 1 rad, 1 m/s, 1 N m...). A free final time is perturbed by
a factor ``2**(PERTURBATION * u)``, or drawn uniformly from its bounds (a
random start; ``2**u`` times start 0's if its upper bound is infinite), u
uniform in [-1, 1]. Every guess is clipped into the bounds. Estimated model
numbers (``[parameters]``) keep their own guesses.
"""
from __future__ import annotations

import math

import numpy as np

from ocp.engine.guess import interpolated_guess, warm_start_guess
from ocp.problem import Problem
from ocp.solution import Solution

#: Share of a variable's half range by which a perturbed start moves it.
PERTURBATION = 0.1
#: Values of a random start's curve, at equally spaced fractions of the motion.
KNOTS = 5
#: Sine terms of a perturbation.
MODES = 3


def own_guess(problem: Problem, grid: np.ndarray):
    """The guess a solve of ``problem`` starts from: (X, U, Z, tf), (n, len(grid)) arrays."""
    previous = problem.guess
    if previous is None:
        return interpolated_guess(problem, grid)
    if problem.guess_half_cycle_of is not None:
        from ocp.analysis.stride import full_stride
        previous = full_stride(previous, problem.guess_half_cycle_of)
    return warm_start_guess(problem, grid, previous)


def start_kind(start: int) -> str:
    """``own`` (start 0), ``perturbed`` (odd) or ``random`` (even)."""
    return "own" if start == 0 else ("perturbed" if start % 2 else "random")


def variable_range(row: np.ndarray, lo: float, hi: float) -> tuple[float, float]:
    """Where a variable's random values are drawn: its bounds; a side without one is
    its guess ``row``'s extreme widened by ``max(1, span of row)``."""
    margin = max(1.0, float(np.ptp(row)))
    return (lo if math.isfinite(lo) else float(np.min(row)) - margin,
            hi if math.isfinite(hi) else float(np.max(row)) + margin)


def start_guess(problem: Problem, start: int, seed: int = 0) -> Solution:
    """The initial guess of start ``start`` >= 1 on the problem's own grid, as a Solution
    (:func:`ocp.engine.guess.warm_start_guess` reads it back by name)."""
    if start < 1:
        raise ValueError("start 0 is the problem's own guess")
    rng = np.random.default_rng([seed, start])
    grid = problem.transcription.grid()
    X, U, Z, tf = own_guess(problem, grid)
    model = problem.model
    bounds = problem.merged_bounds()
    inf = (-math.inf, math.inf)
    perturbed = start_kind(start) == "perturbed"
    for rows, names in ((X, model.state_names), (U, model.control_names),
                        (Z, model.algebraic_names)):
        for i, name in enumerate(names[:rows.shape[0]]):
            lo, hi = bounds.get(name, inf)
            a, b = variable_range(rows[i], lo, hi)
            fixed = (name in problem.initial, name in problem.final)
            curve = (_perturbation(rng, grid, fixed) * PERTURBATION * 0.5 * (b - a)
                     + rows[i] if perturbed else _random_curve(rng, grid, a, b, rows[i], fixed))
            rows[i] = np.clip(curve, lo, hi)
    if problem.free_final_time:
        lo, hi = problem.final_time_range()
        u = rng.uniform(-1.0, 1.0)
        if perturbed:
            tf = tf * 2.0 ** (PERTURBATION * u)
        else:
            tf = rng.uniform(lo, hi) if math.isfinite(hi) else tf * 2.0 ** u
        tf = min(max(tf, lo), hi)
    t0 = problem.start_time
    return Solution(
        time=t0 + grid * (tf - t0), states=X.T, controls=U.T,
        state_names=list(model.state_names), control_names=list(model.control_names),
        algebraics=Z.T, algebraic_names=list(model.algebraic_names) if Z.shape[0] else [],
        status=f"start {start} ({start_kind(start)})", objective=math.nan, cost_terms={},
        final_time=float(tf), iterations=0, solve_time_s=0.0, problem_name=problem.name)


def _perturbation(rng, grid: np.ndarray, fixed: tuple[bool, bool]) -> np.ndarray:
    """A smooth curve within about [-1, 1]: sines that vanish at both ends, plus a
    random shift of each end without a condition."""
    c = rng.uniform(-1.0, 1.0, MODES)
    ends = rng.uniform(-1.0, 1.0, 2)
    curve = sum(c[j] * np.sin((j + 1) * np.pi * grid) for j in range(MODES))
    curve = curve + (0.0 if fixed[0] else ends[0]) * (1 - grid)
    return curve + (0.0 if fixed[1] else ends[1]) * grid


def _random_curve(rng, grid: np.ndarray, lo: float, hi: float, own: np.ndarray,
                  fixed: tuple[bool, bool]) -> np.ndarray:
    """:data:`KNOTS` uniform values in [lo, hi], linear in between; conditioned ends
    keep the problem's own guess."""
    knots = rng.uniform(lo, hi, KNOTS)
    if fixed[0]:
        knots[0] = own[0]
    if fixed[1]:
        knots[-1] = own[-1]
    return np.interp(grid, np.linspace(0.0, 1.0, KNOTS), knots)
