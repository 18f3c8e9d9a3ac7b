"""The order of a study's runs and the warm start of each: nearest neighbours.

Runs live in the normalised sweep space [0, 1]^k (see
:meth:`ocp.study.spec.Axis.normalise`: log scale for weights spanning decades).
The first run is the one nearest the centre of the sweep, a typical problem,
solved cold. From then on the next run is the pending one nearest to any run
that succeeded, and it starts from that nearest succeeded run: the study grows
outwards from solved problems, so every warm start comes from a close
neighbour. While nothing has succeeded yet, extra workers take the pending run
farthest from those already started (their own cold seeds, far apart).
Failed runs are never used as a starting point.
"""
from __future__ import annotations

import numpy as np


class NeighbourOrder:
    """Picks the next run to start and the finished run to warm-start it from.

    ``coordinates`` is the (n_runs, n_axes) array of normalised coordinates,
    row ``i`` for run id ``i``. With ``warm_start=False`` runs go in id order.
    """

    def __init__(self, coordinates, pending, succeeded=(), warm_start: bool = True):
        self.x = np.asarray(coordinates, float)
        self.x = self.x.reshape(self.x.shape[0], -1)
        n = self.x.shape[0]
        self.pending = np.zeros(n, bool)
        self.pending[list(pending)] = True
        self.succeeded = np.zeros(n, bool)
        self.started = np.zeros(n, bool)  # started in this session, finished or not
        self.warm_start = warm_start
        self._to_succeeded = np.full(n, np.inf)  # distance of every run to the nearest success
        self._to_started = np.full(n, np.inf)  # ... and to the nearest run started here
        for i in succeeded:
            self.finished(i, True)

    def _distances(self, i: int) -> np.ndarray:
        return np.linalg.norm(self.x - self.x[i], axis=1)

    def next(self) -> int | None:
        """Remove and return the run to start next (None if nothing is pending)."""
        candidates = np.flatnonzero(self.pending)
        if candidates.size == 0:
            return None
        if not self.warm_start:
            choice = int(candidates[0])
        elif self.succeeded.any():
            choice = int(candidates[np.argmin(self._to_succeeded[candidates])])
        elif self.started.any():
            choice = int(candidates[np.argmax(self._to_started[candidates])])
        else:
            centre = self.x.mean(axis=0) if self.x.size else np.zeros(self.x.shape[1])
            choice = int(candidates[np.argmin(np.linalg.norm(self.x[candidates] - centre,
                                                             axis=1))])
        self.pending[choice] = False
        self.started[choice] = True
        self._to_started = np.minimum(self._to_started, self._distances(choice))
        return choice

    def neighbour(self, run_id: int) -> int | None:
        """The succeeded run nearest to ``run_id`` (lowest id on ties), or None."""
        if not self.warm_start or not self.succeeded.any():
            return None
        done = np.flatnonzero(self.succeeded)
        return int(done[np.argmin(self._distances(run_id)[done])])

    def finished(self, run_id: int, success: bool) -> None:
        self.pending[run_id] = False
        if success and not self.succeeded[run_id]:
            self.succeeded[run_id] = True
            self._to_succeeded = np.minimum(self._to_succeeded, self._distances(run_id))

    def give_back(self, run_id: int) -> None:
        """A started run that must be started again (its worker was lost)."""
        self.pending[run_id] = True
