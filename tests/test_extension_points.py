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
from conftest import PROBLEMS

import ocp
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


# -- the readers built from the declarations keep their messages --------------------------

@pytest.mark.parametrize("table, pattern", [
    ('method = "trapezoidal"\ndegree = 2',
     r"key 'transcription.degree': 'degree' applies to method 'radau' only, not 'trapezoidal'"),
    ('method = "radau"\ncontrol_midpoints = "linear"',
     (r"key 'transcription.control_midpoints': 'control_midpoints' applies to method "
      r"'hermite-simpson' only, not 'radau'")),
    ('method = "radau"\ninterval = 4',
     r"key 'transcription.interval': unknown key 'interval'; did you mean 'intervals'"),
    ('method = "radua"',
     r"key 'transcription.method': 'radua' is not one of .*did you mean 'radau'"),
    ('method = "radau"\ndegree = 0', r"key 'transcription.degree': must be at least 1"),
], ids=["degree-elsewhere", "midpoints-elsewhere", "misspelled", "method", "degree-0"])
def test_transcription_keys_come_from_the_declared_options(tmp_path, table, pattern):
    text = (PROBLEMS / "pendulum_swingup.toml").read_text()
    text = text.replace('method = "hermite-simpson"\nintervals = 50', table)
    path = tmp_path / "p.toml"
    path.write_text(text)
    with pytest.raises(ocp.ProblemError, match=pattern):
        ocp.load_problem(path)


def test_declared_transcription_options_reach_the_scheme(tmp_path):
    text = (PROBLEMS / "pendulum_swingup.toml").read_text()
    path = tmp_path / "p.toml"
    path.write_text(text.replace('method = "hermite-simpson"\nintervals = 50',
                                 'method = "radau"\nintervals = 7\ndegree = 2'))
    scheme = ocp.load_problem(path).transcription
    assert isinstance(scheme, ocp.Radau) and (scheme.intervals, scheme.degree) == (7, 2)


@pytest.mark.parametrize("type_name", ["squared_controls", "control_effort"])
def test_both_names_of_the_effort_cost_read_the_same_keys(tmp_path, type_name):
    path = pendulum_with(tmp_path, f"""
        [costs.cubed]
        type = "{type_name}"
        controls = ["tau_pendulum"]
        exponent = 3
    """)
    term = ocp.load_problem(path).costs[-1]
    assert isinstance(term, ocp.SquaredControls)
    assert (term.controls, term.exponent) == (("tau_pendulum",), 3.0)
    path = pendulum_with(tmp_path, f"""
        [costs.cubed]
        type = "{type_name}"
        controls = ["tau_pendulm"]
    """)
    with pytest.raises(ocp.ProblemError, match=r"key 'costs.cubed.controls': unknown control "
                                               r"'tau_pendulm'; did you mean 'tau_pendulum'"):
        ocp.load_problem(path)


def test_a_reserve_on_an_unknown_coordinate_is_an_error_on_the_reserves_key(tmp_path):
    """The model names the key at fault in a typed error, not in its text."""
    text = (PROBLEMS / "arm_reach_muscles.toml").read_text()
    path = tmp_path / "p.toml"
    path.write_text(text.replace('name = "six_muscle_arm"',
                                 'name = "six_muscle_arm"\nreserves = { knee = 1.0 }'))
    with pytest.raises(ocp.ProblemError, match=r"key 'model.reserves': .*reserve actuators on "
                                               r"unknown coordinates \['knee'\]"):
        ocp.load_problem(path)
