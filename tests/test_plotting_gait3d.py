"""3D gait plots and the 3D stick figure (ocp.io.plotting_gait3d) from a Solution's names.

A synthetic walk: the outputs a 3D muscle-driven model with contacts gives (per-foot GRF,
centre of pressure, body origins), angles and activations; the files are written and the
body weight read back from the GRF is the closed-form mean of the two feet."""
from types import SimpleNamespace

import numpy as np
import pytest

from ocp.io.plotting_gait3d import (
    STICK,
    animate_gait3d,
    body_weight_N,
    has_stick_figure3d,
    is_gait3d,
    plot_gait3d,
)


def synthetic_walk(points=21):
    t = np.linspace(0.0, 1.0, points)
    phase = 2 * np.pi * t
    states = {"pelvis_tilt": 0.1 * np.sin(phase), "pelvis_list": 0.05 * np.sin(phase),
              "hip_flexion_r": 0.4 * np.sin(phase), "hip_flexion_l": -0.4 * np.sin(phase),
              "hip_adduction_r": 0.05 * np.cos(phase), "hip_adduction_l": -0.05 * np.cos(phase),
              "knee_angle_r": -0.3 * (1 - np.cos(phase)),
              "knee_angle_l": -0.3 * (1 + np.cos(phase)),
              "soleus_r_activation": 0.2 + 0.1 * np.sin(phase),
              "tib_ant_r_activation": 0.1 + 0.05 * np.cos(phase)}
    outputs = {}
    for side, shift in (("r", 0.0), ("l", np.pi)):
        load = np.clip(np.sin(phase + shift), 0, None)
        outputs.update({f"grf_x_{side}": 50 * load, f"grf_y_{side}": 1400 * load,
                        f"grf_z_{side}": 20 * load, f"cop_x_{side}": t, f"cop_y_{side}": 0 * t,
                        f"cop_z_{side}": 0.1 * (1 if side == "r" else -1) + 0 * t})
    bodies = {b.format(s=s) for pair in STICK for b in pair for s in ("r", "l")}
    for k, body in enumerate(sorted(bodies)):
        outputs.update({f"{body}_origin_x": t + 0.01 * k,
                        f"{body}_origin_y": 1.0 - 0.05 * k + 0 * t,
                        f"{body}_origin_z": 0.01 * k + 0 * t})
    return SimpleNamespace(
        time=t, state_names=list(states), output_names=list(outputs),
        state=lambda n: states[n], output=lambda n: outputs[n], problem_name="walk3d",
        status="success")


def test_gait3d_plots_and_stick_figure_are_written(tmp_path):
    walk = synthetic_walk()
    assert is_gait3d(walk) and has_stick_figure3d(walk)
    # the mean of the two feet's vertical force: 1400 N x mean(max(sin, 0)) x 2 = 1400 x 2/pi
    assert body_weight_N(walk) == pytest.approx(1400 * 2 / np.pi, rel=0.02)
    png = plot_gait3d(walk, tmp_path / "gait3d.png")
    gif = animate_gait3d(walk, tmp_path / "gait3d.gif", frames=5)
    assert png.stat().st_size > 10_000 and gif.stat().st_size > 5_000
    assert gif.read_bytes()[:6] in (b"GIF89a", b"GIF87a")


def test_a_planar_walk_is_not_a_3d_gait():
    walk = synthetic_walk()
    walk.output_names = [n for n in walk.output_names if not n.startswith("grf_z")]
    assert not is_gait3d(walk)
