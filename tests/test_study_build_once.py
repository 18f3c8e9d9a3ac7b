"""Studies build the NLP once per problem structure (ocp/engine/reuse.py).

A run that differs from another only in cost weights, or in the bounds and
endpoint values of states and controls, re-solves the NLP its worker built,
with its own values as the NLP's parameter and bounds. The reference is a
separate ``ocp.solve`` of each run's problem, built for it alone: the
objectives, cost terms and trajectories must agree to 1e-8.
"""
import sys

import numpy as np
import pytest
from conftest import PROBLEMS

from ocp.engine.reuse import Builds
from ocp.io.problem_file import load_problem
from ocp.solution import Solution
from ocp.solve import solve
from ocp.study import load_study, run_study, worker
from ocp.study.store import run_folder
from ocp.study.worker import structure_key

FREE_TIME = PROBLEMS / "arm_reach_torque_free_time.toml"


def write_study(folder, sweep: str, fixed: str = '"transcription.intervals" = 15'):
    path = folder / "study.toml"
    path.write_text(f'title = "build once"\nproblem = "{FREE_TIME}"\nmode = "grid"\n'
                    f"[fixed]\n{fixed}\n[sweep]\n{sweep}\n")
    return path


def separate(overrides: dict):
    return solve(load_problem(FREE_TIME, overrides), check_dynamics=False)


def test_a_weight_and_bound_study_builds_once_and_matches_separate_solves(tmp_path,
                                                                          monkeypatch):
    # a fresh worker: the study process keeps what earlier studies built in it
    monkeypatch.setattr(worker, "BUILDS", [])
    path = write_study(tmp_path, '"costs.effort.weight" = [0.1, 3.0]\n'
                                 '"bounds.tau_shoulder" = [[-50, 50], [-1, 1]]')
    study = load_study(path)
    result = run_study(study, tmp_path / "out", workers=1, warm_start=False,
                       progress=False, cross_check=False)
    assert result.success == 4
    assert result.builds == 1
    for run in study.runs:
        mine = Solution.load(tmp_path / "out" / run_folder(run.run_id))
        ref = separate(run.overrides)
        assert abs(mine.objective - ref.objective) <= 1e-8 * abs(ref.objective)
        for name in ref.cost_terms:
            assert abs(mine.cost_terms[name] - ref.cost_terms[name]) <= \
                1e-8 * max(1.0, abs(ref.cost_terms[name]))
        np.testing.assert_allclose(mine.states, ref.states, rtol=0, atol=1e-8)
    # the tight bound on the shoulder's torque is active (the runs differ), and
    # both bounds were one NLP
    by = {(r.overrides["costs.effort.weight"], r.overrides["bounds.tau_shoulder"][1]):
          Solution.load(tmp_path / "out" / run_folder(r.run_id)) for r in study.runs}
    assert by[0.1, 1].objective > 1.01 * by[0.1, 50].objective
    assert np.max(np.abs(by[0.1, 1].controls[:, 0])) <= 1 + 1e-6

def test_a_mesh_sweep_builds_once_per_mesh(tmp_path):
    builds = Builds()
    for intervals in (10, 12):
        for weight in (0.5, 2.0):
            overrides = {"transcription.intervals": intervals, "costs.effort.weight": weight}
            problem = load_problem(FREE_TIME, overrides)
            keyed = builds.keyed(structure_key(str(FREE_TIME), overrides, problem))
            mine = solve(problem, check_dynamics=False, build=keyed)
            ref = separate(overrides)
            assert abs(mine.objective - ref.objective) <= 1e-8 * abs(ref.objective)
            assert keyed.built == (weight == 0.5)
    assert builds.count == 2


def test_an_output_endpoint_value_is_checked_not_trusted(tmp_path):
    # the target is an output (hand_x): its value is a constraint bound, which the
    # key keeps; even under one key, a changed output condition builds again
    builds = Builds()
    keyed = builds.keyed("same key")
    for target in ("-10 cm", "-5 cm"):
        overrides = {"final.hand_x": target}
        mine = solve(load_problem(FREE_TIME, overrides), check_dynamics=False, build=keyed)
        ref = separate(overrides)
        assert abs(mine.objective - ref.objective) <= 1e-8 * abs(ref.objective)
    assert builds.count == 2


def test_two_forked_workers_share_the_study_process_build(tmp_path, monkeypatch):
    # the study process builds once and forks its workers (Linux): no worker builds
    if not sys.platform.startswith("linux"):
        pytest.skip("workers are forked from the study process on Linux only")
    monkeypatch.setattr(worker, "BUILDS", [])
    path = write_study(tmp_path, '"costs.effort.weight" = [0.1, 0.3, 1.0, 3.0]')
    study = load_study(path)
    result = run_study(study, tmp_path / "out", workers=2, warm_start=False,
                       progress=False, cross_check=False)
    assert result.success == 4
    assert result.builds == 1 and result.prepare_time_s > 0
    for run in study.runs:
        mine = Solution.load(tmp_path / "out" / run_folder(run.run_id))
        ref = separate(run.overrides)
        assert abs(mine.objective - ref.objective) <= 1e-8 * abs(ref.objective)
