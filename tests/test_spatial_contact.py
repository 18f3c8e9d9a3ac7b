"""3D smooth-sphere contact (ocp/models/spatial/contact.py) against OpenSim and closed forms.

OpenSim runs in a subprocess (tests/opensim_model_values.py), which also reports
each body's pose and velocity: the contact law is checked on OpenSim's own
kinematics, so that this test holds the contact alone. tests/data/sphere_block.osim
is a free block with a sphere on the block, one on a rotated offset frame and one
against a tilted ramp; the states indent each sphere a few millimetres and slide it
in x and z. Agreement is to rounding (1e-9 of the normal force asked, ~1e-14
measured) except where the slip ratio v_rel lies within 0.1 of OpenSim's kink
min(v_rel, 1), which ours smooths (contact.py): there the difference is within
its closed-form bound, 0.14 w mu_s F_N.
"""
import json
import math
import subprocess
import sys
from pathlib import Path

import casadi as ca
import numpy as np
import pytest
from opensim_values import HAS_OPENSIM, opensim_values

from ocp.models.contact import ContactSphere, friction_force
from ocp.models.spatial.contact import (
    BodyMotion,
    HalfSpace,
    SpatialContact,
    SphereReaction,
    foot_ground_reactions,
    sphere_forces,
    sphere_reaction,
)
from ocp.osim import read_osim
from ocp.osim.contacts3d import spatial_contacts

BLOCK = Path(__file__).parent / "data" / "sphere_block.osim"
RTOL = 1e-9
KINK_BAND = 0.1   # |v_rel - 1| within 10 friction_kink_smoothing


def test_a_slip_vector_along_x_gives_the_planar_friction_to_the_bit():
    """The "opensim" law on (v, 0, 0) is the planar law on v, bit for bit: planar
    models keep their numbers."""
    s = ContactSphere("s", "foot_r", (0.0, 0.0), 0.03, friction_law="opensim",
                      static_friction=1.1)
    for v in (0.0, 1e-4, -0.003, 0.05, -0.19, 0.2, 0.21, -1.3, 7.0):
        for normal in (0.0, 3.7, 812.5):
            planar = float(friction_force(s, normal, v))
            spatial = np.array(friction_force(s, normal, ca.DM([v, 0.0, 0.0]))).ravel()
            assert spatial[0] == planar and spatial[1] == 0.0 and spatial[2] == 0.0


def test_friction_of_a_slip_vector_opposes_it_with_the_magnitude_of_its_speed():
    """Isotropy: the friction of a slip velocity in any tangential direction is minus
    that direction times the planar friction magnitude of its speed."""
    s = ContactSphere("s", "foot_r", (0.0, 0.0), 0.03, friction_law="opensim")
    rng = np.random.default_rng(4)
    for _ in range(20):
        v = rng.normal(size=3) * rng.uniform(0.01, 2)
        f = np.array(friction_force(s, 500.0, ca.DM(v))).ravel()
        speed = float(np.linalg.norm(v))
        planar = float(friction_force(s, 500.0, speed))
        assert np.allclose(f, planar * v / speed, rtol=1e-14, atol=1e-12)


def test_the_tanh_law_refuses_a_slip_vector():
    s = ContactSphere("s", "foot_r", (0.0, 0.0), 0.03)
    with pytest.raises(ValueError, match="opensim"):
        friction_force(s, 100.0, ca.DM([0.1, 0.0, 0.2]))


def block_states(rng, count):
    """The block a few millimetres into the floor, tilted a little, sliding in x and z."""
    names = ["block_rx", "block_ry", "block_rz", "block_tx", "block_ty", "block_tz"]
    samples = []
    for k in range(count):
        q = [rng.normal(scale=0.04), rng.uniform(-1, 1), rng.normal(scale=0.04),
             rng.uniform(-1, 1), 0.08 - rng.uniform(0.002, 0.01), rng.uniform(-1, 1)]
        speed = (0.0, 0.05, 0.6, 2.0)[k % 4]
        heading = rng.uniform(0, 2 * math.pi)
        u = [rng.normal(scale=0.3), rng.normal(scale=0.5), rng.normal(scale=0.3),
             speed * math.cos(heading), rng.normal(scale=0.05), speed * math.sin(heading)]
        samples.append({"q": q, "u": u})
    return {"coordinates": names, "samples": samples}


def motion(kinematics) -> BodyMotion:
    return BodyMotion(*(ca.DM(np.array(kinematics[k])) for k in ("R", "p", "omega", "v")))


