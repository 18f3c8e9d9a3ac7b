"""ocp's reading of .osim files against OpenSim itself (a second method).

OpenSim runs in a subprocess (tests/opensim_osim_reference.py): its wheel bundles
a CasADi library that cannot share a process with casadi. Skipped cleanly when
OpenSim or the shared data (../shared/data next to the repository) is absent.

Tolerances and why: ocp and OpenSim evaluate the same formulas (Newton-Euler
here, Simbody's articulated-body recursions there; the same path and contact
formulas) in double precision, so every quantity agrees to rounding. The tests
ask for 1e-9 relative to each quantity's scale, far below anything physical
yet a thousand times above the ~1e-15 measured, so the comparison cannot pass
by accident and cannot flake. Friction is OpenSim's law too but for one
kink, min(v_rel, 1), which ours smooths over |v_rel - 1| < 10 w (w =
friction_kink_smoothing, contact.py): there the difference is bounded in
closed form instead (friction_kink_bound).
"""
import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import casadi as ca
import numpy as np
import pytest

from ocp.models.contact import sphere_forces
from ocp.models.multibody import inverse_dynamics, mass_matrix, point_positions
from ocp.models.muscles.hill import rigid_tendon
from ocp.osim import build_osim_model

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
GAIT2D = DATA / "gait2d" / "2D_gait.osim"
GAIT10 = DATA / "walking" / "gait10dof18musc.osim"

pytestmark = [
    pytest.mark.skipif(importlib.util.find_spec("opensim") is None,
                       reason="opensim is not installed"),
    pytest.mark.skipif(not GAIT2D.exists() or not GAIT10.exists(),
                       reason="../shared/data (OpenSim models) is absent"),
    pytest.mark.filterwarnings("ignore::ocp.osim.OsimConversionNote"),
]
RTOL = 1e-9
#: Moco's 2D walking bounds (../shared/data/README.md), the postures that matter.
WALKING = {"pelvis_tilt": (-0.35, -0.17), "hip_flexion": (-0.17, 1.05),
           "knee_angle": (-0.87, 0.0), "ankle_angle": (-0.26, 0.44), "lumbar": (0.0, 0.35)}


def opensim(path, names, states, splines=()):
    request = {"model": str(path), "coordinates": names, "states": states,
               "splines": [list(s) for s in splines]}
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "opensim_osim_reference.py")],
                          input=json.dumps(request), capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def random_states(model, rng, count):
    """Coordinates uniform over each coordinate's range; speeds, accelerations ~ N(0, 1)."""
    names = list(model.tree.coordinates)
    states = []
    for _ in range(count):
        q = [rng.uniform(*model.osim.coordinates[c].range) if not c.startswith("pelvis_t")
             or c == "pelvis_tilt" else rng.uniform(-1, 1) for c in names]
        states.append({"q": q, "qd": list(rng.normal(size=len(names))),
                       "qdd": list(rng.normal(size=len(names))),
                       "activation": {m.name: float(rng.uniform(0.01, 1))
                                      for m in model.muscles}})
    return states


def standing_states(model, rng, count, sliding_speed):
    """Walking postures lowered until the lowest sphere indents 1 to 8 mm."""
    names = list(model.tree.coordinates)
    states = []
    for k in range(count):
        q = []
        for c in names:
            key = next((w for w in WALKING if c.startswith(w)), None)
            q.append(rng.uniform(*WALKING[key]) if key else 0.0)
        q = np.array(q)
        centres = point_positions(model.tree, ca.DM(q),
                                  [(s.segment, s.center_m) for s in model.contacts])
        gap = min(float(c[1]) - s.radius_m for c, s in zip(centres, model.contacts))
        q[names.index("pelvis_ty")] = -gap - rng.uniform(0.001, 0.008)
        qd = rng.normal(scale=0.2, size=len(names))
        qd[names.index("pelvis_tx")] = sliding_speed * (1 if k % 2 else -1)
        if sliding_speed == 0:
            qd[:] = 0.0
        states.append({"q": list(q), "qd": list(qd), "qdd": [0.0] * len(names)})
    return states


