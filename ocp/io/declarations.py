"""Extension points that describe themselves.

A cost type, a transcription, a model kind or a study backend is one class
that declares, once, its name in files and each of its options: type,
default, unit and a line of documentation (as OpenSim Moco's
``OpenSim_DECLARE_PROPERTY``). From that one declaration come the file
reader's accepted keys, the "unknown key" suggestions and the tables of the
documentation.

Declare an option as a dataclass field::

    @dataclass
    class SquaredControls(CostTerm):
        toml_name: ClassVar[str] = "squared_controls"
        exponent: float = option(2.0, unit="-", doc="p of |u|^p; at least 2")

and register the class in its extension point's :class:`Registry`
(usually done for it by the base class's ``__init_subclass__``).
"""
from __future__ import annotations

import dataclasses
import math
from contextlib import contextmanager
from dataclasses import MISSING, dataclass

from ocp.errors import ProblemError, suggestion


def option(default=MISSING, *, unit: str = "-", doc: str = "", key: str | None = None,
           default_factory=MISSING, in_file: bool = True, minimum=None, choices=None):
    """A dataclass field that declares a file option.

    ``unit`` is the SI unit the value is read in (``"-"`` when it has none),
    ``doc`` one line for the documentation, ``key`` the option's name in files
    when it differs from the field's, ``in_file = False`` a field set by the
    reader or in Python only (not a key of the file). ``minimum`` (numbers)
    and ``choices`` (strings) are checked by :func:`read_options`.
    """
    metadata = {"unit": unit, "doc": doc, "key": key, "in_file": in_file,
                "minimum": minimum, "choices": tuple(choices) if choices else None}
    if default_factory is not MISSING:
        return dataclasses.field(default_factory=default_factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


@dataclass(frozen=True)
class OptionDoc:
    """One declared option, as the documentation shows it."""

    key: str
    type: str
    default: object
    unit: str
    doc: str

    @property
    def required(self) -> bool:
        return self.default is MISSING


def options_class(cls):
    """The dataclass holding ``cls``'s declared options: ``cls`` itself, or its
    nested ``Options`` dataclass (for classes that are not dataclasses), or None."""
    if dataclasses.is_dataclass(cls):
        return cls
    nested = getattr(cls, "Options", None)
    return nested if nested is not None and dataclasses.is_dataclass(nested) else None


def declared_options(cls) -> list[OptionDoc]:
    """The file options a dataclass declares (fields made by :func:`option`)."""
    out = []
    cls = options_class(cls)
    for f in dataclasses.fields(cls) if cls is not None else ():
        meta = f.metadata
        if "doc" not in meta or not meta.get("in_file", True):
            continue
        if f.default is not MISSING:
            default = f.default
        elif f.default_factory is not MISSING:
            default = f.default_factory()
        else:
            default = MISSING
        type_name = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
        out.append(OptionDoc(meta.get("key") or f.name, type_name, default, meta["unit"],
                             meta["doc"]))
    return out


def declared_fields(cls) -> list:
    """The dataclass fields of ``cls`` that are keys of a file, in declaration order."""
    cls = options_class(cls)
    return [f for f in (dataclasses.fields(cls) if cls is not None else ())
            if "doc" in f.metadata and f.metadata.get("in_file", True)]


def option_keys(cls) -> list[str]:
    """The file keys ``cls`` declares."""
    return [f.metadata.get("key") or f.name for f in declared_fields(cls)]


def read_options(cls, reader, skip=()) -> dict:
    """The declared options of ``cls`` that ``reader``'s table gives, as field -> value.

    Each value is read by the field's type: ``float`` a number in the option's
    unit (``"2 min"`` accepted where the unit is s), ``int`` an integer,
    ``bool`` true or false, ``str`` a string (one of ``choices``), a tuple or
    list of ``str`` a list of strings (returned as a tuple). ``reader`` is an
    :class:`ocp.io.tables.TableReader`; keys in ``skip`` are left to the caller.
    Absent keys are left out, so the dataclass defaults apply.
    """
    out = {}
    for f in declared_fields(cls):
        meta = f.metadata
        key = meta.get("key") or f.name
        if key in skip or key not in reader.table:
            continue
        kind = f.type.__name__ if isinstance(f.type, type) else str(f.type)
        kind = kind.replace(" | None", "").strip()
        if kind == "float":
            unit = meta["unit"] if meta["unit"] not in ("-", "") else None
            value = reader.number(key, unit=unit, minimum=meta.get("minimum"))
            if value is not None and not math.isfinite(value):  # NaN/inf: Invalid_Number
                raise reader.error(key, f"expected a finite number, got {value}")
        elif kind == "int":
            value = reader.integer(key, minimum=meta.get("minimum"))
        elif kind == "bool":
            value = reader.boolean(key)
        elif kind == "str":
            value = reader.string(key, choices=meta.get("choices"))
        elif kind.startswith(("tuple[str", "list[str")):
            value = reader.strings(key)
            value = tuple(value) if kind.startswith("tuple") else value
        else:
            raise TypeError(f"{cls.__qualname__}.{f.name}: no generic reader for type "
                            f"'{f.type}'; override the class's reader")
        out[f.name] = value
    return out


def first_line(text: str | None) -> str:
    """The first sentence-line of a docstring, for tables."""
    return (text or "").strip().split("\n")[0].strip()


class Registry:
    """The classes of one extension point, by their name in files.

    ``kind`` names the extension point in messages (``"cost type"``); each
    registered class carries ``toml_name`` (and optional ``aliases``), a
    docstring whose first line describes it, and declared options.
    """

    def __init__(self, kind: str):
        self.kind = kind
        self._classes: dict[str, type] = {}

    def register(self, cls, name: str | None = None, aliases=()):
        """Add ``cls`` under its ``toml_name`` (or ``name``) and its aliases; returns it."""
        for n in (name or cls.toml_name, *aliases):
            existing = self._classes.get(n)
            if existing is not None and existing.__qualname__ != cls.__qualname__:
                raise ValueError(f"{self.kind} '{n}' is registered twice: by "
                                 f"{existing.__module__}.{existing.__qualname__} and "
                                 f"{cls.__module__}.{cls.__qualname__}")
            self._classes[n] = cls
        return cls

    def unregister(self, cls) -> None:
        """Remove every name under which ``cls`` is registered (tests use it)."""
        for n in [n for n, c in self._classes.items() if c is cls]:
            del self._classes[n]

    @contextmanager
    def registered(self, cls):
        """Register ``cls`` for the ``with`` block only (no class leaks between tests)."""
        self.register(cls, aliases=getattr(cls, "aliases", ()))
        try:
            yield cls
        finally:
            self.unregister(cls)

    def names(self) -> list[str]:
        return list(self._classes)

    def __contains__(self, name) -> bool:
        return name in self._classes

    def __iter__(self):
        return iter(self._classes)

    def __getitem__(self, name):
        return self._classes[name]

    def items(self):
        return self._classes.items()

    def get(self, name: str, key: str | None = None, file: str | None = None):
        """The class registered as ``name``; a ProblemError suggesting the closest one."""
        try:
            return self._classes[name]
        except KeyError:
            raise ProblemError(f"unknown {self.kind} '{name}'" + suggestion(name, self._classes),
                               key, file) from None

    def markdown_table(self) -> str:
        """A Markdown table of every name, what it is, and its options (for the docs)."""
        rows = [f"| {self.kind} | what it is | options |", "| --- | --- | --- |"]
        seen = {}
        for name, cls in self._classes.items():
            if cls in seen:
                seen[cls].append(name)
                continue
            seen[cls] = [name]
        for cls, names in seen.items():
            options = ", ".join(
                f"`{o.key}`" + (f" ({o.unit})" if o.unit not in ("-", "") else "")
                for o in declared_options(cls))
            label = " / ".join(f"`{n}`" for n in names)
            what = first_line(cls.__doc__).replace("|", "\\|")  # a bar would end the cell
            rows.append(f"| {label} | {what} | {options or '-'} |")
        return "\n".join(rows)