@pytest.mark.skipif(not HAS_OPENSIM, reason="opensim is not installed")
def test_contact_forces_of_a_sliding_block_match_opensim(tmp_path):
    contacts = spatial_contacts(read_osim(BLOCK))
    assert [c.half_space.name for c in contacts] == ["floor", "floor", "ramp"]
    states = block_states(np.random.default_rng(5), 16)
    values = opensim_values(BLOCK, states, tmp_path, "--body-kinematics")
    worst_normal = worst_friction = 0.0
    loaded = sliding = in_band = 0
    for sample in values["samples"]:
        body = motion(sample["body_kinematics"]["block"])
        for c in contacts:
            r = sphere_reaction(c, body)
            ours = np.array(r.force).ravel()
            expected = np.array(sample["contact_forces"][c.name])
            normal = float(r.normal_force)
            n = np.array(ca.DM(c.half_space.normal_in_body())).ravel()
            scale = max(abs(normal), 1.0)
            # the normal part is OpenSim's to rounding; friction but for the kink band
            assert abs((ours - expected) @ n) <= RTOL * scale
            slip = (np.array(body.v).ravel() + np.cross(np.array(body.omega).ravel(),
                    np.array(r.point).ravel() - np.array(body.p).ravel()))
            slip -= (slip @ n) * n
            v_rel = math.sqrt(slip @ slip + c.sphere.derivative_smoothing) \
                / c.sphere.transition_velocity_m_s
            difference = np.linalg.norm(ours - expected - ((ours - expected) @ n) * n)
            worst_normal = max(worst_normal, abs((ours - expected) @ n) / scale)
            if abs(v_rel - 1) < KINK_BAND:
                in_band += 1
                assert difference <= 0.14 * c.sphere.friction_kink_smoothing \
                    * c.sphere.static_friction * abs(normal) + RTOL * scale
            else:
                worst_friction = max(worst_friction, difference / scale)
                assert difference <= RTOL * scale
            if float(r.indentation) > 1e-3 and normal > 10.0:
                loaded += 1
                if abs(slip[0]) > 0.02 and abs(slip[2]) > 0.02:
                    sliding += 1
    print(f"\nsphere_block vs OpenSim: normal {worst_normal:.1e}, friction {worst_friction:.1e} "
          f"of the normal force; {loaded} loaded spheres, {sliding} sliding in x and z, "
          f"{in_band} in the kink band")
    assert loaded >= 24 and sliding >= 12


def test_foot_reactions_reproduce_the_resultant_and_its_moment():
    """Centre of pressure and free moment (no smoothing) carry the same force and moment
    about the ground origin as the sphere forces: a second method."""
    rng = np.random.default_rng(6)
    floor = HalfSpace()
    contacts = [SpatialContact(ContactSphere(f"s{k}", body, (0.0, 0.0, 0.0), 0.03,
                                             friction_law="opensim"), floor)
                for k, body in enumerate(["calcn_r", "toes_r", "calcn_r", "calcn_l"])]
    reactions = []
    for _ in contacts:
        point = ca.DM([rng.uniform(-1, 1), -rng.uniform(0, 0.004), rng.uniform(-1, 1)])
        force = ca.DM([rng.normal(scale=50), rng.uniform(100, 400), rng.normal(scale=50)])
        reactions.append(SphereReaction(force, point, 0.0, force[1]))
    out = {k: float(v) for k, v in foot_ground_reactions(contacts, reactions, 0.0).items()}
    for foot, members in (("r", [0, 1, 2]), ("l", [3])):
        force = sum(np.array(reactions[i].force).ravel() for i in members)
        moment = sum(np.cross(np.array(reactions[i].point).ravel(),
                              np.array(reactions[i].force).ravel()) for i in members)
        grf = np.array([out[f"grf_{a}_{foot}"] for a in "xyz"])
        cop = np.array([out[f"cop_{a}_{foot}"] for a in "xyz"])
        assert np.allclose(grf, force, rtol=1e-14, atol=1e-12)
        assert abs(cop[1]) <= 1e-15                      # on the floor's surface y = 0
        rebuilt = np.cross(cop, grf) + out[f"free_moment_{foot}"] * np.array([0.0, 1.0, 0.0])
        assert np.allclose(rebuilt, moment, rtol=1e-12, atol=1e-9)


