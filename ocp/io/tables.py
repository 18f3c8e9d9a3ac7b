"""One reader for every TOML table the project takes in.

Problem files, study files, training files and `.osim` options all read their
tables through :class:`TableReader`: typed access by key, and errors
(:class:`ocp.errors.ProblemError`) that name the file and the dotted key,
suggesting the closest valid key for a misspelled one.
"""
from __future__ import annotations

import copy
import tomllib
from pathlib import Path

from ocp.errors import ProblemError, suggestion
from ocp.units import UnitError, to_si


class TableReader:
    """Typed access to one TOML table, with errors that name file and key."""

    def __init__(self, table: dict, prefix: str, file: str):
        self.table, self.prefix, self.file = table, prefix, file

    def __contains__(self, name: str) -> bool:
        """Whether the file gives ``name`` (a key of this table)."""
        return name in self.table

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def error(self, name: str | None, message: str) -> ProblemError:
        """A ProblemError for key ``name`` of this table (the table itself if None),
        carrying the file, the dotted key and the value written there."""
        value = self.table.get(name) if name else None
        return ProblemError(message, self.key(name) if name else self.prefix or None, self.file,
                            value=value)

    def only(self, allowed) -> None:
        for name in self.table:
            if name not in allowed:
                raise self.error(name, f"unknown key '{name}'" + suggestion(name, sorted(allowed)))

    def sub(self, name: str, required: bool = False) -> TableReader:
        value = self.table.get(name, {})
        if name not in self.table and required:
            raise self.error(name, "this table is required")
        if not isinstance(value, dict):
            raise self.error(name, f"expected a table ([{self.key(name)}]), got {kind(value)}")
        return TableReader(value, self.key(name), self.file)

    def string(self, name: str, default=None, choices=None) -> str | None:
        value = self.table.get(name, default)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.error(name, f"expected a string, got {kind(value)}")
        if choices is not None and value not in choices:
            raise self.error(name, f"'{value}' is not one of {', '.join(map(repr, choices))}"
                             + suggestion(value, choices))
        return value

    def number(self, name: str, default=None, unit: str | None = None, minimum=None):
        value = self.table.get(name, default)
        if value is None:
            return None
        try:
            value = to_si(value, unit) if unit else plain_number(value)
        except UnitError as exc:
            raise self.error(name, str(exc)) from None
        if minimum is not None and not value >= minimum:
            raise self.error(name, f"must be at least {minimum}, got {value}")
        return value

    def boolean(self, name: str, default=None):
        value = self.table.get(name, default)
        if not isinstance(value, bool):
            raise self.error(name, f"expected true or false, got {kind(value)}")
        return value

    def integer(self, name: str, default=None, minimum=None):
        value = self.table.get(name, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(name, f"expected an integer, got {kind(value)}")
        if minimum is not None and value < minimum:
            raise self.error(name, f"must be at least {minimum}, got {value}")
        return value

    def strings(self, name: str, default=None, choices=None, what: str = "name") -> list | None:
        """A list of strings; with ``choices``, each one of them ("unknown {what} 'x'",
        with the nearest choices, otherwise)."""
        value = self.table.get(name, default)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(name, f"expected a list of strings, got {kind(value)}")
        for v in value if choices is not None else ():
            if v not in choices:
                raise self.error(name, f"unknown {what} '{v}'" + suggestion(v, list(choices)))
        return value

    def integers(self, name: str, default=None, minimum=None, length: int | None = None,
                 expected: str | None = None) -> list | None:
        """A non-empty list of integers (each at least ``minimum``; ``length`` of them
        if given). ``expected`` describes a valid value for the error message
        (``"a list of positive layer widths, e.g. [16]"``)."""
        value = self.table.get(name, default)
        if value is None:
            return None
        valid = (isinstance(value, list) and value
                 and (length is None or len(value) == length)
                 and all(isinstance(v, int) and not isinstance(v, bool)
                         and (minimum is None or v >= minimum) for v in value))
        if not valid:
            what = expected or ("a list of " + (f"{length} " if length else "") + "integers"
                                + (f" of at least {minimum}" if minimum is not None else ""))
            raise self.error(name, f"expected {what}, got {value!r}")
        return value

    def quantity_or_range(self, name: str, unit: str):
        """A value, or a [lower, upper] pair, in ``unit``."""
        value = self.table[name]
        try:
            if isinstance(value, list):
                if len(value) != 2:
                    raise self.error(name, f"expected [lower, upper], got a list of {len(value)}")
                lo, hi = (to_si(v, unit) for v in value)
                if not lo <= hi:
                    raise self.error(name, f"lower bound {value[0]} is above upper bound "
                                     f"{value[1]}")
                return (lo, hi)
            return to_si(value, unit)
        except UnitError as exc:
            raise self.error(name, str(exc)) from None

    def path(self, name: str, base: Path, must_exist: bool = True) -> Path | None:
        value = self.string(name)
        if value is None:
            return None
        path = Path(value)
        path = path if path.is_absolute() else base / path
        if must_exist and not path.exists():
            raise self.error(name, f"file '{path}' does not exist")
        return path


def kind(value) -> str:
    return {dict: "a table", list: "a list", str: "a string", bool: "a boolean",
            int: "an integer", float: "a number"}.get(type(value), type(value).__name__) + \
        (f" ({value!r})" if not isinstance(value, (dict, list)) else "")


def plain_number(value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UnitError(f"expected a number, got {kind(value)}")
    return float(value)


def apply_overrides(data: dict, overrides: dict | None, file: str) -> dict:
    """Set dotted keys (``costs.effort.weight``) in a copy of the raw TOML data."""
    data = copy.deepcopy(data)
    for dotted, value in (overrides or {}).items():
        parts = dotted.split(".")
        table = data
        for i, part in enumerate(parts[:-1]):
            table = table.setdefault(part, {})
            if not isinstance(table, dict):
                raise ProblemError(f"cannot set '{dotted}': '{'.'.join(parts[:i + 1])}' "
                                   f"is not a table", dotted, file)
        table[parts[-1]] = value
    return data


def not_utf8(exc: UnicodeDecodeError) -> str:
    """What is wrong with a file that is not UTF-8, and where (line of the bad byte)."""
    line = exc.object[:exc.start].count(b"\n") + 1
    return (f"line {line}: byte 0x{exc.object[exc.start]:02x} is not UTF-8: "
            f"save the file as UTF-8")


def read_toml(path: Path, what: str = "problem file") -> dict:
    """The TOML data of a file; a missing file or bad TOML is a ProblemError naming it."""
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        raise ProblemError(f"{what} does not exist", file=str(path)) from None
    except OSError as exc:
        raise ProblemError(f"cannot read the file: {exc.strerror}", file=str(path)) from None
    except UnicodeDecodeError as exc:
        raise ProblemError(not_utf8(exc), file=str(path)) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProblemError(f"not valid TOML: {exc}", file=str(path)) from None


