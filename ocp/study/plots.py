"""Plots of a study (matplotlib, Agg, PNG), every axis labelled with its unit.

- ``costs_vs_KEY.png``: each unweighted cost term, the objective and the
  final time against one swept key, one line per setting of the other keys;
- ``pareto_A_B.png``: the runs in the plane of two unweighted cost terms,
  the non-dominated ones joined (the Pareto front of the sweep);
- ``trajectories_KEY.png``: states, controls and outputs of all runs against
  time, overlaid and coloured by the value of one swept key.
"""
from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from ocp.io.plotting import DISPLAY, time_label
from ocp.solution import Solution
from ocp.study.spec import numeric, short
from ocp.study.store import cost_names, cost_units

#: Units read from the end of a parameter name (``forearm_mass_kg``), longest first.
_NAME_UNITS = [("_Nms_per_rad", "N*m*s/rad"), ("_m_s2", "m/s^2"), ("_kg_m2", "kg*m^2"),
               ("_Nm", "N*m"), ("_kg", "kg"), ("_N", "N"), ("_m", "m"), ("_s", "s"),
               ("_rad", "rad"), ("_deg", "deg")]


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def key_unit(axis: dict) -> str:
    """Unit of a swept key: as written ("0.5 s"), from its name, or "-" (weights, counts)."""
    if axis.get("unit"):
        return axis["unit"]
    key = axis["key"]
    if key.startswith("time."):
        return "s"
    for suffix, unit in _NAME_UNITS:
        if key.endswith(suffix):
            return unit
    if key.startswith(("bounds.", "initial.", "final.")):
        return "SI"
    return "-"


def key_label(axis: dict) -> str:
    return f"{axis['key']} [{key_unit(axis)}]"


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def _positions(axis: dict, runs: list[dict]) -> tuple[np.ndarray, bool]:
    """x of each run on this axis, and whether the axis is ordinal (tick labels)."""
    values = axis["values"]
    xs = [numeric(r["sweep"][axis["key"]]) for r in runs]
    if axis["scale"] == "ordinal" or any(x is None for x in xs):
        index = {repr(v): i for i, v in enumerate(values)}
        return np.array([index[repr(r["sweep"][axis["key"]])] for r in runs], float), True
    return np.array(xs, float), False


def _colour_norm(axis: dict, x: np.ndarray, ordinal: bool):
    from matplotlib.colors import LogNorm, Normalize
    lo, hi = float(np.min(x)), float(np.max(x))
    if hi == lo:
        hi = lo + 1.0
    if axis["scale"] == "log" and not ordinal and lo > 0:
        return LogNorm(lo, hi)
    return Normalize(lo, hi)


def _set_x(ax, axis: dict, ordinal: bool) -> None:
    if ordinal:
        ax.set_xticks(range(len(axis["values"])))
        ax.set_xticklabels([str(v) for v in axis["values"]], rotation=30, fontsize=7)
    elif axis["scale"] == "log":
        ax.set_xscale("log")
    ax.set_xlabel(key_label(axis))


def _maybe_log_y(ax, y) -> None:
    y = np.asarray([v for v in y if v is not None and np.isfinite(v)], float)
    if y.size and np.all(y > 0) and y.max() / y.min() > 100:
        ax.set_yscale("log")


def _panels(n: int, width: float = 4.0, height: float = 3.0):
    plt = _pyplot()
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.set_visible(k < n)
    return plt, fig, list(axes.flat)[:n]


def costs_against_keys(meta: dict, runs: list[dict], out: Path) -> list[Path]:
    """One figure per swept key; one line per setting of the other swept keys."""
    names = cost_names(runs)
    units = cost_units(runs)
    quantities = ([(f"{n} (unweighted) [{units[n]}]",
                    lambda r, n=n: r["cost_terms"].get(n, {}).get("unweighted")) for n in names]
                  + [("objective [-]", lambda r: r["objective"]),
                     ("final time [s]", lambda r: r["final_time_s"])])
    paths = []
    for axis in meta["axes"]:
        others = [a["key"] for a in meta["axes"] if a["key"] != axis["key"]]
        groups: dict = {}
        for run in runs:
            groups.setdefault(tuple(repr(run["sweep"][k]) for k in others), []).append(run)
        plt, fig, axes = _panels(len(quantities))
        cmap = plt.get_cmap("viridis")
        for g, members in enumerate(groups.values()):
            x, ordinal = _positions(axis, members)
            order = np.argsort(x)
            colour = cmap(g / max(len(groups) - 1, 1))
            label = ", ".join(f"{k}={short(members[0]['sweep'][k])}" for k in others) or None
            for ax, (_, get) in zip(axes, quantities):
                y = np.array([get(m) if get(m) is not None else np.nan for m in members], float)
                ax.plot(x[order], y[order], "o-", color=colour, ms=4, lw=1.3, label=label)
        for ax, (title, get) in zip(axes, quantities):
            _set_x(ax, axis, _positions(axis, runs)[1])
            ax.set_ylabel(title, fontsize=9)
            _maybe_log_y(ax, [get(r) for r in runs])
            ax.grid(alpha=0.3)
        if others and len(groups) <= 10:
            axes[0].legend(fontsize=7, title=", ".join(others) if len(others) > 1 else None)
        fig.suptitle(f"{meta.get('title', 'study')}: cost terms against {axis['key']}")
        fig.tight_layout()
        path = out / f"costs_vs_{_safe(axis['key'])}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths


