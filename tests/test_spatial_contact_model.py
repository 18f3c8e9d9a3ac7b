"""3D models with contacts: a 3D .osim file's SmoothSphereHalfSpaceForces act through the
model's spatial tree (explicit and implicit dynamics) and give per-foot outputs.

Reference: OpenSim's InverseDynamicsSolver with the contacts on and off
(tests/opensim_osim_reference.py: ``tau_contacts`` - ``tau``) on the Falisse et al.
2022 model (../shared/data/models3d, AGPL: read in place, skipped when absent), at
states with both feet in the ground.
"""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import casadi as ca
import numpy as np
import pytest

from ocp.osim.model import OsimTorqueModel
from ocp.osim.model3d import spatial_torque_arguments

ROOT = Path(__file__).resolve().parents[1]
FALISSE = ROOT.parent / "shared" / "data" / "models3d" / "Falisse_et_al_2022.osim"
HAS_OPENSIM = importlib.util.find_spec("opensim") is not None
needs_falisse = pytest.mark.skipif(not FALISSE.exists(), reason="Falisse 2022 model absent")
#: pelvis height (m) at which the default pose's spheres just touch the ground
TOUCH_M = 0.9568


@pytest.fixture(scope="module")
def falisse():
    return OsimTorqueModel(**spatial_torque_arguments(FALISSE, ignore=("muscles",)))


def feet_in_ground(model, rng, count):
    """States near standing: the pelvis 2 to 12 mm below touching, joints and speeds small."""
    coords = model.tree.coordinates
    out = []
    for _ in range(count):
        q = rng.uniform(-0.05, 0.05, len(coords))
        q[coords.index("pelvis_ty")] = TOUCH_M - rng.uniform(0.002, 0.012)
        out.append({"q": list(q), "qd": list(rng.uniform(-0.05, 0.05, len(coords))),
                    "qdd": list(rng.normal(size=len(coords)))})
    return out


def contact_generalised_forces(model, s):
    """The model's implicit residual at zero controls minus the tree's inverse dynamics
    without forces: the contacts' generalised forces over the free coordinates."""
    q, qd, z = (ca.DM(s[k]) for k in ("q", "qd", "qdd"))
    _, residual = model.implicit_dynamics(ca.vertcat(q, qd), ca.DM.zeros(model.nu), z)
    return np.array(ca.evalf(residual - model.tree.inverse_dynamics(q, qd, z))).ravel()


@needs_falisse
def test_a_3d_file_s_contacts_become_the_model_s_with_per_foot_outputs(falisse):
    assert len(falisse.contacts) == 12
    units = falisse.output_units()
    for foot in ("r", "l"):
        assert units[f"grf_y_{foot}"] == "N" and units[f"cop_z_{foot}"] == "m"
        assert units[f"free_moment_{foot}"] == "N m"
    s = feet_in_ground(falisse, np.random.default_rng(1), 1)[0]
    x = ca.DM(s["q"] + s["qd"])
    out = falisse.outputs(x, ca.DM.zeros(falisse.nu))
    total = sum(np.array(ca.evalf(r.force)).ravel()
                for r in falisse.contact_forces(x))
    grf = [sum(float(ca.evalf(out[f"grf_{a}_{f}"])) for f in "rl") for a in "xyz"]
    assert np.allclose(grf, total, rtol=1e-12, atol=1e-9) and total[1] > 100.0


@needs_falisse
def test_explicit_and_implicit_3d_contact_dynamics_agree(falisse):
    """q'' of the explicit form (forward dynamics with the contacts) zeroes the implicit
    residual (inverse dynamics with the contacts)."""
    for s in feet_in_ground(falisse, np.random.default_rng(2), 2):
        x = ca.DM(s["q"] + s["qd"])
        u = ca.DM(np.random.default_rng(3).normal(size=falisse.nu))
        qdd = ca.evalf(falisse.dynamics(x, u))[falisse.tree.n:]
        _, residual = falisse.implicit_dynamics(x, u, qdd)
        assert np.abs(np.array(ca.evalf(residual))).max() < 1e-8