@pytest.fixture(scope="module", params=[GAIT2D, GAIT10], ids=["2D_gait", "gait10dof18musc"])
def compared(request):
    model = build_osim_model(request.param)
    names = list(model.tree.coordinates)
    states = random_states(model, np.random.default_rng(7), 6)
    return model, names, states, opensim(request.param, names, states)["states"]


def test_mass_matrix_matches_opensim(compared):
    model, names, states, reference = compared
    for s, ref in zip(states, reference):
        ours = np.array(ca.evalf(mass_matrix(model.tree, ca.DM(s["q"]))))
        expected = np.array(ref["M"])
        assert np.abs(ours - expected).max() <= RTOL * np.abs(expected).max()


def test_inverse_dynamics_matches_opensim_with_gravity_and_velocity_terms(compared):
    """tau = M q'' + C q' + g: OpenSim's InverseDynamicsSolver with every force off."""
    model, names, states, reference = compared
    for s, ref in zip(states, reference):
        ours = np.array(ca.evalf(inverse_dynamics(model.tree, ca.DM(s["q"]), ca.DM(s["qd"]),
                                                  ca.DM(s["qdd"])))).ravel()
        expected = np.array(ref["tau"])
        assert np.abs(ours - expected).max() <= RTOL * np.abs(expected).max()


def test_muscle_lengths_and_moment_arms_match_opensim(compared):
    """The exact paths (moving and conditional points), at random postures over the ranges."""
    model, names, states, reference = compared
    worst_length = worst_arm = 0.0
    for s, ref in zip(states, reference):
        lengths, arms = (np.array(v) for v in model.geometry(s["q"]))
        for i, m in enumerate(model.muscles):
            worst_length = max(worst_length, abs(lengths[i, 0] - ref["length"][m.name]))
            expected = np.array([ref["moment_arm"][m.name][c] for c in names])
            worst_arm = max(worst_arm, np.abs(arms[:, i] - expected).max())
    print(f"\n{model.name}: worst length difference {worst_length:.1e} m, "
          f"worst moment-arm difference {worst_arm:.1e} m")
    assert worst_length <= RTOL * 0.1      # lengths are ~0.1 to 0.5 m
    assert worst_arm <= RTOL * 0.01        # moment arms are ~1 to 6 cm


def test_rigid_tendon_forces_match_opensim_degrootefregly2016muscle():
    """2D_gait's muscles are DeGrooteFregly2016 with rigid tendons: same force at random
    activations, postures and speeds (fibre damping included)."""
    model = build_osim_model(GAIT2D)
    names = list(model.tree.coordinates)
    states = random_states(model, np.random.default_rng(11), 5)
    reference = opensim(GAIT2D, names, states)["states"]
    for s, ref in zip(states, reference):
        lengths, arms = (np.array(v) for v in model.geometry(s["q"]))
        for i, m in enumerate(model.muscles):
            speed = -float(arms[:, i] @ np.array(s["qd"]))
            force = float(rigid_tendon(m.parameters, s["activation"][m.name], lengths[i, 0],
                                       speed, model.curves).tendon_force_N)
            expected = ref["tendon_force"][m.name]
            assert abs(force - expected) <= RTOL * m.parameters.max_isometric_force_N, m.name


def test_activation_dynamics_match_opensim_degrootefregly2016muscle():
    """da/dt from excitation and activation, rising and falling: the file sets no
    activation_dynamics_smoothing, so both use OpenSim's default b = 0.1."""
    from ocp.models.muscles.activation import activation_rate
    model = build_osim_model(GAIT2D)
    assert model.activation_smoothing == 0.1
    names = list(model.tree.coordinates)
    rng = np.random.default_rng(13)
    states = random_states(model, rng, 4)
    for s in states:
        s["excitation"] = {m.name: float(rng.uniform(0, 1)) for m in model.muscles}
    reference = opensim(GAIT2D, names, states)["states"]
    for s, ref in zip(states, reference):
        for m in model.muscles:
            ours = float(activation_rate(s["excitation"][m.name], s["activation"][m.name],
                                         m.parameters.activation_time_constant_s,
                                         m.parameters.deactivation_time_constant_s,
                                         model.activation_smoothing))
            expected = ref["activation_rate"][m.name]
            assert abs(ours - expected) <= RTOL * max(abs(expected), 1.0), m.name


