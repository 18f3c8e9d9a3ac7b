from pathlib import Path

import pytest
from bad_input import no_solve  # noqa: F401 (a fixture for the bad-input tables)

ROOT = Path(__file__).resolve().parents[1]
PROBLEMS = ROOT / "problems"

#: A small swing-up (20 intervals) for tests of the command line: the pendulum of
#: problems/pendulum_swingup.toml with |tau| <= 8 N m, from hanging to upright in 2 s.
SMALL_PENDULUM = """
[model]
name = "pendulum"
[time]
final = 2.0
[bounds]
tau_pendulum = [-8, 8]
[initial]
pendulum = 0
pendulum_speed = 0
[final]
pendulum = "180 deg"
pendulum_speed = 0
[costs.effort]
type = "squared_controls"
[transcription]
intervals = 20
"""


@pytest.fixture
def problems_dir():
    return PROBLEMS
