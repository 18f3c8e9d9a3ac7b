"""Frame outputs (ocp/models/spatial/outputs.py): closed forms, a second method, OpenSim.

- A disc spinning about z at rate w (and angular acceleration alpha): a frame at
  radius r reads w about its z axis, and the accelerometer reads the centripetal
  -w^2 r, the tangential alpha r and +g along the frame's own up direction.
- Bodies at rest read +9.80665 m/s^2 up, whatever their orientation.
- The acceleration of any frame equals the second time derivative of its position
  along q(t) = q + q' t + q'' t^2 / 2 (CasADi differentiates the position: a
  second method, independent of the tree's acceleration recursion).
- Positions, orientations and angular velocities of every body and offset frame of
  gait2392 and of the sliding block (tests/data/sphere_block.osim) equal
  OpenSim's (1e-9 asked; ~1e-16 measured).
"""
import math
from pathlib import Path

import casadi as ca
import numpy as np
import pytest
from opensim_values import GAIT2392, HAS_OPENSIM, opensim_values, random_states

from ocp.models.spatial import SpatialBody, SpatialJoint, SpatialTree
from ocp.models.spatial.outputs import (
    OffsetFrame,
    frame_output_units,
    frame_outputs,
    frames_signals,
)
from ocp.models.spatial.rotations import axis_angle, numpy_axis_angle
from ocp.osim.spatial_skeleton import frame_in_body, read_spatial, spatial_tree

BLOCK = Path(__file__).parent / "data" / "sphere_block.osim"
G = 9.80665


def disc() -> SpatialTree:
    """A disc on a pin joint about the ground's z axis."""
    pin = SpatialJoint("pin", ("theta",),
                       lambda q: (axis_angle((0, 0, 1), q[0]), ca.DM.zeros(3, 1)))
    body = SpatialBody("disc", None, pin, (np.eye(3), np.zeros(3)), (np.eye(3), np.zeros(3)),
                       1.0, (0.0, 0.0, 0.0), np.eye(3) * 0.1)
    return SpatialTree((body,), ("theta",), (0.0, -G, 0.0))


def numbers(v) -> np.ndarray:
    return np.array(ca.evalf(v)).ravel()


@pytest.mark.parametrize("theta, rate, alpha", [(0.0, 3.0, 0.0), (0.7, -5.0, 0.0),
                                                (2.1, 2.0, 4.0)])
def test_a_spinning_disc_reads_its_rate_and_the_centripetal_and_gravity_accelerations(
        theta, rate, alpha):
    r = 0.25
    tilted = numpy_axis_angle((1, 0, 0), math.pi / 2)   # its y axis along the disc's z
    rim = OffsetFrame("rim", "disc", tuple(map(tuple, np.eye(3))), (r, 0.0, 0.0))
    imu = OffsetFrame("imu", "disc", tuple(map(tuple, tilted)), (r, 0.0, 0.0))
    signals = frames_signals(disc(), ca.DM([theta]), ca.DM([rate]), ca.DM([alpha]), [rim, imu])
    # in the disc's frame: centripetal, tangential, and g up rotated into the disc
    expected = np.array([-rate ** 2 * r + G * math.sin(theta), alpha * r + G * math.cos(theta),
                         0.0])
    assert numbers(signals["rim"].angular_velocity) == pytest.approx([0, 0, rate], abs=1e-14)
    assert numbers(signals["rim"].linear_acceleration) == pytest.approx(expected, abs=1e-13)
    assert numbers(signals["imu"].angular_velocity) == pytest.approx([0, rate, 0], abs=1e-14)
    assert numbers(signals["imu"].linear_acceleration) == pytest.approx(tilted.T @ expected,
                                                                        abs=1e-13)
    assert numbers(signals["rim"].position) == pytest.approx(
        [r * math.cos(theta), r * math.sin(theta), 0.0], abs=1e-15)


