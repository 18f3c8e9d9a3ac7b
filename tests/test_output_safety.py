"""What ``ocp solve`` writes, where, and what its exit code says.

--out never mixes two problems' results nor leaves an earlier solve's plots
beside a new summary; a path that cannot hold results is refused before the
solve; IPOPT's Solved_To_Acceptable_Level is a converged solve with a note;
the advice after the iteration limit names the key that sets it.
"""
import json
import os
import sys
from pathlib import Path

import pytest
from conftest import PROBLEMS, SMALL_PENDULUM

from ocp.cli import main
from ocp.io.problem_file import load_problem
from ocp.solve import solve

PENDULUM = 'title = "{title}"' + SMALL_PENDULUM

#: IPOPT stops at the first iterate within acceptable_tol, since tol cannot be met
ACCEPTABLE = ["--set", "solver.tolerance=1e-20", "--set", "solver.ipopt.acceptable_iter=1",
              "--set", "solver.ipopt.acceptable_tol=1e-4"]


def problem_file(folder: Path, title="pendulum up", name="task.toml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(PENDULUM.format(title=title))
    return path


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def forbid_solves(monkeypatch):
    """Any solve from here on fails the test: what is refused is refused before it."""
    def solve_nothing(*args, **kwargs):
        raise AssertionError("the solve started")
    monkeypatch.setattr(sys.modules["ocp.solve"], "solve", solve_nothing)


@pytest.fixture
def no_solve(monkeypatch):
    forbid_solves(monkeypatch)


# -- another problem's results ---------------------------------------------------------
def test_out_holding_another_problems_results_is_refused_and_kept(tmp_path, capsys,
                                                                  monkeypatch):
    out = tmp_path / "out"
    assert main(["solve", str(problem_file(tmp_path, "pendulum up")), "--out", str(out),
                 "--quiet", "--plot"]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    capsys.readouterr()
    forbid_solves(monkeypatch)
    other = problem_file(tmp_path, "pendulum half way", "other.toml")
    assert main(["solve", str(other), "--out", str(out), "--quiet"]) == 2
    err = one_line_error(capsys)
    assert str(out) in err and "pendulum up" in err and "--force" in err
    assert str(tmp_path / "task.toml") in err, "the other problem's file is named"
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before, "nothing touched"


def test_same_file_name_in_another_folder_is_another_problem(tmp_path, capsys, no_solve):
    # both are called "task": the summary's problem file tells them apart
    out = tmp_path / "out"
    first, second = tmp_path / "a" / "task.toml", tmp_path / "b" / "task.toml"
    for path in (first, second):
        path.parent.mkdir()
        path.write_text(PENDULUM.replace('title = "{title}"', ""))
    summary = {"status": "success", "problem": "task", "problem_file": str(first.resolve())}
    out.mkdir()
    (out / "summary.json").write_text(json.dumps(summary))
    assert main(["solve", str(second), "--out", str(out), "--quiet"]) == 2
    assert str(first.resolve()) in one_line_error(capsys)


def test_unreadable_summary_is_refused_without_force(tmp_path, capsys, no_solve):
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text("{ not json")
    assert main(["solve", str(problem_file(tmp_path)), "--out", str(out), "--quiet"]) == 2
    err = one_line_error(capsys)
    assert "names no problem" in err and "--force" in err


def test_force_replaces_another_problems_results_leaving_nothing_stale(tmp_path):
    out = tmp_path / "out"
    assert main(["solve", str(problem_file(tmp_path, "pendulum up")), "--out", str(out),
                 "--quiet", "--plot"]) == 0
    assert (out / "states.png").exists() and (out / "costs.png").exists()
    (out / "notes.txt").write_text("mine")  # not a file ocp writes: kept
    (out / "solution.csv").write_text("t\n0\n")  # an export of the old solution: stale
    other = problem_file(tmp_path, "pendulum again", "other.toml")
    assert main(["solve", str(other), "--out", str(out), "--quiet", "--force"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["problem"] == "pendulum again"
    assert summary["problem_file"] == str(other.resolve())
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt", "solution.npz",
                                                      "summary.json"]


def test_same_problem_solved_again_leaves_no_old_plots(tmp_path):
    out = tmp_path / "out"
    path = problem_file(tmp_path)
    assert main(["solve", str(path), "--out", str(out), "--quiet", "--plot"]) == 0
    assert main(["solve", str(path), "--out", str(out), "--quiet",
                 "--set", "costs.effort.weight=2"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["solution.npz", "summary.json"]


def test_clearing_removes_what_ocp_wrote_and_nothing_else(tmp_path):
    from ocp.io.results_folder import RESULT_FILES, clear_results

    for name in RESULT_FILES + ("notes.txt", ".summary.json.x1.tmp"):
        (tmp_path / name).write_text("old")
    for sub in ("open_loop", "reoptimised"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "summary.json").write_text("old")
        (tmp_path / sub / "solution.npz").write_text("old")
    (tmp_path / "reoptimised" / "mine.txt").write_text("kept")
    clear_results(tmp_path, keep=("summary.json",))
    left = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    assert left == ["notes.txt", "reoptimised", str(Path("reoptimised", "mine.txt")),
                    "summary.json"]


def test_warm_start_from_the_out_folder_itself(tmp_path):
    out = tmp_path / "out"
    path = problem_file(tmp_path)
    assert main(["solve", str(path), "--out", str(out), "--quiet"]) == 0
    first = json.loads((out / "summary.json").read_text())
    assert main(["solve", str(path), "--out", str(out), "--quiet", "--guess", str(out)]) == 0
    again = json.loads((out / "summary.json").read_text())
    assert again["objective"] == pytest.approx(first["objective"], rel=1e-7)
    assert again["iterations"] < first["iterations"]


# -- paths that cannot hold results: refused before the solve ---------------------------
def unwritable_folder(tmp_path) -> Path:
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    if os.access(folder, os.W_OK):  # as root, permissions do not stop a write
        if not Path("/proc/self").is_dir():
            pytest.skip("no folder that refuses a file here")
        return Path("/proc/self")  # Linux: no file can be created in it
    return folder


@pytest.mark.parametrize("case, expected", [
    ("a file", "is a file, not a folder"),
    ("below a file", "cannot create the folder"),
    ("unwritable", "cannot write a file there"),
])
def test_path_that_cannot_hold_results_is_refused_before_the_solve(tmp_path, capsys,
                                                                   no_solve, case, expected):
    (tmp_path / "taken").write_text("a file")
    out = {"a file": tmp_path / "taken", "below a file": tmp_path / "taken" / "out",
           "unwritable": None}[case] or unwritable_folder(tmp_path)
    try:
        assert main(["solve", str(problem_file(tmp_path / "p")), "--out", str(out),
                     "--quiet"]) == 2
    finally:
        if (tmp_path / "read-only").exists():  # so that pytest can remove it
            (tmp_path / "read-only").chmod(0o700)
    err = one_line_error(capsys)
    assert f"--out '{out}'" in err and expected in err
    assert (tmp_path / "taken").read_text() == "a file"


def test_study_out_that_is_a_file_is_refused_before_any_run(tmp_path, capsys):
    study = tmp_path / "study.toml"
    study.write_text(f'problem = "{problem_file(tmp_path)}"\n'
                     '[sweep]\n"costs.effort.weight" = [1, 2]\n')
    taken = tmp_path / "taken"
    taken.write_text("a file")
    assert main(["study", str(study), "--out", str(taken), "--quiet"]) == 2
    err = one_line_error(capsys)
    assert f"--out '{taken}'" in err and "is a file" in err
    assert taken.read_text() == "a file"


# -- IPOPT's status --------------------------------------------------------------------
def test_solved_to_acceptable_level_is_converged_with_a_note(tmp_path, capsys):
    shipped = PROBLEMS / "pendulum_swingup.toml"
    out = tmp_path / "acceptable"
    assert main(["solve", str(shipped), "--out", str(out), "--quiet", *ACCEPTABLE]) == 0
    printed = capsys.readouterr()
    assert "success (Solved_To_Acceptable_Level)" in printed.out
    assert "error" not in printed.err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "success"
    assert summary["message"] == "Solved_To_Acceptable_Level"
    note, = [w for w in summary["warnings"] if "acceptable level" in w]
    assert "solver.ipopt.acceptable_tol = 0.0001" in note and "solver.tolerance = 1e-20" in note
    # the reference: the same problem solved to IPOPT's full tolerance (1e-8)
    tight = solve(load_problem(shipped))
    assert tight.message == "Solve_Succeeded"
    assert summary["objective"] == pytest.approx(tight.objective, rel=1e-5)


def test_acceptable_level_counts_as_success_in_python(tmp_path):
    path = problem_file(tmp_path)
    overrides = {"solver.tolerance": 1e-20, "solver.ipopt.acceptable_iter": 1,
                 "solver.ipopt.acceptable_tol": 1e-4}
    solution = solve(load_problem(path, overrides))
    assert solution.message == "Solved_To_Acceptable_Level"
    assert solution.success and solution.status == "success"


@pytest.mark.parametrize("setting, key, value", [
    ("solver.max_iterations=3", "solver.max_iterations", 3),
    ("solver.ipopt.max_iter=4", "solver.ipopt.max_iter", 4),
])
def test_advice_after_the_iteration_limit_names_its_key_and_value(tmp_path, capsys,
                                                                  setting, key, value):
    out = tmp_path / "out"
    assert main(["solve", str(problem_file(tmp_path)), "--out", str(out), "--quiet",
                 "--set", setting]) == 1
    printed = capsys.readouterr()
    assert "Maximum_Iterations_Exceeded" in printed.out
    err = printed.err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"{key} = {value}" in err and f"--set {key}=" in err
    assert json.loads((out / "summary.json").read_text())["iterations"] == value
