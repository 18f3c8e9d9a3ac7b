"""Model parameters as unknowns of a problem: names, bounds, guesses, checked once.

A problem with unknowns (``Problem.parameters``, the problem file's
``[parameters]`` table) solves for them together with the trajectory: they
are time-invariant decision variables of the NLP (ocp.engine.nlp), appended after
the trajectory and the final time.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ocp.errors import ProblemError, suggestion
from ocp.estimation.names import model_numbers


@dataclass(frozen=True)
class UnknownParameter:
    """A model number to estimate, in SI units: ``lower <= value <= upper``.

    ``name`` is one of :func:`ocp.estimation.names.model_numbers` (for example
    ``segment.forearm.mass``); ``guess`` defaults to the model's own value.
    """

    name: str
    lower: float
    upper: float
    guess: float | None = None


def check_unknowns(model, unknowns, key: str = "parameters") -> None:
    """Raise ProblemError (key ``parameters.<name>``) for an unknown that does not fit.

    Refused: a name that is not a number of the model (the closest names are
    suggested), a name given twice, bounds that are not ordered or exclude the
    model's own value, and a guess outside the bounds.
    """
    numbers = model_numbers(model)
    seen = set()
    for u in unknowns:
        where = f"{key}.{u.name}"
        if u.name not in numbers:
            if not numbers:
                raise ProblemError(f"model '{model.name}' has no numbers to estimate "
                                   f"(segments, muscles or contacts)", where)
            raise ProblemError(f"'{u.name}' is not a number of model '{model.name}'" +
                               _closest(u.name, list(numbers)), where)
        if u.name in seen:
            raise ProblemError(f"'{u.name}' is estimated twice", where)
        seen.add(u.name)
        if not (math.isfinite(u.lower) and math.isfinite(u.upper)) or not u.lower < u.upper:
            raise ProblemError(f"bounds [{u.lower:g}, {u.upper:g}] must be finite with "
                               f"lower < upper", where)
        own = numbers[u.name]
        if not u.lower <= own.value <= u.upper:
            raise ProblemError(f"bounds [{u.lower:g}, {u.upper:g}] {own.unit} exclude the "
                               f"model's own value {own.value:g} {own.unit}", where)
        if u.guess is not None and not u.lower <= u.guess <= u.upper:
            raise ProblemError(f"guess {u.guess:g} {own.unit} is outside the bounds "
                               f"[{u.lower:g}, {u.upper:g}]", where)


def _closest(name: str, valid: list[str]) -> str:
    """The closest valid names: same kind and element first, then by spelling."""
    import difflib
    close = difflib.get_close_matches(name, valid, n=3, cutoff=0.6)
    if close:
        return "; did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
    prefix = ".".join(name.split(".")[:2]) + "."
    same = [v for v in valid if v.startswith(prefix)]
    if same:
        return "; valid: " + ", ".join(f"'{v}'" for v in same)
    kinds = sorted({".".join(v.split(".")[:2]) + ".<quantity>" for v in valid})
    return suggestion(name, valid) or "; valid names look like " + ", ".join(kinds[:8])


def guesses(model, unknowns) -> list[float]:
    """The starting value of each unknown: its guess, else the model's own value."""
    numbers = model_numbers(model)
    return [u.guess if u.guess is not None else numbers[u.name].value for u in unknowns]


def scales(model, unknowns) -> list[float]:
    """The size of each unknown, by which the NLP divides it (SI units).

    The model's own value, or the width of the bounds when that is zero: a
    contact stiffness of 3e6 N/m^2 and a foot inertia of 0.02 kg m^2 then
    both enter the NLP as numbers near 1, so that IPOPT's steps and its
    tolerances mean the same for every parameter.
    """
    numbers = model_numbers(model)
    return [abs(numbers[u.name].value) or (u.upper - u.lower) for u in unknowns]


class Unknowns(list):
    """The problem's unknowns (a list of UnknownParameter), and the tracking terms
    whose residuals are measurement noise (``measurement``; default: every tracking term)."""

    def __init__(self, items=(), measurement=None):
        super().__init__(items)
        self.measurement = list(measurement) if measurement else None
