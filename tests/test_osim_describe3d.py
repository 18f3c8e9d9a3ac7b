"""``ocp models FILE.osim`` of a 3D file (and ``--spatial`` of any): ocp/osim/describe3d.py.

What the file holds, read by the 3D reader: the tree with coordinate ranges and
locked coordinates, coupler constraints, muscles with the wrap objects their paths
use, actuators, contacts and their feet, markers; what only draws is listed as
ignored and what is not modelled as not read, each by name (and line).
"""
from pathlib import Path

import pytest
from opensim_values import FALISSE, RAJAGOPAL
from osim_pendulum import pendulum_osim

from ocp.cli import EXIT_OK, main

BLOCK = Path(__file__).parent / "data" / "sphere_block.osim"


def listing(path, capsys, *flags) -> str:
    assert main(["models", str(path), *flags]) == EXIT_OK
    out, err = capsys.readouterr()
    assert err == ""
    return out


def line(out: str, start: str) -> str:
    return next(x.strip() for x in out.splitlines() if x.strip().startswith(start))


def test_rajagopal_lists_its_tree_couplers_wraps_locked_coordinates_and_markers(capsys):
    if not RAJAGOPAL.exists():
        pytest.skip(f"{RAJAGOPAL} is absent")
    out = listing(RAJAGOPAL, capsys)       # a 3D file: the 3D listing without --spatial
    assert "bodies:      22, 75.337 kg" in out
    assert "joints:      22 (parents first)" in out
    assert "walker_knee_r (CustomJoint): femur_r -> tibia_r: knee_angle_r [0, 2.094]" in out
    assert "radius_hand_r (UniversalJoint): radius_r -> hand_r: wrist_flex_r" in out
    assert line(out, "coordinates:").startswith("coordinates: 39 (8 locked: subtalar_angle_r")
    assert ("CoordinateCouplerConstraint 'patellofemoral_knee_angle_r_con': knee_angle_r_beta"
            " = 1 f(knee_angle_r)") in out
    muscles = line(out, "muscles:")
    assert muscles.startswith("muscles:     80 (Millard2012EquilibriumMuscle)")
    assert "addbrev_r (625.82 N; wraps AB_at_femshaft_r)" in muscles
    assert line(out, "actuators:").startswith("actuators:   17: lumbar_ext (CoordinateActuator")
    assert line(out, "markers:").startswith("markers:     66: ")
    ignored = line(out, "ignored")
    assert "1 <defaults>" in ignored and "Mesh" in ignored
    assert "WrapCylinder 'PECT_at_femshaft_r' (no path uses it)" in ignored


def test_falisse_lists_its_contacts_by_foot(capsys):
    if not FALISSE.exists():
        pytest.skip(f"{FALISSE} is absent")
    out = listing(FALISSE, capsys)
    assert line(out, "contacts:").count("against 'floor' on ground") == 12
    assert "r: 6 spheres on calcn_r, toes_r; l: 6 spheres on calcn_l, toes_l" in out
    assert "actuator_arm_flex_r (ActivationCoordinateActuator on arm_flex_r, optimal force " \
           "150)" in out
    assert "radioulnar_r (WeldJoint): ulna_r -> radius_r: welded" in out
    assert line(out, "muscles:").startswith("muscles:     92 (Thelen2003Muscle)")


def test_what_is_not_modelled_is_named_with_its_line(tmp_path, capsys):
    text = BLOCK.read_text()
    limit = ('<CoordinateLimitForce name="stop"><coordinate>block_rx</coordinate>'
             '</CoordinateLimitForce>\n      ')
    text = text.replace('<SmoothSphereHalfSpaceForce name="contact_heel">',
                        limit + '<SmoothSphereHalfSpaceForce name="contact_heel">', 1)
    path = tmp_path / "block.osim"
    path.write_text(text)
    out = listing(path, capsys, "--spatial")
    number = text[:text.index("<CoordinateLimitForce")].count("\n") + 1
    assert f"not read (not modelled here): CoordinateLimitForce 'stop' (line {number})" in out
    assert line(out, "markers:") == "markers:     1: corner (block)"
    assert "contact_ramp: sphere on block (r = 0.03 m) against 'ramp' on ground" in out
    assert "block: 3 spheres on block" in out


def test_a_planar_file_keeps_its_listing_and_spatial_gives_the_tree(tmp_path, capsys):
    path = tmp_path / "pendulum.osim"
    path.write_text(pendulum_osim())
    planar = listing(path, capsys)
    spatial = listing(path, capsys, "--spatial")
    assert "controls:" in planar and "joints:" not in planar
    assert "pin (PinJoint): ground -> rod: angle [-3, 3]" in spatial


def test_euler_angle_joints_say_where_they_are_singular(tmp_path, capsys):
    path = tmp_path / "ball.osim"
    path.write_text(pendulum_osim().replace('<PinJoint name="pin">', '<BallJoint name="pin">')
                    .replace("</PinJoint>", "</BallJoint>")
                    .replace('<Coordinate name="angle"><range>-3 3</range></Coordinate>',
                             '<Coordinate name="a1"/><Coordinate name="a2"/>'
                             '<Coordinate name="a3"/>'))
    out = listing(path, capsys)
    assert "pin (BallJoint): ground -> rod: a1" in out
    assert "angles singular at a2 = +-90 deg" in out
