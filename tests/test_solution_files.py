"""Solutions are written atomically and read back unchanged."""
import numpy as np
import pytest
from conftest import PROBLEMS

import ocp
from ocp.solution import Solution, atomic_write


def test_a_crash_while_writing_leaves_the_previous_file_whole(tmp_path):
    target = tmp_path / "summary.json"
    atomic_write(target, lambda f: f.write(b'{"objective": 1.0}'))

    def crash(f):
        f.write(b'{"objective": 2')
        raise KeyboardInterrupt  # the user presses Ctrl-C half-way

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, crash)
    assert target.read_bytes() == b'{"objective": 1.0}'
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]


def test_saved_solution_reads_back_with_the_same_arrays_and_report(tmp_path):
    solution = ocp.solve(ocp.load_problem(PROBLEMS / "arm_reach_torque.toml",
                                          {"transcription.intervals": 10}))
    solution.save(tmp_path)
    loaded = Solution.load(tmp_path)
    np.testing.assert_array_equal(loaded.states, solution.states)
    np.testing.assert_array_equal(loaded.controls, solution.controls)
    np.testing.assert_array_equal(loaded.output("hand_x"), solution.output("hand_x"))
    assert loaded.state_names == solution.state_names
    assert loaded.cost_terms == pytest.approx(solution.cost_terms)
    assert loaded.status == solution.status
    assert loaded.max_dynamics_error == pytest.approx(solution.max_dynamics_error)


def test_unknown_name_lookup_lists_what_exists():
    solution = ocp.solve(ocp.load_problem(PROBLEMS / "pendulum_swingup.toml",
                                          {"transcription.intervals": 10}))
    with pytest.raises(KeyError, match="pendulum_speed"):
        solution.state("pendulum_sped")


def test_estimated_parameters_read_back_with_their_standard_errors(tmp_path):
    """[parameters]: values, bounds, standard errors (an infinite one for the never-excited
    DELTant), flags and warnings come back from summary.json, and saving again writes the
    same summary."""
    solution = ocp.solve(ocp.load_problem(PROBLEMS / "arm_identify_parameters.toml",
                                          {"transcription.intervals": 10}))
    report = solution.parameters
    assert any(not e.identifiable for e in report.estimates.values())
    solution.save(tmp_path)
    loaded = Solution.load(tmp_path)
    assert list(loaded.parameters.estimates) == list(report.estimates)
    for name, e in report.estimates.items():
        back = loaded.parameters.estimates[name]
        assert (back.value, back.lower, back.upper, back.model_value) == \
            (e.value, e.lower, e.upper, e.model_value)
        assert back.standard_error == e.standard_error  # inf stays inf
        assert (back.unit, back.identifiable, back.at_bound) == \
            (e.unit, e.identifiable, e.at_bound)
    assert loaded.parameters.residual_variance == report.residual_variance
    assert loaded.parameters.samples == report.samples
    assert loaded.parameters.warnings == report.warnings
    assert loaded.parameters.lines() == report.lines()
    again = tmp_path / "again"
    loaded.save(again)
    assert (again / "summary.json").read_text() == (tmp_path / "summary.json").read_text()
