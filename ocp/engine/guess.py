"""Initial guesses: interpolation between boundary conditions, or a warm start."""
from __future__ import annotations

import math

import numpy as np

from ocp.problem import Problem, as_range


def _representative(value, lo, hi) -> float:
    """A value inside [lo, hi] for a condition that is a value or a range."""
    a, b = as_range(value)
    a, b = max(a, lo), min(b, hi)
    if math.isfinite(a) and math.isfinite(b):
        return 0.5 * (a + b)
    return _inside(0.0, a, b)


def _inside(value: float, lo: float, hi: float) -> float:
    """``value`` clipped into [lo, hi]; the midpoint if 0 is not a sensible fill."""
    if lo <= value <= hi:
        return value
    if math.isfinite(lo) and math.isfinite(hi):
        return 0.5 * (lo + hi)
    return min(max(value, lo), hi)


def final_time_guess(problem: Problem) -> float:
    """The final time (s) the guess spans: fixed, given (``[time] guess``), or chosen.

    A free final time in ``[lo, hi]`` with no guess starts at the middle of its
    range; with no upper bound (``hi = inf``), at twice the shortest duration
    and at least one second (one time unit) past the lower bound:
    ``lo + max(lo - t0, 1)``. The guess is always finite, so IPOPT never starts
    from an infinite time.
    """
    if not problem.free_final_time:
        return float(problem.final_time)
    if problem.final_time_guess is not None:
        return float(problem.final_time_guess)
    lo, hi = problem.final_time_range()
    if math.isfinite(hi):
        return 0.5 * (lo + hi)
    return lo + max(lo - problem.start_time, 1.0)


def interpolated_guess(problem: Problem, grid: np.ndarray):
    """States linear between initial and final conditions; controls zero.

    A state with a condition at one end only is held at that value; a state
    with none sits at 0 (or the middle of its bounds if 0 is outside them).
    Controls and algebraic variables are 0, or the middle of their bounds.
    Returns (X, U, Z, tf) with (n, len(grid)) arrays.
    """
    model = problem.model
    bounds = problem.merged_bounds()
    inf = (-math.inf, math.inf)
    X = np.zeros((model.nx, grid.size))
    for i, name in enumerate(model.state_names):
        lo, hi = bounds.get(name, inf)
        a = problem.initial.get(name)
        b = problem.final.get(name)
        a = _representative(a, lo, hi) if a is not None else None
        b = _representative(b, lo, hi) if b is not None else None
        if a is None and b is None:
            a = b = _inside(0.0, lo, hi)
        elif a is None:
            a = b
        elif b is None:
            b = a
        X[i] = a + (b - a) * grid
    U = np.array([[_inside(0.0, *bounds.get(n, inf))] * grid.size
                  for n in model.control_names]).reshape(model.nu, grid.size)
    Z = np.zeros((model.nz, grid.size))
    tf = final_time_guess(problem)
    def put(name, row):  # a state's or a control's guess by name
        if name in model.state_names:
            X[model.state_names.index(name)] = row
        elif name in model.control_names:
            U[model.control_names.index(name)] = row

    for name, value in problem.guess_values.items():
        # a constant, or (start, end) interpolated linearly over the motion
        start, end = value if isinstance(value, (tuple, list)) else (value, value)
        put(name, start + (end - start) * grid)
    times = problem.start_time + grid * (tf - problem.start_time)
    for name, (ref_t, ref_y) in problem.guess_references.items():
        put(name, np.interp(times, ref_t, ref_y))
    if problem.average_speed is not None and \
            problem.average_speed[0] not in problem.guess_references:
        # moving at the prescribed speed from where it starts
        coordinate, speed = problem.average_speed
        i = model.state_names.index(coordinate)
        X[i] = X[i][0] + speed * (tf - problem.start_time) * grid
        if f"{coordinate}_speed" in model.state_names:
            X[model.state_names.index(f"{coordinate}_speed")] = speed
    return X, U, Z, tf


def warm_start_guess(problem: Problem, grid: np.ndarray, previous):
    """Interpolate a previous Solution onto this problem's grid, by name.

    Time is matched as a fraction of the movement, so a solution of another
    duration or mesh still fits. States, controls and (implicit dynamics)
    algebraic variables by name; names the previous solution lacks fall back
    to the interpolated guess.
    """
    X, U, Z, tf = interpolated_guess(problem, grid)
    t = np.asarray(previous.time)
    s = (t - t[0]) / (t[-1] - t[0])
    pairs = [(X, problem.model.state_names, previous.state_names, previous.states),
             (U, problem.model.control_names, previous.control_names, previous.controls)]
    if Z.shape[0] and previous.algebraics is not None and len(previous.algebraic_names):
        pairs.append((Z, problem.model.algebraic_names, previous.algebraic_names,
                      previous.algebraics))
    for arr, names, prev_names, prev_values in pairs:
        for i, name in enumerate(names):
            if name in prev_names:
                arr[i] = np.interp(grid, s, prev_values[:, list(prev_names).index(name)])
    if problem.free_final_time:
        lo, hi = problem.final_time_range()
        tf = min(max(previous.final_time, lo), hi)
    return X, U, Z, tf
