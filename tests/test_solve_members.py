"""``ocp solve --members KEY``: one solve per member of a surrogate ensemble, and the spread.

Checked against a second method: each member's problem solved directly (from
the problem's own guess, not warm-started) and the spread recomputed with
numpy from those solutions.
"""
import json
import os
import shutil

import numpy as np
import pytest
from bad_input import refused_in_one_line, solve_args
from conftest import PROBLEMS

import ocp
from ocp.analysis.members import member_files
from ocp.cli import main

REACH = PROBLEMS / "arm_reach_muscles_learned.toml"
SHIPPED = PROBLEMS / "surrogates" / "six_muscle_arm_geometry_ensemble"
#: 20 intervals; a tight tolerance, so that a warm and a cold start land on one optimum
SMALL = {"transcription.intervals": 20, "solver.tolerance": 1e-10}


@pytest.fixture
def two_members(tmp_path):
    """Members 1 and 2 of the shipped geometry ensemble, as the ensemble geo.casadi."""
    for k in (1, 2):
        for suffix in (".casadi", ".json"):
            shutil.copy(f"{SHIPPED}_member{k}{suffix}", tmp_path / f"geo_member{k}{suffix}")
    return tmp_path


def test_member_files_are_found_beside_the_ensemble_or_beside_a_member(two_members):
    expected = [two_members / "geo_member1.casadi", two_members / "geo_member2.casadi"]
    assert member_files(two_members / "geo.casadi") == expected
    assert member_files(two_members / "geo_member2.casadi") == expected
    assert len(member_files(f"{SHIPPED}.casadi")) == 5


def test_each_member_solve_equals_a_direct_solve_and_the_spread_is_their_std(
        two_members, capsys, monkeypatch):
    out = two_members / "out"
    member1 = two_members / "geo_member1.casadi"
    sets = [a for k, v in SMALL.items() for a in ("--set", f"{k}={v}")]
    # paths as a user types them: the problem relative to the working folder, the
    # surrogate relative to the problem file's folder
    monkeypatch.chdir(PROBLEMS.parent)
    relative = os.path.relpath(member1, PROBLEMS)
    code = main(["solve", f"{PROBLEMS.name}/{REACH.name}", "--quiet", "--out", str(out),
                 "--set", f"model.geometry={relative}", *sets, "--members", "model.geometry"])
    report = capsys.readouterr().out
    assert code == 0, report
    record = json.loads((out / "summary.json").read_text())["members"]
    assert record["files"] == ["geo_member1.casadi", "geo_member2.casadi"]
    assert [s["status"] for s in record["solves"]] == ["success"] * 2
    direct = [ocp.solve(ocp.load_problem(REACH, {**SMALL, "model.geometry": str(m)}))
              for m in member_files(member1)]
    objectives = np.array([s.objective for s in direct])
    # warm-started from member 1's optimum or cold: the same optimum
    np.testing.assert_allclose([s["objective"] for s in record["solves"]], objectives,
                               rtol=1e-8)
    spread = record["spread"]
    assert spread["objective"]["std"] == pytest.approx(np.std(objectives), rel=1e-4)
    assert spread["objective"]["std"] > 0
    for name in ("shoulder", "elbow"):
        std = np.stack([s.state(name) for s in direct]).std(axis=0)
        assert spread["states"][name]["max_std"] == pytest.approx(std.max(), rel=1e-3)
        assert spread["states"][name]["rms_std"] == pytest.approx(
            np.sqrt(np.mean(std ** 2)), rel=1e-3)
        assert spread["states"][name]["max_std_deg"] == pytest.approx(
            np.degrees(spread["states"][name]["max_std"]))
    assert "members      2 solves, model.geometry = each member (2 converged)" in report
    # the record reads back with the solution
    assert ocp.Solution.load(out).members.record == record


@pytest.mark.parametrize("extra, words", [
    (["--members", "model.tendon"], ["key 'model.tendon'", "'rigid'", "x.casadi"]),
    (["--members", "model.geometry"], ["six_muscle_arm_geometry_member<k>.casadi",
                                       "ensemble = N"]),
])
def test_members_of_no_ensemble_are_refused_before_any_solve(extra, words, capsys, no_solve):
    refused_in_one_line(solve_args(REACH, *extra), [str(REACH), *words], capsys)


