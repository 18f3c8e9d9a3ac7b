"""Mesh refinement: split the intervals whose re-simulation is off, and solve again.

A collocation solution satisfies the dynamics only at its points. Between
them, the re-simulation of each interval from its own collocated start state
(:func:`ocp.engine.consistency.interval_errors`) says how far the trajectory is from
a true solution of the model, interval by interval. Where that error exceeds
the tolerance the mesh is too coarse: the interval is cut into equal pieces,
and the problem is solved again on the new mesh, warm-started from the
solution on the old one. This is the h-method of Betts (2010, sec. 4.7) and
of GPOPS-II's hp-adaptive meshes (Patterson, Hager and Rao 2015), with the
re-simulation error as the error estimate.

How many pieces: near a kink in the dynamics (a toe leaving the ground, a
contact sphere's force vanishing) the error of an interval falls as its
length squared, not as the scheme's order; cutting into
``ceil(sqrt(error / tolerance))`` pieces (at most :data:`MAX_PIECES`) is
enough there and more than enough where the dynamics are smooth.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np

from ocp.transcriptions.base import Transcription

#: the slowest rate at which an interval's error falls with its length: a kink
ERROR_ORDER_AT_A_KINK = 2
#: an interval is cut into at most this many pieces per pass
MAX_PIECES = 4
#: IPOPT for a pass on a refined mesh. Its start is the solution on the coarser
#: mesh, near the optimum but with no multipliers to go with it (the NLP has
#: other rows). IPOPT's adaptive barrier then starts far from the central path
#: and wanders (torque walk, 50 -> 53 intervals: 156 iterations, as many as
#: from standing, once into a worse optimum); a fixed barrier falling from
#: 1e-4 keeps it near the start (23 iterations, the same gait).
REFINED_PASS_IPOPT = {"mu_strategy": "monotone", "mu_init": 1e-4}


@dataclass(frozen=True)
class MeshRefinement:
    """Re-solve on finer meshes until each interval re-simulates within ``tolerance``.

    ``tolerance``: the largest state deviation wanted of an interval's
    re-simulation, in state units (m, rad, m/s, rad/s). ``passes``: solves after
    the first, at most.
    """

    tolerance: float
    passes: int = 2

    def __post_init__(self):
        if not (self.tolerance > 0 and math.isfinite(self.tolerance)):
            raise ValueError(f"tolerance must be a positive number, got {self.tolerance}")
        if int(self.passes) != self.passes or self.passes < 1:
            raise ValueError(f"passes must be a positive integer, got {self.passes}")


def pieces(errors: np.ndarray, tolerance: float) -> np.ndarray:
    """Into how many equal pieces to cut each interval, (N,) integers >= 1.

    ``errors`` (N,) are the intervals' re-simulation errors (state units); an
    interval within ``tolerance`` stays whole. A failed re-simulation (NaN)
    cuts in :data:`MAX_PIECES`.
    """
    errors = np.asarray(errors, dtype=float)
    ratio = np.where(np.isnan(errors), np.inf, errors / tolerance)
    cuts = np.ceil(np.power(np.maximum(ratio, 1.0), 1.0 / ERROR_ORDER_AT_A_KINK))
    return np.where(ratio > 1.0, np.clip(cuts, 2, MAX_PIECES), 1).astype(int)


def refined_mesh(mesh_points: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The mesh with interval ``k`` cut into ``counts[k]`` equal pieces, (sum(counts) + 1,)."""
    mesh_points = np.asarray(mesh_points, dtype=float)
    parts = [np.linspace(a, b, n + 1)[:-1]
             for a, b, n in zip(mesh_points[:-1], mesh_points[1:], counts)]
    return np.append(np.concatenate(parts), 1.0)


def refine(transcription: Transcription, errors: np.ndarray, tolerance: float) -> Transcription:
    """A copy of ``transcription`` on the mesh that cuts the intervals off by more than
    ``tolerance``."""
    refined = copy.copy(transcription)
    refined.set_mesh(refined_mesh(transcription.mesh_points, pieces(errors, tolerance)),
                     refined=True)
    return refined


def transcription_of(solution, transcription: Transcription) -> Transcription:
    """The transcription ``solution`` was solved on.

    ``transcription`` (the problem's) itself, or a copy on the solution's
    refined mesh (``solution.mesh_refinement.mesh``, also in summary.json)
    when the solve refined it.
    """
    record = solution.mesh_refinement
    mesh = record.mesh if record is not None else None
    if mesh is None:
        return transcription
    solved_on = copy.copy(transcription)
    solved_on.set_mesh(mesh, refined=True)
    return solved_on


def resumed_transcription(transcription: Transcription, guess, refinement) -> Transcription:
    """Where a refining solve starts: on the mesh its warm start was refined to.

    A solution refined from this same transcription (``guess``: a Solution
    whose refinement record says it ``started_on`` ``transcription.describe()``,
    the scheme and its uniform mesh) is a warm start for a
    neighbouring problem, another weight or speed or contact model. Cut back
    to the uniform mesh, its toe-off is smeared over the coarse interval and
    IPOPT starts far from it (torque walk from its own refined optimum: 242
    iterations instead of 136 from standing; the learned-contact walk from
    the analytic one lands in an optimum 55 % dearer). On the refined mesh it
    starts where the guess is, with its multipliers (13 iterations).

    ``transcription`` itself is returned when there is no refinement, no such
    guess, or the problem's mesh is already graded.
    """
    record = guess.mesh_refinement if guess is not None else None
    if (refinement is None or record is None or transcription.mesh is not None
            or record.started_on != transcription.describe()):
        return transcription
    return transcription_of(guess, transcription)
