"""What the tables of bad input share: files edited into tmp_path, the ``ocp solve``
arguments, a solver that fails the test if reached, and the one-line check.

Used by tests/test_bad_input_sweep.py, test_accepted_silently.py and
test_unclear_messages.py: each bad input ends as exit 2, one ``error:`` line on
stderr that holds every expected word, and no traceback.
"""
from __future__ import annotations

import importlib
import re

import pytest

from ocp.cli import main


def edited(tmp_path, source, old, new, name="problem.toml"):
    """``source`` with its first ``old`` replaced by ``new``, written as tmp_path/name."""
    text = source.read_text()
    assert old in text, f"{old!r} is not in {source.name}"
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1))
    return path


def loads_with_body(tmp_path, xml, old, new):
    """The ExternalLoads file ``xml`` with body ``old`` renamed ``new`` and its data file
    made absolute, written as tmp_path/bad.xml."""
    text = xml.read_text()
    bad = re.sub(rf"(<applied_to_body>\s*){re.escape(old)}\b", rf"\g<1>{new}", text)
    assert bad != text, f"no force of {xml.name} is applied to {old!r}"
    bad = re.sub(r"(<datafile>\s*)(\S+?)(\s*</datafile>)",
                 lambda m: f"{m.group(1)}{xml.parent / m.group(2)}{m.group(3)}", bad)
    path = tmp_path / "bad.xml"
    path.write_text(bad)
    return path


def solve_args(path, *extra):
    return ["solve", str(path), "--quiet", "--out", str(path.parent / "out"), *extra]


def set_on(source, assignment):
    return lambda tmp_path: solve_args(source, "--set", assignment)


@pytest.fixture
def no_solve(monkeypatch):
    """A solver that fails the test if anything reaches it."""
    def solve(*args, **kwargs):
        pytest.fail("the bad input reached the solver")
    # the module (ocp.solve is also the name of the function ocp exports)
    monkeypatch.setattr(importlib.import_module("ocp.solve"), "solve", solve)


def refused_in_one_line(argv, words, capsys) -> None:
    """``ocp argv`` exits 2 with one ``error:`` line holding every word, no traceback."""
    capsys.readouterr()
    code = main(argv)
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code == 2, captured.err
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    assert "Traceback" not in captured.err + captured.out
    for word in words:
        assert word in lines[0], f"{word!r} not in: {lines[0]}"
