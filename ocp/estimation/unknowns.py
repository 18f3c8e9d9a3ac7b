"""Model parameters as unknowns of a problem: names, bounds, guesses, checked once.

A problem with unknowns (``Problem.parameters``, the problem file's
``[parameters]`` table) solves for them together with the trajectory: they
are time-invariant decision variables of the NLP (ocp.engine.nlp), appended after
the trajectory and the final time.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ocp.engine.parameters import check_parameters
from ocp.errors import ProblemError, suggestion
from ocp.estimation.names import model_numbers, with_values


@dataclass(frozen=True)
class UnknownParameter:
    """A model number to estimate, in SI units: ``lower <= value <= upper``.

    ``name`` is one of :func:`ocp.estimation.names.model_numbers` (for example
    ``segment.forearm.mass``); ``guess`` defaults to the model's own value.
    Implements the engine's :class:`ocp.engine.parameters.ModelParameter`.
    """

    name: str
    lower: float
    upper: float
    guess: float | None = None

    def check(self, model, key: str = "parameters") -> None:
        """Raise ProblemError (key ``<key>.<name>``) for an unknown that does not fit.

        Refused: a name that is not a number of the model (the closest names
        are suggested), bounds that are not ordered or exclude the model's own
        value, and a guess outside the bounds.
        """
        numbers = model_numbers(model)
        where = f"{key}.{self.name}"
        if self.name not in numbers:
            if not numbers:
                raise ProblemError(f"model '{model.name}' has no numbers to estimate "
                                   f"(segments, muscles or contacts)", where)
            raise ProblemError(f"'{self.name}' is not a number of model '{model.name}'" +
                               _closest(self.name, list(numbers)), where)
        lower, upper = self.lower, self.upper
        if not (math.isfinite(lower) and math.isfinite(upper)) or not lower < upper:
            raise ProblemError(f"bounds [{lower:g}, {upper:g}] must be finite with "
                               f"lower < upper", where)
        own = numbers[self.name]
        if not lower <= own.value <= upper:
            raise ProblemError(f"bounds [{lower:g}, {upper:g}] {own.unit} exclude the "
                               f"model's own value {own.value:g} {own.unit}", where)
        if self.guess is not None and not lower <= self.guess <= upper:
            raise ProblemError(f"guess {self.guess:g} {own.unit} is outside the bounds "
                               f"[{lower:g}, {upper:g}]", where)

    def start_value(self, model) -> float:
        """The guess, else the model's own value (SI)."""
        return self.guess if self.guess is not None else model_numbers(model)[self.name].value

    def scale(self, model) -> float:
        """The size by which the NLP divides the unknown (SI units).

        The model's own value, or the width of the bounds when that is zero: a
        contact stiffness of 3e6 N/m^2 and a foot inertia of 0.02 kg m^2 then
        both enter the NLP as numbers near 1, so that IPOPT's steps and its
        tolerances mean the same for every parameter.
        """
        return abs(model_numbers(model)[self.name].value) or (self.upper - self.lower)

    def with_value(self, model, value):
        """``model`` with this number replaced by ``value`` (a float or a CasADi symbol)."""
        return with_values(model, {self.name: value})


def check_unknowns(model, unknowns, key: str = "parameters") -> None:
    """Raise ProblemError (key ``<key>.<name>``) for an unknown that does not fit,
    or for a name given twice (:meth:`UnknownParameter.check`)."""
    check_parameters(model, unknowns, key)


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
    return [u.start_value(model) for u in unknowns]


def scales(model, unknowns) -> list[float]:
    """The size of each unknown, by which the NLP divides it (SI units)."""
    return [u.scale(model) for u in unknowns]


class Unknowns(list):
    """The problem's unknowns (a list of UnknownParameter), and the tracking terms
    whose residuals are measurement noise (``measurement``; default: every tracking term)."""

    def __init__(self, items=(), measurement=None):
        super().__init__(items)
        self.measurement = list(measurement) if measurement else None
