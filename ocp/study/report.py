"""``ocp report DIR``: every run of a study in a table (CSV and Markdown) and plots.

Written into ``DIR/report/`` (or ``out``):

- ``runs.csv``: one row per run, machine-readable: the swept values, status,
  objective, each cost term weighted (``cost.NAME``, they add up to the
  objective) and unweighted (``unweighted.NAME``, value / weight: comparable
  across weights), final time, iterations, times, the warm start, the
  solution folder, the error message and the command that reproduces the run;
- ``runs.md``: the same runs for reading, unweighted terms with their units,
  then the cross-check of the optima (:mod:`ocp.study.cross_check`): the runs
  re-solved from a better solution of another run and by how much, any run
  still beaten, and where the optimal value is not concave in a weight;
- the plots of :mod:`ocp.study.plots`.

Reading the store is safe while the study is still running.
"""
from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

from ocp.errors import ProblemError, suggestion
from ocp.solution import atomic_write
from ocp.study.cross_check import beaten_runs, concavity_flags, is_safe, study_sense
from ocp.study.store import REPAIRED, SUCCESS, cost_names, cost_units, read_runs


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


def markdown_text(meta: dict, runs: list[dict], sense: str = "minimize") -> str:
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
    lines += cross_check_lines(meta, runs, sense)
    lines += ["", "Reproduce any run alone with the `command` column of `runs.csv`, e.g.", "",
              f"    {runs[0]['command']}" if runs else "", ""]
    return "\n".join(lines)


def _percent(before: float, after: float) -> str:
    return f"{100 * (after - before) / abs(before):+.1f} %" if before else ""


def _setting(run: dict) -> str:
    return ", ".join(f"{k} = {_value(v)}" for k, v in run["sweep"].items())


def cross_check_lines(meta: dict, runs: list[dict], sense: str = "minimize") -> list[str]:
    """The ``## Cross-check of the optima`` section of ``runs.md``."""
    keys = [a["key"] for a in meta["axes"]]
    by_id = {r["run_id"]: r for r in runs}
    held = [k for k in keys if not is_safe(k)]
    lines = ["", "## Cross-check of the optima", ""]
    if held and len({json.dumps([r["sweep"].get(k) for k in held], default=str)
                     for r in runs}) == len(runs):
        return lines + ["Not checked: every run has its own feasible set (" +
                        ", ".join(f"`{k}`" for k in held) + " may change it).", ""]
    lines.append("Each run's solution is scored under the weights of every other run "
                 "with the same constraints" + (" (the same " + ", ".join(f"`{k}`" for k in held)
                                               + ")" if held else "") +
                 ", from the stored unweighted cost terms; a run beaten by another's "
                 "solution is solved again from it.")
    repairs = meta.get("repairs", [])
    if repairs:
        lines += ["", "| run | setting | before | from run | its score | after | change | "
                  "outcome |", "|---|---|---:|---:|---:|---:|---:|---|"]
        for r in repairs:
            change = _percent(r["before"], r["after"]) if r["outcome"] == REPAIRED else ""
            outcome = r["outcome"] + (f": {r['message']}" if r["message"] and
                                      r["outcome"] != REPAIRED else "")
            lines.append(f"| {r['run_id']} | {_setting(by_id[r['run_id']])} | "
                         f"{_number(r['before'])} | {r['from_run']} | "
                         f"{_number(r['challenger'])} | {_number(r['after'])} | {change} | "
                         f"{outcome} |")
    beaten = beaten_runs(keys, runs, sense)
    lines.append("")
    if beaten:
        for b in beaten:
            resume = (f"ocp study {meta.get('study_file', 'STUDY.toml')} --out "
                      f"{meta.get('folder', 'DIR')} --resume")
            lines.append(f"- **run {b.run_id} is beaten**: run {b.by}'s solution scores "
                         f"{_number(b.score)} under its weights, against its own "
                         f"{_number(b.own)} ({_percent(b.own, b.score)}); `{resume}` "
                         "solves it again from that solution")
    else:
        lines.append("No run is beaten by another run's solution" +
                     (f" ({sum(r['outcome'] == REPAIRED for r in repairs)} repaired)."
                      if repairs else "."))
    flags = concavity_flags(keys, runs, sense)
    shape = "concave" if sense != "maximize" else "convex"
    for f in flags:
        lines.append(f"- not {shape} in `{f.key}`: run {f.run_id} ({_number(f.weight)}) at "
                     f"{_number(f.value)}, against {_number(f.chord)} on the chord of runs "
                     f"{f.left} and {f.right}; the optimal value is {shape} in each weight, so "
                     "one of them sits in a worse local optimum")
    return lines


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
    meta["folder"] = str(folder)
    terms = pareto_terms(runs, pareto)
    out = Path(out) if out is not None else folder / "report"
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    sense = study_sense(folder, runs)
    for name, text in (("runs.csv", csv_text(meta, runs)),
                       ("runs.md", markdown_text(meta, runs, sense))):
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
         f"{result.solve_time_s:.1f} s in IPOPT; {result.builds} NLP"
         f"{'s' if result.builds != 1 else ''} built (one per problem structure and "
         f"building process)"
         if result.solved else
         "this call    nothing to solve: every run had finished"),
    ]
    for run_id, message in sorted(result.failures.items()):
        lines.append(f"failed       run {run_id}: {message.splitlines()[0]}")
    if result.store_repaired:
        lines.append(f"store fixed  {result.store_repaired}: solved again")
    for r in result.repairs:
        change = (f"{_number(r['before'])} -> {_number(r['after'])} "
                  f"({_percent(r['before'], r['after'])})" if r["outcome"] == REPAIRED
                  else f"{r['outcome']} ({_number(r['before'])} kept)")
        lines.append(f"cross-check  run {r['run_id']}: beaten by run {r['from_run']}'s "
                     f"solution ({_number(r['challenger'])}); re-solved from it: {change}")
    for b in result.still_beaten:
        lines.append(f"cross-check  run {b.run_id} still beaten by run {b.by}'s solution "
                     f"({_number(b.score)} against {_number(b.own)})")
    if result.cross_checked and not result.repairs and not result.still_beaten:
        lines.append("cross-check  no run is beaten by another run's solution")
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
