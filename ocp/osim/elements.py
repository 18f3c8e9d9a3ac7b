"""Reading XML elements of an .osim file, with errors that name file, element and line.

:func:`parse_xml` parses a file with the standard library's expat parser and
keeps the line of every element; :class:`ElementReader` reads typed values
(text, numbers, booleans) from an element's children, and its errors are
:class:`OsimError`\\ s: a :class:`ocp.errors.ProblemError` whose ``file``,
``element`` (``PinJoint 'knee_r'``) and ``line`` are attributes.
"""
from __future__ import annotations

import math
import xml.etree.ElementTree as ET
import xml.parsers.expat
from pathlib import Path

from ocp.errors import ProblemError
from ocp.osim.opensim3 import upgrade


class OsimError(ProblemError):
    """A problem in an .osim file: names the file, the element and its line.

    ``element`` is the element as the user finds it in the file
    (``PinJoint 'knee_r'``, or the tag alone when it has no name), ``line``
    its line number (1-based) when known; ``file`` the .osim file. ``key`` is
    None: an .osim file has elements, not dotted keys.
    """

    def __init__(self, message: str, element: str | None = None, file: str | None = None,
                 line: int | None = None):
        super().__init__(message, None, str(file) if file else None)
        self.element = element
        self.line = line

    @property
    def where(self) -> str | None:
        """``PinJoint 'knee_r' (line 812)``: the element and its line, for messages."""
        if self.element is None and not self.line:
            return None
        return (self.element or "") + (f" (line {self.line})" if self.line else "")

    def __str__(self):
        return ": ".join(str(p) for p in (self.file, self.where, self.message) if p)


def element_name(el) -> str:
    """``Tag 'name'`` of an element, or its tag alone when it has no name."""
    name = el.get("name")
    return f"{el.tag} '{name}'" if name else el.tag


def parse_xml(path: Path):
    """The element tree of ``path`` and a dict element -> line number.

    Broken or truncated XML is an :class:`OsimError` naming the innermost
    open element (the one with a name, if any) and its line.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise OsimError(f"cannot read the file: {exc.strerror}", None, str(path)) from None
    builder = ET.TreeBuilder()
    lines = {}
    parser = xml.parsers.expat.ParserCreate()
    open_elements = []   # (tag, name, line) of the elements not yet closed

    def start(tag, attrs):
        lines[builder.start(tag, attrs)] = parser.CurrentLineNumber
        open_elements.append((tag, attrs.get("name"), parser.CurrentLineNumber))

    def end(tag):
        builder.end(tag)
        open_elements.pop()

    def inside() -> tuple:
        """(element, line) of the innermost open element that has a name (else the
        innermost), for errors; (None, None) outside every element."""
        if not open_elements:
            return None, None
        tag, name, line = next((e for e in reversed(open_elements) if e[1]),
                               open_elements[-1])
        return (f"{tag} '{name}'" if name else tag), line

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(data, True)
        root = builder.close()
    except xml.parsers.expat.ExpatError as exc:
        element, line = inside()
        raise OsimError(f"broken or truncated XML at line {exc.lineno}, column {exc.offset}: "
                        f"{xml.parsers.expat.ErrorString(exc.code)}"
                        + (" (the file breaks off or goes wrong inside this element); an "
                           ".osim file must be complete, well-formed XML" if element else ""),
                        element, str(path), line) from None
    except AssertionError:  # TreeBuilder: unclosed elements
        element, line = inside()
        raise OsimError("truncated XML: the file ends inside an element", element,
                        str(path), line) from None
    return upgrade(root, lines, str(path)), lines   # an OpenSim 3 file: in the 4 layout


class ElementReader:
    """Typed access to the children of .osim elements, with errors naming file,
    element and line.

    ``file`` is the .osim file, ``lines`` the element -> line dict of
    :func:`parse_xml`. Each method reads one child ``<tag>`` of ``el``; a
    missing child without a default, or a value of the wrong type, raises
    :class:`OsimError` for ``el``.
    """

    def __init__(self, file: str, lines: dict):
        self.file, self.lines = file, lines

    def line(self, el) -> int:
        """The line of ``el`` (0 if unknown)."""
        return self.lines.get(el, 0)

    def error(self, el, message: str) -> OsimError:
        return OsimError(message, element_name(el), self.file, self.lines.get(el))

    def text(self, el, tag: str, default=None) -> str | None:
        """The stripped text of ``<tag>``; ``default`` if absent or empty."""
        child = el.find(tag)
        if child is None or child.text is None or not child.text.strip():
            if default is None:
                raise self.error(el, f"missing <{tag}>")
            return default
        return child.text.strip()

    def numbers(self, el, tag: str, count: int | None = None, default=None) -> tuple:
        """The finite numbers of ``<tag>`` (space-separated); ``count`` of them if given."""
        text = self.text(el, tag, None if default is None else "")
        if text == "" and default is not None:
            return tuple(default)
        try:
            values = tuple(float(v) for v in text.split())
        except ValueError:
            raise self.error(el, f"<{tag}> must hold numbers, got '{text}'") from None
        if count is not None and len(values) != count:
            raise self.error(el, f"<{tag}> must hold {count} numbers, got {len(values)}")
        if not all(math.isfinite(v) for v in values):
            raise self.error(el, f"<{tag}> holds a value that is not finite: '{text}'")
        return values

    def number(self, el, tag: str, default=None) -> float:
        """The one finite number of ``<tag>``."""
        return self.numbers(el, tag, 1, None if default is None else (default,))[0]

    def unique_names(self, elements, what: str) -> None:
        """Raise an error at the first of ``elements`` whose name an earlier one has
        (OpenSim refuses two components of one name in a set)."""
        first = {}
        for el in elements:
            name = el.get("name")
            if name in first:
                raise self.error(el, f"a second {what} named '{name}' (the first is at line "
                                     f"{first[name]}): {what} names must be unique")
            first[name] = self.line(el)

    def boolean(self, el, tag: str, default: bool) -> bool:
        """``<tag>`` as true or false."""
        text = self.text(el, tag, str(default).lower()).lower()
        if text not in ("true", "false"):
            raise self.error(el, f"<{tag}> must be true or false, got '{text}'")
        return text == "true"


def open_model(path: Path):
    """``(model element, line numbers, ElementReader)`` of an OpenSim 4 file.

    Raises OsimError for a file that is not an OpenSim model, or of a version
    before 40000 (files of OpenSim 3 are upgraded by ``parse_xml`` first).
    """
    root, lines = parse_xml(path)
    ctx = ElementReader(str(path), lines)
    model = root.find("Model") if root.tag == "OpenSimDocument" else None
    if model is None:
        raise OsimError("not an OpenSim model: expected <OpenSimDocument> holding <Model>",
                        root.tag, str(path), lines.get(root, 1))
    version = int(root.get("Version", "0") or 0)
    if version < 40000:
        raise ctx.error(root, f"OpenSim 4 files (Version >= 40000) are supported; this one "
                              f"is version {version}: open and save it in OpenSim 4 first")
    return model, lines, ctx

def join_path(base: str, path: str) -> str:
    """A socket path resolved against the path of the component that owns the socket."""
    parts = [] if path.startswith("/") else [p for p in base.split("/") if p]
    for p in path.split("/"):
        if p in ("", "."):
            continue
        if p == "..":
            if parts:
                parts.pop()
        else:
            parts.append(p)
    return "/" + "/".join(parts)


def objects(set_el) -> list:
    """The elements of a set's ``<objects>`` (``[]`` if the set is absent)."""
    if set_el is None:
        return []
    holder = set_el.find("objects")
    return list(holder) if holder is not None else []
