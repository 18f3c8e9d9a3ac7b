"""Errors about data files: they name the file and the column."""
from __future__ import annotations

from ocp.errors import ProblemError


class DataError(ProblemError):
    """A data file that cannot be used as written.

    A :class:`ocp.ProblemError` (the command line reports it in one line and
    exits with status 2) whose ``file`` is the data file and ``column`` the
    column (``"time"`` for the time column), when one is to blame.
    """

    def __init__(self, message: str, file=None, column: str | None = None):
        super().__init__(message, None, str(file) if file else None)
        self.column = column

    def __str__(self):
        where = []
        if self.file:
            where.append(str(self.file))
        if self.column:
            where.append(f"column '{self.column}'")
        if self.key:
            where.append(f"key '{self.key}'")
        return (": ".join(where) + ": " if where else "") + self.message
