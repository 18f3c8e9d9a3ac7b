"""``ocp report DIR``: every run of a study in a table (CSV and Markdown) and plots.

Written into ``DIR/report/`` (or ``out``):

- ``runs.csv``: one row per run, machine-readable: the swept values, status,
  objective, each cost term weighted (``cost.NAME``, they add up to the
  objective) and unweighted (``unweighted.NAME``, value / weight: comparable
  across weights), final time, iterations, times, the warm start, the
  solution folder, the error message and the command that reproduces the run;
- ``runs.md``: the same runs for reading, unweighted terms with their units;
- the plots of :mod:`ocp.study.plots`.

Reading the store is safe while the study is still running.
"""
from __future__ import annotations

import csv
import io
import math
from pathlib import Path

from ocp.errors import ProblemError, suggestion
from ocp.solution import atomic_write
from ocp.study.store import SUCCESS, cost_names, cost_units, read_runs


def _number(x, digits: int = 6) -> str:
    if x is None:
        return ""
    if isinstance(x, float):
        return "" if math.isnan(x) else f"{x:.{digits}g}"
    return str(x)


def _value(v) -> str:
    return v if isinstance(v, str) else _number(v) if isinstance(v, (int, float)) else str(v)


def csv_text(meta: dict, runs: list[dict]) -> str:
    keys = [a["key"] for a in meta["axes"]]
    names = cost_names(runs)
    header = (["run_id", *keys, "status", "ipopt_status", "objective",
               *[f"cost.{n}" for n in names], *[f"unweighted.{n}" for n in names],
               "final_time_s", "iterations", "solve_time_s", "setup_time_s",
               "max_dynamics_error", "attempts", "warm_start_from", "solution_path",
               "message", "command"])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for run in runs:
        terms = run["cost_terms"]
        writer.writerow([
            run["run_id"], *[run["sweep"].get(k, "") for k in keys], run["status"],
            run["ipopt_status"] or "", _repr(run["objective"]),
            *[_repr(terms.get(n, {}).get("value")) for n in names],
            *[_repr(terms.get(n, {}).get("unweighted")) for n in names],
            _repr(run["final_time_s"]), _repr(run["iterations"]), _repr(run["solve_time_s"]),
            _repr(run["setup_time_s"]), _repr(run["max_dynamics_error"]), run["attempts"],
            _repr(run["warm_start_from"]), run["solution_path"] or "", run["message"] or "",
            run["command"]])
    return buffer.getvalue()


def _repr(x) -> str:
    """Full precision in the CSV (repr of a float round-trips exactly)."""
    return "" if x is None else repr(x) if isinstance(x, float) else str(x)


def markdown_text(meta: dict, runs: list[dict]) -> str:
    keys = [a["key"] for a in meta["axes"]]
    units = {a["key"]: a.get("unit") or "" for a in meta["axes"]}
    names = cost_names(runs)
    term_units = cost_units(runs)
    counts = {s: sum(r["status"] == s for r in runs) for s in ("success", "failed")}
    pending = len(runs) - counts["success"] - counts["failed"]
    lines = [f"# {meta.get('title', 'study')}", "",
             f"Problem `{meta.get('problem_file', '?')}`, {meta.get('mode', 'grid')} over "
             + ", ".join(f"`{k}`" for k in keys) + f": {len(runs)} runs, "
             f"{counts['success']} succeeded, {counts['failed']} failed"
             + (f", {pending} not finished" if pending else "") + ".", "",
             "Cost terms are unweighted (value / weight), so they compare across weights; "
             "`runs.csv` also has the weighted ones, which add up to the objective.", ""]
    header = (["run", *[f"{k}" + (f" [{units[k]}]" if units[k] else "") for k in keys],
               "status", "objective", *[f"{n} [{term_units[n]}]" for n in names],
               "final time [s]", "iterations", "solve [s]", "warm from"])
    lines.append("| " + " | ".join(header) + " |")
    text_columns = {0, len(keys) + 1}  # run and status read left to right; numbers right
    lines.append("|" + "|".join("---" if i in text_columns else "---:"
                                for i in range(len(header))) + "|")
    for run in runs:
        terms = run["cost_terms"]
        row = [str(run["run_id"]), *[_value(run["sweep"].get(k, "")) for k in keys],
               run["status"] if run["status"] != "failed" else
               f"failed ({run['ipopt_status']})" if run["ipopt_status"] else "failed (error)",
               _number(run["objective"]),
               *[_number(terms.get(n, {}).get("unweighted")) for n in names],
               _number(run["final_time_s"], 4), _number(run["iterations"]),
               _number(run["solve_time_s"], 3), _number(run["warm_start_from"])]
        lines.append("| " + " | ".join(row) + " |")
    failed = [r for r in runs if r["status"] == "failed"]
    if failed:
        lines += ["", "## Failed runs", ""]
        for run in failed:
            lines.append(f"- run {run['run_id']}: {run['message']}  ")
            lines.append(f"  reproduce: `{run['command']}`")
    lines += ["", "Reproduce any run alone with the `command` column of `runs.csv`, e.g.", "",
              f"    {runs[0]['command']}" if runs else "", ""]
    return "\n".join(lines)


