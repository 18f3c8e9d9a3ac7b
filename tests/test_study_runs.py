"""Studies that solve: the shipped example against a closed form, failures
recorded while the others finish, warm starts, resuming and reports.

The reference for the reach study: the two-link arm moves in the horizontal
plane (no gravity), so along a given path in normalised time s = t / t_f the
joint torques scale as 1 / t_f^2 (M(q) q'' and the velocity-product terms
both do) and the effort integral as C / t_f^3, exactly, also after
Hermite-Simpson transcription (its defects are linear in the state
derivative). With J = w_e C / t_f^3 + w_t t_f the optimum is
t_f* = (3 w_e C / w_t)^(1/4) with weighted effort = weighted time / 3, and C
comes from a second, independent solve: the fixed-time reach of
arm_reach_torque.toml (0.6 s), C = effort(0.6 s) * 0.6^3.
"""
import json
import shlex
import sqlite3

import numpy as np
import pytest
from conftest import PROBLEMS
from test_study import write_study

from ocp import load_problem, solve
from ocp.cli import main
from ocp.study import load_study, read_runs, run_study
from ocp.study.store import STORE_FILE

EXAMPLE = PROBLEMS / "studies" / "reach_weights.toml"


def effort_constant(intervals: int) -> float:
    """C of effort = C / t_f^3, from the fixed-time reach (a separate problem file)."""
    fixed = solve(load_problem(PROBLEMS / "arm_reach_torque.toml",
                               {"transcription.intervals": intervals}))
    assert fixed.success
    return fixed.cost_terms["effort"] * 0.6 ** 3


def check_closed_form_trade_off(runs: list[dict], C: float) -> None:
    """Every run at t_f* = (3 w_e C / w_t)^(1/4), weighted effort = time / 3,
    and the trade-off visible: more weight on time, faster and more effort."""
    for run in runs:
        w_e, w_t = run["sweep"]["costs.effort.weight"], run["sweep"]["costs.time.weight"]
        t_f = (3 * w_e * C / w_t) ** 0.25
        assert 0.2 < t_f < 2.0, "every optimum lies inside the time bounds"
        assert run["final_time_s"] == pytest.approx(t_f, rel=1e-5)
        effort, time = run["cost_terms"]["effort"], run["cost_terms"]["time"]
        assert effort["value"] == pytest.approx(time["value"] / 3, rel=1e-5)
        assert effort["unweighted"] == pytest.approx(C / t_f ** 3, rel=1e-5)
    for w_e in {r["sweep"]["costs.effort.weight"] for r in runs}:
        row = sorted((r for r in runs if r["sweep"]["costs.effort.weight"] == w_e),
                     key=lambda r: r["sweep"]["costs.time.weight"])
        assert np.all(np.diff([r["final_time_s"] for r in row]) < 0)
        assert np.all(np.diff([r["cost_terms"]["effort"]["unweighted"] for r in row]) > 0)


def test_weight_sweep_follows_the_closed_form_trade_off(tmp_path):
    # the sweep of the shipped example on a coarse mesh
    sweep = EXAMPLE.read_text().split("[sweep]")[1]
    study = load_study(write_study(tmp_path, sweep))
    assert len(study.runs) == 16
    result = run_study(study, tmp_path / "out", progress=False)
    assert (result.success, result.failed) == (16, 0)
    check_closed_form_trade_off(read_runs(tmp_path / "out")[1], effort_constant(15))


