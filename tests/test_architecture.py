"""The layout shows the architecture: checks that hold the code to issue #25.

Each check reads the source tree (ast), so that a regression names the file
and line that broke the rule.
"""
from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import ocp

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("ocp", "learned_components")
#: Longest module allowed (lines): a module that grows past it has more than one job.
MAX_MODULE_LINES = 500
#: Most modules allowed at the root of ocp/: the rest lives in subpackages by layer.
MAX_ROOT_MODULES = 8


def sources(*packages):
    for package in packages:
        yield from sorted((ROOT / package).rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_at_most_eight_modules_at_the_root_of_ocp():
    modules = sorted(p.name for p in (ROOT / "ocp").glob("*.py"))
    assert len(modules) <= MAX_ROOT_MODULES, modules


def test_no_module_over_500_lines():
    long = {str(p.relative_to(ROOT)): n for p in sources(*PACKAGES)
            if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES}
    assert not long, long


@pytest.mark.parametrize("folder", ["ocp", "learned_components", "tests", "benchmarks"])
def test_no_private_name_is_imported_from_another_module(folder):
    found = []
    for path in sources(folder):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno} "
                                     f"imports {alias.name} from {node.module}")
    assert not found, "\n".join(found)


def test_every_public_name_of_ocp_imports():
    assert sorted(set(ocp.__all__)) == sorted(ocp.__all__), "a name is listed twice"
    for name in ocp.__all__:
        assert getattr(ocp, name) is not None, name


def test_every_subpackage_of_ocp_imports_on_its_own():
    for path in sources("ocp"):
        if path.name == "__main__.py":
            continue
        importlib.import_module(module_name(path))
