"""One input layer: study files, .osim files, data files and model files fail with
typed errors that carry the file, the key or element, the line and the value as
attributes, all instances of ProblemError (the command line's "bad input").
Study backends describe themselves in one registry."""
import pytest
from osim_pendulum import pendulum_osim
from test_study import write_study

from ocp.data import DataError, read_csv
from ocp.errors import ProblemError
from ocp.io.tables import TableReader
from ocp.models.custom import ModelFileError, load_model_file
from ocp.osim import OsimError, read_osim
from ocp.osim.elements import ElementReader, parse_xml
from ocp.study.backends import BACKENDS, InlineBackend, make_backend, read_backend
from ocp.study.spec import load_study


def test_a_misspelled_study_key_gets_the_closest_name_with_file_and_dotted_key(tmp_path):
    path = write_study(tmp_path, '"costs.time.weight" = [1, 2]')
    path.write_text(path.read_text() + '[backend]\nname = "pool"\nwokers = 2\n')
    with pytest.raises(ProblemError) as info:
        load_study(path, validate=False)
    error = info.value
    assert error.file == str(path) and error.key == "backend.wokers" and error.value == 2
    assert "did you mean 'workers'" in error.message
    assert str(path) in str(error) and "backend.wokers" in str(error)


def test_a_misspelled_range_names_the_swept_key(tmp_path):
    path = write_study(tmp_path, '"costs.time.weight" = {linspase = [1, 2, 3]}')
    with pytest.raises(ProblemError) as info:
        load_study(path, validate=False)
    assert info.value.key == "sweep.costs.time.weight" and info.value.file == str(path)
    assert "did you mean 'linspace'" in info.value.message


def test_an_unknown_backend_suggests_the_registered_names(tmp_path):
    path = write_study(tmp_path, '"costs.time.weight" = [1, 2]')
    path.write_text(path.read_text() + '[backend]\nname = "dusk"\n')
    with pytest.raises(ProblemError) as info:
        load_study(path, validate=False)
    assert info.value.key == "backend.name" and "did you mean 'dask'" in info.value.message


def test_a_bad_osim_element_carries_file_element_and_line(tmp_path):
    text = pendulum_osim(extra="").replace('<PinJoint name="pin">', '<BallJoint name="pin">') \
        .replace("</PinJoint>", "</BallJoint>")
    path = tmp_path / "ball.osim"
    path.write_text(text)
    with pytest.raises(OsimError) as info:
        read_osim(path)
    error = info.value
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "<BallJoint" in t)
    assert (error.file, error.element, error.line) == (str(path), "BallJoint 'pin'", line)
    assert error.key is None and "BallJoint" in error.message
    assert str(error) == f"{path}: BallJoint 'pin' (line {line}): {error.message}"


def test_the_element_reader_names_the_element_holding_a_bad_number(tmp_path):
    path = tmp_path / "bad.xml"
    path.write_text('<Model>\n  <Body name="rod">\n    <mass>heavy</mass>\n  </Body>\n</Model>\n')
    root, lines = parse_xml(path)
    reader = ElementReader(str(path), lines)
    with pytest.raises(OsimError) as info:
        reader.number(root.find("Body"), "mass")
    assert (info.value.element, info.value.line) == ("Body 'rod'", 2)
    assert "<mass> must hold numbers, got 'heavy'" in info.value.message


def test_input_errors_are_all_problem_errors(tmp_path):
    """The command line treats every one of them as bad input (exit status 2)."""
    (tmp_path / "empty.osim").write_text("<OpenSimDocument Version=\"40000\">")
    (tmp_path / "bad.csv").write_text("time,x\n0,1\n0,2\n")
    failures = {
        OsimError: lambda: read_osim(tmp_path / "empty.osim"),
        DataError: lambda: read_csv(tmp_path / "bad.csv"),
        ModelFileError: lambda: load_model_file(tmp_path / "nowhere.py", {}),
    }
    for kind, fail in failures.items():
        with pytest.raises(kind) as info:
            fail()
        assert isinstance(info.value, ProblemError)
        assert info.value.file is not None and str(tmp_path) in info.value.file


def test_table_reader_reads_lists_of_integers():
    reader = TableReader({"hidden": [16, 0], "sizes": [2, 3]}, "network", "spec.toml")
    assert reader.integers("sizes", minimum=1) == [2, 3]
    assert "sizes" in reader and "depth" not in reader
    with pytest.raises(ProblemError) as info:
        reader.integers("hidden", minimum=1, expected="positive layer widths")
    assert info.value.key == "network.hidden" and info.value.value == [16, 0]
    assert "expected positive layer widths, got [16, 0]" in info.value.message


def test_the_backend_table_lists_every_backend_with_its_options():
    table = BACKENDS.markdown_table()
    for name in ("inline", "pool", "dask"):
        assert f"| `{name}` |" in table
    assert "`scheduler`" in table and "`workers`" in table
    assert set(BACKENDS.names()) == {"inline", "pool", "dask"}


def test_the_command_line_and_the_study_file_choose_through_the_registry():
    assert isinstance(make_backend(), InlineBackend)
    assert isinstance(make_backend(workers=1), InlineBackend)
    chosen = read_backend(TableReader({"name": "inline"}, "backend", "study.toml"))
    assert isinstance(make_backend(chosen=chosen), InlineBackend)
    with pytest.raises(ProblemError, match="at least 1"):
        make_backend(workers=0)
    with pytest.raises(ProblemError) as info:
        read_backend(TableReader({"name": "dask"}, "backend", "study.toml"))
    assert info.value.key == "backend.scheduler"
