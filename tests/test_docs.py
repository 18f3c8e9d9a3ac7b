"""The documentation says what the code is: generated tables current, the site builds.

The cost, transcription, model and study-backend tables of docs/ are made
from the registries (docs/generate.py); a page whose table no longer matches
its registry, or a README whose test command is not the one .ci/run runs,
fails here. The MkDocs site builds with --strict (broken links are errors)
where mkdocs is installed (the test extra installs it).
"""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*args, **kwargs):
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, env=env, **kwargs)


def test_generated_tables_match_the_registries_and_ci_runs_the_readme_test_command():
    result = run(sys.executable, "docs/generate.py", "--check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_cost_table_lists_every_registered_cost_type():
    import ocp
    page = (ROOT / "docs" / "costs.md").read_text()
    for name in ocp.COST_TYPES:
        assert f"`{name}`" in page, name


@pytest.mark.skipif(importlib.util.find_spec("mkdocs") is None, reason="mkdocs is not installed")
def test_the_documentation_site_builds_without_warnings(tmp_path):
    result = run(sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
                 str(tmp_path / "site"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "site" / "index.html").exists()
