"""A whole stride from a mirrored half cycle, checked on a step whose stride is known."""
import numpy as np
import pytest
from conftest import PROBLEMS

import ocp
from ocp.analysis.stride import full_stride
from ocp.solution import Solution


def half_cycle(problem, points=21, step_m=0.6):
    """Right hip cos(pi s), left hip -cos(pi s) over s in [0, 1]: its stride is cos(pi s)
    over [0, 2] for the right hip. Activations likewise, pelvis_tx moving linearly."""
    s = np.linspace(0, 1, points)
    names = list(problem.model.state_names)
    X = np.zeros((points, len(names)))
    for side, sign in (("r", 1.0), ("l", -1.0)):
        X[:, names.index(f"hip_flexion_{side}")] = sign * np.cos(np.pi * s)
        X[:, names.index(f"soleus_{side}_activation")] = 0.5 + 0.4 * sign * np.cos(np.pi * s)
    X[:, names.index("pelvis_tx")] = step_m * s
    controls = list(problem.model.control_names)
    U = np.zeros((points, len(controls)))
    U[:, controls.index("soleus_r_excitation")] = 0.1 + s
    U[:, controls.index("soleus_l_excitation")] = 2.0 - s
    return Solution(time=0.5 * s, states=X, controls=U, state_names=names,
                    control_names=controls, status="success", objective=0.0, cost_terms={},
                    final_time=0.5, iterations=0, solve_time_s=0.0)


def test_stride_of_a_mirrored_step_continues_each_leg_and_the_walk():
    problem = ocp.load_problem(PROBLEMS / "moco_2d_walking_predictive.toml")
    stride = full_stride(half_cycle(problem), problem)
    s = np.linspace(0, 2, 41)
    assert stride.time == pytest.approx(0.5 * s)
    assert stride.state("hip_flexion_r") == pytest.approx(np.cos(np.pi * s), abs=1e-12)
    assert stride.state("hip_flexion_l") == pytest.approx(-np.cos(np.pi * s), abs=1e-12)
    assert stride.state("soleus_r_activation") == pytest.approx(0.5 + 0.4 * np.cos(np.pi * s))
    assert stride.state("pelvis_tx") == pytest.approx(0.6 * s)
    # the right excitation of the second step is the left one of the first
    assert stride.control("soleus_r_excitation")[21:] == pytest.approx(2.0 - s[21:] + 1.0)
    # a stride returns to where it started: every state but the walking one
    first, last = stride.states[0], stride.states[-1]
    walking = list(stride.state_names).index("pelvis_tx")
    assert np.delete(last - first, walking) == pytest.approx(0, abs=1e-12)


def test_a_problem_without_mirror_has_no_half_cycles():
    problem = ocp.load_problem(PROBLEMS / "pendulum_swingup.toml")
    with pytest.raises(ValueError, match="mirror"):
        full_stride(half_cycle(ocp.load_problem(PROBLEMS / "moco_2d_walking_predictive.toml")),
                    problem)
