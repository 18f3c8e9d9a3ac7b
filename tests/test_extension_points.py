"""Extension points describe themselves: a cost type is one class, defined anywhere.

The cost below lives in this file only. Defining it registers it; the problem
file reads it by its declared keys; the documentation's table and the
"did you mean" of a misspelled file find it; and it leaves the registry when
the test ends.
"""
import dataclasses
import textwrap
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest

import ocp
from conftest import PROBLEMS
from ocp.costs import COST_TYPES, CostTerm
from ocp.io.declarations import declared_options, option
from ocp.transcriptions import TRANSCRIPTIONS


@pytest.fixture
def squared_speed():
    """A new cost type, registered for one test only."""

    @dataclass
    class SquaredSpeed(CostTerm):
        """``integral of w^2 dt`` of one speed state (rad^2/s).

        Penalises fast motion of one coordinate; ``speed`` names its speed
        state.
        """

        toml_name: ClassVar[str] = "squared_speed"

        speed: str = option("pendulum_speed", doc="the speed state penalised (rad/s)")

        def integrand(self, v):
            return v.state(self.speed) ** 2

    with COST_TYPES.registered(SquaredSpeed):
        yield SquaredSpeed
    assert "squared_speed" not in COST_TYPES


def pendulum_with(tmp_path, cost_table: str):
    """The shipped pendulum swing-up on a tiny mesh, with one more cost table."""
    text = (PROBLEMS / "pendulum_swingup.toml").read_text()
    text = text.replace("intervals = 50", "intervals = 10")
    text = text.replace("[transcription]", textwrap.dedent(cost_table) + "\n[transcription]")
    path = tmp_path / "pendulum_speed.toml"
    path.write_text(text)
    return path


def test_a_cost_defined_in_a_test_file_is_read_from_toml_and_solved(tmp_path, squared_speed):
    path = pendulum_with(tmp_path, """
        [costs.calm]
        type = "squared_speed"
        speed = "pendulum_speed"
        weight = 0.01
    """)
    problem = ocp.load_problem(path)
    term = problem.costs[-1]
    assert isinstance(term, squared_speed) and term.weight == 0.01
    solution = ocp.solve(problem)
    assert solution.success
    # the reported term is the weighted quadrature of the speed squared at the solution
    speed = solution.state("pendulum_speed")
    horizon = solution.time[-1] - solution.time[0]
    expected = 0.01 * float(problem.transcription.integral(horizon, (speed ** 2)[None, :]))
    assert solution.cost_terms["calm"] == pytest.approx(expected, rel=1e-6)


def test_a_new_cost_is_in_the_documentation_table(squared_speed):
    rows = [r for r in COST_TYPES.markdown_table().splitlines() if "`squared_speed`" in r]
    assert len(rows) == 1
    assert "`speed`" in rows[0] and "integral of w^2 dt" in rows[0]


def test_a_misspelled_cost_type_suggests_the_new_one(tmp_path, squared_speed):
    path = pendulum_with(tmp_path, """
        [costs.calm]
        type = "squared_sped"
    """)
    with pytest.raises(ocp.ProblemError, match=r"key 'costs.calm.type': unknown cost type "
                                               r"'squared_sped'; did you mean 'squared_speed'"):
        ocp.load_problem(path)


def test_a_misspelled_key_of_the_new_cost_suggests_its_declared_option(tmp_path, squared_speed):
    path = pendulum_with(tmp_path, """
        [costs.calm]
        type = "squared_speed"
        sped = "pendulum_speed"
    """)
    with pytest.raises(ocp.ProblemError, match=r"key 'costs.calm.sped': unknown key 'sped'; "
                                               r"did you mean 'speed'"):
        ocp.load_problem(path)


def test_registering_for_a_block_leaves_no_trace():
    @dataclass
    class Nothing(CostTerm):
        """Zero."""

        toml_name: ClassVar[str] = "nothing_at_all"

    with COST_TYPES.registered(Nothing):
        assert COST_TYPES["nothing_at_all"] is Nothing
    assert "nothing_at_all" not in COST_TYPES


def own_docstring(cls) -> str:
    """The class's own docstring, not one dataclass() wrote from the signature."""
    doc = cls.__dict__.get("__doc__") or ""
    return "" if doc.startswith(f"{cls.__name__}(") else doc.strip()


@pytest.mark.parametrize("registry", [COST_TYPES, TRANSCRIPTIONS], ids=lambda r: r.kind)
def test_every_registered_class_and_option_is_documented(registry):
    for name, cls in registry.items():
        assert own_docstring(cls), f"{registry.kind} '{name}' has no docstring"
        for declared in declared_options(cls):
            assert declared.doc.strip(), f"{registry.kind} '{name}': option " \
                                         f"'{declared.key}' has no doc line"


def test_every_transcription_declares_its_order_and_options():
    for name, cls in TRANSCRIPTIONS.items():
        scheme = cls(**dataclasses.asdict(cls.Options()))
        assert scheme.toml_name == name and scheme.order >= 1
        assert "intervals" in [o.key for o in declared_options(cls)]
    assert np.array_equal([ocp.Radau(4, d).order for d in (1, 2, 3)], [1, 3, 5])
