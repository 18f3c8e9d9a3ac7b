"""Quantities in problem files: a number in SI units, or a string with a unit.

``"180 deg"``, ``"30 cm"``, ``"250 ms"``, ``"90 deg/s"`` are converted to SI
(rad, m, s, rad/s); a plain number is taken as SI already. A unit of the
wrong kind (``"2 kg"`` for an angle) is an error that says what was expected.
"""
from __future__ import annotations

import math
import re

from ocp.errors import ProblemError

#: SI unit -> {accepted unit: factor to SI}
CONVERSIONS = {
    "rad": {"rad": 1.0, "deg": math.pi / 180.0},
    "rad/s": {"rad/s": 1.0, "deg/s": math.pi / 180.0, "rpm": 2 * math.pi / 60.0},
    "rad/s^2": {"rad/s^2": 1.0, "deg/s^2": math.pi / 180.0},
    "m": {"m": 1.0, "cm": 0.01, "mm": 0.001},
    "m/s": {"m/s": 1.0, "cm/s": 0.01, "mm/s": 0.001, "km/h": 1 / 3.6},
    "m/s^2": {"m/s^2": 1.0},
    "s": {"s": 1.0, "ms": 0.001},
    "N*m": {"N*m": 1.0, "Nm": 1.0, "N.m": 1.0},
    "N": {"N": 1.0, "kN": 1000.0},
    "J": {"J": 1.0},
    "kg": {"kg": 1.0, "g": 0.001},
    "kg*m^2": {"kg*m^2": 1.0},
    "Pa": {"Pa": 1.0, "kPa": 1e3, "MPa": 1e6, "N/m^2": 1.0},
}

_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?inf)\s*(\S+)?\s*$")


class UnitError(ProblemError):
    """A value whose unit does not fit; the message says what was expected."""


def to_si(value, unit: str) -> float:
    """``value`` (number or "number unit" string) in the SI unit ``unit``."""
    if isinstance(value, bool):
        raise UnitError(f"expected a number in {unit}, got {value!r}")
    if isinstance(value, (int, float)):
        return float(value)
    if not isinstance(value, str):
        raise UnitError(f"expected a number in {unit}, got {type(value).__name__} {value!r}")
    match = _QUANTITY.match(value)
    if not match:
        raise UnitError(f"'{value}' is not a quantity; expected a number in {unit} "
                        f"or a string like '1.5 {unit}'")
    number, given = float(match.group(1)), match.group(2)
    if given is None:
        return number
    accepted = CONVERSIONS.get(unit, {unit: 1.0})
    if given not in accepted:
        raise UnitError(f"'{value}' has unit '{given}'; expected one of "
                        f"{', '.join(accepted)} (a quantity in {unit})")
    return number * accepted[given]
