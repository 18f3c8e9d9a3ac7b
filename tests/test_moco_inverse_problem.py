"""problems/gait10dof18musc_inverse.toml (MocoInverse of subject01's walk): external
loads, reserves and residuals, checked against a second method.

- The reserves' report: the muscles' moments (recomputed from the solved
  activations) plus the reserves' equal the inverse-dynamics moments of
  ocp.analysis.inverse_dynamics.joint_moments, a separate path (its own
  ExternalLoad per force plate, the free moment as a couple of two forces, its
  own spline of the IK angles); the report's RMS and share follow from them.
- A force plate applied to the wrong foot: the leg reserves then carry what
  the muscles cannot, and the solve warns; with the plates as the file assigns
  them, no leg reserve warns.
- Bad input: one error naming the key.
Moco's own MocoInverse takes minutes on this machine: benchmark only
(benchmarks/bench_moco_inverse.py --moco).
"""
import math
import re

import numpy as np
import pytest
from bad_input import loads_with_body
from conftest import PROBLEMS

import ocp
from ocp.analysis.inverse_dynamics import ExternalLoad, coordinate_values, joint_moments
from ocp.analysis.muscle_redundancy import MuscleStates, kinematics_from_samples, muscle_moments
from ocp.analysis.planar_loads import read_planar_loads
from ocp.analysis.reserves import RESERVE_SHARE
from ocp.data.files import read
from ocp.errors import ProblemError
from ocp.models.multibody import REVOLUTE
from ocp.models.muscles.curves import OPENSIM_2016, active_force_length

FILE = PROBLEMS / "gait10dof18musc_inverse.toml"
WALKING = PROBLEMS / "data" / "walking"
LEGS = ("hip_flexion", "knee_angle", "ankle_angle")


@pytest.fixture(scope="module")
def solved():
    problem = ocp.load_problem(FILE)
    return problem, ocp.solve(problem)


def leg_reserve_warnings(solution):
    return [w for w in solution.warnings
            if re.search(r"reserve on '(hip_flexion|knee_angle|ankle_angle)_[rl]'", w)]


def second_method_moments(model, time):
    """Inverse dynamics at ``time`` by ocp.analysis.inverse_dynamics.joint_moments."""
    table = read(WALKING / "subject01_walk_IK.mot")
    kinds = model.tree.coordinate_kinds()
    q = np.column_stack([coordinate_values(table, c, "rad" if kinds[c] == REVOLUTE else "m")
                         for c in model.tree.coordinates])
    from scipy.interpolate import make_interp_spline
    spline = make_interp_spline(table.time_s, q, k=5)
    loads = []
    for ld in read_planar_loads(WALKING / "subject01_walk_grf.xml", model.osim):
        f, p, m = ld.at(time)
        loads.append(ExternalLoad(ld.segment, f, p))
        couple = np.column_stack([np.zeros_like(m), m])   # the free moment: a couple
        loads.append(ExternalLoad(ld.segment, couple, p + [1.0, 0.0]))
        loads.append(ExternalLoad(ld.segment, -couple, p))
    return joint_moments(model, time, spline(time), qd=spline.derivative(1)(time),
                         qdd=spline.derivative(2)(time), external_loads=tuple(loads))


def test_muscles_and_reserves_make_the_inverse_dynamics_moments(solved):
    problem, s = solved
    assert s.status in ("success", "inaccurate")   # Moco's mesh: see the benchmark
    assert s.objective == pytest.approx(28950.8, rel=0.01)   # Moco's (issue #21)
    states = problem.model
    assert isinstance(states, MuscleStates)
    model = states.source
    t = np.asarray(s.time)
    second = second_method_moments(model, t)
    names = [m.name for m in model.muscles]
    activations = np.column_stack([s.state(f"{m}_activation") for m in names])
    table = read(WALKING / "subject01_walk_IK.mot")
    kinds = model.coordinate_kinds()
    q = np.column_stack([coordinate_values(table, c, "rad" if kinds[c] == REVOLUTE else "m")
                         for c in model.tree.coordinates])
    kin = kinematics_from_samples(model, table.time_s, q, grid=t)
    muscles = muscle_moments(model, kin, t, activations)
    coords = list(model.tree.coordinates)
    for c, r in s.reserves.items():
        i = coords.index(c)
        reserve = model.reserves[c] * s.control(f"reserve_{c}")
        total = muscles[:, i] + reserve
        scale = np.max(np.abs(second.moments[:, i]))
        assert np.max(np.abs(total - second.moments[:, i])) < 2e-3 * scale + 1e-3, c
        moment_rms = math.sqrt(np.trapezoid(second.moments[:, i] ** 2, t) / (t[-1] - t[0]))
        assert r["moment_rms"] == pytest.approx(moment_rms, rel=1e-3, abs=1e-3), c
        assert r["peak"] == pytest.approx(np.max(np.abs(reserve)), rel=1e-9), c
    # the root's residuals are the whole moment there; the file's plates leave the legs alone
    for c in ("pelvis_tx", "pelvis_ty", "pelvis_tilt"):
        assert s.reserves[c]["kind"] == "residual" and s.reserves[c]["share"] > 0.99
    assert all(s.reserves[f"{j}_{side}"]["share"] < RESERVE_SHARE
               for j in LEGS for side in "rl")
    assert not leg_reserve_warnings(s)
    assert any("residual force on 'pelvis_tx'" in w for w in s.warnings)


