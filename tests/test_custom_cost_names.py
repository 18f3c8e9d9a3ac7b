"""A custom cost that names a state, control or output the model lacks is refused at
load time (issue #24), from its source, without running the user's Python.

The names are read from the calls on the function's argument (``v.state("x")``,
``v.control``, ``v.output``, ``v.value``, ``e.initial_state``, ``e.final_state``);
the command line exits 2 with one line naming the problem file, the cost's key,
the function's file and line, the unknown name and the known ones, before the NLP
is built (the solver is never reached).
"""
from __future__ import annotations

import pytest
from bad_input import edited, refused_in_one_line, solve_args
from conftest import PROBLEMS

import ocp
from ocp.costs.custom import CustomCost, named_variables
from ocp.errors import ProblemError

HYPERSENSITIVE = PROBLEMS / "hypersensitive.toml"
MODEL = PROBLEMS / "models" / "hypersensitive.py"


def with_cost(tmp_path, source, function, key="integrand"):
    """The hyper-sensitive problem with its running cost ``function`` of cost.py."""
    (tmp_path / "cost.py").write_text(MODEL.read_text() + source)
    path = edited(tmp_path, HYPERSENSITIVE,
                  'file = "models/hypersensitive.py"\nintegrand = "lagrangian"',
                  f'file = "cost.py"\n{key} = "{function}"')
    path.write_text(path.read_text().replace('"models/hypersensitive.py"', f'"{MODEL}"'))
    return path


CASES = [
    ("unknown-control", '\n\ndef cost(v):\n    return v.state("x") ** 2 + v.control("uu") ** 2\n',
     "integrand", ["cost.py", "line 25", "'uu' is not a control", "controls: 'u'"]),
    ("unknown-endpoint-state", '\n\ndef cost(e):\n    x = e.initial_state("x")\n'
     '    return (e.final_state("x1") - x) ** 2\n',
     "endpoint", ["cost.py", "line 26", "'x1' is not a state", "states: 'x'"]),
    ("unknown-value", '\n\ndef cost(point):\n    return point.value("speed") ** 2\n',
     "integrand", ["cost.py", "line 25", "'speed' is not a state or control or output",
                   "states, controls, outputs: 'x', 'u'"]),
]


@pytest.mark.parametrize("source, key, words", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_an_unknown_name_in_a_custom_cost_is_refused_before_the_solve(
        source, key, words, tmp_path, capsys, no_solve):
    path = with_cost(tmp_path, source, "cost", key)
    refused_in_one_line(solve_args(path), ["problem.toml", "key 'costs.running'", *words],
                        capsys)
    with pytest.raises(ProblemError) as info:  # at load time, from Python too
        ocp.load_problem(path)
    assert info.value.key == "costs.running" and info.value.file == str(path)


def test_names_are_read_without_running_the_function(tmp_path):
    """A function that would end the process is only read; its known names pass."""
    path = with_cost(tmp_path, '\n\ndef cost(v):\n    import os\n    os._exit(7)\n'
                               '    return v.state("x") ** 2 + v.value("u") ** 2\n', "cost")
    problem = ocp.load_problem(path)
    (cost,) = problem.costs
    assert [(m, n) for m, n, _ in named_variables(cost.integrand_fn)] == [("state", "x"),
                                                                          ("value", "u")]


def test_a_python_problem_is_checked_when_validated():
    def effort(v):
        return v.control("tau") ** 2

    model = ocp.CustomModel("free", ["x"], ["u"], lambda x, u, p: u[0])
    problem = ocp.Problem(model=model, final_time=1.0, transcription=ocp.HermiteSimpson(5))
    problem.minimize(CustomCost("effort", integrand_fn=effort))
    with pytest.raises(ProblemError, match="'tau' is not a control of model 'free'") as info:
        problem.validate()
    assert info.value.key == "costs.effort"
    # a lambda has no source of its own to read: left to the NLP build, as before
    problem.costs[0].integrand_fn = lambda v: v.control("tau") ** 2
    problem.validate()
