"""A whole stride from a symmetric half cycle (one step, legs swapped at its end).

Moco's ``createPeriodicTrajectory``: the second step is the first with every
mirrored pair swapped (left for right, states, controls and outputs alike)
and the walking coordinate moved on by the step's displacement. The boundary
row is shared, so a stride of two steps of ``P`` points has ``2 P - 1``.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ocp.engine.nlp import mirror_pairs, negated_names


def swapped_names(pairs) -> dict:
    """name -> mirrored name, from state pairs extended to any name with the same stems.

    ``("soleus_r_activation", "soleus_l_activation")`` also swaps
    ``soleus_r_excitation`` with ``soleus_l_excitation``, and
    ``("hip_flexion_r", "hip_flexion_l")`` the suffixes ``_r``/``_l`` of
    outputs such as ``grf_y_r``.
    """
    swaps = {}
    for a, b in pairs:
        swaps[a], swaps[b] = b, a
    return swaps


def _swap_for(name: str, swaps: dict, tokens: list) -> str:
    if name in swaps:
        return swaps[name]
    for x, y in tokens:  # a side token in the middle or at the end of the name
        for left, right in ((x, y), (y, x)):
            if name.endswith(left):
                return name[: -len(left)] + right
            if left + "_" in name:
                return name.replace(left + "_", right + "_", 1)
    return name


def _side_tokens(pairs) -> list:
    """The differing parts of the mirrored names, e.g. [("_r", "_l")]."""
    tokens = set()
    for a, b in pairs:
        i = 0
        while i < min(len(a), len(b)) and a[i] == b[i]:
            i += 1
        j = 0
        while j < min(len(a), len(b)) - i and a[-1 - j] == b[-1 - j]:
            j += 1
        x, y = a[max(i - 1, 0):len(a) - j], b[max(i - 1, 0):len(b) - j]
        if x and y:
            tokens.add((x, y))
    return sorted(tokens)


def full_stride(solution, problem):
    """The stride (two steps) of a half-cycle ``solution`` of ``problem``.

    Needs ``problem.mirror``; the coordinate of ``problem.average_speed``
    (if any) is moved on by its displacement over the first step.
    """
    pairs = mirror_pairs(problem)
    if not pairs:
        raise ValueError("the problem has no mirrored pairs: its solution is not a half cycle")
    swaps, tokens = swapped_names(pairs), _side_tokens(pairs)
    flipped = set(negated_names(problem))   # their sign flips in the second step

    def second(values, names):
        if values is None:
            return None
        order = [list(names).index(_swap_for(n, swaps, tokens))
                 if _swap_for(n, swaps, tokens) in names else i for i, n in enumerate(names)]
        sign = np.array([-1.0 if _swap_for(n, swaps, tokens) in flipped else 1.0
                         for n in names])
        return values[1:, order] * sign

    t = np.asarray(solution.time, float)
    states2 = second(solution.states, solution.state_names)
    if problem.average_speed is not None:
        i = list(solution.state_names).index(problem.average_speed[0])
        states2[:, i] += solution.states[-1, i] - solution.states[0, i]
    join = lambda first, other: None if first is None else np.vstack([first, other])  # noqa: E731
    return dataclasses.replace(
        solution,
        time=np.concatenate([t, t[1:] + (t[-1] - t[0])]),
        states=join(solution.states, states2),
        controls=join(solution.controls, second(solution.controls, solution.control_names)),
        outputs=join(solution.outputs, second(solution.outputs, solution.output_names)),
        algebraics=join(solution.algebraics, second(solution.algebraics, solution.algebraic_names)),
        cost_integrands=None, multipliers_x=None, multipliers_g=None,
        final_time=float(2 * t[-1] - t[0]))
