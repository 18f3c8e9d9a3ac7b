"""Functions named in problem files: ``file = "my_costs.py"``, ``integrand = "effort"``.

A user's Python file is imported once per process (cached in ``sys.modules``
under a name made from its resolved path) and its function looked up by name;
an import failure or a missing function is a ProblemError naming the key.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from ocp.io.tables import TableReader


def python_function(reader: TableReader, base: Path, function_key: str):
    """The function the table names under ``function_key`` in its ``file``, or None.

    ``file`` is required (relative to ``base``); ``function_key`` may be absent
    (None is returned), so a table can offer several optional functions.
    """
    file_path = reader.path("file", base)
    if file_path is None:
        raise reader.error("file", "a Python file is required")
    fname = reader.string(function_key)
    if fname is None:
        return None
    module_name = f"_ocp_user_{abs(hash(str(file_path.resolve())))}"
    module = sys.modules.get(module_name)
    if module is None:
        spec = importlib.util.spec_from_file_location(module_name, file_path)
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            raise reader.error("file", f"'{file_path}' failed to import: "
                               f"{type(exc).__name__}: {exc}") from None
        sys.modules[module_name] = module
    fn = getattr(module, fname, None)
    if not callable(fn):
        raise reader.error(function_key, f"'{file_path}' defines no function '{fname}'")
    return fn
