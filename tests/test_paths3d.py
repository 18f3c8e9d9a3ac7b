"""Exact 3-D muscle paths without OpenSim: closed forms and bad input.

A path in the plane perpendicular to a cylinder's axis (or through a sphere's
centre) wraps along a circle: its length is two tangents plus an arc, and a
joint turning about that axis has the radius as moment arm. OpenSim's
algorithms are exact there, so the bound is rounding (and the central
difference's 1e-10).
"""
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from ocp.osim import OsimError
from ocp.osim.functions import Linear
from ocp.osim.paths3d import MusclePath3D, PathPoint3D, PathWrap3D, moment_arm
from ocp.osim.paths3d_reader import read_muscle_paths
from ocp.osim.wrapping import WrapCylinder, WrapSphere

sys.path.insert(0, str(Path(__file__).resolve().parent))
from wrap_models import model_text  # noqa: E402

ARM_M = 0.3        # distance of both path points from the joint axis
RADIUS_M = 0.05


def pin_poses(q: dict) -> dict:
    c, s = math.cos(q["angle"]), math.sin(q["angle"])
    return {"rod": (np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]), np.zeros(3))}


def over(wrap) -> MusclePath3D:
    return MusclePath3D("m", (PathPoint3D("o", "ground", (0.0, ARM_M, 0.01)),
                              PathPoint3D("i", "rod", (0.0, -ARM_M, 0.01))),
                        (PathWrap3D(wrap),))


def tangents_and_arc(angle: float) -> float:
    """Two tangents from points at ARM_M and the arc between them (angle between the
    points' directions pi - angle, seen from the centre)."""
    between = math.pi - abs(angle)
    return (2 * math.sqrt(ARM_M ** 2 - RADIUS_M ** 2)
            + RADIUS_M * (between - 2 * math.acos(RADIUS_M / ARM_M)))


@pytest.mark.parametrize("wrap", [
    WrapCylinder("c", "ground", translation=(0, 0, 0.01), radius=RADIUS_M, length=0.2),
    WrapSphere("s", "ground", translation=(0, 0, 0.01), radius=RADIUS_M)],
    ids=["cylinder", "sphere"])
def test_wrap_about_the_joint_axis_is_tangents_and_arc_with_the_radius_as_moment_arm(wrap):
    path = over(wrap)
    for angle in (-0.25, -0.1, 0.05, 0.2):
        q = {"angle": angle}
        assert path.length(pin_poses(q), q) == pytest.approx(tangents_and_arc(angle),
                                                             rel=1e-12)
        assert abs(moment_arm(path, pin_poses, q, "angle")) == pytest.approx(RADIUS_M,
                                                                             abs=1e-9)
    q = {"angle": 1.2}   # the straight line misses the obstacle: no wrap
    straight = 2 * ARM_M * math.cos(0.6)
    assert path.length(pin_poses(q), q) == pytest.approx(straight, rel=1e-12)
    assert not path.compute(pin_poses(q), q).tangent_points


def test_conditional_point_counts_on_its_range_with_opensims_margin():
    point = PathPoint3D("c", "ground", kind="ConditionalPathPoint", coordinate="knee",
                        range=(-1.0, 0.5))
    assert point.is_active({"knee": 0.5 + 0.9e-5}) and point.is_active({"knee": -1.0})
    assert not point.is_active({"knee": 0.5 + 1.1e-5})


def test_moving_point_clamps_its_coordinate_to_its_range():
    fn = Linear(2.0, 0.1)
    point = PathPoint3D("m", "ground", kind="MovingPathPoint",
                        functions=(("knee", fn, (-1.0, 0.5)), (None, Linear(0, 0.2), (0, 0)),
                                   (None, Linear(0, 0.0), (0, 0))))
    assert point.local({"knee": 0.3}) == pytest.approx([0.7, 0.2, 0.0])
    assert point.local({"knee": 2.0}) == pytest.approx([1.1, 0.2, 0.0])


BAD = {
    "unknown wrap type": (("<WrapCylinder name=\"w_all\">", "<WrapCone name=\"w_all\">"),
                          ("</WrapCylinder>", "</WrapCone>")),
    "no such wrap object": (("<wrap_object>w_all</wrap_object>",
                             "<wrap_object>w_nowhere</wrap_object>"),),
    "bad quadrant": (("<quadrant>+x</quadrant>", "<quadrant>up</quadrant>"),),
    "bad method": (("<method>hybrid</method>", "<method>spiral</method>"),),
    "range beyond the path": (("<range>1 2</range>", "<range>1 7</range>"),),
    "frame on no body": (("<socket_parent_frame>/bodyset/rod</socket_parent_frame>"
                          "<location>0.0 -0.3",
                          "<socket_parent_frame>/bodyset/arm</socket_parent_frame>"
                          "<location>0.0 -0.3"),),
}
EXPECTED = {"unknown wrap type": ("WrapCone 'w_all'", "supported: WrapCylinder"),
            "no such wrap object": ("PathWrap", "w_nowhere"),
            "bad quadrant": ("WrapCylinder 'w_px'", "'up'"),
            "bad method": ("PathWrap", "'spiral'"),
            "range beyond the path": ("PathWrap", "run from 1 to 3"),
            "frame on no body": ("PathPoint 'insertion'", "/bodyset/arm")}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_wrap_input_names_file_element_and_line(case, tmp_path):
    text = model_text("WrapCylinder")
    for old, new in BAD[case]:
        assert old in text
        text = text.replace(old, new, 1)
    path = tmp_path / "bad.osim"
    path.write_text(text)
    with pytest.raises(OsimError) as caught:
        read_muscle_paths(path)
    message = str(caught.value)
    element, detail = EXPECTED[case]
    assert message.startswith(str(path)) and element in message and detail in message
    assert caught.value.line and f"(line {caught.value.line})" in message
    assert "\n" not in message
