"""Bad 3D .osim files through ``ocp models``: one line naming the file, the element, its
line and what is expected; exit status 2; no traceback (issue #20, "Bad input").

The rules are OpenSim's own: a massless body must have a child body or be welded
to one with mass (``Model::initSystem``), a clamped coordinate's default value
lies in its range, names are unique in their set. Where OpenSim is installed it
is asked about the same files in a subprocess (a second method): it refuses what
ocp refuses and accepts the massless body with a child that ocp accepts.
"""
import importlib.util
import subprocess
import sys

import pytest
import spatial_joints_model
from osim_pendulum import pendulum_osim
from spatial_joints_model import joints_model_text

from ocp.cli import EXIT_BAD_INPUT, EXIT_OK, main

HAS_OPENSIM = importlib.util.find_spec("opensim") is not None
ACTUATORS = """<ForceSet name="forceset"><objects>
<CoordinateActuator name="act"><coordinate>j5_0</coordinate></CoordinateActuator>
<CoordinateActuator name="act"><coordinate>j6_0</coordinate></CoordinateActuator>
</objects></ForceSet></Model>"""
CONTACT_GEOMETRY = """<ContactGeometrySet name="contactgeometryset"><objects>
<ContactSphere name="s"><socket_frame>/bodyset/b9</socket_frame>
  <radius>0.03</radius></ContactSphere>
<ContactSphere name="s"><socket_frame>/bodyset/b8</socket_frame>
  <radius>0.03</radius></ContactSphere>
</objects></ContactGeometrySet></Model>"""


def line_of(content: str, needle: str, nth: int = 1) -> int:
    hits = [i for i, line in enumerate(content.splitlines(), 1) if needle in line]
    return hits[nth - 1]


def chain(n: int) -> str:
    """The joints model cut after its n-th joint (b5: a leaf on a PinJoint)."""
    full = spatial_joints_model.JOINTS
    try:
        spatial_joints_model.JOINTS = full[:n]
        return joints_model_text()
    finally:
        spatial_joints_model.JOINTS = full


def spread(text: str) -> str:
    """The joints model with one element per line, so that lines name elements."""
    return text.replace("><", ">\n<")


