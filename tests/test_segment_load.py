"""A force and a moment on a segment as an intervention (ocp.causal SegmentLoad)."""
import math
import subprocess
import sys
import textwrap

import casadi as ca
import numpy as np
import pytest

from ocp import Problem, SquaredControls
from ocp.causal.interventions import SegmentLoad, intervene
from ocp.errors import ProblemError
from ocp.models.library import build_model

G = 9.80665


def _pendulum_with(load):
    problem = Problem(model=build_model("pendulum"), final_time=1.0)
    problem.minimize(SquaredControls("effort"))
    return intervene(problem, [load]).model


@pytest.mark.parametrize("q_deg, fx, fy, mz", [(30.0, 0.0, 4.0, 0.0), (-50.0, 3.0, -2.0, 0.0),
                                              (70.0, -1.5, 2.5, 0.7)])
def test_pendulum_holds_still_with_the_torque_of_r_cross_f(q_deg, fx, fy, mz):
    """Static equilibrium of a point mass m on a rod L with a tip force F and moment M:
    tau = m g L sin q - (r x F)_z - M, with r = L (sin q, -cos q)."""
    model = _pendulum_with(SegmentLoad("rod", (0.0, -1.0), fx, fy, mz))
    q = math.radians(q_deg)
    r = np.array([math.sin(q), -math.cos(q)])
    tau = G * math.sin(q) - (r[0] * fy - r[1] * fx) - mz
    f = model.dynamics_function()
    assert abs(float(f([q, 0.0], [tau])[1])) < 1e-12
    # without the torque the pendulum accelerates by exactly tau / (m L^2)
    assert float(f([q, 0.0], [0.0])[1]) == pytest.approx(-tau, abs=1e-12)


def test_a_force_history_is_read_at_the_current_time():
    """F_y(t) linear from 0 to 10 N over 1 s: at t = 0.25 s the hanging-horizontal pendulum
    (q = 90 deg) feels 2.5 N at its tip, a torque of L F_y = 2.5 N m against gravity's m g L."""
    load = SegmentLoad("rod", (0.0, -1.0), 0.0, ((0.0, 1.0), (0.0, 10.0)), 0.0)
    model = _pendulum_with(load)
    assert model.state_names[-1] == "intervention_clock"
    qdd = float(model.dynamics_function()([math.pi / 2, 0.0, 0.25], [0.0])[1])
    assert qdd == pytest.approx(-G + 2.5, abs=1e-12)


def test_force_on_the_forearm_acts_on_both_joints_through_the_jacobian():
    """Two-link arm: a force at the hand; generalised forces J^T F with J from CasADi's
    own differentiation of the hand position (a second method)."""
    base = build_model("two_link_arm")
    F = np.array([3.0, -5.0])
    problem = Problem(model=base, final_time=1.0)
    problem.minimize(SquaredControls("effort"))
    loaded = intervene(problem, [SegmentLoad("forearm", (0.33, 0.0), *F)]).model
    q = ca.SX.sym("q", 2)
    hand = base.outputs(ca.vertcat(q, 0, 0), ca.DM.zeros(2))
    J = ca.jacobian(ca.vertcat(hand["hand_x"], hand["hand_y"]), q)
    x = np.array([0.4, 1.1, 0.0, 0.0])
    generalised = np.array(ca.Function("j", [q], [J.T @ F])(x[:2])).ravel()
    # the loaded model with torques -J^T F stays at rest (no speed, no gravity)
    f = loaded.dynamics_function()
    assert np.max(np.abs(np.array(f(x, -generalised))[2:])) < 1e-12
    assert np.max(np.abs(np.array(f(x, [0.0, 0.0]))[2:])) > 1.0


def test_unknown_segment_is_refused_with_the_closest_name():
    problem = Problem(model=build_model("two_link_arm"), final_time=1.0)
    problem.minimize(SquaredControls("effort"))
    with pytest.raises(ProblemError, match="did you mean 'forearm'"):
        intervene(problem, [SegmentLoad("forarm", (0.1, 0.0), 0.0, -1.0)])


def test_problem_file_segment_load_with_a_bad_point_exits_2(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(textwrap.dedent("""
        [model]
        name = "pendulum"
        [time]
        final = "1 s"
        [costs.effort]
        type = "squared_controls"
        [intervention.push]
        do = "segment_load"
        segment = "rod"
        point = ["1 kg", 0]
        force = [0, "2 N"]
    """))
    run = subprocess.run([sys.executable, "-m", "ocp", "solve", str(path), "--out",
                          str(tmp_path / "out")], capture_output=True, text=True)
    assert run.returncode == 2
    assert "intervention.push.point" in run.stderr and "Traceback" not in run.stderr