@pytest.mark.parametrize("sliding_speed", [0.0, 4.0], ids=["at_rest", "sliding_4_m_s"])
def test_contact_forces_match_opensim(sliding_speed):
    """Normal forces and friction to rounding (no slip speed near the kink here);
    and the generalised forces of the contacts, which also check the contact point."""
    model = build_osim_model(GAIT2D)
    names = list(model.tree.coordinates)
    states = standing_states(model, np.random.default_rng(3), 4, sliding_speed)
    reference = opensim(GAIT2D, names, states)["states"]
    worst_normal = worst_friction = 0.0
    for s, ref in zip(states, reference):
        q, qd = ca.DM(s["q"]), ca.DM(s["qd"])
        forces = sphere_forces(model.tree, q, qd, model.contacts)
        loads = []
        for sphere, (point_force, force, _) in zip(model.contacts, forces):
            fx, fy = np.array(ca.evalf(force)).ravel()
            ox, oy, _ = ref["contact_force"][sphere.name]
            scale = max(abs(oy), 1.0)
            worst_normal = max(worst_normal, abs(fy - oy) / scale)
            worst_friction = max(worst_friction, abs(fx - ox) / scale)
            assert abs(fy - oy) <= RTOL * scale
            assert abs(fx - ox) <= RTOL * scale
            loads.append(point_force)
        zero = ca.DM.zeros(len(names))
        with_contacts = inverse_dynamics(model.tree, q, qd, zero, external_forces=tuple(loads))
        ours = np.array(ca.evalf(with_contacts - inverse_dynamics(model.tree, q, qd, zero))).ravel()
        expected = np.array(ref["tau_contacts"]) - np.array(ref["tau"])
        assert np.abs(ours - expected).max() <= RTOL * max(np.abs(expected).max(), 1.0)
    print(f"\ncontacts ({sliding_speed} m/s): normal force difference {worst_normal:.1e}, "
          f"friction {worst_friction:.1e} (relative to the normal force)")
    assert worst_normal < RTOL


def friction_kink_bound(sphere, normal, slip_speed):
    """|ours - OpenSim's| friction (N) from the smooth min(v_rel, 1) alone (contact.py):
    F_N w g(t) |mu_d + 2 (mu_s - mu_d) / (1 + x^2)| |v| / v_slip with g(t) = t / (1 + e^(2t)),
    t = |x - 1| / w and x = v_rel; and whether x lies in the band |x - 1| < 10 w."""
    w = sphere.friction_kink_smoothing
    v_slip = math.sqrt(slip_speed ** 2 + sphere.derivative_smoothing)
    x = v_slip / sphere.transition_velocity_m_s
    t = abs(x - 1) / w
    mu_d, mu_s = sphere.dynamic_friction, sphere.static_friction
    bound = abs(normal) * w * t / (1 + math.exp(min(2 * t, 700.0))) \
        * abs(mu_d + 2 * (mu_s - mu_d) / (1 + x * x)) * abs(slip_speed) / v_slip
    return bound, abs(x - 1) < 10 * w


#: relative slip speeds v_rel = sqrt(v^2 + c_f) / v_t: the sticking side (the
#: Stribeck peak is there) and fast slip; the kink band |v_rel - 1| < 10 w = 0.1,
#: with the largest difference at |v_rel - 1| = 0.64 w
SLIP_RATIOS = (0.02, 0.1, 0.3, 0.5, 0.7, 0.88, 1.12, 1.3, 2.0, 5.0, 20.0)
KINK_BAND_RATIOS = (0.95, 0.99, 0.9936, 0.998, 1.0, 1.002, 1.0064, 1.03)


