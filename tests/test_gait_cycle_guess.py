"""A data-informed guess from one measured gait cycle (``[guess] reference_gait_cycle``,
``reference_support``), as PredSim builds its guess from ``IK_Guess_Full_GC.mot``.

On the planar walker (problems/gait2d_torque.toml, a half cycle) with a synthetic
gait cycle file: the final time's guess is half the cycle (samples times the step),
the guess follows the file's first half, and the shifted pelvis makes the contact
spheres carry body weight on average over the mesh points (m g, from the model's
masses). The Falisse model's guess equals the one benchmarks/predsim_reference.py
builds (slow; PredSim's IK file from OCP_PREDSIM_GUESS).
"""
from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

import casadi as ca
import numpy as np
import pytest

from ocp.cli import main
from ocp.data.references import body_weight_N
from ocp.engine.guess import interpolated_guess
from ocp.errors import ProblemError
from ocp.io.problem_file import load_problem

ROOT = Path(__file__).resolve().parent.parent
WALKER = ROOT / "problems" / "gait2d_torque.toml"
PREDSIM = ROOT / "problems" / "predsim_falisse2022.toml"
FALISSE = ROOT.parent / "shared" / "data" / "models3d" / "Falisse_et_al_2022.osim"
GAIT_CYCLE = {"guess.reference_gait_cycle": True, "guess.reference_support": "pelvis_ty"}
ROWS, STEP = 40, 0.025          # one cycle of 1 s, the last sample one step before the next


def cycle_columns(skip=()) -> dict:
    t = np.arange(ROWS) * STEP
    phase = 2 * np.pi * t / (ROWS * STEP)
    cols = {"pelvis_tx": 1.2 * t, "pelvis_ty": np.full(ROWS, 0.90),
            "pelvis_tilt": 0.02 * np.sin(phase)}
    for side, shift in (("r", 0.0), ("l", np.pi)):
        cols[f"hip_flexion_{side}"] = 0.3 * np.sin(phase + shift)
        cols[f"knee_angle_{side}"] = -0.4 - 0.3 * np.cos(phase + shift)
        cols[f"ankle_angle_{side}"] = 0.1 * np.sin(phase + shift)
    return {"time": t, **{k: v for k, v in cols.items() if k not in skip}}


def write_mot(path: Path, columns: dict) -> Path:
    names = list(columns)
    rows = np.column_stack([columns[n] for n in names])
    header = (f"gait cycle\nversion=1\nnRows={len(rows)}\nnColumns={len(names)}\n"
              "inDegrees=no\nendheader\n" + "\t".join(names) + "\n")
    path.write_text(header + "\n".join("\t".join(f"{v:.10f}" for v in r) for r in rows) + "\n")
    return path


def test_the_guess_follows_the_first_half_cycle_and_carries_body_weight(tmp_path):
    mot = write_mot(tmp_path / "cycle.mot", cycle_columns())
    problem = load_problem(WALKER, {"guess.reference": str(mot), **GAIT_CYCLE})
    assert problem.final_time_guess == pytest.approx(ROWS * STEP / 2, abs=1e-12)
    grid = np.asarray(problem.transcription.mesh_points, float)
    X, U, _, tf = interpolated_guess(problem, grid)
    assert tf == pytest.approx(0.5, abs=1e-12)
    model, cols = problem.model, cycle_columns()
    t = grid * tf
    row = model.state_names.index
    for name in ("hip_flexion_r", "knee_angle_l", "pelvis_tx"):   # the file's first half
        np.testing.assert_allclose(X[row(name)], np.interp(t, cols["time"], cols[name]),
                                   atol=1e-9)
    shift = X[row("pelvis_ty")] - 0.90
    assert np.ptp(shift) < 1e-12 and -0.05 < shift[0] < 0.10 and abs(shift[0]) > 1e-3
    x, u = ca.SX.sym("x", model.nx), ca.SX.sym("u", model.nu)
    out = model.outputs(x, u)
    vertical = ca.Function("fy", [x, u], [out["grf_y_r"] + out["grf_y_l"]]).map(grid.size)
    mean = float(np.mean(np.asarray(vertical(X, U))))
    weight = sum(s.mass_kg for s in model.tree.segments) * model.tree.gravity_m_s2
    assert mean == pytest.approx(weight, rel=1e-6)
    assert weight == pytest.approx(body_weight_N(model), rel=1e-12)


def test_a_gait_cycle_file_missing_a_coordinate_is_named(tmp_path):
    mot = write_mot(tmp_path / "no_knee.mot", cycle_columns(skip=("knee_angle_l",)))
    with pytest.raises(ProblemError) as err:
        load_problem(WALKER, {"guess.reference": str(mot), **GAIT_CYCLE})
    message = str(err.value)
    assert "guess.reference" in message and "no_knee.mot" in message
    assert "knee_angle_l" in message and "every coordinate" in message


@pytest.mark.parametrize("content, expected", [
    ("time,pelvis_tx\n", "no_cycle.mot"),                           # not a .mot table
    (None, "does not exist"),
])
def test_the_command_names_a_bad_guess_file_before_any_solve(tmp_path, capsys, content,
                                                             expected):
    mot = tmp_path / "no_cycle.mot"
    if content is not None:
        mot.write_text(content)
    sets = [f"guess.reference={mot}", "guess.reference_gait_cycle=true",
            "guess.reference_support=pelvis_ty"]
    argv = ["solve", str(WALKER), "--out", str(tmp_path / "out"), "--quiet"]
    for item in sets:
        argv += ["--set", item]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "guess.reference" in err and expected in err
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_the_falisse_guess_is_the_benchmarks():
    """`ocp solve problems/predsim_falisse2022.toml --set guess.reference=IK_file` starts
    where `bench_predsim.py --predsim-guess IK_file` does, to the last bit."""
    ik = os.environ.get("OCP_PREDSIM_GUESS")
    if not FALISSE.exists() or not ik or not Path(ik).exists():
        pytest.skip("the Falisse model or PredSim's IK_Guess_Full_GC.mot "
                    "(OCP_PREDSIM_GUESS) is absent")
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from predsim_reference import predsim_guess

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        users = load_problem(PREDSIM, {"guess.reference": ik})
        bench = load_problem(PREDSIM)
    made = predsim_guess(bench, Path(ik))
    grid = np.linspace(0.0, 1.0, 51)
    ours, theirs = interpolated_guess(users, grid), interpolated_guess(bench, grid)
    assert ours[3] == theirs[3] == made["final_time"]
    for a, b in zip(ours[:3], theirs[:3]):
        np.testing.assert_array_equal(a, b)
