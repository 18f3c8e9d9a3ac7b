"""The core knows no feature, and the package graph has no cycle (read from the source).

The engine (``ocp/engine/``), the problem, ``solve`` and the solution reach
estimated parameters, reports and learned components only through their
interfaces (ocp.engine.parameters, ocp.engine.reports, ocp.engine.plugins);
the features depend on the core, never the reverse. ``learned_components``
is a plugin: ocp never imports it, it imports ocp.
"""
from __future__ import annotations

import ast
import functools
import tomllib
from pathlib import Path

from ocp.engine.plugins import PLUGIN_GROUP, SHIPPED_PLUGINS

ROOT = Path(__file__).resolve().parent.parent
FEATURES = ("ocp.estimation", "ocp.causal", "ocp.study", "ocp.osim", "learned_components")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@functools.cache
def modules() -> dict[str, Path]:
    """Every module of ocp and learned_components by dotted name."""
    return {module_name(p): p for package in ("ocp", "learned_components")
            for p in sorted((ROOT / package).rglob("*.py"))}


@functools.cache
def imports(path: Path, module_level_only: bool) -> set[str]:
    """The dotted names ``path`` imports (``from a.b import c`` gives a.b.c if that is a
    module, else a.b); with ``module_level_only``, those outside function bodies."""
    known = modules()
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            if is_type_checking_block(child):
                continue  # names for annotations only: never imported when the code runs
            inside = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                       ast.Lambda))
            if module_level_only and inside:
                continue
            if isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                for alias in child.names:
                    full = f"{child.module}.{alias.name}"
                    found.add(full if full in known else child.module)
            visit(child, inside)

    visit(tree, False)
    return found


def is_type_checking_block(node) -> bool:
    """``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``), read by type checkers only."""
    if not isinstance(node, ast.If):
        return False
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def is_under(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def core_files() -> list[Path]:
    return (sorted((ROOT / "ocp" / "engine").glob("*.py"))
            + [ROOT / "ocp" / name for name in ("problem.py", "solve.py", "solution.py")])


def cycles(module_level_only: bool) -> list[list[str]]:
    """One cycle per strongly connected component of the import graph (Tarjan)."""
    known = modules()
    graph = {m: sorted(n for n in imports(p, module_level_only) if n in known and n != m)
             for m, p in known.items()}
    index, low, stack, on_stack, components = {}, {}, [], set(), []

    def connect(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for v in graph:
        if v not in index:
            connect(v)
    return components


def test_the_core_imports_no_feature():
    offences = [f"{path.relative_to(ROOT)} imports {name}"
                for path in core_files() for name in sorted(imports(path, False))
                if any(is_under(name, feature) for feature in FEATURES)]
    assert not offences, "\n".join(offences)


def test_ocp_never_imports_learned_components():
    offences = [f"{path.relative_to(ROOT)} imports {name}"
                for name_, path in modules().items() if is_under(name_, "ocp")
                for name in sorted(imports(path, True)) if is_under(name, "learned_components")]
    assert not offences, "\n".join(offences)


def test_no_import_cycle_among_module_level_imports():
    assert cycles(module_level_only=True) == []


def test_no_import_cycle_counting_imports_inside_functions_too():
    assert cycles(module_level_only=False) == []


def test_shipped_plugins_are_the_ones_pyproject_registers():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["entry-points"][PLUGIN_GROUP] == SHIPPED_PLUGINS