@pytest.mark.slow
def test_the_gru_reach_once_per_shipped_member(tmp_path, capsys):
    """The shipped GRU ensemble (3 members, seeds 0-2): member 1 is the shipped GRU
    itself (seed 0, the same training file), so its solve is the GRU reach's."""
    problem = PROBLEMS / "arm_reach_muscles_gru.toml"
    ensemble = PROBLEMS / "surrogates" / "emg_activation_gru_ensemble.casadi"
    members = member_files(ensemble)
    assert len(members) == 3
    assert members[0].read_bytes() == (PROBLEMS / "surrogates" /
                                       "emg_activation_gru.casadi").read_bytes()
    out = tmp_path / "out"
    code = main(["solve", str(problem), "--quiet", "--out", str(out), "--set",
                 f"model.activation_dynamics={members[0]}", "--members",
                 "model.activation_dynamics"])
    report = capsys.readouterr().out
    assert code == 0, report
    record = json.loads((out / "summary.json").read_text())["members"]
    assert [s["status"] for s in record["solves"]] == ["success"] * 3
    shipped = ocp.solve(ocp.load_problem(problem))
    assert record["solves"][0]["objective"] == pytest.approx(shipped.objective, rel=1e-4)
    spread = record["spread"]
    assert 0 < spread["objective"]["std"] < 0.5 * spread["objective"]["mean"]
    assert 0 < spread["states"]["elbow"]["max_std_deg"] < 20


def test_a_member_the_problem_cannot_use_is_refused_before_any_solve(two_members, capsys,
                                                                     no_solve):
    with open(two_members / "geo_member2.casadi", "a") as f:
        f.write(" ")   # its checksum no longer matches
    member1 = two_members / "geo_member1.casadi"
    refused_in_one_line(solve_args(REACH, "--set", f"model.geometry={member1}", "--members",
                                   "model.geometry"), ["geo_member2.casadi", "SHA-256"], capsys)


def test_members_on_other_meshes_and_final_times_are_compared_on_the_normalised_horizon():
    """Two members whose angle differs by 0.2 rad at every instant of their own horizon,
    on meshes of 11 and 17 points and final times 0.5 and 0.6 s: std 0.1 rad throughout."""
    from ocp.analysis.members import spread
    from ocp.solution import Solution

    def member(points, final_time, offset, objective):
        t = np.linspace(0.0, final_time, points)
        q = np.sin(np.pi * t / final_time) + offset
        return Solution(time=t, states=q[:, None], controls=np.zeros((points, 1)),
                        state_names=["knee"], control_names=["tau"], status="success",
                        objective=objective, cost_terms={}, final_time=final_time,
                        iterations=1, solve_time_s=0.0, state_units=["rad"])

    result = spread([member(11, 0.5, 0.0, 1.0), member(17, 0.6, 0.2, 3.0)])
    knee = result["states"]["knee"]
    # the sine sampled on 17 points, interpolated linearly at the 11 points' instants
    t11, t17 = np.linspace(0, 1, 11), np.linspace(0, 1, 17)
    other = np.interp(t11, t17, np.sin(np.pi * t17)) + 0.2
    std = np.abs(other - np.sin(np.pi * t11)) / 2
    assert knee["max_std"] == pytest.approx(std.max(), rel=1e-12)
    assert knee["rms_std"] == pytest.approx(np.sqrt(np.mean(std ** 2)), rel=1e-12)
    assert abs(knee["max_std"] - 0.1) < 0.01
    assert result["objective"]["std"] == pytest.approx(1.0)
    assert result["final_time"]["std"] == pytest.approx(0.05)


@pytest.mark.slow
def test_the_learned_walk_once_per_shipped_walker_member(tmp_path, capsys):
    """The walker ensemble's mean from the analytic walk's optimum, then each member:
    every walk within 3 % of the analytic walk's objective (the reference), and the
    members' ground reactions within a few % of the peak of each other."""
    problem = PROBLEMS / "gait2d_torque.toml"
    analytic = ocp.solve(ocp.load_problem(problem))
    analytic.save(tmp_path / "analytic")
    out = tmp_path / "out"
    code = main(["solve", str(problem), "--quiet", "--guess", str(tmp_path / "analytic"),
                 "--out", str(out), "--set",
                 "model.dynamics=surrogates/gait2d_walker_graph_ensemble.casadi",
                 "--members", "model.dynamics"])
    assert code == 0, capsys.readouterr().err
    summary = json.loads((out / "summary.json").read_text())
    record = summary["members"]
    assert [s["status"] for s in record["solves"]] == ["success"] * 3
    for objective in [summary["objective"], *(s["objective"] for s in record["solves"])]:
        assert objective == pytest.approx(analytic.objective, rel=0.03)
    spread = record["spread"]
    for name in ("grf_y_r", "grf_y_l"):
        assert 0 < spread["outputs"][name]["max_std_of_peak"] < 0.05
    for name in ("hip_flexion_r", "knee_angle_r", "ankle_angle_r"):
        assert 0 < spread["states"][name]["max_std_deg"] < 3
