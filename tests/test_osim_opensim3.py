"""OpenSim 3 files (Version 30000) read through their OpenSim 4 layout (ocp/osim/opensim3.py).

- arm26 (tests/data/arm26_v30000.osim, OpenSim's own version 30000 file): ``ocp
  models --evaluate`` against OpenSim 4.6 opening the same file (OpenSim upgrades
  it itself): mass matrix, velocity and gravity forces, markers (one fixed in the
  ground) and body origins to 1e-6 (~1e-16 measured). OpenSim 4.6 reads a copy
  without the muscles, whose minimum_activation 0 it refuses (it asks 0.01).
- A pendulum written in the OpenSim 3 layout builds the same planar model as the
  same pendulum in the OpenSim 4 layout (tests/osim_pendulum.py): a second method.
- What does not map one to one (a reversed joint, other versions) is one line
  naming the file, the element, its line and what to do; an error inside an
  upgraded element still points at its line in the file.
"""
import json
from pathlib import Path

import casadi as ca
import numpy as np
import pytest
from opensim_values import HAS_OPENSIM, opensim_values, random_states
from osim_pendulum import pendulum_osim

from ocp.cli import EXIT_BAD_INPUT, EXIT_OK, main
from ocp.models.multibody import inverse_dynamics, mass_matrix
from ocp.osim import build_osim_model
from ocp.osim.evaluate import evaluate

ARM26 = Path(__file__).parent / "data" / "arm26_v30000.osim"

PENDULUM_V3 = """<?xml version="1.0" encoding="UTF-8" ?>
<OpenSimDocument Version="30000">
  <Model name="bar">
    <BodySet><objects>
      <Body name="ground">
        <mass>0</mass><mass_center>0 0 0</mass_center>
        <inertia_xx>0</inertia_xx><inertia_yy>0</inertia_yy><inertia_zz>0</inertia_zz>
        <inertia_xy>0</inertia_xy><inertia_xz>0</inertia_xz><inertia_yz>0</inertia_yz>
        <Joint />
      </Body>
      <Body name="rod">
        <mass>2</mass><mass_center>0 -0.5 0</mass_center>
        <inertia_xx>0.1</inertia_xx><inertia_yy>0.1</inertia_yy><inertia_zz>0.1667</inertia_zz>
        <inertia_xy>0</inertia_xy><inertia_xz>0</inertia_xz><inertia_yz>0</inertia_yz>
        <Joint>
          <PinJoint name="pin">
            <parent_body>ground</parent_body>
            <location_in_parent>0 0 0</location_in_parent>
            <orientation_in_parent>0 0 0</orientation_in_parent>
            <location>0 0 0</location><orientation>0 0 0</orientation>
            <CoordinateSet><objects>
              <Coordinate name="angle"><range>-3 3</range></Coordinate>
            </objects></CoordinateSet>
            <reverse>false</reverse>
          </PinJoint>
        </Joint>
        <VisibleObject><GeometrySet><objects>
          <DisplayGeometry><geometry_file>rod.vtp</geometry_file></DisplayGeometry>
        </objects></GeometrySet></VisibleObject>
      </Body>
    </objects></BodySet>
    <ForceSet><objects>
      <CoordinateActuator name="motor">
        <coordinate>angle</coordinate><optimal_force>10</optimal_force>
        <min_control>-1</min_control><max_control>1</max_control>
      </CoordinateActuator>
    </objects></ForceSet>
  </Model>
</OpenSimDocument>
"""