def test_a_foot_standing_on_vertical_forces_has_its_cop_at_their_weighted_mean():
    floor = HalfSpace()
    contacts = [SpatialContact(ContactSphere(n, "calcn_r", (0.0, 0.0, 0.0), 0.03,
                                             friction_law="opensim"), floor)
                for n in ("heel", "toe")]
    reactions = [SphereReaction(ca.DM([0, 300.0, 0]), ca.DM([0.0, 0.0, 0.1]), 0.0, 300.0),
                 SphereReaction(ca.DM([0, 100.0, 0]), ca.DM([0.2, 0.0, 0.3]), 0.0, 100.0)]
    out = {k: float(v) for k, v in foot_ground_reactions(contacts, reactions, 0.0).items()}
    assert out["cop_x_r"] == pytest.approx(0.05, abs=1e-15)
    assert out["cop_z_r"] == pytest.approx(0.15, abs=1e-15)
    assert out["free_moment_r"] == pytest.approx(0.0, abs=1e-13)
    # equal and opposite friction at two points: a pure couple about y, the free moment
    twist = [SphereReaction(ca.DM([10.0, 300.0, 0]), ca.DM([0.0, 0.0, 0.1]), 0.0, 300.0),
             SphereReaction(ca.DM([-10.0, 300.0, 0]), ca.DM([0.0, 0.0, -0.1]), 0.0, 300.0)]
    out = {k: float(v) for k, v in foot_ground_reactions(contacts, twist, 0.0).items()}
    # about +y: z F_x - x F_z = 0.1 (10) + (-0.1)(-10) = 2 N m
    assert out["free_moment_r"] == pytest.approx(2.0, rel=1e-14)
    assert out["cop_x_r"] == pytest.approx(0.0, abs=1e-15)


@pytest.mark.skipif(not HAS_OPENSIM, reason="opensim is not installed")
def test_contact_forces_through_the_spatial_tree_match_opensim(tmp_path):
    """The same block through our own kinematics: ``ocp models --evaluate``'s contact
    forces (spatial tree, 3D contacts read from the file) against OpenSim's (no sphere of
    these states slips within the kink band)."""
    from ocp.osim.evaluate import evaluate
    states = block_states(np.random.default_rng(15), 8)
    (tmp_path / "block_states.json").write_text(json.dumps(states))
    ours = evaluate(BLOCK, tmp_path / "block_states.json")
    reference = opensim_values(BLOCK, states, tmp_path)
    worst = 0.0
    for mine, theirs in zip(ours["samples"], reference["samples"]):
        for name, expected in theirs["contact_forces"].items():
            scale = max(abs(expected[1]), 1.0)
            worst = max(worst, np.abs(np.array(mine["contact_forces"][name])
                                      - np.array(expected)).max() / scale)
    print(f"\nsphere_block through the tree: worst {worst:.1e} of the normal force")
    assert worst <= 1e-6


def opensim_inverse_dynamics(model, names, states):
    """OpenSim's inverse dynamics without forces ("tau") and with the contacts on
    ("tau_contacts"), from tests/opensim_osim_reference.py."""
    request = {"model": str(model), "coordinates": names, "states": states}
    done = subprocess.run([sys.executable, str(Path(__file__).parent
                                               / "opensim_osim_reference.py")],
                          input=json.dumps(request), capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)["states"]


@pytest.mark.skipif(not HAS_OPENSIM, reason="opensim is not installed")
def test_generalised_contact_forces_through_the_tree_match_opensim():
    """The contacts as external forces of the spatial tree's inverse dynamics (point of
    application, sign, the ramp's tilted normal): tau with contacts minus tau without,
    against OpenSim's InverseDynamicsSolver with the contacts on and off."""
    from ocp.osim.spatial_skeleton import read_spatial, spatial_tree
    doc = read_spatial(BLOCK)
    tree = spatial_tree(doc)
    contacts = spatial_contacts(read_osim(BLOCK))
    given = block_states(np.random.default_rng(16), 6)
    rng = np.random.default_rng(17)
    states = [{"q": s["q"], "qd": s["u"], "qdd": list(rng.normal(size=tree.n))}
              for s in given["samples"]]
    reference = opensim_inverse_dynamics(BLOCK, list(tree.coordinates), states)
    worst = 0.0
    for s, ref in zip(states, reference):
        q, qd, qdd = (ca.DM(s[k]) for k in ("q", "qd", "qdd"))
        loads = sphere_forces(tree, q, qd, contacts)
        ours = np.array(ca.evalf(tree.inverse_dynamics(q, qd, qdd, external_forces=loads)
                                 - tree.inverse_dynamics(q, qd, qdd))).ravel()
        expected = np.array(ref["tau_contacts"]) - np.array(ref["tau"])
        worst = max(worst, np.abs(ours - expected).max() / max(np.abs(expected).max(), 1.0))
    print(f"\nsphere_block generalised contact forces vs OpenSim: {worst:.1e}")
    assert worst <= 1e-6
