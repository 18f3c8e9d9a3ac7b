"""The energy a walker loses to the ground: power of the ground reaction forces."""
import casadi as ca
import numpy as np
import pytest
from conftest import PROBLEMS

import ocp
from ocp.models.contact import sphere_kinematics
from ocp.models.gait2d import Gait2DParameters, gait2d_torque


def _walker_in_contact(model, rng):
    """A random posture and motion with the lowest sphere 5-25 mm deep in the ground."""
    n = model.tree.n
    q = rng.uniform(-0.4, 0.4, n)
    q[model.tree.coordinates.index("pelvis_ty")] = 0.9
    q[[model.tree.coordinates.index(f"knee_angle_{s}") for s in "rl"]] = rng.uniform(-0.8, 0, 2)
    qd = rng.uniform(-1.5, 1.5, n)
    depth = max(float(d) for d, *_ in sphere_kinematics(model.tree, q, qd, model.contacts))
    q[model.tree.coordinates.index("pelvis_ty")] += depth - rng.uniform(0.005, 0.025)
    return np.concatenate([q, qd])


def test_ground_power_is_what_changes_mechanical_energy_beyond_the_joints_work():
    """dE/dt = tau . q' + P_ground along the equations of motion (work-energy theorem).

    dE/dt comes from differentiating the model's mechanical energy (kinetic plus
    gravitational) along its forward dynamics, a second method independent of
    the contact-point velocities the power is built from.
    """
    model = gait2d_torque(Gait2DParameters())
    n = model.tree.n
    x, u = ca.SX.sym("x", model.nx), ca.SX.sym("u", model.nu)
    energy = model.outputs(x, u)["mechanical_energy"]
    energy_rate = ca.jtimes(energy, x, model.dynamics(x, u))
    joint_power = ca.dot(model.joint_torques(x, u), x[n:])
    f = ca.Function("f", [x, u], [energy_rate - joint_power, model.ground_reaction_power(x)])
    rng = np.random.default_rng(4)
    ground_powers = []
    for _ in range(20):
        state, torque = _walker_in_contact(model, rng), rng.uniform(-1, 1, model.nu)
        rate, power = (float(v) for v in f(state, torque))
        assert rate == pytest.approx(power, rel=1e-9, abs=1e-9)
        ground_powers.append(power)
    assert max(abs(p) for p in ground_powers) > 100.0  # the contacts were doing real work


def test_no_power_flows_when_the_feet_are_in_the_air():
    model = gait2d_torque(Gait2DParameters())
    x = np.zeros(model.nx)
    x[model.tree.coordinates.index("pelvis_ty")] = 1.5
    x[model.tree.n:] = 1.0
    sym = ca.SX.sym("x", model.nx)
    power = ca.Function("p", [sym], [model.ground_reaction_power(sym)])
    assert abs(float(power(x))) < 1e-9


def test_a_model_without_ground_contact_cannot_take_the_term(tmp_path):
    path = tmp_path / "pendulum.toml"
    path.write_text((PROBLEMS / "pendulum_swingup.toml").read_text()
                    + '\n[costs.losses]\ntype = "contact_dissipation"\n')
    with pytest.raises(ocp.ProblemError, match="no contact with the ground") as error:
        ocp.load_problem(path)
    assert "costs.losses" in str(error.value)
