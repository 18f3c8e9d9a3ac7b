"""Checks of a whole Problem that need more than one section of its file.

They run once the Problem is assembled, before anything is transcribed:
an NLP that cannot fit in memory, and a model file's dynamics that are not
finite where IPOPT starts. Each raises :class:`ProblemError` on the key at
fault and costs well under a millisecond for the shipped problems.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ocp.engine.guess import interpolated_guess
from ocp.errors import ProblemError
from ocp.models.custom import CustomModel, ModelFileError, check_finite_dynamics
from ocp.problem import IMPLICIT, Problem

#: Memory an NLP takes per decision variable while it is built and solved,
#: a lower bound. Measured (peak resident memory above the loaded package,
#: pendulum, Hermite-Simpson, exact Hessian, MUMPS, 2026-12-05): 7.4 kB per
#: variable at 5000 intervals (30 003 variables, 223 MB), 7.2 kB at 20 000
#: (120 003 variables, 866 MB). Half of that is taken, so that a refusal is
#: certain: a larger model only needs more per variable.
BYTES_PER_VARIABLE = 4096


def physical_memory_bytes() -> int | None:
    """This machine's memory (bytes), or None where the system does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def check_nlp_size(problem: Problem, memory: int | None = None) -> None:
    """Refuse a mesh whose NLP needs more memory than the machine has.

    The variables are (states + controls + algebraics) at every collocation
    point; at :data:`BYTES_PER_VARIABLE` each, 10 000 000 Hermite-Simpson
    intervals of a pendulum (60 million variables) need at least 246 GB,
    where it used to fail with ``std::bad_alloc`` after 42 s.
    """
    memory = physical_memory_bytes() if memory is None else memory
    if memory is None:
        return
    tr, model = problem.transcription, problem.model
    nz = model.nz if problem.dynamics == IMPLICIT else 0
    per_point = model.nx + model.nu + nz
    variables = tr.n_points * per_point
    need = variables * BYTES_PER_VARIABLE
    if need > memory:
        most = int(memory / BYTES_PER_VARIABLE / per_point / max(tr.points_per_interval - 1, 1))
        raise ProblemError(
            f"{tr.intervals} intervals make an NLP of {variables:.3g} variables, which needs "
            f"at least {need / 1e9:.3g} GB of memory; this machine has {memory / 1e9:.3g} GB "
            f"(at most about {most} intervals fit)", "transcription.intervals",
            value=tr.intervals)


def check_model_file_at_guess(problem: Problem, path: Path) -> None:
    """A model file's dynamics are finite at the first, middle and last point of
    the initial guess (where IPOPT starts when no solution is given)."""
    model = problem.model
    if not isinstance(model, CustomModel) or problem.guess is not None:
        return
    fractions = (0.0, 0.5, 1.0)
    X, U, _, tf = interpolated_guess(problem, np.array(fractions))
    names = model.state_names + model.control_names
    points = []
    for k, fraction in enumerate(fractions):
        t = problem.start_time + fraction * (tf - problem.start_time)
        values = ", ".join(f"{n} = {v:.4g}" for n, v in
                           zip(names, np.concatenate([X[:, k], U[:, k]])))
        points.append(((X[:, k], U[:, k], t), f"t = {t:.4g} s of the initial guess ({values})"))
    try:
        check_finite_dynamics(model, path, points)
    except ModelFileError as exc:
        raise ProblemError(exc.message, "model.file") from None
