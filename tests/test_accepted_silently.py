"""Input that used to be accepted silently is refused at load time (issue #24).

The issue's class "Accepted silently": inputs that changed nothing, or
something wrong, while the solve reported success. Each case writes its files
into a temporary folder and runs the command line, which must exit with
status 2 and print exactly one ``error:`` line, with no traceback, naming the
file and the key (or the element) at fault; a solver that fails the test if
it is called stands guard, so every refusal happens before the solve.
"""
from __future__ import annotations

import pytest
from bad_input import edited, refused_in_one_line, set_on, solve_args
from conftest import PROBLEMS

from ocp.cli import main

PENDULUM = PROBLEMS / "pendulum_swingup.toml"
DAMPED = PROBLEMS / "damped_pendulum_swingup.toml"
MODEL_FILE = (PROBLEMS / "models" / "damped_pendulum.py").read_text()


def damped(model_old=None, model_new=None, problem_old=None, problem_new=None):
    """The damped pendulum's problem on a copy of its model file, either edited."""
    def build(tmp_path):
        source = MODEL_FILE
        if model_old is not None:
            assert model_old in source
            source = source.replace(model_old, model_new, 1)
        (tmp_path / "damped.py").write_text(source)
        path = edited(tmp_path, DAMPED, '"models/damped_pendulum.py"', '"damped.py"')
        if problem_old is not None:
            text = path.read_text()
            assert problem_old in text
            path.write_text(text.replace(problem_old, problem_new, 1))
        return solve_args(path)
    return build


IDENTIFY = PROBLEMS / "arm_identify_parameters.toml"


def csv_in_ms(tmp_path, header="time"):
    """arm_identify_parameters on its data with the time column in ms, headed ``header``."""
    lines = (PROBLEMS / "data" / "arm_identify.csv").read_text().splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("time"))
    out = lines[:start] + [header + lines[start][len("time"):]]
    for line in lines[start + 1:]:
        fields = line.split(",")
        if line.strip():
            fields[0] = repr(float(fields[0]) * 1000)
        out.append(",".join(fields))
    (tmp_path / "in_ms.csv").write_text("\n".join(out) + "\n")
    text = IDENTIFY.read_text().replace('"data/arm_identify.csv"', '"in_ms.csv"')
    (tmp_path / "problem.toml").write_text(text.replace('"data/', f'"{PROBLEMS}/data/'))
    return tmp_path / "problem.toml"


def osim(**parts):
    """``ocp models`` on the pendulum .osim of the reader tests with ``parts`` added."""
    def build(tmp_path):
        from osim_pendulum import pendulum_osim
        path = tmp_path / "bar.osim"
        path.write_text(pendulum_osim(body_extra=parts.get("body_extra", ""))
                        .replace("<mass>2</mass>", parts.get("mass", "<mass>2</mass>"))
                        .replace("<range>-3 3</range>", parts.get("range", "<range>-3 3</range>")))
        return ["models", str(path)]
    return build


# -- the table: (id, builder, words the one line must hold) ----------------------------
CASES = [
    ("model-parameter-misspelled",
     damped(problem_old="damping_Nms_per_rad", problem_new="dampingg_Nms_per_rad"),
     ["problem.toml", "model.parameters.dampingg_Nms_per_rad", "damped.py",
      "did you mean 'damping_Nms_per_rad'"]),
    ("default-bounds-unknown-control",
     damped('bounds={"torque": (-20.0, 20.0)}', 'bounds={"torqe": (-20.0, 20.0)}'),
     ["problem.toml", "model.file", "damped.py", "'torqe'", "did you mean 'torque'"]),
    ("default-bounds-reversed",
     damped('bounds={"torque": (-20.0, 20.0)}', 'bounds={"torque": (20.0, -20.0)}'),
     ["problem.toml", "model.file", "damped.py", "'torque'", "lower 20.0 is above upper -20.0"]),
    ("csv-time-in-milliseconds", lambda t: solve_args(csv_in_ms(t)),
     ["problem.toml", "reference", "in_ms.csv", "'time [ms]'", "no unit"]),
    ("osim-negative-body-mass", osim(mass="<mass>-2</mass>"),
     ["bar.osim", "Body 'rod'", "line 5", "<mass>", "at least 0"]),
    ("osim-reversed-range", osim(range="<range>3 -3</range>"),
     ["bar.osim", "Coordinate 'angle'", "line 14", "<range>", "lower <= upper"]),
    ("osim-unknown-element-in-body",
     osim(body_extra="\n        <inertial_properties>1 2</inertial_properties>"),
     ["bar.osim", "Body 'rod'", "line 8", "<inertial_properties>"]),
    ("solver-tolerance-inf", set_on(PENDULUM, "solver.tolerance=inf"),
     [PENDULUM.name, "solver.tolerance", "inf", "finite positive"]),
    ("solver-constraint-tolerance-inf", set_on(PENDULUM, "solver.constraint_tolerance=inf"),
     [PENDULUM.name, "solver.constraint_tolerance", "inf", "finite positive"]),
    ("solver-tolerance-zero", set_on(PENDULUM, "solver.tolerance=0"),
     [PENDULUM.name, "solver.tolerance", "finite positive"]),
]


@pytest.mark.parametrize("builder, words", [(b, w) for _, b, w in CASES],
                         ids=[c[0] for c in CASES])
def test_input_once_accepted_silently_is_refused_in_one_line(builder, words, tmp_path,
                                                              capsys, no_solve):
    refused_in_one_line(builder(tmp_path), words, capsys)


def test_a_parameter_the_model_file_reads_is_accepted(tmp_path):
    """The shipped damped pendulum's damping is read by its dynamics: no refusal."""
    from ocp.io.problem_file import load_problem
    problem = load_problem(DAMPED)
    assert problem.model.parameters()["damping_Nms_per_rad"] == 0.2


@pytest.mark.parametrize("header", ["time_ms", "time [ms]", "time (ms)"])
def test_a_time_column_headed_in_ms_is_converted(header, tmp_path):
    """The same data whose time header names ms load, in seconds, over 0 to 0.6 s."""
    from ocp.data.csv_table import read_csv
    from ocp.io.problem_file import load_problem
    path = csv_in_ms(tmp_path, header)
    table = read_csv(tmp_path / "in_ms.csv")
    assert table.time_s[0] == 0.0 and table.time_s[-1] == pytest.approx(0.6, abs=1e-9)
    load_problem(path)


def test_an_unnamed_drawing_in_a_body_is_listed_as_ignored(tmp_path, capsys):
    """A display-only element in a <Body> changes nothing and is said to."""
    argv = osim(body_extra="\n        <Brick><half_lengths>1 1 1</half_lengths></Brick>")(tmp_path)
    assert main(argv) == 0
    assert "Brick (line 8)" in capsys.readouterr().out
