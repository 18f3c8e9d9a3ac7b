"""Predictive walking with the torque-driven planar gait model: physics of the solution."""
import casadi as ca
import numpy as np
import pytest
from conftest import PROBLEMS
from scipy.integrate import solve_ivp

import ocp
from ocp.analysis.gait_analysis import grf_humps, stride_vertical_grf
from ocp.data.references import body_weight_N
from ocp.engine.mesh_refinement import transcription_of
from ocp.io.plotting_gait import animate_gait, plot_gait

G = 9.80665


@pytest.fixture(scope="module")
def gait():
    problem = ocp.load_problem(PROBLEMS / "gait2d_torque.toml")
    return problem, ocp.solve(problem)


def test_half_cycle_walks_at_the_prescribed_speed_with_mirrored_legs(gait):
    problem, s = gait
    assert s.success
    distance = s.state("pelvis_tx")[-1] - s.state("pelvis_tx")[0]
    assert distance / s.final_time == pytest.approx(1.2, rel=1e-8)
    for a, b in problem.mirror:
        assert s.state(a)[-1] == pytest.approx(s.state(b)[0], abs=1e-7)
        assert s.state(b)[-1] == pytest.approx(s.state(a)[0], abs=1e-7)
    # one foot always on the ground, and a flight-free walk: some double support
    fy_r, fy_l = s.output("grf_y_r"), s.output("grf_y_l")
    assert np.all(fy_r + fy_l > 50.0)


def test_mean_ground_reaction_equals_body_weight_over_the_cycle(gait):
    """Periodic motion: the impulse of the ground reaction balances gravity, and no
    net horizontal impulse (Newton's second law over the cycle)."""
    problem, s = gait
    mass = sum(seg.mass_kg for seg in problem.model.tree.segments)
    t = s.time
    mean_y = np.trapezoid(s.output("grf_y_r") + s.output("grf_y_l"), t) / (t[-1] - t[0])
    mean_x = np.trapezoid(s.output("grf_x_r") + s.output("grf_x_l"), t) / (t[-1] - t[0])
    # trapezoid on the collocation grid vs the Simpson quadrature of the NLP: ~1 %
    assert mean_y == pytest.approx(mass * G, rel=0.02)
    assert abs(mean_x) < 0.02 * mass * G


def test_gait_plots_and_stick_figure_are_drawn(gait, tmp_path):
    _, s = gait
    assert plot_gait(s, tmp_path / "gait.png").stat().st_size > 20_000
    gif = animate_gait(s, tmp_path / "gait.gif", frames=6)
    assert gif.read_bytes()[:6] in (b"GIF89a", b"GIF87a")


def test_vertical_ground_reaction_has_the_two_humps_of_walking(gait):
    """Weight acceptance and push-off peaks of 1.0 to 1.4 body weights (Winter 2009,
    ch. 1) with a mid-stance valley, on a periodic half cycle.

    Measured: peaks 1.19 and 1.02 BW, valley 0.80 BW (1.19 and 1.02 at 100
    intervals). Without the contact_dissipation term the same file lands on a
    straight leg with a 4.0 BW heel-strike spike.
    """
    problem, s = gait
    assert s.success
    for name in problem.periodic:
        assert s.state(name)[-1] == pytest.approx(s.state(name)[0], abs=1e-6), name
    for a, b in problem.mirror:
        for suffix in ("", "_speed"):
            assert s.state(a + suffix)[-1] == pytest.approx(s.state(b + suffix)[0], abs=1e-6)
    percent, force = stride_vertical_grf(s)
    humps = grf_humps(percent, force, body_weight_N(problem.model))
    print(f"\nvertical GRF peaks {humps.peaks_bw} BW, valley {humps.valley_bw:.2f} BW")
    assert humps.two_humped
    assert all(1.0 <= peak <= 1.4 for peak in humps.peaks_bw)


def test_each_interval_replays_onto_the_refined_mesh(gait):
    """Played back through the model's explicit dynamics by a second integrator
    (scipy's Radau, not the CVODES of ocp.engine.consistency), each interval starting
    from its collocated state ends within 0.05 state units (m, rad, m/s, rad/s)
    of the collocated states at its end and middle.

    On 50 equal intervals the toe leaves the ground still loaded and the
    ankle speed of that interval replays 0.27 rad/s off; the file's
    [transcription.refinement] cuts the few intervals that are off and solves
    again from the solution.
    """
    problem, s = gait
    refinement = s.extra["mesh_refinement"]
    assert refinement["passes"][0]["max_dynamics_error"] > 0.05  # 50 equal intervals
    scheme = transcription_of(s, problem.transcription)
    assert scheme.intervals < 60  # a few intervals cut, not the whole mesh
    assert scheme.n_points == len(s.time)
    u = scheme.control_function(s.time, s.controls)
    f = ca.Function("f", [x_s := ca.SX.sym("x", problem.model.nx),
                          u_s := ca.SX.sym("u", problem.model.nu)],
                    [problem.model.dynamics(x_s, u_s)])
    worst = 0.0
    for k in range(scheme.intervals):
        cols = scheme.interval_columns(k)
        t = s.time[cols]
        replay = solve_ivp(lambda ti, x: np.array(f(x, u(ti))).ravel(), (t[0], t[-1]),
                           s.states[cols.start], method="Radau", t_eval=t[1:],
                           rtol=1e-9, atol=1e-9)
        assert replay.success, k
        worst = max(worst, np.abs(replay.y.T - s.states[cols][1:]).max())
    print(f"\nlargest replay error {worst:.3g} on {scheme.intervals} intervals")
    assert worst < 0.05
    assert s.max_dynamics_error == pytest.approx(worst, rel=0.01, abs=1e-4)


@pytest.mark.slow
def test_a_faster_walk_needs_one_key(gait):
    _, slow = gait
    problem = ocp.load_problem(PROBLEMS / "gait2d_torque.toml", {"average_speed.value": 1.5})
    problem.guess = slow
    fast = ocp.solve(problem)
    assert fast.success
    distance = fast.state("pelvis_tx")[-1] - fast.state("pelvis_tx")[0]
    assert distance / fast.final_time == pytest.approx(1.5, rel=1e-8)


@pytest.mark.slow
def test_muscle_driven_walk_from_the_torque_driven_one(gait):
    """Moco's 2D walking model, read from its .osim file, walks from our predicted torque gait."""
    _, torque_walk = gait
    problem = ocp.load_problem(PROBLEMS / "gait2d_muscles.toml")
    problem.guess = torque_walk
    s = ocp.solve(problem)
    assert s.success
    mass = sum(seg.mass_kg for seg in problem.model.tree.segments)
    t = s.time
    mean_y = np.trapezoid(s.output("grf_y_r") + s.output("grf_y_l"), t) / (t[-1] - t[0])
    assert mean_y == pytest.approx(mass * G, rel=0.02)
    distance = s.state("pelvis_tx")[-1] - s.state("pelvis_tx")[0]
    assert distance / s.final_time == pytest.approx(1.2, rel=1e-6)