def test_shipped_example_is_valid_and_lists_its_runs(capsys):
    assert main(["study", str(EXAMPLE), "--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert printed.count("ocp solve") == 16 and "arm_reach_torque_free_time.toml" in printed


@pytest.mark.slow
def test_shipped_example_converges_on_the_closed_form_trade_off(tmp_path):
    study = load_study(EXAMPLE)
    result = run_study(study, tmp_path / "out", workers=2, progress=False)
    assert (result.success, result.failed) == (16, 0)
    intervals = load_problem(study.problem_path).transcription.intervals
    check_closed_form_trade_off(read_runs(tmp_path / "out")[1], effort_constant(intervals))


def test_failing_runs_are_recorded_and_the_others_finish(tmp_path, capsys, monkeypatch):
    # run 1: 0.5 N m at the shoulder cannot reach the target in 0.3 s (infeasible);
    # run 2: an IPOPT option of the wrong type makes the solver raise (the problem
    # file's own check of IPOPT options, which refuses it at load time, is switched
    # off here to stand for a solver that raises during the solve)
    import ocp.io.problem_file.solver as solver_section
    monkeypatch.setattr(solver_section, "check_ipopt_options", lambda options: None)
    path = write_study(
        tmp_path, '"bounds.tau_shoulder" = [[-50, 50], [-0.5, 0.5], [-50, 50], [-40, 40]]\n'
                  '"solver.ipopt.max_iter" = [3000, 3000, "many", 3000]',
        fixed='"transcription.intervals" = 15\n"time.final" = "0.3 s"', mode="zip",
        problem=PROBLEMS / "arm_reach_torque.toml")
    out = tmp_path / "out"
    assert main(["study", str(path), "--out", str(out), "--quiet"]) == 1
    printed = capsys.readouterr().out
    assert "2 succeeded, 2 failed" in printed
    _, runs = read_runs(out)
    assert [r["status"] for r in runs] == ["success", "failed", "failed", "success"]
    infeasible, raised = runs[1], runs[2]
    assert infeasible["ipopt_status"] == "Infeasible_Problem_Detected"
    assert "did not converge" in infeasible["message"]
    assert (out / infeasible["solution_path"] / "solution.npz").exists(), "last iterate kept"
    assert raised["ipopt_status"] is None and raised["solution_path"] is None
    assert raised["message"].startswith("RuntimeError") and "type mismatch" in raised["message"]
    assert "--set 'solver.ipopt.max_iter=\"many\"'" in raised["command"]
    for run in runs:
        assert run["attempts"] == 1 and run["finished_at"]
    assert main(["report", str(out)]) == 0
    markdown = (out / "report" / "runs.md").read_text()
    assert "failed (Infeasible_Problem_Detected)" in markdown and "failed (error)" in markdown
    assert "## Failed runs" in markdown and "type mismatch" in markdown
    # the failed runs stay failed on --resume, and run again with --retry-failed
    assert main(["study", str(path), "--out", str(out), "--resume", "--quiet"]) == 1
    assert [r["attempts"] for r in read_runs(out)[1]] == [1, 1, 1, 1]
    assert main(["study", str(path), "--out", str(out), "--resume", "--retry-failed",
                 "--quiet"]) == 1
    assert [r["attempts"] for r in read_runs(out)[1]] == [1, 2, 2, 1]


def test_warm_started_runs_reach_the_cold_optimum_in_fewer_iterations(tmp_path):
    study = load_study(write_study(tmp_path, '"costs.time.weight" = {logspace = [0.5, 8, 5]}'))
    warm = run_study(study, tmp_path / "warm", progress=False)
    cold = run_study(study, tmp_path / "cold", progress=False, warm_start=False)
    assert warm.success == cold.success == 5
    (_, w), (_, c) = read_runs(tmp_path / "warm"), read_runs(tmp_path / "cold")
    for a, b in zip(w, c):
        assert a["objective"] == pytest.approx(b["objective"], rel=1e-7)
    assert sum(r["warm_start_from"] is not None for r in w) == 4
    assert all(r["warm_start_from"] is None for r in c)
    assert warm.iterations < cold.iterations


def test_stored_command_reproduces_a_run_alone(tmp_path, monkeypatch):
    path = write_study(tmp_path, '"costs.time.weight" = [0.5, 4]\n"costs.effort.weight" = [2]')
    out = tmp_path / "out"
    assert main(["study", str(path), "--out", str(out), "--quiet"]) == 0
    _, runs = read_runs(out)
    monkeypatch.chdir(tmp_path)  # the command must not depend on the working directory
    argv = shlex.split(runs[1]["command"])
    assert argv[:2] == ["ocp", "solve"]
    assert main(argv[1:] + ["--out", str(tmp_path / "alone"), "--quiet"]) == 0
    alone = json.loads((tmp_path / "alone" / "summary.json").read_text())
    assert alone["objective"] == pytest.approx(runs[1]["objective"], rel=1e-7)
    saved = json.loads((out / runs[1]["solution_path"] / "summary.json").read_text())
    assert saved["study"]["overrides"] == runs[1]["overrides"]


def test_resume_of_a_finished_study_solves_nothing_and_touches_nothing(tmp_path):
    study = load_study(write_study(tmp_path, '"costs.time.weight" = [1, 2, 4]'))
    out = tmp_path / "out"
    run_study(study, out, progress=False)
    stamps = {p: p.stat().st_mtime_ns for p in out.glob("runs/*/*")}
    again = run_study(study, out, resume=True, progress=False)
    assert again.solved == 0 and again.success == 3
    assert {p: p.stat().st_mtime_ns for p in out.glob("runs/*/*")} == stamps
    conn = sqlite3.connect(out / STORE_FILE)
    assert conn.execute("SELECT attempts FROM runs").fetchall() == [(1,), (1,), (1,)]


def test_report_tables_add_up_and_plots_are_drawn(tmp_path, capsys):
    path = write_study(tmp_path, '"costs.time.weight" = [0.5, 2]\n'
                                 '"costs.effort.weight" = {logspace = [0.5, 2, 3]}')
    out = tmp_path / "out"
    assert main(["study", str(path), "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["report", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.count("| success |") == 6
    report = out / "report"
    import csv
    with open(report / "runs.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 6
    for row in rows:
        weighted = float(row["cost.effort"]) + float(row["cost.time"])
        assert weighted == pytest.approx(float(row["objective"]), rel=1e-9)
        assert float(row["unweighted.effort"]) == pytest.approx(
            float(row["cost.effort"]) / float(row["costs.effort.weight"]), rel=1e-12)
        assert float(row["unweighted.time"]) == pytest.approx(float(row["final_time_s"]),
                                                              rel=1e-9)
    markdown = (report / "runs.md").read_text()
    assert "effort [(N*m)^2*s]" in markdown and "time [s]" in markdown
    for name in ("costs_vs_costs.time.weight.png", "costs_vs_costs.effort.weight.png",
                 "pareto_effort_time.png", "trajectories_costs.time.weight.png"):
        assert (report / name).stat().st_size > 20_000
    assert main(["report", str(out), "--pareto", "time", "efort"]) == 2
    assert "did you mean 'effort'" in capsys.readouterr().err


def test_report_of_a_folder_without_a_study_is_one_line(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path) in err and "study.sqlite" in err and err.count("\n") == 1


CRASH = '''
import os


def smooth(v):
    return v.control("tau_elbow") ** 2


def die(v):
    os._exit(7)  # as a segfault in native code would: no exception, no clean-up
'''


def test_a_run_that_kills_its_worker_fails_alone_and_the_others_finish(tmp_path):
    (tmp_path / "crash.py").write_text(CRASH)
    problem = tmp_path / "problem.toml"
    problem.write_text((PROBLEMS / "arm_reach_torque_free_time.toml").read_text() + (
        '\n[costs.extra]\ntype = "custom"\nfile = "crash.py"\nintegrand = "smooth"\n'
        'weight = 0.01\n'))
    study = load_study(write_study(tmp_path, '"costs.extra.integrand" = ["smooth", "die"]\n'
                                             '"costs.time.weight" = [1, 2]', problem=problem))
    result = run_study(study, tmp_path / "out", workers=2, progress=False)
    _, runs = read_runs(tmp_path / "out")
    for run in runs:
        if run["sweep"]["costs.extra.integrand"] == "die":
            assert run["status"] == "failed"
            assert "worker process died while solving this run alone, 2 times" in run["message"]
        else:
            assert run["status"] == "success", run["message"]
    assert (result.success, result.failed) == (2, 2)


def test_resume_gives_up_on_a_run_that_stopped_the_study_each_time(tmp_path):
    from ocp.study.store import Store
    study = load_study(write_study(tmp_path, '"costs.time.weight" = [1, 2]'))
    out = tmp_path / "out"
    store = Store.open(out, study, resume=False)
    for _ in range(3):  # three starts, each ended by the study process dying
        store.mark_running(1, None)
    store.close()
    result = run_study(study, out, resume=True, progress=False)
    assert (result.success, result.failed) == (1, 1)
    _, runs = read_runs(out)
    assert runs[1]["status"] == "failed" and "in each of its 3 attempts" in runs[1]["message"]
    result = run_study(study, out, resume=True, retry_failed=True, progress=False)
    assert result.success == 2
