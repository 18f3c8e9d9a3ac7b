"""Treadmill trials: ``[model] treadmill_speed``, contact friction relative to the belt.

Second method: Galilean invariance. A body on a belt moving at -b along x,
at forward speed v, is the same body overground at forward speed v + b
(and any forward position: the ground is flat). The accelerations, the
ground reactions and the power the ground takes must be equal, to rounding,
in 2D (gait2d_torque) and 3D (the Falisse 2022 model's twelve spheres).
"""
from pathlib import Path

import casadi as ca
import numpy as np
import pytest

from ocp.errors import ProblemError
from ocp.io.problem_file import problem_from_dict
from ocp.io.tables import read_toml
from ocp.models.gait2d import Gait2DParameters, standing_height
from ocp.models.treadmill import belt_speed, on_treadmill

ROOT = Path(__file__).resolve().parents[1]
WALK = ROOT / "problems" / "gait2d_torque.toml"
FALISSE = ROOT.parent / "shared" / "data" / "models3d" / "Falisse_et_al_2022.osim"
BELT_M_S = 1.25


def walk(**model_keys):
    data = read_toml(WALK)
    data["model"] = {**data["model"], **model_keys}
    return problem_from_dict(data, WALK)


def shifted(model, x, speed):
    """State ``x`` with the forward coordinate moved by 0.37 m and its speed by ``speed``."""
    names = list(model.state_names)
    forward = "pelvis_tx"
    x = np.array(x, float)
    x[names.index(forward)] += 0.37
    x[names.index(f"{forward}_speed")] += speed
    return x


def compare_on_belt_and_overground(model, states, controls):
    belt = on_treadmill(model, BELT_M_S)
    assert belt_speed(belt) == BELT_M_S and belt_speed(model) == 0.0
    for x, u in zip(states, controls):
        ground_x = shifted(model, x, BELT_M_S)
        a = np.array(ca.evalf(belt.dynamics_at(ca.DM(x), ca.DM(u), 0.0))).ravel()
        b = np.array(ca.evalf(model.dynamics_at(ca.DM(ground_x), ca.DM(u), 0.0))).ravel()
        b[list(model.state_names).index("pelvis_tx")] -= BELT_M_S   # d(x)/dt: v + b
        scale = max(1.0, float(np.max(np.abs(b))))
        assert np.max(np.abs(a - b)) <= 1e-10 * scale
        out_a = belt.outputs_at(ca.DM(x), ca.DM(u), 0.0)
        out_b = model.outputs_at(ca.DM(ground_x), ca.DM(u), 0.0)
        grf = [n for n in out_a if n.startswith("grf_")]
        assert float(ca.evalf(sum(out_a[n] for n in grf if n.startswith("grf_y")))) > 50.0
        for n in grf:
            assert float(ca.evalf(out_a[n])) == pytest.approx(float(ca.evalf(out_b[n])),
                                                              rel=1e-10, abs=1e-9), n
        # and the friction is not the same as overground at the belt frame's speed
        c = np.array(ca.evalf(model.dynamics_at(ca.DM(x), ca.DM(u), 0.0))).ravel()
        assert np.max(np.abs(a - c)[model.tree.n:]) > 1e-3


def test_a_2d_walk_on_the_belt_is_the_walk_overground_shifted_by_the_belt():
    model = walk().model
    rng = np.random.default_rng(1)
    names = list(model.state_names)
    n = model.tree.n
    # both feet 8 to 15 mm in the ground (stand at zero angles), small joint angles
    stand = standing_height(Gait2DParameters(body_mass_kg=75.0, height_m=1.75))
    states = []
    for _ in range(5):
        x = np.zeros(model.nx)
        x[:n] = rng.uniform(-0.02, 0.02, n)
        x[n:] = rng.uniform(-0.1, 0.1, n)
        x[names.index("pelvis_ty")] = stand - rng.uniform(0.008, 0.015)
        states.append(x)
    controls = [rng.uniform(-0.2, 0.2, model.nu) for _ in states]
    compare_on_belt_and_overground(model, states, controls)
    # the ground's power too (the contact-dissipation cost): relative to the belt
    x = ca.DM(states[0])
    q, qd = x[:model.tree.n], x[model.tree.n:]
    gx = ca.DM(shifted(model, states[0], BELT_M_S))
    belt = on_treadmill(model, BELT_M_S)
    p_belt = float(ca.evalf(belt.ground.power(belt.tree, q, qd, belt.contacts)))
    p_ground = float(ca.evalf(model.ground.power(model.tree, gx[:model.tree.n],
                                                 gx[model.tree.n:], model.contacts)))
    assert p_belt == pytest.approx(p_ground, rel=1e-10) and abs(p_ground) > 1.0


@pytest.mark.skipif(not FALISSE.exists(), reason="Falisse 2022 model absent")
def test_a_3d_model_on_the_belt_is_the_model_overground_shifted_by_the_belt():
    from ocp.osim.model import OsimTorqueModel
    from ocp.osim.model3d import spatial_torque_arguments
    model = OsimTorqueModel(**spatial_torque_arguments(FALISSE, ignore=("muscles",)))
    rng = np.random.default_rng(2)
    names = list(model.state_names)
    states = []
    for _ in range(3):
        x = np.zeros(model.nx)
        n = model.tree.n
        x[:n] = rng.uniform(-0.05, 0.05, n)
        x[n:] = rng.uniform(-0.3, 0.3, n)
        x[names.index("pelvis_ty")] = 0.9568 - rng.uniform(0.004, 0.012)
        states.append(x)
    compare_on_belt_and_overground(model, states, [np.zeros(model.nu)] * 3)


def test_the_problem_file_key_puts_the_feet_on_a_belt():
    problem = walk(treadmill_speed="1.1 m/s")
    assert belt_speed(problem.model) == pytest.approx(1.1)
    assert all(s.belt_speed_m_s == pytest.approx(1.1) for s in problem.model.contacts)


@pytest.mark.parametrize("value, words", [("0 m/s", "non-zero"), ("1.2 kg", "m/s")])
def test_a_bad_belt_speed_is_named(value, words):
    with pytest.raises(ProblemError) as caught:
        walk(treadmill_speed=value)
    assert caught.value.key == "model.treadmill_speed" and words in str(caught.value)


def test_a_model_without_contacts_cannot_go_on_a_belt():
    path = ROOT / "problems" / "pendulum_swingup.toml"
    data = read_toml(path)
    data["model"] = {**data["model"], "treadmill_speed": 1.0}
    with pytest.raises(ProblemError) as caught:
        problem_from_dict(data, path)
    assert caught.value.key == "model.treadmill_speed" and "contact spheres" in str(caught.value)
