"""``[periodic] negated``: over a half cycle a name's sign flips, y(t_f) = -y(t_0) (a 3D
pelvis's list and rotation)."""
from pathlib import Path

import pytest

from ocp.errors import ProblemError
from ocp.io.problem_file import load_problem

MODEL = Path(__file__).resolve().parents[1] / "problems" / "models" / "hypersensitive.py"


def write(tmp_path, periodic: str) -> Path:
    path = tmp_path / "flip.toml"
    path.write_text(f'''title = "x' = -x^3 + u from x(0) = 1, x(t_f) = -x(0)"
units = "none"
[model]
file = "{MODEL}"
[time]
final = 4
[initial]
x = 1
[periodic]
{periodic}
[costs.running]
type = "custom"
file = "{MODEL}"
integrand = "lagrangian"
[transcription]
method = "trapezoidal"
intervals = 40
''')
    return path


def test_a_negated_state_ends_at_minus_its_start(tmp_path):
    from ocp.solve import solve
    solution = solve(load_problem(write(tmp_path, 'negated = ["x"]')))
    x = solution.state("x")
    assert solution.success
    assert x[0] == pytest.approx(1.0) and x[-1] == pytest.approx(-1.0, abs=1e-6)
    # without it, x(4) is free: the optimum lets x decay towards 0, far from -1
    free = solve(load_problem(write(tmp_path, "")))
    assert free.state("x")[-1] > -0.5


def test_negated_names_must_be_states_and_not_also_periodic(tmp_path):
    with pytest.raises(ProblemError, match="'y' is not a state or control") as info:
        load_problem(write(tmp_path, 'negated = ["y"]'))
    assert "periodic.negated" in str(info.value)
    with pytest.raises(ProblemError, match="negated and also periodic"):
        load_problem(write(tmp_path, 'negated = ["x"]\nstates = ["x"]'))