def test_every_frame_at_rest_reads_g_up():
    doc = read_spatial(BLOCK)
    tree = spatial_tree(doc)
    rng = np.random.default_rng(8)
    sole = OffsetFrame("sole", *frame_in_body(doc, "/bodyset/block/sole"))
    for _ in range(5):
        q = ca.DM(rng.uniform(-3, 3, tree.n))
        zero = ca.DM.zeros(tree.n)
        for s in frames_signals(tree, q, zero, zero, ["block", sole]).values():
            rotation = np.array(ca.evalf(s.orientation))
            reading = numbers(s.linear_acceleration)
            assert rotation @ reading == pytest.approx([0.0, G, 0.0], abs=1e-13)
            assert np.linalg.norm(reading) == pytest.approx(G, rel=1e-15)


def test_frame_acceleration_is_the_second_derivative_of_its_position():
    doc = read_spatial(GAIT2392) if GAIT2392.exists() else read_spatial(BLOCK)
    tree = spatial_tree(doc)
    frames = [OffsetFrame(path, *frame_in_body(doc, path)) for path in sorted(doc.frames)
              if frame_in_body(doc, path)[0] != "ground"][:8] + [b.name for b in tree.bodies]
    rng = np.random.default_rng(9)
    q0, qd, qdd = (ca.DM(rng.normal(scale=0.5, size=tree.n)) for _ in range(3))
    t = ca.SX.sym("t")
    path = q0 + qd * t + 0.5 * qdd * t ** 2
    moving = frames_signals(tree, path, ca.jacobian(path, t), ca.jacobian(ca.jacobian(path, t), t),
                            frames)
    gravity = np.array(tree.gravity_m_s2)
    for name, s in moving.items():
        second = ca.Function("a", [t], [ca.jacobian(ca.jacobian(s.position, t), t),
                                        s.orientation, s.linear_acceleration])
        d2p, rotation, reading = (np.array(v) for v in second(0.0))
        assert rotation @ reading.ravel() + gravity == pytest.approx(d2p.ravel(), abs=1e-10), name


def test_frame_outputs_are_named_with_units():
    tree = disc()
    out = frame_outputs(tree, ca.DM([0.3]), ca.DM([1.0]), ca.DM([0.0]), ["disc"])
    units = frame_output_units(["disc"])
    assert set(out) == set(units) and len(out) == 18
    assert units["disc_acceleration_y"] == "m/s^2" and units["disc_orientation_23"] == "1"


@pytest.mark.skipif(not HAS_OPENSIM, reason="opensim is not installed")
@pytest.mark.parametrize("model", [BLOCK, GAIT2392], ids=["sphere_block", "gait2392"])
def test_body_and_offset_frame_poses_and_angular_velocities_match_opensim(model, tmp_path):
    if not model.exists():
        pytest.skip(f"{model} is absent")
    doc = read_spatial(model)
    tree = spatial_tree(doc)
    states = random_states(model, np.random.default_rng(10), 3)
    assert states["coordinates"] == list(tree.coordinates)
    values = opensim_values(model, states, tmp_path, "--body-kinematics")
    worst = 0.0
    checked = 0
    for given, sample in zip(states["samples"], values["samples"]):
        expected = dict(sample["body_kinematics"])
        frames = [b.name for b in tree.bodies]
        for path, motion in sample["frame_kinematics"].items():
            body, rotation, origin = frame_in_body(doc, path)
            if body != "ground":
                frames.append(OffsetFrame(path, body, tuple(map(tuple, rotation)), tuple(origin)))
                expected[path] = motion
        q, u = ca.DM(given["q"]), ca.DM(given["u"])
        for name, s in frames_signals(tree, q, u, ca.DM.zeros(tree.n), frames).items():
            rotation = np.array(ca.evalf(s.orientation))
            ours = np.concatenate([numbers(s.position), rotation.ravel(),
                                   rotation @ numbers(s.angular_velocity)])
            theirs = np.concatenate([expected[name]["p"], np.ravel(expected[name]["R"]),
                                     expected[name]["omega"]])
            scale = max(np.abs(theirs).max(), 1.0)
            worst = max(worst, np.abs(ours - theirs).max() / scale)
            checked += 1
    print(f"\n{model.name}: {checked} frame states, worst difference {worst:.1e}")
    assert worst <= 1e-9 and checked >= 3 * len(tree.bodies)
