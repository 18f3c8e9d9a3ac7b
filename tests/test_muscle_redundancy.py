"""The muscle redundancy solver and static optimisation against a known forward simulation."""
import numpy as np
import pytest
from conftest import PROBLEMS

import ocp
from ocp.analysis.muscle_redundancy import (
    kinematics_from_samples,
    muscle_moments,
    static_optimization,
)
from ocp.models.library import build_model

DATA = PROBLEMS / "data" / "arm_kinematics.csv"


@pytest.fixture(scope="module")
def truth():
    data = np.genfromtxt(DATA, delimiter=",", names=True)
    model = build_model("six_muscle_arm", reserves={"shoulder": 1.0, "elbow": 1.0})
    kin = kinematics_from_samples(model, data["time"],
                                  np.column_stack([data["shoulder"], data["elbow"]]))
    names = [m.name for m in model.muscles]
    activations = np.column_stack([data[f"true_{n}_activation"] for n in names])
    return model, kin, activations


def rms(x):
    return float(np.sqrt(np.mean(np.square(x))))


def test_known_activations_reproduce_the_inverse_dynamics_moments(truth):
    """Consistency of the data: the forward simulation's activations give the ID moments."""
    model, kin, activations = truth
    moments = muscle_moments(model, kin, kin.time, activations)
    assert rms(moments - kin.moments) / rms(kin.moments) < 1e-6


@pytest.fixture(scope="module")
def redundancy():
    return ocp.solve(ocp.load_problem(PROBLEMS / "arm_muscle_redundancy.toml"))


def test_redundancy_solver_reproduces_the_joint_moments_within_one_percent(truth, redundancy):
    model, kin, true_activations = truth
    assert redundancy.success
    activations = redundancy.states[:, :len(model.muscles)]
    moments = muscle_moments(model, kin, redundancy.time, activations)
    reference = np.column_stack([np.interp(redundancy.time, kin.time, kin.moments[:, j])
                                 for j in range(2)])
    assert rms(moments - reference) / rms(reference) < 0.01
    # the reserves stay idle: the muscles do the work
    reserves = redundancy.controls[:, -2:]
    assert np.max(np.abs(reserves)) < 1e-3
    # the least-effort solution is no more active than the one that produced the motion
    true_at_grid = np.column_stack([np.interp(redundancy.time, kin.time, true_activations[:, i])
                                    for i in range(len(model.muscles))])
    effort = np.trapezoid(np.sum(activations ** 2, axis=1), redundancy.time)
    true_effort = np.trapezoid(np.sum(true_at_grid ** 2, axis=1), redundancy.time)
    assert effort <= true_effort
    print(f"\nredundancy solver: activation RMS error vs the known pattern "
          f"{rms(activations - true_at_grid):.3f}")


def test_static_optimization_meets_the_moments_frame_by_frame(truth, redundancy):
    model, kin, true_activations = truth
    activations, reserves, moment_error = static_optimization(model, kin)
    assert moment_error < 1e-8
    assert np.max(np.abs(reserves)) < 1e-3
    moments = muscle_moments(model, kin, kin.time, activations)
    reserve_moments = reserves * np.array(list(model.reserves.values()))
    assert rms(moments + reserve_moments - kin.moments) / rms(kin.moments) < 1e-8
    # static optimisation ignores activation dynamics: its activations are those the
    # dynamic solver's would be if activation followed excitation instantly, so the
    # two agree closely but not exactly
    dynamic = np.column_stack([np.interp(kin.time, redundancy.time, redundancy.states[:, i])
                               for i in range(len(model.muscles))])
    so_vs_truth, dyn_vs_truth = rms(activations - true_activations), rms(dynamic - true_activations)
    print(f"\nactivation RMS error vs the known pattern: static optimisation "
          f"{so_vs_truth:.3f}, redundancy solver {dyn_vs_truth:.3f}; between them "
          f"{rms(activations - dynamic):.3f}")
    assert rms(activations - dynamic) < 0.05


def test_kinematics_file_missing_a_coordinate_is_named(tmp_path):
    data = np.genfromtxt(DATA, delimiter=",", names=True)
    path = tmp_path / "kin.csv"
    np.savetxt(path, np.column_stack([data["time"], data["shoulder"]]), delimiter=",",
               header="time,shoulder", comments="")
    text = (PROBLEMS / "arm_muscle_redundancy.toml").read_text().replace(
        '"data/arm_kinematics.csv"', f'"{path}"')
    problem = tmp_path / "task.toml"
    problem.write_text(text)
    with pytest.raises(ocp.ProblemError, match=r"kinematics.columns.*no column 'elbow'"):
        ocp.load_problem(problem)
