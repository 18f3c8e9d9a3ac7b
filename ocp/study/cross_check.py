"""Studies that check their own optima: each run's solution scored under the others' weights.

Two runs of a study share one feasible set when they differ only in keys that
change the objective's weights or the solver's starting point, never the
constraints: ``costs.NAME.weight``, ``guess.*`` and ``time.guess``
(:data:`SAFE_KEYS`). Any other swept key (a bound, the final time, the mesh, a
model parameter) may change what is feasible, so runs are compared only with
runs that agree on every such key.

Within such a group, run ``j``'s solution ``x_j`` is feasible for run ``i``
and its objective under run ``i``'s weights follows from the store alone,
``J_i(x_j) = J_j(x_j) + sum_k (w_ik - w_jk) u_jk`` with ``u_jk`` the
unweighted cost terms of run ``j`` (its weighted values divided by their
weights; terms whose weights agree need no ``u``). Run ``i`` is *beaten* when
``J_i(x_j)`` is better than ``J_i(x_i)`` (lower when minimising, higher when
maximising) by more than :data:`RELATIVE_TOLERANCE`: it sits in a worse local
optimum, and :func:`ocp.study.runner.run_study` re-solves it warm-started from
``x_j`` until no run is beaten.

The optimal value ``V(w) = min_x sum_k w_k f_k(x)`` is a minimum of functions
linear in the weights, hence concave in each weight (convex when maximising);
:func:`concavity_flags` finds stored values that are not, along each swept
weight with every other swept key held.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ocp.study.store import SUCCESS

#: Swept keys that leave the feasible set unchanged (regular expressions).
SAFE_KEYS = (r"costs\.[^.]+\.weight", r"guess(\..+)?", r"time\.guess")
#: A neighbour's solution must be better by this fraction of the objective's magnitude
#: (and :data:`ABSOLUTE_TOLERANCE`) to count: below it lie the solver's tolerances.
RELATIVE_TOLERANCE = 1e-4
ABSOLUTE_TOLERANCE = 1e-9
_WEIGHT_KEY = re.compile(r"costs\.([^.]+)\.weight")


def is_safe(key: str) -> bool:
    """Whether sweeping ``key`` keeps every run's feasible set the same."""
    return any(re.fullmatch(p, key) for p in SAFE_KEYS)


def weight_term(key: str) -> str | None:
    """The cost term whose weight ``key`` is (``costs.effort.weight`` -> ``effort``)."""
    m = _WEIGHT_KEY.fullmatch(key)
    return m.group(1) if m else None


def tolerance(*values: float) -> float:
    return RELATIVE_TOLERANCE * max(abs(v) for v in values) + ABSOLUTE_TOLERANCE


def better(a: float, b: float, sense: str) -> bool:
    """``a`` better than ``b`` beyond the tolerance (lower, or higher when maximising)."""
    gain = b - a if sense != "maximize" else a - b
    return gain > tolerance(a, b)


@dataclass(frozen=True)
class Beaten:
    """Run ``run_id`` (objective ``own``) scores ``score`` with run ``by``'s solution."""

    run_id: int
    by: int
    own: float
    score: float
    #: the run had converged inaccurately (recorded as failed) before its repair
    was_failed: bool = False


def group_key(run: dict, keys) -> str:
    """The values of the swept keys that may change the feasible set."""
    return json.dumps([run["sweep"].get(k) for k in keys if not is_safe(k)], default=str)


def score(run_i: dict, run_j: dict) -> float | None:
    """``J_i(x_j)``: run ``j``'s solution under run ``i``'s weights, or None when the
    store cannot tell (a term missing, or of weight 0 in run ``j`` but not in ``i``)."""
    terms_i, terms_j = run_i["cost_terms"], run_j["cost_terms"]
    if set(terms_i) != set(terms_j) or run_j["objective"] is None:
        return None
    total = run_j["objective"]
    for name, term_j in terms_j.items():
        w_i, w_j = terms_i[name]["weight"], term_j["weight"]
        if w_i is None or w_j is None:
            return None
        if w_i != w_j:
            if term_j["unweighted"] is None:
                return None
            total += (w_i - w_j) * term_j["unweighted"]
    return total


def converged_inaccurately(run: dict) -> bool:
    """A run that converged on a mesh too coarse for its motion (recorded as failed,
    its message the accuracy warning): a worse optimum often is, so it may be beaten
    and repaired, but its solution challenges no other run."""
    return (run["status"] != SUCCESS and run["objective"] is not None
            and str(run.get("message") or "").startswith("inaccurate"))


