"""Gait plots: angles, moments and ground reactions against percent of the cycle; stick figure.

Works from a Solution's outputs alone (marker positions, ``<joint>_moment``,
``grf_*``), so any planar walker with the gait2d marker names is drawn.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

JOINTS = ("hip_flexion", "knee_angle", "ankle_angle")
STICK = (("neck", "hip"), ("hip", "knee_{s}"), ("knee_{s}", "ankle_{s}"),
         ("ankle_{s}", "heel_{s}"), ("heel_{s}", "toe_{s}"), ("toe_{s}", "ankle_{s}"))


def is_gait(solution) -> bool:
    return "grf_y_r" in solution.output_names and "hip_flexion_r" in solution.state_names


def has_stick_figure(solution) -> bool:
    """Whether the markers the stick figure needs are outputs (gait2d models have them)."""
    needed = {"neck", "hip"} | {f"{m}_{s}" for m in ("knee", "ankle", "heel", "toe")
                                for s in ("r", "l")}
    return all(f"{n}_x" in solution.output_names for n in needed)


def _percent(solution):
    t = solution.time
    return 100 * (t - t[0]) / (t[-1] - t[0])


def plot_gait(solution, path: Path) -> Path:
    """Joint angles (deg), joint moments (N m) and ground reactions (body weights)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pct = _percent(solution)
    fig, axes = plt.subplots(3, 3, figsize=(12, 8.5))
    for col, joint in enumerate(JOINTS):
        for side, style in (("r", "-"), ("l", "--")):
            name = f"{joint}_{side}"
            axes[0, col].plot(pct, np.degrees(solution.state(name)), style, label=side)
            if f"{name}_moment" in solution.output_names:
                axes[1, col].plot(pct, solution.output(f"{name}_moment"), style, label=side)
        axes[0, col].set_title(joint.replace("_", " "))
        axes[0, col].set_ylabel(f"{joint} [deg]")
        axes[1, col].set_ylabel(f"{joint} moment [N m]")
    # over a periodic cycle the mean total vertical ground reaction is the body weight
    total = solution.output("grf_y_r") + solution.output("grf_y_l")
    weight = float(np.trapezoid(total, solution.time) / (solution.time[-1] - solution.time[0]))
    weight = weight if weight > 1.0 else None
    for side, style in (("r", "-"), ("l", "--")):
        scale = weight or 1.0
        axes[2, 0].plot(pct, solution.output(f"grf_x_{side}") / scale, style, label=side)
        axes[2, 1].plot(pct, solution.output(f"grf_y_{side}") / scale, style, label=side)
        loaded = solution.output(f"grf_y_{side}") > 20.0
        cop = np.where(loaded, solution.output(f"cop_x_{side}"), np.nan)
        axes[2, 2].plot(pct, cop, style, label=side)
    unit = "BW" if weight else "N"
    axes[2, 0].set_ylabel(f"horizontal GRF [{unit}]")
    axes[2, 1].set_ylabel(f"vertical GRF [{unit}]")
    axes[2, 2].set_ylabel("centre of pressure x [m]")
    for ax in axes.flat:
        ax.grid(alpha=0.3)
        ax.set_xlabel("gait cycle [%]")
    axes[0, 0].legend(fontsize=8)
    fig.suptitle(f"{solution.problem_name} ({solution.status})")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def animate_gait(solution, path: Path, frames: int = 40) -> Path:
    """A stick-figure animation (GIF) of the solved motion, drawn from marker outputs."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation, PillowWriter

    def point(name, k):
        return solution.output(f"{name}_x")[k], solution.output(f"{name}_y")[k]

    index = np.linspace(0, len(solution.time) - 1, frames).round().astype(int)
    xs = np.concatenate([solution.output(n) for n in solution.output_names
                         if n.endswith("_x") and not n.startswith(("grf", "cop"))])
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.set_xlim(xs.min() - 0.3, xs.max() + 0.3)
    ax.set_ylim(-0.05, 1.7)
    ax.set_aspect("equal")
    ax.axhline(0.0, color="0.4", lw=1)
    ax.set_xlabel("x [m]")
    ax.set_ylabel("y [m]")
    lines = {side: ax.plot([], [], "-o", ms=3, lw=2, color=c)[0]
             for side, c in (("r", "C0"), ("l", "C1"))}
    title = ax.set_title("")

    def draw(i):
        k = index[i]
        for side, line in lines.items():
            px, py = [], []
            for a, b in STICK:
                for name in (a.format(s=side), b.format(s=side)):
                    x, y = point(name, k)
                    px.append(x)
                    py.append(y)
                px.append(math.nan)
                py.append(math.nan)
            line.set_data(px, py)
        title.set_text(f"t = {solution.time[k]:.3f} s")
        return list(lines.values()) + [title]

    FuncAnimation(fig, draw, frames=len(index), blit=False).save(
        path, writer=PillowWriter(fps=20))
    plt.close(fig)
    return path