def pareto_indices(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Indices of the points not dominated when minimising both a and b, by a."""
    order = np.lexsort((b, a))
    front, best = [], np.inf
    for i in order:
        if b[i] < best:
            front.append(i)
            best = b[i]
    return np.array(front, int)


def pareto_front(meta: dict, runs: list[dict], terms: tuple[str, str], out: Path) -> Path:
    """Unweighted term A against term B for every run, coloured by the first swept key."""
    plt = _pyplot()
    units = cost_units(runs)
    a_name, b_name = terms
    rows = [r for r in runs if r["cost_terms"].get(a_name, {}).get("unweighted") is not None
            and r["cost_terms"].get(b_name, {}).get("unweighted") is not None]
    a = np.array([r["cost_terms"][a_name]["unweighted"] for r in rows], float)
    b = np.array([r["cost_terms"][b_name]["unweighted"] for r in rows], float)
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    if rows:
        axis = meta["axes"][0]
        x, ordinal = _positions(axis, rows)
        norm = _colour_norm(axis, x, ordinal)
        points = ax.scatter(a, b, c=x, cmap="viridis", norm=norm, s=36, zorder=3,
                            edgecolors="k", linewidths=0.4)
        bar = fig.colorbar(points, ax=ax)
        bar.set_label(key_label(axis))
        front = pareto_indices(a, b)
        ax.plot(a[front], b[front], "k-", lw=1.2, zorder=2,
                label=f"Pareto front ({len(front)} of {len(rows)} runs)")
        if len(front) <= 40:  # run ids beside the front; coinciding runs share a label
            labels: dict = {}
            for i in front:
                same = np.flatnonzero(np.isclose(a, a[i], rtol=1e-6)
                                      & np.isclose(b, b[i], rtol=1e-6))
                labels[tuple(same)] = (a[i], b[i])
            for same, (x_, y_) in labels.items():
                text = ",".join(str(rows[j]["run_id"]) for j in same)
                ax.annotate(text, (x_, y_), fontsize=6, xytext=(3, 3), textcoords="offset points")
        ax.legend(fontsize=8)
        _maybe_log_y(ax, b)
        if np.all(a > 0) and a.max() / a.min() > 100:
            ax.set_xscale("log")
    ax.set_xlabel(f"{a_name} (unweighted) [{units.get(a_name, '-')}]")
    ax.set_ylabel(f"{b_name} (unweighted) [{units.get(b_name, '-')}]")
    ax.set_title(f"{meta.get('title', 'study')}: {a_name} against {b_name}", fontsize=10)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path = out / f"pareto_{_safe(a_name)}_{_safe(b_name)}.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _columns(solution: Solution) -> list[tuple[str, str, np.ndarray]]:
    """(name, unit, values) of every state, control and output."""
    cols = []
    for names, units, values in (
            (solution.state_names, solution.state_units, solution.states),
            (solution.control_names, solution.control_units, solution.controls),
            (solution.output_names, solution.output_units, solution.outputs)):
        if values is None:
            continue
        for j, name in enumerate(names):
            unit = units[j] if j < len(units) else "-"
            cols.append((name, unit, np.asarray(values)[:, j]))
    return cols


def trajectories(meta: dict, runs: list[dict], folder: Path, out: Path) -> list[Path]:
    """One figure per swept key: all runs overlaid, coloured by that key's value."""
    solutions = {}
    for run in runs:
        if run["solution_path"] and (folder / run["solution_path"] / "solution.npz").exists():
            solutions[run["run_id"]] = Solution.load(folder / run["solution_path"])
    runs = [r for r in runs if r["run_id"] in solutions]
    if not runs:
        return []
    first = _columns(solutions[runs[0]["run_id"]])
    paths = []
    for axis in meta["axes"]:
        x, ordinal = _positions(axis, runs)
        norm = _colour_norm(axis, x, ordinal)
        plt, fig, axes = _panels(len(first), 3.6, 2.5)
        cmap = plt.get_cmap("viridis")
        for run, value in zip(runs, x):
            solution = solutions[run["run_id"]]
            for ax, (_, unit, values) in zip(axes, _columns(solution)):
                scale = DISPLAY.get(unit, (None, 1.0))[1]
                ax.plot(solution.time, values * scale, color=cmap(norm(value)), lw=1.0,
                        alpha=0.85)
        for ax, (name, unit, _) in zip(axes, first):
            shown = DISPLAY.get(unit, (unit, 1.0))[0]
            ax.set_ylabel(f"{name} [{shown}]", fontsize=9)
            ax.set_xlabel(time_label(solutions[runs[0]["run_id"]]), fontsize=9)
            ax.grid(alpha=0.3)
        fig.suptitle(f"{meta.get('title', 'study')}: {len(runs)} runs coloured by {axis['key']}")
        fig.tight_layout(rect=(0, 0, 0.9, 1))  # constrained layout is several times slower
        mappable = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
        bar = fig.colorbar(mappable, cax=fig.add_axes((0.92, 0.2, 0.015, 0.6)))
        bar.set_label(key_label(axis) + (" (position in list)" if ordinal else ""))
        path = out / f"trajectories_{_safe(axis['key'])}.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        paths.append(path)
    return paths
