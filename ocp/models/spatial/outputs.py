"""Frame outputs of a SpatialTree: markers, and what a frame fixed in a body sees.

For any body, or any frame fixed in a body (:class:`OffsetFrame`, as OpenSim's
PhysicalOffsetFrame; an IMU is one), at (q, q', q''):

- position p (3,1) m of its origin and orientation R (3x3, frame -> ground);
- angular velocity omega_F = R^T omega (rad/s), expressed in the frame itself:
  what a gyroscope fixed there measures;
- linear acceleration f_F = R^T (a - g) (m/s^2), gravity included and expressed
  in the frame itself: what an accelerometer measures (the specific force), so a
  frame at rest reads g's magnitude along its own up direction (+9.80665 along
  ground +y under OpenSim's gravity (0, -9.80665, 0)).

a is the acceleration of the frame's origin, a = a_B + alpha x r + omega x
(omega x r) with r the origin's offset from the body origin (in ground), and g
the tree's gravity. All functions are pure: CasADi in, CasADi out.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import casadi as ca
import numpy as np


@dataclass(frozen=True)
class OffsetFrame:
    """A frame fixed in ``body``: ``rotation`` (3x3 rows, frame -> body) and ``origin_m``
    (3,) in the body frame."""

    name: str
    body: str
    rotation: tuple = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))
    origin_m: tuple = (0.0, 0.0, 0.0)


class FrameSignals(NamedTuple):
    """One frame's outputs (module docstring): ``position`` (3,1) m and ``orientation``
    (3x3, frame -> ground) in ground; ``angular_velocity`` (3,1) rad/s and
    ``linear_acceleration`` (3,1) m/s^2, gravity included, in the frame."""

    position: object
    orientation: object
    angular_velocity: object
    linear_acceleration: object


def as_frame(frame) -> OffsetFrame:
    """A body name is the body's own frame."""
    return frame if isinstance(frame, OffsetFrame) else OffsetFrame(frame, frame)


def frame_signals(tree, states: dict, frame) -> FrameSignals:
    """:class:`FrameSignals` of ``frame`` (a body name or an OffsetFrame) from the tree's
    body states (``tree.body_states(q, qd, qdd)``)."""
    frame = as_frame(frame)
    if frame.body not in states:
        raise ValueError(f"frame '{frame.name}': body '{frame.body}' is not in the tree; "
                         f"bodies: {', '.join(states)}")
    s = states[frame.body]
    rotation = ca.mtimes(s.R, ca.DM(np.asarray(frame.rotation, dtype=float)))
    position, _, acceleration = tree.point_kinematics(s, frame.origin_m)
    gravity = ca.DM(np.asarray(tree.gravity_m_s2, dtype=float).reshape(3, 1))
    return FrameSignals(position, rotation, ca.mtimes(rotation.T, s.omega),
                        ca.mtimes(rotation.T, acceleration - gravity))


def frames_signals(tree, q, qd, qdd, frames) -> dict:
    """{frame name: FrameSignals} of several frames, from one pass over the tree."""
    states = tree.body_states(q, qd, qdd)
    return {as_frame(f).name: frame_signals(tree, states, f) for f in frames}


def frame_outputs(tree, q, qd, qdd, frames) -> dict:
    """Named scalar outputs of each frame: ``<frame>_position_{x,y,z}`` (m),
    ``<frame>_orientation_<row><column>`` (rows and columns 1 to 3 of R),
    ``<frame>_angular_velocity_{x,y,z}`` (rad/s, in the frame) and
    ``<frame>_acceleration_{x,y,z}`` (m/s^2, accelerometer, in the frame)."""
    out = {}
    for name, s in frames_signals(tree, q, qd, qdd, frames).items():
        for k, axis in enumerate("xyz"):
            out[f"{name}_position_{axis}"] = s.position[k]
            out[f"{name}_angular_velocity_{axis}"] = s.angular_velocity[k]
            out[f"{name}_acceleration_{axis}"] = s.linear_acceleration[k]
        for r in range(3):
            for c in range(3):
                out[f"{name}_orientation_{r + 1}{c + 1}"] = s.orientation[r, c]
    return out


def frame_output_units(frames) -> dict:
    """Units of :func:`frame_outputs`."""
    units = {}
    for f in frames:
        name = as_frame(f).name
        for axis in "xyz":
            units[f"{name}_position_{axis}"] = "m"
            units[f"{name}_angular_velocity_{axis}"] = "rad/s"
            units[f"{name}_acceleration_{axis}"] = "m/s^2"
        for r in range(3):
            for c in range(3):
                units[f"{name}_orientation_{r + 1}{c + 1}"] = "1"
    return units


def marker_outputs(tree, q) -> dict:
    """``<marker>_{x,y,z}`` (m, ground) of every marker of the tree."""
    out = {}
    for name, position in tree.marker_positions(q).items():
        for k, axis in enumerate("xyz"):
            out[f"{name}_{axis}"] = position[k]
    return out
