"""The problem file's ``[parameters]`` table: model numbers to estimate with the trajectory.

::

    [parameters]
    "segment.forearm.mass" = ["0.5 kg", "2 kg"]              # [lower, upper]
    "muscle.BRA.max_isometric_force" = { bounds = ["500 N", "2000 N"], guess = "900 N" }
    measurement = ["track"]    # tracking terms whose residuals are noise (default: all)

Names are ``segment.<segment>.mass | inertia``, ``muscle.<muscle>.<quantity>``
and ``contact.<sphere>.stiffness | dissipation | friction``
(ocp.estimation.names); unquoted dotted keys (``segment.forearm.mass = [...]``)
mean the same. Quantities may carry units (``"900 N"``, ``"300 g"``); plain
numbers are SI. Every entry is checked against the model here: a name that is
not a number of the model (the closest names suggested), bounds that are not
numbers or exclude the model's own value, a guess outside the bounds.
"""
from __future__ import annotations

from ocp.estimation.names import model_numbers
from ocp.estimation.unknowns import UnknownParameter, Unknowns, check_unknowns
from ocp.units import UnitError, to_si

ENTRY_KEYS = {"bounds", "guess"}


def _entries(table: dict, prefix: str = ""):
    """(dotted name, value) pairs; nested tables from unquoted dotted keys are flattened."""
    for key, value in table.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict) and not (set(value) & ENTRY_KEYS):
            yield from _entries(value, name)
        else:
            yield name, value


def read_parameters(reader, model, costs) -> Unknowns:
    """The unknowns of the [parameters] reader (ProblemError naming file and key)."""
    from ocp.costs import Tracking
    measurement = None
    numbers = model_numbers(model)
    items = []
    for name, value in _entries(reader.table):
        if name == "measurement":
            measurement = reader.strings("measurement")
            tracking = [c.name for c in costs if isinstance(c, Tracking)]
            for term in measurement:
                if term not in tracking:
                    raise reader.error("measurement", f"'{term}' is not a tracking cost term; "
                                       f"tracking terms: {', '.join(tracking) or 'none'}")
            continue
        unit = numbers[name].unit if name in numbers else "-"
        guess = None
        if isinstance(value, dict):
            unknown = set(value) - ENTRY_KEYS
            if unknown:
                raise reader.error(name, f"unknown key '{sorted(unknown)[0]}' in the entry; "
                                   f"expected 'bounds' and optionally 'guess'")
            if "bounds" not in value:
                raise reader.error(name, "give 'bounds' = [lower, upper]")
            guess = _quantity(reader, name, value["guess"], unit) if "guess" in value else None
            value = value["bounds"]
        if not (isinstance(value, list) and len(value) == 2):
            raise reader.error(name, f"expected bounds [lower, upper] in {unit}, got "
                               f"{value!r}")
        lower, upper = (_quantity(reader, name, v, unit) for v in value)
        items.append(UnknownParameter(name, lower, upper, guess))
    unknowns = Unknowns(items, measurement)
    try:
        check_unknowns(model, unknowns, reader.prefix)
    except Exception as exc:  # a ProblemError with the key; add the file
        exc.file = reader.file
        raise
    return unknowns


def _quantity(reader, name: str, value, unit: str) -> float:
    try:
        return to_si(value, unit)
    except UnitError as exc:
        raise reader.error(name, str(exc)) from None
