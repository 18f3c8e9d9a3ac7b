"""Reports that features add to a solution, without the engine knowing the features.

A reporter is a function ``reporter(problem, model, solution, context) -> dict``
called by :func:`ocp.solve` after each solve: ``model`` is the problem's model
with its estimated numbers set to their solved values, ``context`` a
:class:`SolveContext` (the NLP, IPOPT's solution and multipliers). It returns
a partial report: Solution fields by name (``tracking_error``,
``muscle_geometry_fit``, ``parameters``; ``warnings`` is appended to the
solution's), or ``{}`` when it has nothing to say.

Features register their reporters where they are defined
(:func:`register_reporter`); ``ocp/__init__.py`` imports those modules, so the
list is complete once ``ocp`` is imported. A feature whose report is an object
(not plain JSON) also registers how summary.json's keys read back into it
(:func:`register_summary_reader`), for :meth:`ocp.Solution.load`.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class SolveContext:
    """What a reporter may need of the solve besides the solution.

    ``transcribed``: the TranscribedProblem (ocp.engine.nlp); ``w``: the
    decision vector at the solution; ``lam_g``, ``lam_x``: IPOPT's multipliers
    of the constraints and variable bounds; ``final_time`` (s); ``solver``:
    the nlpsol (its derivative functions can be reused).
    """

    transcribed: Any
    w: Any
    lam_g: Any
    lam_x: Any
    final_time: float
    solver: Any = None


class Reporter(Protocol):
    def __call__(self, problem, model, solution, context: SolveContext) -> dict:
        """A partial report: Solution fields by name, or {}."""


#: (order, reporter); a smaller order runs first, so its warnings come first
_REPORTERS: list[tuple[int, Reporter]] = []
#: Solution field -> function(summary dict) -> the field's value, or None if absent
_SUMMARY_READERS: dict[str, Callable[[dict], Any]] = {}


def register_reporter(reporter: Reporter, order: int = 50) -> Reporter:
    """Add ``reporter`` to those run after every solve (once, however often called)."""
    if all(r is not reporter for _, r in _REPORTERS):
        _REPORTERS.append((order, reporter))
        _REPORTERS.sort(key=lambda item: item[0])
    return reporter


def reporters() -> list[Reporter]:
    """The registered reporters, in their order."""
    return [r for _, r in _REPORTERS]


def register_summary_reader(field_name: str, reader: Callable[[dict], Any]) -> None:
    """How :meth:`ocp.Solution.load` reads Solution field ``field_name`` from summary.json."""
    _SUMMARY_READERS[field_name] = reader


def summary_readers() -> dict[str, Callable[[dict], Any]]:
    """The registered summary readers, by Solution field."""
    return dict(_SUMMARY_READERS)