CASES = {
    "massless leaf body on a pin joint": (
        lambda: spread(chain(5).replace('<Body name="b5"><mass>3.5</mass>',
                                        '<Body name="b5"><mass>0</mass>')),
        '<Body name="b5">', 1, ["Body 'b5'", "zero mass", "joint 'j5'", "expected"]),
    "massless leaf body on a custom joint": (
        lambda: spread(joints_model_text().replace('<Body name="b9"><mass>5.5</mass>',
                                                   '<Body name="b9"><mass>0</mass>')),
        '<Body name="b9">', 1, ["Body 'b9'", "zero mass", "no child body", "expected"]),
    "default outside its clamped range": (
        lambda: spread(joints_model_text().replace(
            '<Coordinate name="j5_0"><range>-1 1</range><default_value>0.1',
            '<Coordinate name="j5_0"><range>-1 1</range><clamped>true</clamped>'
            '<default_value>1.5')),
        '<Coordinate name="j5_0">', 1, ["Coordinate 'j5_0'", "<default_value> 1.5",
                                        "outside the coordinate's range [-1, 1]"]),
    "duplicated body": (
        lambda: spread(joints_model_text().replace('<Body name="b2">', '<Body name="b1">')),
        '<Body name="b1">', 2, ["Body 'b1'", "a second Body named 'b1'", "unique"]),
    "duplicated coordinate": (
        lambda: spread(joints_model_text().replace('<Coordinate name="j5_0">',
                                                   '<Coordinate name="j4_0">')),
        '<PinJoint name="j5">', 1, ["PinJoint 'j5'", "a second coordinate named 'j4_0'"]),
    "duplicated frame": (
        lambda: spread(joints_model_text().replace(
            '<PhysicalOffsetFrame name="c3">', '<PhysicalOffsetFrame name="p3">')),
        '<PhysicalOffsetFrame name="p3">', 2, ["PhysicalOffsetFrame 'p3'",
                                               "a second frame named 'p3'"]),
    "duplicated force": (
        lambda: spread(joints_model_text().replace("</Model>", ACTUATORS)),
        '<CoordinateActuator name="act">', 2, ["CoordinateActuator 'act'",
                                               "a second force named 'act'"]),
    "duplicated contact geometry": (
        lambda: spread(joints_model_text().replace("</Model>", CONTACT_GEOMETRY)),
        '<ContactSphere name="s">', 2, ["ContactSphere 's'",
                                        "a second contact geometry named 's'"]),
    "planar massless leaf body": (
        lambda: pendulum_osim().replace("<mass>2</mass>", "<mass>0</mass>"),
        '<Body name="rod">', 1, ["Body 'rod'", "zero mass"]),
    "planar duplicated joint": (
        lambda: pendulum_osim(model_extra="").replace(
            "</objects></JointSet>",
            '<PinJoint name="pin"><socket_parent_frame>/ground</socket_parent_frame>'
            '<socket_child_frame>/bodyset/rod</socket_child_frame></PinJoint>'
            "</objects></JointSet>"),
        '<PinJoint name="pin">', 2, ["PinJoint 'pin'", "a second joint named 'pin'"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_file_is_one_line_naming_the_file_element_and_line(case, tmp_path, capsys):
    make, needle, nth, words = CASES[case]
    content = make()
    path = tmp_path / "bad.osim"
    path.write_text(content)
    capsys.readouterr()
    code = main(["models", str(path)])
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code == EXIT_BAD_INPUT, captured.err
    assert len(lines) == 1 and "Traceback" not in captured.err + captured.out, captured.err
    line = line_of(content, needle, nth)
    assert lines[0].startswith(f"error: {path}: "), lines[0]
    assert f"(line {line})" in lines[0], (line, lines[0])
    for word in words:
        assert word in lines[0], (word, lines[0])


def test_a_massless_body_with_a_child_is_accepted(tmp_path, capsys):
    path = tmp_path / "ok.osim"
    path.write_text(joints_model_text().replace('<Body name="b5"><mass>3.5</mass>',
                                                '<Body name="b5"><mass>0</mass>'))
    assert main(["models", str(path)]) == EXIT_OK, capsys.readouterr().err


OPENSIM_CHECK = """
import sys, opensim
try:
    opensim.Model(sys.argv[1]).initSystem()
    print("accepted")
except Exception as exc:
    print("refused", str(exc).splitlines()[0][:200])
"""


@pytest.mark.skipif(not HAS_OPENSIM, reason="OpenSim is not installed")
@pytest.mark.parametrize("case, refused", [
    ("massless leaf body on a pin joint", True), ("default outside its clamped range", True),
    ("planar massless leaf body", True), ("massless body with a child", False)])
def test_opensim_refuses_and_accepts_the_same_files(case, refused, tmp_path):
    if case == "massless body with a child":
        content = joints_model_text().replace('<Body name="b5"><mass>3.5</mass>',
                                              '<Body name="b5"><mass>0</mass>')
    else:
        content = CASES[case][0]()
    path = tmp_path / "model.osim"
    path.write_text(content)
    out = subprocess.run([sys.executable, "-c", OPENSIM_CHECK, str(path)], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120).stdout
    assert out.strip().splitlines()[-1].startswith("refused" if refused else "accepted"), out


OPENSIM_MASS_MATRIX = """
import sys, numpy as np, opensim
model = opensim.Model(sys.argv[1])
state = model.initSystem()
m = opensim.Matrix()
model.getMatterSubsystem().calcM(state, m)
a = np.array([[m.get(i, j) for j in range(m.ncol())] for i in range(m.nrow())])
eig = np.linalg.eigvalsh(a)
print("eigenvalues", eig.min(), eig.max())
"""


@pytest.mark.skipif(not HAS_OPENSIM, reason="OpenSim is not installed")
def test_opensim_lets_a_massless_custom_joint_leaf_through_with_a_singular_mass_matrix(
        tmp_path):
    """OpenSim's graph check counts a CustomJoint's mobilities as none, so it loads the
    file ocp refuses; its own mass matrix then has a zero eigenvalue (why ocp refuses)."""
    path = tmp_path / "model.osim"
    path.write_text(CASES["massless leaf body on a custom joint"][0]())
    out = subprocess.run([sys.executable, "-c", OPENSIM_MASS_MATRIX, str(path)], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120).stdout
    smallest, largest = (float(v) for v in out.strip().splitlines()[-1].split()[1:])
    assert abs(smallest) < 1e-12 * largest
