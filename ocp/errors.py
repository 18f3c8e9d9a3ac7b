"""Errors that users see: they name the file, the key and what was expected."""
from __future__ import annotations

import difflib


class ProblemError(ValueError):
    """A problem (file or Python object) that cannot be solved as written.

    The common base of the project's input errors (:class:`ocp.data.DataError`,
    :class:`ocp.osim.OsimError`, :class:`ocp.models.custom.ModelFileError`):
    the command line reports any of them as bad input. ``key`` is the dotted
    key of the problem file (``costs.effort.weight``); ``file`` is filled in
    by the problem-file loader; ``value`` is the value written there, when
    known. Code that must tell errors apart reads these attributes, never the
    message text.
    """

    def __init__(self, message: str, key: str | None = None, file: str | None = None, *,
                 value=None):
        super().__init__(message)
        self.message = message
        self.key = key
        self.file = file
        self.value = value

    def __str__(self):
        where = []
        if self.file:
            where.append(str(self.file))
        if self.key:
            where.append(f"key '{self.key}'")
        return (": ".join(where) + ": " if where else "") + self.message


def suggestion(name: str, valid) -> str:
    """' (did you mean 'x'?)' for the closest valid name, or a list of valid names."""
    valid = list(valid)
    close = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
    if close:
        return f"; did you mean '{close[0]}'?"
    if len(valid) <= 12:
        return f"; valid: {', '.join(repr(v) for v in valid) or 'none'}"
    return ""
