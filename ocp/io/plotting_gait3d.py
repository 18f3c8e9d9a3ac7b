"""3D gait plots: angles, ground reactions and activations against percent of the cycle; a
3D stick figure.

Works from a Solution alone: coordinates (gait2392 / Falisse 2022 names), per-foot
``grf_{x,y,z}_<foot>`` of the spatial contacts and body origins
``<body>_origin_{x,y,z}`` (``ocp.models.spatial_muscle_driven``). The 2D gait plots
(ocp.io.plotting_gait) draw the sagittal view; these add the frontal and transverse
angles, the lateral force and the 3D figure.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

ANGLES = ("pelvis_tilt", "pelvis_list", "pelvis_rotation", "hip_flexion", "hip_adduction",
          "hip_rotation", "knee_angle", "ankle_angle", "lumbar_extension")
#: muscles drawn, when the model has them (gait2392 / Falisse 2022 names)
MUSCLES = ("glut_max1", "glut_med1", "iliacus", "rect_fem", "vas_int", "bifemlh", "med_gas",
           "soleus", "tib_ant")
#: the stick figure: body origin to body origin, per side
STICK = (("torso", "pelvis"), ("pelvis", "femur_{s}"), ("femur_{s}", "tibia_{s}"),
         ("tibia_{s}", "talus_{s}"), ("talus_{s}", "calcn_{s}"), ("calcn_{s}", "toes_{s}"))


def is_gait3d(solution) -> bool:
    return "grf_z_r" in solution.output_names and "hip_adduction_r" in solution.state_names


def has_stick_figure3d(solution) -> bool:
    bodies = {b.format(s=s) for pair in STICK for b in pair for s in ("r", "l")}
    return all(f"{b}_origin_x" in solution.output_names for b in bodies)


def _percent(solution):
    t = solution.time
    return 100 * (t - t[0]) / (t[-1] - t[0])


def body_weight_N(solution) -> float | None:
    """Mean total vertical ground reaction over the cycle (the body weight of a periodic
    walk), or None without contact force."""
    total = solution.output("grf_y_r") + solution.output("grf_y_l")
    t = solution.time
    weight = float(np.trapezoid(total, t) / (t[-1] - t[0]))
    return weight if weight > 1.0 else None


def plot_gait3d(solution, path: Path) -> Path:
    """Angles (deg), ground reactions (body weights) and activations against % cycle."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pct = _percent(solution)
    fig, axes = plt.subplots(4, 4, figsize=(15, 11))
    panels = iter(axes.flat)
    for joint in ANGLES:
        ax = next(panels)
        names = [joint] if f"{joint}" in solution.state_names else \
            [f"{joint}_{s}" for s in ("r", "l")]
        for name, style in zip(names, ("-", "--")):
            if name in solution.state_names:
                ax.plot(pct, np.degrees(solution.state(name)), style,
                        label=name.rsplit("_", 1)[-1] if len(names) > 1 else None)
        ax.set_ylabel(f"{joint.replace('_', ' ')} [deg]", fontsize=9)
    weight = body_weight_N(solution) or 1.0
    unit = "BW" if weight > 1.0 else "N"
    for axis, label in (("x", "forward"), ("y", "vertical"), ("z", "lateral")):
        ax = next(panels)
        for side, style in (("r", "-"), ("l", "--")):
            ax.plot(pct, solution.output(f"grf_{axis}_{side}") / weight, style, label=side)
        ax.set_ylabel(f"{label} GRF [{unit}]", fontsize=9)
    activations = [m for m in MUSCLES if f"{m}_r_activation" in solution.state_names]
    for group in (activations[:5], activations[5:]):
        ax = next(panels)
        for k, m in enumerate(group):
            ax.plot(pct, solution.state(f"{m}_r_activation"), color=f"C{k}", label=m)
        ax.set_ylabel("activation (right) [-]", fontsize=9)
        if group:
            ax.legend(fontsize=7)
    for ax in panels:
        ax.axis("off")
    for ax in axes.flat:
        if ax.axison:
            ax.grid(alpha=0.3)
            ax.set_xlabel("gait cycle [%]", fontsize=9)
    axes[0, 3].legend(fontsize=8)
    fig.suptitle(f"{solution.problem_name} ({solution.status})")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def animate_gait3d(solution, path: Path, frames: int = 40) -> Path:
    """A 3D stick-figure animation (GIF) of the solved motion from the body origins, with
    each foot's ground reaction force drawn at its centre of pressure (1 m per body
    weight)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation, PillowWriter

    def origin(body, k):   # plotted as (x forward, z lateral, y up)
        return [solution.output(f"{body}_origin_{a}")[k] for a in "xzy"]

    index = np.linspace(0, len(solution.time) - 1, frames).round().astype(int)
    x = solution.output("pelvis_origin_x")
    weight = body_weight_N(solution) or 1.0
    fig = plt.figure(figsize=(6, 6))
    ax = fig.add_subplot(projection="3d")
    ax.set_xlim(x.min() - 0.6, x.max() + 0.6)
    ax.set_ylim(-0.8, 0.8)
    ax.set_zlim(0.0, 1.6)
    ax.set_box_aspect((x.max() - x.min() + 1.2, 1.6, 1.6))
    ax.set_xlabel("x (forward) [m]")
    ax.set_ylabel("z (lateral) [m]")
    ax.set_zlabel("y (up) [m]")
    ax.view_init(elev=15, azim=-60)
    lines = {side: ax.plot([], [], [], "-o", ms=3, lw=2, color=c)[0]
             for side, c in (("r", "C0"), ("l", "C1"))}
    forces = {side: ax.plot([], [], [], "-", lw=1.5, color=c)[0]
              for side, c in (("r", "C3"), ("l", "C2"))}
    title = ax.set_title("")

    def draw(i):
        k = index[i]
        for side, line in lines.items():
            points = []
            for a, b in STICK:
                points += [origin(a.format(s=side), k), origin(b.format(s=side), k),
                           [np.nan] * 3]
            p = np.array(points)
            line.set_data(p[:, 0], p[:, 1])
            line.set_3d_properties(p[:, 2])
            f = np.array([solution.output(f"grf_{a}_{side}")[k] for a in "xzy"]) / weight
            c = np.array([solution.output(f"cop_{a}_{side}")[k] for a in "xzy"])
            shown = f[2] > 0.02
            forces[side].set_data([c[0], c[0] + f[0]] if shown else [],
                                  [c[1], c[1] + f[1]] if shown else [])
            forces[side].set_3d_properties([c[2], c[2] + f[2]] if shown else [])
        title.set_text(f"t = {solution.time[k]:.3f} s")
        return list(lines.values()) + list(forces.values()) + [title]

    FuncAnimation(fig, draw, frames=len(index), blit=False).save(
        path, writer=PillowWriter(fps=20))
    plt.close(fig)
    return path