@needs_falisse
@pytest.mark.skipif(not HAS_OPENSIM, reason="opensim is not installed")
def test_contact_generalised_forces_of_a_3d_model_match_opensim(falisse):
    states = feet_in_ground(falisse, np.random.default_rng(4), 3)
    request = {"model": str(FALISSE), "coordinates": list(falisse.tree.coordinates),
               "states": states}
    done = subprocess.run([sys.executable, str(Path(__file__).parent
                                               / "opensim_osim_reference.py")],
                          input=json.dumps(request), capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    worst = 0.0
    for s, ref in zip(states, json.loads(done.stdout)["states"]):
        expected = np.array(ref["tau_contacts"]) - np.array(ref["tau"])
        ours = contact_generalised_forces(falisse, s)
        worst = max(worst, np.abs(ours - expected).max() / np.abs(expected).max())
        assert np.abs(expected).max() > 100.0   # the feet carry load
    print(f"\nFalisse 2022, 12 spheres, generalised contact forces vs OpenSim: {worst:.1e}")
    assert worst <= 1e-6


@needs_falisse
def test_frame_outputs_of_a_3d_model_with_contacts_are_its_imu_signals():
    """Gyroscope and accelerometer of an offset frame (the knee's frame in the tibia,
    by path) and a body: against central differences of the frame's pose and velocity
    along the model's own motion (q'' from its dynamics, contacts included)."""
    model = OsimTorqueModel(**spatial_torque_arguments(
        FALISSE, ignore=("muscles",), frames=("pelvis", "/jointset/knee_r/tibia_r_offset")))
    units = model.output_units()
    assert units["tibia_r_offset_acceleration_y"] == "m/s^2"
    assert units["pelvis_angular_velocity_z"] == "rad/s"
    s = feet_in_ground(model, np.random.default_rng(5), 1)[0]
    x = np.array(s["q"] + s["qd"])
    u = np.random.default_rng(6).normal(size=model.nu)
    n = model.tree.n
    qdd = np.array(ca.evalf(model.dynamics(ca.DM(x), ca.DM(u)))).ravel()[n:]
    out = model.outputs(ca.DM(x), ca.DM(u))
    frame = model.frames[1]
    h = 1e-5

    def pose(t):   # (R, p) of the frame along q(t) = q + t q' + t^2 / 2 q''
        q = x[:n] + t * x[n:] + 0.5 * t * t * qdd
        state = model.tree.body_states(ca.DM(q))[frame.body]
        r = np.array(ca.evalf(state.R)) @ np.array(frame.rotation)
        p = np.array(ca.evalf(model.tree.point_kinematics(state, frame.origin_m)[0])).ravel()
        return r, p

    (r0, p0), (rm, pm), (rp, pp) = pose(0.0), pose(-h), pose(h)
    acceleration = (pp - 2 * p0 + pm) / h ** 2 - np.array([0.0, -9.80665, 0.0])
    skew = r0.T @ (rp - rm) / (2 * h)
    omega = np.array([skew[2, 1], skew[0, 2], skew[1, 0]])
    name = frame.name
    ours_a = np.array([float(ca.evalf(out[f"{name}_acceleration_{a}"])) for a in "xyz"])
    ours_w = np.array([float(ca.evalf(out[f"{name}_angular_velocity_{a}"])) for a in "xyz"])
    assert np.allclose(ours_a, r0.T @ acceleration, atol=1e-4 * max(1, abs(acceleration).max()))
    assert np.allclose(ours_w, omega, atol=1e-7)


SQUAT = ROOT / "problems" / "squat3d_falisse2022.toml"


def centre_of_mass(model, q) -> np.ndarray:
    """(3,) the whole body's centre of mass in ground (m) at coordinates q."""
    states = model.tree.body_states(ca.DM(q))
    total = sum(b.mass_kg for b in model.tree.bodies)
    return sum(b.mass_kg * np.array(ca.evalf(model.tree.point_kinematics(
        states[b.name], np.array(b.com_m))[0])).ravel() for b in model.tree.bodies) / total


@needs_falisse
def test_the_squat_starts_and_ends_standing_in_static_equilibrium():
    """problems/squat3d_falisse2022.toml's standing pose (solved for by
    benchmarks/bench_squat3d.py --standing), against Newton at rest: the spheres'
    vertical forces sum to the body weight and their centre of pressure lies under the
    centre of mass (no moment), with no horizontal force."""
    import ocp
    problem = ocp.load_problem(SQUAT)
    model = problem.model
    coords = model.tree.coordinates
    ends_free = {"pelvis_tx", "pelvis_tz"}    # where it stands at the end
    assert {c: problem.final[c] for c in coords if c not in ends_free} == \
        {c: problem.initial[c] for c in coords if c not in ends_free}
    q = np.array([problem.initial[c] for c in coords])
    x = ca.DM(np.concatenate([q, [problem.initial[f"{c}_speed"] for c in coords]]))
    assert not np.any(np.array(x)[len(coords):])
    out = {k: float(ca.evalf(v)) for k, v in model.outputs(x, ca.DM.zeros(model.nu)).items()}
    weight = sum(b.mass_kg for b in model.tree.bodies) * 9.80665
    vertical = out["grf_y_r"] + out["grf_y_l"]
    print(f"\nstanding: {out['grf_y_r'] / weight:.4f} + {out['grf_y_l'] / weight:.4f} "
          "body weight")
    assert vertical == pytest.approx(weight, rel=1e-4)
    com = centre_of_mass(model, q)
    for axis in "xz":
        cop = sum(out[f"cop_{axis}_{f}"] * out[f"grf_y_{f}"] for f in "rl") / vertical
        assert abs(cop - com["xyz".index(axis)]) < 1e-4     # m
        assert abs(out[f"grf_{axis}_r"] + out[f"grf_{axis}_l"]) < 1e-6 * weight


@needs_falisse
@pytest.mark.slow
def test_the_3d_squat_on_the_ground_converges_accurately():
    """problems/squat3d_falisse2022.toml: the pelvis free and unactuated, only the 12
    spheres hold the body up; converged with an accurate re-simulation (``success``:
    ocp/engine/accuracy.py, 0.05 of each state's range), the knees down to the squat's
    depth, and each foot carrying about half the body weight standing, at both ends."""
    import ocp
    problem = ocp.load_problem(SQUAT)
    solution = ocp.solve(problem)
    assert solution.success, solution.status
    assert solution.accuracy["accurate"] and solution.accuracy["tolerance"] == 0.05
    model = problem.model
    assert set(model.actuated).isdisjoint({c for c in model.tree.coordinates
                                           if c.startswith("pelvis_")})
    assert np.degrees(solution.state("knee_angle_r").min()) < -60.0
    assert np.degrees(solution.state("knee_angle_l").min()) < -60.0
    weight = sum(b.mass_kg for b in model.tree.bodies) * 9.80665
    for k in (0, -1):
        shares = [solution.output(f"grf_y_{foot}")[k] / weight for foot in "rl"]
        print(f"\nstanding (point {k}): grf_y = {shares[0]:.3f} + {shares[1]:.3f} body weight")
        for share in shares:
            assert 0.4 < share < 0.6
        assert sum(shares) == pytest.approx(1.0, abs=0.02)
