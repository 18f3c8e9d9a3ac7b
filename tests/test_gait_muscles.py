"""Predictive muscle-driven walking (problems/gait2d_muscles.toml) from its shipped guess.

No motion data and no warm start: the walk must come out of physics and the
cost alone with the vertical ground reaction force of human walking, two
humps (weight acceptance, push-off) of 1.0 to 1.4 body weights (Winter 2009,
Biomechanics and Motor Control of Human Movement, 4th ed., ch. 1 and 5).
"""
import pytest
from conftest import PROBLEMS
from walk_checks import assert_half_cycle_at_speed, vertical_grf_humps

import ocp

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def walk():
    problem = ocp.load_problem(PROBLEMS / "gait2d_muscles.toml")
    assert problem.guess is None     # the shipped interpolated guess, nothing solved before
    return problem, ocp.solve(problem)


def test_walks_a_periodic_half_cycle_at_the_prescribed_speed(walk):
    problem, s = walk
    assert_half_cycle_at_speed(problem, s, 1.2)


def test_vertical_ground_reaction_has_the_two_humps_of_walking(walk):
    problem, s = walk
    humps = vertical_grf_humps(problem, s)
    print(f"\nvertical GRF peaks {humps.peaks_bw} BW, valley {humps.valley_bw:.3f} BW, "
          f"stance {humps.stance_fraction:.3f}, max_dynamics_error {s.max_dynamics_error:.3g}, "
          f"{s.iterations} iterations, {s.solve_time_s:.1f} s")
    assert humps.two_humped
    assert all(1.0 <= peak <= 1.4 for peak in humps.peaks_bw)
    assert 0.55 < humps.stance_fraction < 0.65      # walking: about 60 % stance


def test_the_mesh_agrees_with_a_re_simulation_of_its_controls(walk):
    _, s = walk
    # state units (m, rad, m/s, rad/s): the largest deviation of any state over one
    # 5.4 ms interval is an ankle or knee speed at heel strike (0.042 rad/s measured,
    # against 3 to 9 rad/s of range over the step; 0.089 at 50 intervals)
    assert s.max_dynamics_error < 0.05
