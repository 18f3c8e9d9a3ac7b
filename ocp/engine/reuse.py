"""One NLP and solver per problem structure, re-solved with other values.

A study solves one problem many times with other cost weights or bounds.
Building the NLP (and, on the scalar graph, CasADi's symbolic Hessian inside
``nlpsol``) costs far more than a warm-started solve of a small problem
(the reach study at 100 intervals: about 0.3 s to build against 0.05 s in
IPOPT per run), so :class:`Builds` keeps, per *structure key*, the NLP built
once with the cost weights as its parameter ``p``
(``transcribe(..., weights_as_parameters=True)``) and its IPOPT solvers.
A problem of the same key is solved with its own values: the weights as
``p``, the bounds and initial and final values of states, controls and
algebraics and the final time's range as ``lbx``/``ubx``.

The key is the caller's (ocp/study/worker.py: the problem file and every
override except those values). What the key cannot vouch for is checked
here: a problem whose bounds on outputs, endpoint conditions on outputs or
constraint bounds differ from the built one is built afresh under its key.
Problems that estimate model parameters are always built afresh (their
uncertainty report reads the NLP without ``p``).
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field, replace

import numpy as np

from ocp.engine.nlp import TranscribedProblem, decision_bounds, transcribe, variable_bounds
from ocp.engine.scaling import trajectory_scales
from ocp.engine.solver import make_solver
from ocp.problem import IMPLICIT, Problem

#: The derivative functions of nlpsol a second solver of the same NLP (other
#: IPOPT options: a warm start) takes from the first instead of building them.
SHARED_FUNCTIONS = {"grad_f": "nlp_grad_f", "jac_g": "nlp_jac_g", "hess_lag": "nlp_hess_l"}


class Fresh:
    """Build the NLP and its solver for every solve (``ocp solve``)."""

    built = False

    def transcribe(self, problem: Problem) -> TranscribedProblem:
        self.built = True
        return transcribe(problem)

    def solver(self, problem: Problem, tp: TranscribedProblem, verbose: bool, warm: bool):
        return make_solver(tp.nlp, problem.solver, verbose, warm_start=warm,
                           functions=tp.solver_functions)


@dataclass
class _Entry:
    tp: TranscribedProblem
    checked: tuple              # (output bounds, endpoint outputs, lbg, ubg) it was built with
    solvers: dict = field(default_factory=dict)   # (verbose, warm) -> nlpsol


class Builds:
    """NLPs and solvers kept per structure key, the ``keep`` most recently used.

    ``count``: NLPs built so far (a solver for other IPOPT options, a warm start,
    reuses the derivative functions of the first and is not counted).
    """

    def __init__(self, keep: int = 2):
        self.keep = keep
        self.entries: OrderedDict = OrderedDict()
        self.count = 0

    def keyed(self, key) -> Keyed:
        """What :func:`ocp.solve` uses to build, for a problem of structure ``key``."""
        return Keyed(self, key)


class Keyed:
    """:class:`Fresh`'s interface over the entries of :class:`Builds` under one key;
    ``built`` tells whether this solve built the NLP."""

    def __init__(self, builds: Builds, key):
        self.builds, self.key, self.built = builds, key, False

    def transcribe(self, problem: Problem) -> TranscribedProblem:
        if problem.parameters:
            self.built = True
            return transcribe(problem)
        entries = self.builds.entries
        entry = entries.get(self.key)
        if entry is not None:
            lbx, ubx, checked = values(entry.tp, problem)
            if _same(checked, entry.checked):
                entries.move_to_end(self.key)
                return _with(entry.tp.with_weights([t.weight for t in problem.costs]),
                             lbx, ubx)
        tp = transcribe(problem, weights_as_parameters=True)
        self.built = True
        self.builds.count += 1
        entries[self.key] = _Entry(tp, values(tp, problem)[2])
        entries.move_to_end(self.key)
        while len(entries) > self.builds.keep:
            entries.popitem(last=False)
        return tp

    def solver(self, problem: Problem, tp: TranscribedProblem, verbose: bool, warm: bool):
        entry = self.builds.entries.get(self.key)
        if problem.parameters or entry is None or entry.tp.nlp is not tp.nlp:
            return Fresh().solver(problem, tp, verbose, warm)
        solver = entry.solvers.get((verbose, warm))
        if solver is None:
            functions = dict(tp.solver_functions)
            if entry.solvers:  # the first solver's derivative functions, not built again
                first = next(iter(entry.solvers.values()))
                functions = {k: first.get_function(name) for k, name in SHARED_FUNCTIONS.items()}
            solver = make_solver(tp.nlp, problem.solver, verbose, warm_start=warm,
                                 functions=functions)
            entry.solvers[(verbose, warm)] = solver
        return solver


@dataclass
class _Shape:
    """What :func:`ocp.engine.nlp.variable_bounds` and ``decision_bounds`` read."""

    problem: Problem
    model: object
    nx: int
    nu: int
    nz: int
    P: int
    p_scale: np.ndarray


def values(tp: TranscribedProblem, problem: Problem):
    """``problem``'s (lbx, ubx) on ``tp``'s layout, and what must equal the built
    problem's for ``tp`` to hold it: the output bounds and output endpoint
    conditions, and the path constraints' bounds."""
    nz = problem.model.nz if problem.dynamics == IMPLICIT else 0
    shape = _Shape(problem, problem.model, problem.model.nx, problem.model.nu, nz,
                   tp.n_points, tp.parameter_scale)
    lbx, ubx, output_bounds, endpoint_outputs = variable_bounds(shape)
    lbx, ubx = decision_bounds(shape, lbx, ubx)
    paths = [(pc.name, np.asarray(pc.lower, float).tolist(), np.asarray(pc.upper, float).tolist())
             for pc in problem.path_constraints]
    # scaled variables (ocp/engine/scaling.py): other bounds, other scales, another NLP
    scaled = tuple(trajectory_scales(problem, problem.model, nz))
    return lbx, ubx, (sorted(output_bounds.items()), endpoint_outputs, paths, lbx.size, scaled)


def _same(a, b) -> bool:
    return repr(a) == repr(b)


def _with(tp: TranscribedProblem, lbx, ubx) -> TranscribedProblem:
    return replace(tp, lbx=lbx, ubx=ubx)
