from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROBLEMS = ROOT / "problems"


@pytest.fixture
def problems_dir():
    return PROBLEMS
