"""Time-invariant decision variables of the model: what the engine needs of them.

A problem may solve for numbers of its model together with the trajectory (a
segment's mass, a muscle's optimal fibre length, a contact stiffness: the
problem file's ``[parameters]`` table, implemented by ``ocp.estimation``).
The engine knows them only through :class:`ModelParameter`: a name, bounds
and a start value in SI units, a scale, a check against the model, and the
model rebuilt with a value (a float or a CasADi SX symbol) in place of the
number. ``Problem.parameters`` is a list of such objects; the NLP holds each
as one decision variable ``p / scale`` after the trajectory and the final
time (ocp.engine.nlp).
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

import casadi as ca
import numpy as np

from ocp.errors import ProblemError


@runtime_checkable
class ModelParameter(Protocol):
    """One number of the model solved for with the trajectory, ``lower <= p <= upper`` (SI)."""

    name: str
    lower: float
    upper: float

    def check(self, model, key: str) -> None:
        """Raise ProblemError (key ``<key>.<name>``) if the number does not fit ``model``."""

    def start_value(self, model) -> float:
        """The initial guess of the number (SI)."""

    def scale(self, model) -> float:
        """The number's typical size (SI): the NLP holds ``p / scale``, near 1."""

    def with_value(self, model, value):
        """``model`` with the number replaced by ``value`` (a float or a CasADi symbol)."""


def check_parameters(model, parameters, key: str = "parameters") -> None:
    """Each parameter checked against ``model``; a name given twice is refused.

    Raises ProblemError naming ``<key>.<name>``.
    """
    seen = set()
    for q in parameters:
        if q.name in seen:
            raise ProblemError(f"'{q.name}' is estimated twice", f"{key}.{q.name}")
        q.check(model, key)
        seen.add(q.name)


def parametrised(model, parameters) -> tuple[object, ca.SX]:
    """(``model`` with SX symbols in place of the parameters, the (n, 1) symbol vector)."""
    p = ca.SX.sym("p", len(parameters))
    for i, q in enumerate(parameters):
        model = q.with_value(model, p[i])
    return model, p


def with_values(model, parameters, values) -> object:
    """``model`` with the parameters set to ``values`` (SI, one per parameter)."""
    for q, value in zip(parameters, values):
        model = q.with_value(model, float(value))
    return model


def start_values(model, parameters) -> np.ndarray:
    """The initial guess of each parameter (SI), shape (n,)."""
    return np.array([q.start_value(model) for q in parameters], dtype=float)


def scales(model, parameters) -> np.ndarray:
    """The scale of each parameter (SI), shape (n,)."""
    return np.array([q.scale(model) for q in parameters], dtype=float)