@pytest.mark.parametrize("static_friction", [None, 1.2], ids=["file_mu_s", "stribeck_mu_s_1.2"])
def test_friction_matches_opensim_across_slip_speeds(static_friction, tmp_path):
    """Feet flat 3 and 9 mm in the ground, every speed zero but pelvis_tx's: all four
    contact points slip at that speed, swept through OpenSim's friction law from
    zero through the Stribeck peak (mu_s = 1.2 > mu_d = 0.8 in a copy of the file)
    and the kink at v_rel = 1 to fast slip. Away from the kink to 1e-9 of the
    normal force; within |v_rel - 1| < 0.1 the difference is friction_kink_bound's
    closed form (at most about 0.14 w mu_s F_N, 1.7e-3 F_N here) to 1e-9."""
    path = GAIT2D
    if static_friction is not None:
        text = GAIT2D.read_text()
        tag = "<static_friction>0.80000000000000004</static_friction>"
        assert text.count(tag) == 4
        path = tmp_path / "2D_gait_stribeck.osim"
        path.write_text(text.replace(tag, f"<static_friction>{static_friction}</static_friction>"))
    model = build_osim_model(path)
    names = list(model.tree.coordinates)
    sphere = model.contacts[0]
    assert all(s.friction_law == "opensim" for s in model.contacts)
    assert sphere.static_friction == (static_friction or sphere.dynamic_friction)
    v_t, c_f = sphere.transition_velocity_m_s, sphere.derivative_smoothing
    speeds = [0.0] + [(-1) ** k * math.sqrt((x * v_t) ** 2 - c_f)
                      for k, x in enumerate(SLIP_RATIOS + KINK_BAND_RATIOS)]
    q = [0.0] * len(names)
    q[names.index("pelvis_ty")] = 0.9364      # heels 2.9 mm, fronts 9.0 mm deep
    states = []
    for v in speeds:
        qd = [0.0] * len(names)
        qd[names.index("pelvis_tx")] = v
        states.append({"q": q, "qd": qd, "qdd": [0.0] * len(names)})
    reference = opensim(path, names, states)["states"]
    worst_outside = worst_inside = 0.0
    inside = 0
    for v, s, ref in zip(speeds, states, reference):
        forces = sphere_forces(model.tree, ca.DM(s["q"]), ca.DM(s["qd"]), model.contacts)
        for sphere, (_, force, _) in zip(model.contacts, forces):
            fx, fy = np.array(ca.evalf(force)).ravel()
            ox, oy, _ = ref["contact_force"][sphere.name]
            assert oy > 30.0                  # N: every sphere carries load
            assert abs(fy - oy) <= RTOL * oy
            bound, in_band = friction_kink_bound(sphere, oy, v)
            if in_band:
                inside += 1
                worst_inside = max(worst_inside, abs(fx - ox) / oy)
                # the bound is attained: the difference is the closed form itself
                assert abs(abs(fx - ox) - bound) <= RTOL * oy, (v, fx, ox, bound)
            else:
                worst_outside = max(worst_outside, abs(fx - ox) / oy)
                assert abs(fx - ox) <= RTOL * oy, (v, fx, ox)
    assert inside == 4 * len(KINK_BAND_RATIOS)   # four spheres
    print(f"\nfriction vs OpenSim: {worst_outside:.1e} of the normal force outside the kink "
          f"band, {worst_inside:.1e} inside")


def test_simm_splines_match_opensim_inside_and_beyond_the_knots():
    """The knee's moving centre (gait10dof18musc) and a rectus femoris path point spline."""
    from ocp.osim import read_osim
    doc = read_osim(GAIT10)
    knee = next(j for j in doc.joints if j.name == "knee_r")
    splines = [ax.function for ax in knee.transform if ax.name.startswith("translation")
               and ax.coordinates]
    splines.append(next(p for m in read_osim(GAIT2D).muscles for p in m.path
                        if p.kind == "MovingPathPoint").functions[0][1].function)
    points = list(np.linspace(-2.3, 2.3, 47)) + [-2.0944, 0.0, 2.0944]
    reference = opensim(GAIT2D, [], [], [(s.x, s.y, points) for s in splines])["splines"]
    for spline, expected in zip(splines, reference):
        assert np.abs(spline.numpy(points) - np.array(expected)).max() <= 1e-15