def beaten_runs(keys, runs: list[dict], sense: str = "minimize") -> list[Beaten]:
    """Each succeeded (or inaccurately converged) run beaten by another succeeded run's
    solution, with its best challenger (:func:`score` for every pair of a group, one run
    against all at a time)."""
    ok = [r for r in runs if (r["status"] == SUCCESS or converged_inaccurately(r))
          and r["objective"] is not None]
    groups: dict[str, list[dict]] = {}
    for run in ok:
        groups.setdefault(group_key(run, keys), []).append(run)
    out = []
    for group in groups.values():
        out += _beaten_in(group, sense)
    return sorted(out, key=lambda b: b.run_id)


def _beaten_in(group: list[dict], sense: str) -> list[Beaten]:
    names = sorted(group[0]["cost_terms"])
    same = [set(r["cost_terms"]) == set(names) for r in group]

    def table(field):
        return np.array([[r["cost_terms"][n][field] if s and r["cost_terms"][n][field]
                          is not None else np.nan for n in names] if names else []
                         for r, s in zip(group, same)], float).reshape(len(group), len(names))

    w, u = table("weight"), table("unweighted")
    objective = np.array([r["objective"] for r in group], float)
    accurate = np.array([r["status"] == SUCCESS for r in group])  # only these challenge
    sign = -1.0 if sense == "maximize" else 1.0
    out = []
    for i, run in enumerate(group):
        if not same[i]:
            continue
        d = w[i] - w                                  # (n_runs, n_terms): w_ik - w_jk
        scores = objective + np.where(d == 0, 0.0, d * u).sum(axis=1)
        scores[~np.array(same) | (i == np.arange(len(group))) | ~accurate] = np.nan
        gain = sign * (objective[i] - scores)         # > 0: run j's solution is better
        tol = RELATIVE_TOLERANCE * np.maximum(abs(objective[i]), abs(scores)) \
            + ABSOLUTE_TOLERANCE
        gain = np.where(gain > tol, gain, np.nan)
        if np.isfinite(gain).any():
            j = int(np.nanargmax(gain))
            out.append(Beaten(run["run_id"], group[j]["run_id"], run["objective"],
                              float(scores[j]), was_failed=not accurate[i]))
    return out


@dataclass(frozen=True)
class ConcavityFlag:
    """Along ``key``, the objective of ``run_id`` (at ``weight``) lies on the wrong
    side of the chord of runs ``left`` and ``right``: ``value`` against ``chord``.
    One of the three (usually an end) sits in a worse local optimum."""

    key: str
    run_id: int
    weight: float
    value: float
    chord: float
    left: int
    right: int


def concavity_flags(keys, runs: list[dict], sense: str = "minimize") -> list[ConcavityFlag]:
    """Where the stored optimal values are not concave (convex when maximising) in a
    swept weight, every other swept key held: three succeeded runs in a row."""
    flags = []
    for key in keys:
        if weight_term(key) is None:
            continue
        lines: dict[str, list[dict]] = {}
        for run in runs:
            if run["status"] == SUCCESS and run["objective"] is not None \
                    and isinstance(run["sweep"].get(key), (int, float)):
                rest = json.dumps([run["sweep"].get(k) for k in keys if k != key], default=str)
                lines.setdefault(rest, []).append(run)
        for line in lines.values():
            line.sort(key=lambda r: r["sweep"][key])
            for a, b, c in zip(line, line[1:], line[2:]):
                wa, wb, wc = (r["sweep"][key] for r in (a, b, c))
                if not wa < wb < wc:
                    continue
                t = (wb - wa) / (wc - wa)
                chord = (1 - t) * a["objective"] + t * c["objective"]
                # concave: V(b) >= chord (minimising); convex: V(b) <= chord (maximising).
                # A run in a worse local optimum at an end lifts the chord above V(b).
                if better(b["objective"], chord, sense):
                    flags.append(ConcavityFlag(key, b["run_id"], wb, b["objective"], chord,
                                               a["run_id"], c["run_id"]))
    return flags


def study_sense(folder, runs: list[dict]) -> str:
    """``minimize`` or ``maximize``: the ``sense`` in a succeeded run's summary.json."""
    for run in runs:
        if run["status"] == SUCCESS and run["solution_path"]:
            try:
                summary = json.loads((Path(folder) / run["solution_path"] /
                                      "summary.json").read_text())
            except (OSError, ValueError):
                continue
            return summary.get("sense", "minimize")
    return "minimize"
