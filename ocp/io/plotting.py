"""Plots of a solution: states, controls and cost terms against time (PNG)."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

#: Display conversions: angles in degrees read better than radians.
DISPLAY = {"rad": ("deg", 180.0 / math.pi), "rad/s": ("deg/s", 180.0 / math.pi),
            "rad/s^2": ("deg/s^2", 180.0 / math.pi)}


def time_label(solution) -> str:
    """The time axis' label: ``time [s]``, or ``time`` for a dimensionless problem
    (``units = "none"``), whose time is not in seconds."""
    return "time" if solution.units == "none" else "time [s]"


def _grid(n: int):
    cols = min(n, 3)
    return max(1, math.ceil(n / cols)), max(cols, 1)


def time_axis_below(axes) -> None:
    """The time's tick labels on the bottom row only, as ``sharex=True`` draws them:
    every panel has the same time, so the same limits and ticks. Not shared, because
    matplotlib updates a shared axis over all its siblings for each of them (the
    Falisse model's 254 state panels: minutes of drawing)."""
    for ax in axes[:-1].flat:
        ax.xaxis.set_tick_params(which="both", labelbottom=False)
        ax.xaxis.offsetText.set_visible(False)


def _panel_figure(time, values, names, units, title, path: Path, xlabel="time [s]"):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(names)
    rows, cols = _grid(n)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 2.8 * rows), squeeze=False)
    time_axis_below(axes)
    for k, ax in enumerate(axes.flat):
        if k >= n:
            ax.set_visible(False)
            continue
        unit, scale = DISPLAY.get(units[k] if k < len(units) else "-", (None, 1.0))
        unit = unit or (units[k] if k < len(units) else "-")
        ax.plot(time, values[:, k] * scale, lw=1.6)
        ax.set_title(names[k], fontsize=10)
        ax.set_ylabel(f"{names[k]} [{unit}]", fontsize=9)
        ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel(xlabel)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _cost_figure(solution, path: Path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(solution.cost_terms)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
    t = solution.time
    if solution.cost_integrands is not None and solution.cost_integrands.size:
        for k, name in enumerate(names):
            running = np.concatenate([[0.0], np.cumsum(
                0.5 * np.diff(t) * (solution.cost_integrands[1:, k]
                                    + solution.cost_integrands[:-1, k]))])
            ax1.plot(t, running, label=name)
    ax1.set_xlabel(time_label(solution))
    ax1.set_ylabel("running integral of weighted term [-]")
    ax1.set_title("integral cost terms over time")
    ax1.grid(alpha=0.3)
    if names:
        ax1.legend(fontsize=8)
    values = [solution.cost_terms[n] for n in names]
    ax2.barh(names, values)
    ax2.set_xlabel("weighted value [-]")
    ax2.set_title(f"objective {solution.objective:.6g}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _muscle_figure(solution, path: Path):
    """Activation and tendon force of every muscle, one row per muscle (with the
    scaled EMG envelope where the problem tracked one)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    muscles = [n[:-len("_activation")] for n in solution.state_names + solution.control_names
               if n.endswith("_activation")]
    fig, axes = plt.subplots(len(muscles), 2, figsize=(9, 1.9 * len(muscles)), squeeze=False)
    time_axis_below(axes)
    for row, muscle in zip(axes, muscles):
        name = f"{muscle}_activation"
        if name in solution.state_names:
            activation = solution.state(name)
        else:
            activation = solution.control(name)
        row[0].plot(solution.time, activation, lw=1.6, label="activation")
        if f"{muscle}_excitation" in solution.control_names:
            row[0].plot(solution.time, solution.control(f"{muscle}_excitation"), lw=1.0,
                        ls="--", label="excitation")
        emg = ((solution.emg or {}).get("muscles") or {}).get(muscle)
        if emg:   # the [emg] envelope times its estimated scale (ocp.analysis.emg)
            row[0].plot(solution.time, emg["scaled_emg"], lw=1.2, color="k", alpha=0.6,
                        label=f"EMG x {emg['scale']:.3g}")
            row[0].legend(fontsize=7)
        row[0].set_ylabel(f"{muscle} [-]", fontsize=9)
        row[0].set_ylim(-0.02, max(0.1, 1.1 * float(max(activation))))
        row[0].grid(alpha=0.3)
        if f"{muscle}_force" in solution.output_names:
            row[1].plot(solution.time, solution.output(f"{muscle}_force"), lw=1.6, color="C3")
        row[1].set_ylabel(f"{muscle} force [N]", fontsize=9)
        row[1].grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    axes[0][0].set_title("activation and excitation")
    axes[0][1].set_title("tendon force")
    for ax in axes[-1]:
        ax.set_xlabel(time_label(solution))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_solution(solution, folder) -> list[Path]:
    """Write states.png, controls.png and costs.png into ``folder``; return their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    title = f"{solution.problem_name} ({solution.status})"
    paths = [_panel_figure(solution.time, solution.states, solution.state_names,
                           solution.state_units, f"states: {title}", folder / "states.png",
                           time_label(solution))]
    if solution.control_names:
        paths.append(_panel_figure(solution.time, solution.controls, solution.control_names,
                                   solution.control_units, f"controls: {title}",
                                   folder / "controls.png", time_label(solution)))
    if any(n.endswith("_activation") for n in solution.state_names + solution.control_names):
        paths.append(_muscle_figure(solution, folder / "muscles.png"))
    from ocp.io.plotting_gait import animate_gait, has_stick_figure, is_gait, plot_gait
    if is_gait(solution):
        paths.append(plot_gait(solution, folder / "gait.png"))
        if has_stick_figure(solution):
            paths.append(animate_gait(solution, folder / "gait.gif"))
    from ocp.io.plotting_gait3d import animate_gait3d, has_stick_figure3d, is_gait3d, plot_gait3d
    if is_gait3d(solution):
        paths.append(plot_gait3d(solution, folder / "gait3d.png"))
        if has_stick_figure3d(solution):
            paths.append(animate_gait3d(solution, folder / "gait3d.gif"))
    paths.append(_cost_figure(solution, folder / "costs.png"))
    return paths
