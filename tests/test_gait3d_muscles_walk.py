"""3D predictive walking (problems/gait3d_muscles.toml) from its cold start (issue #23).

gait2392's 92 muscles on Falisse et al. 2019's contact spheres, half a gait cycle
with left-right symmetry, no motion data and no warm start: the walk must come out
of physics and the cost alone. The references are the problem's own symmetry
conditions, its re-simulation tolerance and the vertical ground reaction force of
human walking: peaks of 1.0 to 1.4 body weights (Winter 2009, Biomechanics and
Motor Control of Human Movement, 4th ed., ch. 1 and 5).
"""
import pytest
from conftest import PROBLEMS
from walk_checks import assert_half_cycle_at_speed, vertical_grf_humps

import ocp

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def walk():
    problem = ocp.load_problem(PROBLEMS / "gait3d_muscles.toml")
    assert problem.guess is None     # the shipped cold-start guess, nothing solved before
    return problem, ocp.solve(problem)


def test_converges_to_a_symmetric_half_cycle_at_the_prescribed_speed(walk):
    problem, s = walk
    print(f"\n{s.status} ({s.message}), {s.iterations} iterations, setup "
          f"{s.setup_time_s:.0f} s, IPOPT {s.solve_time_s:.0f} s, J {s.objective:.6g}")
    assert_half_cycle_at_speed(problem, s, 1.25)


def test_vertical_ground_reaction_peaks_of_walking(walk):
    problem, s = walk
    humps = vertical_grf_humps(problem, s)
    print(f"\nvertical GRF peaks {humps.peaks_bw} BW, stance {humps.stance_fraction:.3f}")
    assert humps.peaks_bw
    assert all(1.0 <= peak <= 1.4 for peak in humps.peaks_bw)


def test_the_mesh_agrees_with_a_re_simulation_within_the_problems_tolerance(walk):
    _, s = walk
    a = s.accuracy
    print(f"\nre-simulation: {a}")
    assert a is not None and a["accurate"]
    assert a["error"] <= a["tolerance"]
