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
    x, u = ca.SX.sym("x", model.nx), ca.SX.sym("u", model.nu)

    def evaluate(m):
        """(x, u) -> (x', the ground reaction outputs) of model m, one Function."""
        out = m.outputs_at(x, u, 0.0)
        grf = sorted(n for n in out if n.startswith("grf_"))
        return ca.Function("f", [x, u], [m.dynamics_at(x, u, 0.0),
                                         ca.vertcat(*[out[n] for n in grf])]), grf

    on_belt, grf = evaluate(belt)
    overground, _ = evaluate(model)
    vertical = [i for i, n in enumerate(grf) if n.startswith("grf_y")]
    for state, control in zip(states, controls):
        a, forces_a = (np.array(v).ravel() for v in on_belt(state, control))
        b, forces_b = (np.array(v).ravel() for v in overground(
            shifted(model, state, BELT_M_S), control))
        b[list(model.state_names).index("pelvis_tx")] -= BELT_M_S   # d(x)/dt: v + b
        assert np.max(np.abs(a - b)) <= 1e-10 * max(1.0, float(np.max(np.abs(b))))
        assert forces_a[vertical].sum() > 50.0
        assert np.allclose(forces_a, forces_b, rtol=1e-10, atol=1e-9)
        # and the friction is not the same as overground at the belt frame's speed
        c = np.array(overground(state, control)[0]).ravel()
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


def test_the_walk_s_objective_on_the_belt_equals_the_objective_overground():
    """The torque walk's costs (effort, energy lost to the ground, accelerations) at a
    trajectory overground and at the same trajectory seen from the belt's frame."""
    from ocp.engine.nlp import transcribe
    data = read_toml(WALK)
    data.pop("average_speed")
    data["time"] = {"final": "0.5 s"}
    for cost in data["costs"].values():
        cost.pop("divide_by_displacement", None)
    overground = problem_from_dict(data, WALK)
    data["model"] = {**data["model"], "treadmill_speed": f"{BELT_M_S} m/s"}
    belt = problem_from_dict(data, WALK)
    tp_ground, tp_belt = transcribe(overground), transcribe(belt)
    model = overground.model
    names, n = list(model.state_names), model.tree.n
    time = 0.5 * tp_ground.grid
    stand = standing_height(Gait2DParameters(body_mass_kg=75.0, height_m=1.75))
    X, Z = np.zeros((model.nx, time.size)), np.zeros((tp_ground.nz, time.size))
    for k, name in enumerate(names[:n]):   # a slow sway, both feet 5 to 15 mm deep
        amplitude, phase = (0.005 if name == "pelvis_ty" else 0.03), 2 * np.pi * (time + 0.1 * k)
        X[k] = amplitude * np.sin(phase)
        X[n + k] = amplitude * 2 * np.pi * np.cos(phase)
        if tp_ground.nz:   # implicit dynamics: the accelerations are variables too
            Z[k] = -amplitude * (2 * np.pi) ** 2 * np.sin(phase)
    X[names.index("pelvis_ty")] += stand - 0.010
    U = 0.1 * np.cos(np.outer(np.arange(1, model.nu + 1), time))
    on_belt = X.copy()
    X[names.index("pelvis_tx")] += BELT_M_S * time          # overground: moving forward
    X[names.index("pelvis_tx_speed")] += BELT_M_S
    terms = [np.array(tp.cost_terms(np.vstack([x, U, Z]).ravel(order="F"))).ravel()
             for tp, x in ((tp_ground, X), (tp_belt, on_belt))]
    assert terms[0] == pytest.approx(terms[1], rel=1e-9)
    collisions = tp_ground.cost_names.index("collisions")
    assert terms[0][collisions] > 1e-3 * terms[0].sum()
    # the belt's frame with the overground speeds (the feet slipping at 2.5 m/s): not equal
    slipping = np.array(tp_belt.cost_terms(np.vstack([X, U, Z]).ravel(order="F"))).ravel()
    assert slipping[collisions] > 2 * terms[0][collisions]
