"""Segment and contact parameters of the walker estimated from kinematics and ground forces.

Synthetic data (problems/data/make_gait2d_identify.py): the predictive walk of
gait2d_torque.toml solved with the trunk (HAT) 20 % heavier and both heels
20 % softer, sampled at the collocation points with 1 degree of noise on the
angles, 2 mm on the pelvis position and 5 N on the ground reaction forces.
"""
import math

import casadi as ca
import numpy as np
import pytest
from conftest import PROBLEMS

import ocp
from ocp.estimation import model_numbers, parametrised
from ocp.models.library import build_model
from ocp.solution import Solution

PROBLEM = PROBLEMS / "gait2d_identify_parameters.toml"


def _hertz_hunt_crossley(stiffness, radius, depth, speed=0.0, dissipation=2.0):
    """Normal force (N) of a sphere on a plane at rest, Serrancoli et al. 2019 (OpenSim's
    SmoothSphereHalfSpaceForce), written out here from the paper's equations."""
    k = 0.5 * stiffness ** (2 / 3)
    hertz = 4 / 3 * k * math.sqrt(radius * k) * math.sqrt(depth ** 2 + 1e-5) ** 1.5 \
        * (0.5 + 0.5 * math.tanh(300 * depth))
    return hertz * (1 + 1.5 * dissipation * speed) * \
        (0.5 + 0.5 * math.tanh(50 * (speed + 2 / (3 * dissipation))))


def test_heel_stiffness_parameter_sets_the_hertz_force_of_that_heel_only():
    """With the right heel 12 mm into the ground (toe up 10 deg, left foot in the air),
    the right foot's vertical force with contact.heel_r.stiffness a symbol equals the
    Hertz/Hunt-Crossley force of the heel at that stiffness plus the toe's at its own."""
    model = build_model("gait2d_torque")
    names = ["contact.heel_r.stiffness"]
    symbolic, p = parametrised(model, names)
    x = np.zeros(model.nx)
    where = {n: i for i, n in enumerate(model.state_names)}
    x[where["pelvis_ty"]] = 0.92
    x[where["ankle_angle_r"]] = math.radians(10)
    x[where["hip_flexion_l"]], x[where["knee_angle_l"]] = math.radians(30), math.radians(-60)
    x_s, u_s = ca.SX.sym("x", model.nx), ca.SX.sym("u", model.nu)
    out = symbolic.outputs(x_s, u_s)
    f = ca.Function("f", [x_s, u_s, p], [out["grf_y_r"], out["grf_y_l"], out["heel_r_y"],
                                         out["toe_r_y"]])
    spheres = {s.name: s for s in model.contacts}
    own = model_numbers(model)["contact.heel_r.stiffness"].value
    for stiffness in (own, 0.8 * own, 1.5 * own):
        grf_r, grf_l, heel_y, toe_y = (float(v) for v in f(x, np.zeros(model.nu), stiffness))
        foot_angle = math.radians(10)  # pelvis, hip and knee at zero
        # the sphere's centre is its radius above the sole point, along the foot's y axis
        depth = {name: spheres[name].radius_m * (1 - math.cos(foot_angle)) - y
                 for name, y in (("heel_r", heel_y), ("toe_r", toe_y))}
        expected = (_hertz_hunt_crossley(stiffness, spheres["heel_r"].radius_m,
                                         depth["heel_r"]) +
                    _hertz_hunt_crossley(spheres["toe_r"].stiffness_N_m2,
                                         spheres["toe_r"].radius_m, depth["toe_r"]))
        assert depth["heel_r"] == pytest.approx(0.0125, abs=1e-3)
        assert grf_r == pytest.approx(expected, rel=1e-9)
        assert abs(grf_l) < 1e-6
    # Hertz: the force is proportional to the stiffness at a given indentation
    forces = [float(f(x, np.zeros(model.nu), s)[0]) for s in (own, 1.2 * own)]
    assert forces[1] / forces[0] == pytest.approx(1.2, rel=1e-4)


def test_identification_problem_reads_its_parameters():
    problem = ocp.load_problem(PROBLEM)
    names = [u.name for u in problem.parameters]
    assert names == ["segment.hat.mass", "contact.heel_r.stiffness", "contact.heel_l.stiffness"]
    assert problem.parameters.measurement == ["angles", "pelvis_position", "ground_forces"]


@pytest.mark.slow
def test_walker_trunk_mass_and_heel_stiffness_come_back_from_noisy_gait_data(tmp_path):
    """Estimates within 5 % of the truth, the truth within 3 standard errors; the left
    heel never touches the ground in this step, so its stiffness is flagged."""
    import sys
    sys.path.insert(0, str(PROBLEMS / "data"))
    from make_gait2d_identify import TRUTH
    problem = ocp.load_problem(PROBLEM)
    numbers = model_numbers(problem.model)
    solution = ocp.solve(problem)
    assert solution.success
    report = solution.parameters
    print("\n".join(report.lines() + report.warnings))
    for name in ("segment.hat.mass", "contact.heel_r.stiffness"):
        e, true = report.estimates[name], TRUTH[name] * numbers[name].value
        assert e.identifiable and not e.at_bound
        assert abs(e.value - true) < 0.05 * true
        assert abs(e.value - true) < 3 * e.standard_error
    heel_l = report.estimates["contact.heel_l.stiffness"]
    assert not heel_l.identifiable and heel_l.standard_error == math.inf
    assert any("contact.heel_l.stiffness" in w for w in report.warnings)
    # the left heel stays above the ground: nothing in the data depends on its stiffness
    assert solution.output("heel_l_y").min() > 0.01
    # the saved solution reads the estimates back
    solution.save(tmp_path)
    back = Solution.load(tmp_path).parameters
    assert back.estimates["segment.hat.mass"].value == report.estimates["segment.hat.mass"].value
    assert back.estimates["contact.heel_l.stiffness"].standard_error == math.inf
