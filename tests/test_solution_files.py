"""Solutions are written atomically and read back unchanged."""
import numpy as np
import pytest

import ocp
from conftest import PROBLEMS
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
