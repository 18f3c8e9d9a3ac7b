"""Walking with one soleus at half strength, re-optimised on a whole stride (slow: ~8 min).

The independent expectation is the body's own: the weakened right ankle
produces less plantarflexion moment, the effort per metre rises, and other
muscles' activity grows to carry the walk.
"""
import pytest
from conftest import PROBLEMS

import ocp
from ocp.causal.answers import REOPTIMISED, what_if

pytestmark = pytest.mark.slow


def test_a_weak_right_soleus_lowers_the_right_ankle_moment_and_others_take_over():
    step = ocp.solve(ocp.load_problem(PROBLEMS / "moco_2d_walking_predictive.toml"))
    assert step.success
    stride = ocp.load_problem(PROBLEMS / "moco_2d_walking_weak_soleus.toml")
    stride.guess = step
    original = ocp.solve(stride)
    assert original.success
    answer = what_if(stride, original, stride.interventions, answers=(REOPTIMISED,))
    (c,) = answer.comparisons
    assert c.status == "success"
    right, left = c.moments["ankle_angle_r"], c.moments["ankle_angle_l"]
    print(f"\nright ankle moment peak {right['peak']}, left {left['peak']}; cost "
          f"{c.cost_terms}; takes over {c.takes_over}")
    assert right["peak"][1] < 0.8 * right["peak"][0]
    assert c.cost_terms["effort"][1] > c.cost_terms["effort"][0]
    assert c.activation_integrals["soleus_r"][1] < c.activation_integrals["soleus_r"][0]
    assert c.takes_over  # someone compensates
