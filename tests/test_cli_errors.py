"""The command line calls only input errors bad input; a bug shows its traceback."""
from __future__ import annotations

import pytest

from ocp import cli
from ocp.engine.parameters import ModelParameter, check_parameters
from ocp.errors import ProblemError
from ocp.estimation import UnknownParameter
from ocp.models.library import build_model


def test_a_missing_file_is_bad_input(tmp_path, capsys):
    assert cli.main(["data", str(tmp_path / "missing.csv")]) == cli.EXIT_BAD_INPUT
    assert "missing.csv" in capsys.readouterr().err


def test_a_plain_value_error_is_a_bug_and_propagates(monkeypatch, tmp_path):
    def broken(args):
        raise ValueError("an internal inconsistency")

    monkeypatch.setattr(cli, "_cmd_data", broken)
    with pytest.raises(ValueError, match="internal inconsistency"):
        cli.main(["data", str(tmp_path / "any.csv")])


def test_an_os_error_without_a_path_is_a_bug(monkeypatch, tmp_path):
    def broken(args):
        raise PermissionError("not about a file the user named")

    monkeypatch.setattr(cli, "_cmd_data", broken)
    with pytest.raises(PermissionError):
        cli.main(["data", str(tmp_path / "any.csv")])


def test_estimated_numbers_are_engine_parameters():
    model = build_model("two_link_arm")
    mass = UnknownParameter("segment.forearm.mass", 0.5, 5.0)
    assert isinstance(mass, ModelParameter)
    check_parameters(model, [mass])
    with pytest.raises(ProblemError, match="estimated twice") as error:
        check_parameters(model, [mass, mass])
    assert error.value.key == "parameters.segment.forearm.mass"
