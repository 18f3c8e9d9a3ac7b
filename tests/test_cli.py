"""The ocp command: files written, reports printed, bad input explained."""
import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import PROBLEMS, SMALL_PENDULUM

from ocp.cli import main

GOOD = SMALL_PENDULUM


def write(tmp_path, text, name="task.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_solve_writes_summary_and_plain_arrays(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["solve", str(PROBLEMS / "pendulum_swingup.toml"), "--out", str(out),
                 "--quiet"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    for key in ("status", "objective", "cost_terms", "final_time", "iterations",
                "solve_time_s", "max_dynamics_error"):
        assert key in summary
    assert summary["status"] == "success"
    assert summary["cost_terms"]["effort"] == pytest.approx(summary["objective"])
    with np.load(out / "solution.npz", allow_pickle=False) as data:
        assert data["states"].shape == (data["time"].size, 2)
        assert list(data["state_names"]) == ["pendulum", "pendulum_speed"]
        assert list(data["control_names"]) == ["tau_pendulum"]
    printed = capsys.readouterr().out
    assert "success" in printed and "effort" in printed and "iterations" in printed
    assert not list(out.glob(".*.tmp")), "temporary files left behind"


def test_plot_draws_states_controls_and_costs(tmp_path):
    out = tmp_path / "out"
    assert main(["solve", str(PROBLEMS / "arm_reach_torque.toml"), "--out", str(out),
                 "--quiet", "--set", "transcription.intervals=10"]) == 0
    assert main(["plot", str(out)]) == 0
    for name in ("states.png", "controls.png", "costs.png"):
        assert (out / name).stat().st_size > 10_000


def test_set_overrides_a_key_of_the_problem_file(tmp_path):
    out = tmp_path / "out"
    main(["solve", str(write(tmp_path, GOOD)), "--out", str(out), "--quiet",
          "--set", "costs.effort.weight=2.5"])
    heavy = json.loads((out / "summary.json").read_text())["objective"]
    main(["solve", str(write(tmp_path, GOOD)), "--out", str(out), "--quiet"])
    plain = json.loads((out / "summary.json").read_text())["objective"]
    assert heavy == pytest.approx(2.5 * plain, rel=1e-6)


def test_infeasible_solve_exits_nonzero_and_keeps_the_last_iterate(tmp_path, capsys):
    # 1 N m cannot lift 1 kg on a 1 m rod to upright in 1 s
    path = write(tmp_path, GOOD.replace("[-8, 8]", "[-1, 1]").replace("final = 2.0",
                                                                     "final = 1.0"))
    out = tmp_path / "out"
    assert main(["solve", str(path), "--out", str(out), "--quiet"]) == 1
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] != "success"
    assert (out / "solution.npz").exists()
    assert "did not converge" in capsys.readouterr().err


BAD_INPUTS = [
    ("malformed", GOOD + "\n[costs\n", ["not valid TOML"]),
    ("unknown key", GOOD.replace('type = "squared_controls"',
                                 'type = "squared_controls"\nwieght = 2'),
     ["costs.effort.wieght", "did you mean 'weight'"]),
    ("unknown section", GOOD + "\n[solverr]\ntolerance = 1e-6\n",
     ["solverr", "did you mean 'solver'"]),
    ("unknown state", GOOD.replace("pendulum_speed = 0\n[final]", "pendulum_sped = 0\n[final]"),
     ["initial.pendulum_sped", "did you mean 'pendulum_speed'"]),
    ("wrong type", GOOD.replace("intervals = 20", 'intervals = "many"'),
     ["transcription.intervals", "expected an integer"]),
    ("wrong unit", GOOD.replace('"180 deg"', '"180 kg"'),
     ["final.pendulum", "unit 'kg'", "deg"]),
    ("missing model file", GOOD.replace('name = "pendulum"', 'file = "nowhere.py"'),
     ["model.file", "nowhere.py", "does not exist"]),
    ("unknown model", GOOD.replace('name = "pendulum"', 'name = "pendulm"'),
     ["model.name", "did you mean 'pendulum'"]),
    ("contradicting bounds", GOOD.replace("[-8, 8]", "[8, -8]"),
     ["bounds.tau_pendulum", "above upper bound"]),
    ("condition outside bounds", GOOD.replace("tau_pendulum = [-8, 8]",
                                              "tau_pendulum = [-8, 8]\npendulum = [-1, 1]"),
     ["final.pendulum", "outside the bounds"]),
    ("unknown method", GOOD.replace("intervals = 20", 'method = "hermite_simpson"'),
     ["transcription.method", "did you mean 'hermite-simpson'"]),
    ("free time reversed", GOOD.replace("final = 2.0", "final = [3.0, 1.0]"),
     ["time.final", "above upper bound"]),
    ("no costs", GOOD.split("[costs.effort]")[0], ["costs", "required"]),
]


@pytest.mark.parametrize("text, expected", [b[1:] for b in BAD_INPUTS],
                         ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_names_file_and_key(tmp_path, capsys, text, expected):
    path = write(tmp_path, text)
    assert main(["solve", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert str(path) in err
    for fragment in expected:
        assert fragment in err
    assert not (tmp_path / "out").exists(), "nothing is solved or written for bad input"


def test_missing_problem_file_is_one_line_without_traceback(tmp_path):
    result = subprocess.run([sys.executable, "-m", "ocp", "solve", str(tmp_path / "none.toml")],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "none.toml" in result.stderr and "does not exist" in result.stderr


def test_models_lists_states_and_controls(capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "acrobot" in out and "tau_hip [N*m]" in out and "bar_speed [rad/s]" in out


def test_a_linear_solver_that_is_not_installed_is_refused_before_the_solve(tmp_path, capsys):
    """HSL's ma57 is a valid choice that this CasADi build lacks: refused at load
    time on its key, exit 2, nothing solved (issue #24: it used to be exit 1,
    "IPOPT did not converge")."""
    out = tmp_path / "out"
    code = main(["solve", str(write(tmp_path, GOOD)), "--out", str(out), "--quiet",
                 "--set", 'solver.linear_solver="ma57"'])
    err = capsys.readouterr().err
    assert code == 2 and "solver.linear_solver" in err and "ma57" in err
    assert not out.exists()


def test_speed_and_duration_that_contradict_the_bounds_are_refused(tmp_path, capsys):
    text = (PROBLEMS / "gait2d_torque.toml").read_text().replace(
        'value = "1.2 m/s"', 'value = "6 m/s"')
    assert main(["solve", str(write(tmp_path, text)), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "average_speed.value" in err and "pelvis_tx" in err and "must travel" in err


def test_feet_that_cannot_reach_the_ground_are_refused(tmp_path, capsys):
    text = (PROBLEMS / "gait2d_torque.toml").read_text().replace(
        "pelvis_ty = [0.75, 1.1]", "pelvis_ty = [1.2, 1.5]")
    assert main(["solve", str(write(tmp_path, text)), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "feet cannot reach the ground" in err and "bounds" in err
