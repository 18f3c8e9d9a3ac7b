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
from dataclasses import MISSING, dataclass

from ocp.errors import ProblemError, suggestion


def option(default=MISSING, *, unit: str = "-", doc: str = "", key: str | None = None,
           default_factory=MISSING, in_file: bool = True):
    """A dataclass field that declares a file option.

    ``unit`` is the SI unit the value is read in (``"-"`` when it has none),
    ``doc`` one line for the documentation, ``key`` the option's name in files
    when it differs from the field's, ``in_file = False`` a field set by the
    reader or in Python only (not a key of the file).
    """
    metadata = {"unit": unit, "doc": doc, "key": key, "in_file": in_file}
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


def declared_options(cls) -> list[OptionDoc]:
    """The file options a dataclass declares (fields made by :func:`option`)."""
    out = []
    for f in dataclasses.fields(cls):
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
                for o in declared_options(cls)) if dataclasses.is_dataclass(cls) else ""
            label = " / ".join(f"`{n}`" for n in names)
            rows.append(f"| {label} | {first_line(cls.__doc__)} | {options or '-'} |")
        return "\n".join(rows)