@pytest.mark.slow
def test_a_force_plate_on_the_wrong_foot_makes_the_reserves_warn(tmp_path):
    text = (WALKING / "subject01_walk_grf.xml").read_text()
    swapped = (text.replace("<applied_to_body>calcn_r", "<applied_to_body>CALCN_L")
               .replace("<applied_to_body>calcn_l", "<applied_to_body>calcn_r")
               .replace("CALCN_L", "calcn_l")
               .replace("<datafile>subject01_walk_grf.mot",
                        f"<datafile>{WALKING / 'subject01_walk_grf.mot'}"))
    (tmp_path / "swapped.xml").write_text(swapped)
    s = ocp.solve(ocp.load_problem(FILE, {"external_loads.file": str(tmp_path / "swapped.xml")}))
    warned = leg_reserve_warnings(s)
    assert len(warned) >= 2, s.warnings
    assert max(s.reserves[f"{j}_{side}"]["share"] for j in LEGS for side in "rl") > 0.3


def test_active_force_width_scale_stretches_the_curve_about_its_peak():
    wide = type(OPENSIM_2016)(**{**OPENSIM_2016.__dict__, "active_width_scale": 1.5})
    for x in (0.5, 0.8, 1.0, 1.2, 1.6):
        assert float(active_force_length(1 + 1.5 * (x - 1), wide)) == pytest.approx(
            float(active_force_length(x)), rel=1e-12)


@pytest.mark.parametrize("overrides, key, words", [
    ({"model.reserves.coordinates": ["hip_flexion"]}, "model.reserves.coordinates",
     "no coordinate 'hip_flexion'"),
    ({"kinematics.final": "3 s"}, "kinematics.final", "start < final <= 2.5 s"),
    ({"model.reserves.optimal_force": -1}, "model.reserves.optimal_force", ""),
])
def test_bad_input_names_the_key(overrides, key, words):
    with pytest.raises(ProblemError) as info:
        ocp.load_problem(FILE, overrides)
    message = str(info.value)
    assert key in message and words in message, message


def test_a_body_the_model_lacks_is_named(tmp_path):
    bad = loads_with_body(tmp_path, WALKING / "subject01_walk_grf.xml", "calcn_r", "calcaneus_r")
    with pytest.raises(ProblemError) as info:
        ocp.load_problem(FILE, {"external_loads.file": str(bad)})
    message = str(info.value)
    assert "external_loads.file" in message and "calcaneus_r" in message, message
    assert "calcn_r" in message   # the suggestion


def test_measured_loads_in_the_forward_dynamics_undo_inverse_dynamics():
    """problems/gait10dof18musc_track.toml: with the inverse-dynamics moments (second
    method: joint_moments, the free moments as couples) as its reserves' torques, the
    model with the force plates in its dynamics accelerates as the IK angles do."""
    import casadi as ca
    from scipy.interpolate import make_interp_spline
    problem = ocp.load_problem(PROBLEMS / "gait10dof18musc_track.toml")
    model = problem.model
    table = read(WALKING / "subject01_walk_IK.mot")
    kinds = model.tree.coordinate_kinds()
    q = np.column_stack([coordinate_values(table, c, "rad" if kinds[c] == REVOLUTE else "m")
                         for c in model.tree.coordinates])
    spline = make_interp_spline(table.time_s, q, k=5)
    for t in (0.62, 0.81):   # right stance with the left foot landing; single stance
        moments = second_method_moments(model.base, np.array([t])).moments[0]
        x = np.concatenate([spline(t), spline.derivative(1)(t)])
        u = moments / 100.0   # reserves of optimal force 100, in the tree's order
        f = np.array(ca.evalf(model.dynamics_at(ca.DM(x), ca.DM(u), t))).ravel()
        qdd = spline.derivative(2)(t)
        n = model.tree.n
        assert np.max(np.abs(f[n:2 * n] - qdd)) < 1e-6 * max(1.0, np.max(np.abs(qdd))), t
        outputs = model.outputs_at(ca.DM(x), ca.DM(u), t)
        right = read_planar_loads(WALKING / "subject01_walk_grf.xml", model.base.osim)[0]
        assert float(outputs["right_force_y"]) == pytest.approx(right.at([t])[0][0, 1])
