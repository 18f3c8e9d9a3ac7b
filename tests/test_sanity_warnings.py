"""Sanity warnings of a solve (issue #24): each triggered by a problem that has the
fault, and silent on a sound solve of the same problem."""
import dataclasses
import math

import numpy as np
import pytest
from conftest import PROBLEMS

import ocp
from ocp.analysis.tracking import coverage_warnings
from ocp.cli import main
from ocp.models.multibody import PRISMATIC, STANDARD_GRAVITY_M_S2, Joint, KinematicTree, Segment
from ocp.models.muscle_driven import reported_reserves
from ocp.models.torque_driven import TorqueDrivenTree
from ocp.osim.model import build_osim_model, geometry_fit_reporter

# -- 1. a model that flies --------------------------------------------------

def hopper(actuated):
    """A 1 kg block on a vertical slider ``y`` with a 0.5 kg arm on it (``arm``)."""
    tree = KinematicTree((
        Segment("block", None, Joint("y", PRISMATIC, axis=(0.0, 1.0)), 1.0, (0.0, 0.0), 0.01),
        Segment("link", "block", Joint("arm"), 0.5, (0.0, -0.25), 0.01, end_m=(0.0, -0.5)),
    ))
    return TorqueDrivenTree("hopper", tree, actuated)


def track_height(model):
    """Hold the block at 1 m (tracked) for 1 s, from rest at 1 m."""
    problem = ocp.Problem(model=model, final_time=1.0, transcription=ocp.Trapezoidal(20),
                          initial={"y": 1.0, "y_speed": 0.0, "arm": 0.0, "arm_speed": 0.0})
    return problem.minimize(ocp.Tracking("track", 100.0, reference={"y": 1.0}),
                            ocp.SquaredControls("effort", 1e-3))


def test_a_model_with_nothing_to_hold_it_up_flies_and_says_so():
    solution = ocp.solve(track_height(hopper(("arm",))))
    assert solution.success
    # nothing but gravity acts vertically on the whole: its centre of mass falls
    # by g t^2 / 2 over the second whatever the arm does
    com = (1.0 * solution.state("y") + 0.5 * (solution.state("y")
                                              - 0.25 * np.cos(solution.state("arm")))) / 1.5
    assert com[0] - com[-1] == pytest.approx(STANDARD_GRAVITY_M_S2 / 2, rel=1e-3)
    flying = [w for w in solution.warnings if "flies" in w]
    assert len(flying) == 1 and "hopper" in flying[0] and "'y'" in flying[0], solution.warnings
    assert "flies" in " ".join(solution.summary().get("warnings", []))


def test_a_model_held_up_by_a_residual_force_does_not_fly():
    solution = ocp.solve(track_height(hopper(("y", "arm"))))
    assert solution.success
    assert abs(solution.state("y") - 1.0).max() < 0.05     # against 4.9 m of free fall
    assert not [w for w in solution.warnings if "flies" in w], solution.warnings


# -- 2. reserves carrying more than their share ------------------------------

def redundancy(**overrides):
    return ocp.load_problem(PROBLEMS / "arm_muscle_redundancy.toml", overrides)


def test_strong_cheap_reserves_that_do_the_muscles_work_are_named():
    # reserves 50 times stronger and a million times cheaper than shipped: they
    # take over the moments from the muscles
    solution = ocp.solve(redundancy(**{"model.reserves.shoulder": 50.0,
                                       "model.reserves.elbow": 50.0,
                                       "costs.reserves.weight": 1e-3}))
    assert solution.success
    reserves = [w for w in solution.warnings if "reserve on" in w]
    assert {c for c in ("shoulder", "elbow") if any(f"'{c}'" in w for w in reserves)} \
        == {"shoulder", "elbow"}, solution.warnings
    assert "% of its moment" in reserves[0]


def test_the_shipped_redundancy_problem_keeps_its_reserves_small():
    solution = ocp.solve(redundancy())
    assert solution.success
    assert not [w for w in solution.warnings if "reserve on" in w], solution.warnings


def test_the_only_actuator_of_a_joint_without_muscles_is_not_a_reserve_to_report(fitted_walker):
    # Moco's walker drives its lumbar joint, which no muscle crosses, by a
    # CoordinateActuator (reserve_lumbar): it carries all of that moment by design
    assert set(fitted_walker.reserves) == {"lumbar"}
    assert reported_reserves(fitted_walker) == {}
    # residuals on the floating base are held to their share: contact holds it up
    residuals = fitted_walker.replace(reserves={"pelvis_ty": 1.0, "pelvis_tilt": 1.0,
                                                "lumbar": 1.0, "hip_flexion_r": 1.0})
    assert set(reported_reserves(residuals)) == {"pelvis_ty", "pelvis_tilt", "hip_flexion_r"}
    arm = redundancy().model.source
    assert reported_reserves(arm) == {"shoulder": 1.0, "elbow": 1.0}