def pareto_terms(runs: list[dict], pareto) -> tuple[str, str] | None:
    """The two cost terms of the Pareto plot (default: the first two), checked."""
    names = cost_names(runs)
    if pareto is None:
        return (names[0], names[1]) if len(names) >= 2 else None
    if len(pareto) != 2:
        raise ProblemError(f"--pareto takes two cost terms, got {len(pareto)}")
    for name in pareto:
        if name not in names:
            raise ProblemError(f"--pareto: no cost term '{name}' in this study"
                               + suggestion(name, names))
    if pareto[0] == pareto[1]:
        raise ProblemError("--pareto needs two different cost terms")
    return tuple(pareto)


def write_report(folder, pareto=None, out=None) -> list[Path]:
    """Write the tables and plots of the study in ``folder``; return their paths."""
    from ocp.study import plots

    folder = Path(folder)
    meta, runs = read_runs(folder)
    terms = pareto_terms(runs, pareto)
    out = Path(out) if out is not None else folder / "report"
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in (("runs.csv", csv_text(meta, runs)), ("runs.md", markdown_text(meta, runs))):
        atomic_write(out / name, lambda f, t=text: f.write(t.encode()))
        paths.append(out / name)
    ok = [r for r in runs if r["status"] == SUCCESS]
    if ok:
        paths += plots.costs_against_keys(meta, ok, out)
        if terms is not None:
            paths.append(plots.pareto_front(meta, ok, terms, out))
        paths += plots.trajectories(meta, ok, folder, out)
    return paths


# -- terminal text of ``ocp study`` -----------------------------------------------
def study_summary(study, result) -> str:
    """What ``ocp study`` prints when it is done."""
    lines = [
        f"study        {study.title}",
        f"problem      {study.problem_path}",
        f"runs         {result.total}: {result.success} succeeded, {result.failed} failed"
        + (f", {result.total - result.success - result.failed} not finished"
           if not result.complete else ""),
        (f"this call    {result.solved} solved in {result.wall_time_s:.1f} s on "
         f"{result.backend}; {result.iterations} IPOPT iterations, "
         f"{result.solve_time_s:.1f} s in IPOPT" if result.solved else
         "this call    nothing to solve: every run had finished"),
    ]
    for run_id, message in sorted(result.failures.items()):
        lines.append(f"failed       run {run_id}: {message.splitlines()[0]}")
    lines += [f"store        {result.folder / 'study.sqlite'}",
              f"report       ocp report {result.folder}"]
    return "\n".join(lines)


def dry_run_text(study) -> str:
    """The runs of a study and the command of each, without solving anything."""
    lines = [f"study        {study.title}",
             f"problem      {study.problem_path}",
             f"runs         {len(study.runs)} ({study.mode} over {', '.join(study.keys)}); "
             f"all validated, spec hash {study.spec_hash}"]
    for run in study.runs:
        lines.append(f"  {run.run_id:>4}  {study.command(run)}")
    return "\n".join(lines)