@pytest.mark.skipif(not HAS_OPENSIM, reason="opensim is not installed")
def test_arm26_version_30000_evaluates_as_opensim_reads_it(tmp_path):
    states = random_states(ARM26, np.random.default_rng(31), 3)
    (tmp_path / "states.json").write_text(json.dumps(states))
    ours = evaluate(ARM26, tmp_path / "states.json")
    # OpenSim 4.6 refuses the file's Thelen muscles (minimum_activation 0, where it now
    # asks at least 0.01); muscles change none of the values compared, so OpenSim reads
    # a copy without its ForceSet
    text = ARM26.read_text()
    start, end = text.index("<ForceSet>"), text.index("</ForceSet>") + len("</ForceSet>")
    copy = tmp_path / "arm26_for_opensim.osim"
    copy.write_text(text[:start] + "<ForceSet><objects /></ForceSet>" + text[end:])
    reference = opensim_values(copy, states, tmp_path)
    assert ours["coordinates"] == reference["coordinates"] == ["r_shoulder_elev", "r_elbow_flex"]
    worst = 0.0
    for mine, theirs in zip(ours["samples"], reference["samples"]):
        assert set(mine["marker_positions"]) == set(theirs["marker_positions"]) \
            == {"r_acromion", "r_humerus_epicondyle", "r_radius_styloid"}
        for key in ("mass_matrix", "bias_and_gravity_tau"):
            expected = np.array(theirs[key])
            worst = max(worst, np.abs(np.array(mine[key]) - expected).max()
                        / np.abs(expected).max())
        for key in ("marker_positions", "body_origin_positions"):
            names = sorted(theirs[key])
            expected = np.array([theirs[key][n] for n in names])
            ours_ = np.array([mine[key][n] for n in names])
            worst = max(worst, np.abs(ours_ - expected).max() / np.abs(expected).max())
    print(f"\narm26 (OpenSim 3 file) vs OpenSim: worst relative difference {worst:.1e}")
    assert worst <= 1e-6


def test_arm26_version_30000_is_listed_with_its_wraps(capsys):
    assert main(["models", str(ARM26), "--spatial"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "an OpenSim 3 file (version 30000) read as OpenSim 4" in out
    assert "r_shoulder (CustomJoint): ground -> r_humerus: r_shoulder_elev" in out
    assert "TRIlong (798.52 N; wraps TRI, TRIlonghh, TRIlongglen)" in out
    assert "1 fixed in the ground" in out and "36 Mesh" in out


def test_a_pendulum_in_the_opensim_3_layout_is_the_same_model(tmp_path):
    old, new = tmp_path / "v3.osim", tmp_path / "v4.osim"
    old.write_text(PENDULUM_V3)
    new.write_text(pendulum_osim())
    a, b = build_osim_model(old), build_osim_model(new)
    assert a.tree.coordinates == b.tree.coordinates == ("angle",)
    assert a.control_names == b.control_names
    assert any("Mesh 'rod.vtp'" in entry for entry in a.osim.doc.ignored)
    for q, qd, qdd in ((0.3, -1.0, 2.0), (-2.0, 0.5, 0.0)):
        args = (ca.DM([q]), ca.DM([qd]), ca.DM([qdd]))
        assert float(mass_matrix(a.tree, args[0])) == float(mass_matrix(b.tree, args[0]))
        assert float(inverse_dynamics(a.tree, *args)) == float(inverse_dynamics(b.tree, *args))


def bad(tmp_path, capsys, text: str) -> str:
    path = tmp_path / "old model.osim"
    path.write_text(text)
    assert main(["models", str(path), "--spatial"]) == EXIT_BAD_INPUT
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert err.startswith(f"error: {path}: ")
    return err.strip()


def line_of(text: str, start: str) -> int:
    return text[:text.index(start)].count("\n") + 1


def test_a_reversed_joint_says_what_to_convert(tmp_path, capsys):
    text = PENDULUM_V3.replace("<reverse>false</reverse>", "<reverse>true</reverse>")
    err = bad(tmp_path, capsys, text)
    assert f"PinJoint 'pin' (line {line_of(text, '<PinJoint')})" in err
    assert "reversed joint" in err and "open and save it in OpenSim 4" in err


@pytest.mark.parametrize("version", ["20303", "30501"])
def test_other_versions_say_which_are_read_and_what_to_do(version, tmp_path, capsys):
    err = bad(tmp_path, capsys, PENDULUM_V3.replace('Version="30000"', f'Version="{version}"'))
    assert f"version {version}" in err and "30000 to 30499" in err
    assert "open and save it in OpenSim 4" in err


def test_an_error_inside_an_upgraded_joint_points_at_its_line(tmp_path, capsys):
    text = PENDULUM_V3.replace("<parent_body>ground</parent_body>",
                               "<parent_body>grund</parent_body>")
    err = bad(tmp_path, capsys, text)
    assert f"PinJoint 'pin' (line {line_of(text, '<PinJoint')})" in err
    assert "'grund' is not a body" in err