# -- 3. a muscle-geometry fit worse than its targets --------------------------

D = np.radians
WALKING = {f"{j}_{s}": r for s in "rl" for j, r in
           (("hip_flexion", (D(-20), D(70))), ("knee_angle", (D(-60), D(10))),
            ("ankle_angle", (D(-25), D(35))))}


@pytest.fixture(scope="module")
def fitted_walker():
    return build_osim_model(PROBLEMS / "data" / "gait2d" / "2D_gait.osim",
                            geometry="polynomial", fit_ranges=WALKING)


def test_a_fit_within_its_targets_is_reported_without_a_warning(fitted_walker):
    report = geometry_fit_reporter(None, fitted_walker, None, None)
    assert report["muscle_geometry_fit"]["worst_length_rms_mm"] < 0.5
    assert "warnings" not in report


def test_a_fit_off_by_a_millimetre_names_the_muscle(fitted_walker):
    fit = list(fitted_walker.geometry_fit)
    fit[0] = dataclasses.replace(fit[0], length_rms_m=1e-3)
    fit[1] = dataclasses.replace(fit[1], moment_arm_rms_m=3e-3)
    report = geometry_fit_reporter(None, fitted_walker.replace(geometry_fit=tuple(fit)),
                                   None, None)
    assert len(report["warnings"]) == 2
    assert f"'{fit[0].muscle}'" in report["warnings"][0] and "1 mm" in report["warnings"][0]
    assert f"'{fit[1].muscle}'" in report["warnings"][1] and "3 mm" in report["warnings"][1]


# -- 4. an unbounded angle that wraps ----------------------------------------

def pendulum(final_rad):
    problem = ocp.load_problem(PROBLEMS / "pendulum_swingup.toml",
                               {"bounds.tau_pendulum": [-50, 50]})
    del problem.bounds["pendulum"]           # no bounds on the angle
    problem.final["pendulum"] = final_rad
    return problem


def test_an_unbounded_angle_that_turns_more_than_once_is_named():
    solution = ocp.solve(pendulum(3 * math.pi))   # one and a half turns
    assert solution.success
    assert solution.state("pendulum")[-1] == pytest.approx(3 * math.pi)
    wraps = [w for w in solution.warnings if "no bounds" in w]
    assert len(wraps) == 1 and "state 'pendulum'" in wraps[0] and "1.50 turns" in wraps[0]


def test_an_unbounded_angle_within_a_turn_is_silent():
    solution = ocp.solve(pendulum(math.pi))
    assert solution.success
    assert not [w for w in solution.warnings if "no bounds" in w], solution.warnings


# -- 5. data that cover only part of the horizon -------------------------------

def test_data_shorter_than_the_horizon_are_refused_at_load_time(tmp_path, capsys):
    text = (PROBLEMS / "arm_track.toml").read_text().replace('final = "1 s"', 'final = "2 s"')
    text = text.replace('"data/arm_reach.mot"', f'"{PROBLEMS / "data" / "arm_reach.mot"}"')
    problem_file = tmp_path / "arm_track_2s.toml"
    problem_file.write_text(text)
    assert main(["solve", str(problem_file), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "arm_track_2s.toml" in err and "costs.track.reference" in err
    assert "arm_reach.mot covers 0 to 1 s" in err and "from 0 to 2 s" in err
    assert not (tmp_path / "out").exists()


def test_data_over_the_whole_horizon_load():
    problem = ocp.load_problem(PROBLEMS / "arm_track.toml")
    assert problem.final_time == 1.0


def test_a_reference_from_python_that_ends_early_is_warned_about():
    problem = track_height(hopper(("y", "arm")))
    problem.costs[0] = ocp.Tracking("track", 1.0, reference={
        "y": (np.linspace(0.0, 0.5, 11), np.ones(11))})
    solution = ocp.Solution(time=np.linspace(0.0, 1.0, 21), states=np.zeros((21, 4)),
                            controls=np.zeros((21, 2)), state_names=[], control_names=[],
                            status="success", objective=0.0, cost_terms={}, final_time=1.0,
                            iterations=0, solve_time_s=0.0)
    (warning,) = coverage_warnings(problem, solution)
    assert "'y' covers 0 to 0.5 s, the solution 0 to 1 s" in warning
    problem.costs[0].reference["y"] = (np.linspace(0.0, 1.0, 11), np.ones(11))
    assert coverage_warnings(problem, solution) == []


def test_a_problem_file_tracking_whole_data_warns_of_nothing(tmp_path):
    problem = ocp.load_problem(PROBLEMS / "arm_track.toml",
                               {"transcription.intervals": 20})
    solution = ocp.solve(problem)
    assert solution.success and solution.warnings == [], solution.warnings
