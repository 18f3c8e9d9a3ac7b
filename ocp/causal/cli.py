"""What the ``ocp`` command prints and writes for causal questions."""
from __future__ import annotations

import json
from pathlib import Path

from ocp.causal.answers import report_text, what_if
from ocp.causal.graph import causal_graph, draw
from ocp.models.protocols import WrapperModel
from ocp.solution import atomic_write

EXIT_OK, EXIT_NOT_CONVERGED = 0, 1


def print_causal_graph(problem_path, overrides: dict, out=None) -> int:
    """``ocp causal-graph``: the DAG of the problem's model (after its interventions)."""
    from ocp.causal.interventions import intervene
    from ocp.io.problem_file import load_problem

    problem = load_problem(problem_path, overrides)
    model = problem.model
    if problem.interventions:
        model = intervene(problem, problem.interventions, problem.interventions.keys).model
        if isinstance(model, WrapperModel):  # set signals and locks keep the graph's nodes
            model = model.base
    graph = causal_graph(model)
    print(graph.to_text())
    path = Path(out) if out else Path("results") / Path(problem_path).stem / "causal_graph.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    draw(graph, path)
    print(f"written      {path}")
    return EXIT_OK


def answer_interventions(problem, solution, out: Path, verbose: bool = False) -> int:
    """``ocp solve`` with [intervention]: open-loop and re-optimised answers, saved in ``out``."""
    result = what_if(problem, solution, problem.interventions, problem.interventions.keys,
                     answers=problem.interventions.answers, verbose=verbose)
    print(report_text(result))
    if result.open_loop is not None:
        result.open_loop.save(out / "open_loop")
    if result.reoptimised is not None:
        result.reoptimised.save(out / "reoptimised")
    text = json.dumps(result.to_dict(), indent=2, default=float) + "\n"
    atomic_write(out / "what_if.json", lambda f: f.write(text.encode()))
    print(f"written      {out / 'what_if.json'}, {out / 'open_loop'}, {out / 'reoptimised'}")
    if result.reoptimised is not None and not result.reoptimised.success:
        return EXIT_NOT_CONVERGED
    return EXIT_OK
