"""Bad .osim files through the command line: one message naming the file, the element, its
line and what is supported; exit status 2; no traceback. Elements that do not change
the dynamics are listed as ignored, never dropped silently."""
import subprocess
import sys

import pytest
from conftest import ROOT
from osim_pendulum import pendulum_osim

from ocp.cli import EXIT_BAD_INPUT, EXIT_OK, main

MUSCLE_ON_FOREARM = """<DeGrooteFregly2016Muscle name="flexor">
        <max_isometric_force>100</max_isometric_force>
        <optimal_fiber_length>0.1</optimal_fiber_length>
        <tendon_slack_length>0.2</tendon_slack_length>
        <GeometryPath><PathPointSet><objects>
          <PathPoint name="origin"><location>0.1 0 0</location>
            <socket_parent_frame>/ground</socket_parent_frame></PathPoint>
          <PathPoint name="insertion"><location>0 -0.3 0</location>
            <socket_parent_frame>/bodyset/forearm</socket_parent_frame></PathPoint>
        </objects></PathPointSet></GeometryPath></DeGrooteFregly2016Muscle>"""

def text(**parts) -> str:
    return pendulum_osim(**parts)


def line_of(content: str, needle: str) -> int:
    return next(i for i, line in enumerate(content.splitlines(), 1) if needle in line)


def run_models(path, capsys) -> tuple[int, str, str]:
    code = main(["models", str(path)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


CASES = {
    "unsupported joint": (
        lambda: text().replace("<PinJoint name=\"pin\">", "<EllipsoidJoint name=\"pin\">")
        .replace("</PinJoint>", "</EllipsoidJoint>"),
        "EllipsoidJoint 'pin'", "<EllipsoidJoint",
        ("joint type 'EllipsoidJoint' is not supported",
         "supported: CustomJoint, PinJoint, SliderJoint, PlanarJoint, UniversalJoint")),
    "unsupported force": (
        lambda: text(extra="<PointActuator name=\"push\"/>"),
        "PointActuator 'push'", "<PointActuator",
        ("'PointActuator' is not supported", "supported forces and components: "
                                             "DeGrooteFregly2016Muscle")),
    "unsupported set in the model": (
        lambda: text(model_extra="<ExternalLoads name=\"loads\"><objects/></ExternalLoads>"),
        "ExternalLoads 'loads'", "<ExternalLoads",
        ("'ExternalLoads' in the Model is not supported", "supported: BodySet")),
    "muscle path on a missing body": (
        lambda: text(extra=MUSCLE_ON_FOREARM),
        "PathPoint 'insertion' of DeGrooteFregly2016Muscle 'flexor'",
        "<PathPoint name=\"insertion\"",
        ("names the body 'forearm', which does not exist", "bodies: rod")),
    "truncated file": (
        lambda: text()[:text().index("<inertia>")],
        "Body 'rod'", "<Body name=\"rod\"",
        ("broken or truncated XML at line", "well-formed XML")),
    "broken XML": (
        lambda: text().replace("</PinJoint>", "</PinJoin>"),
        "PinJoint 'pin'", "<PinJoint",
        ("broken or truncated XML at line", "mismatched tag")),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_file_is_one_message_naming_file_element_line_and_what_is_supported(
        tmp_path, capsys, case):
    make, element, start_tag, says = CASES[case]
    content = make()
    path = tmp_path / "bad model.osim"
    path.write_text(content)
    code, out, err = run_models(path, capsys)
    assert code == EXIT_BAD_INPUT and out == ""
    message = err.strip()
    assert len(message.splitlines()) == 1, message
    assert message.startswith(f"error: {path}: ")
    assert f"{element} (line {line_of(content, start_tag)})" in message, message
    for phrase in says:
        assert phrase in message, message


def test_the_command_exits_2_without_a_traceback(tmp_path):
    """In a fresh interpreter, as a user runs it."""
    path = tmp_path / "truncated.osim"
    path.write_text(text()[:text().index("<coordinates>")])
    done = subprocess.run([sys.executable, "-m", "ocp", "models", str(path)],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == EXIT_BAD_INPUT
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert f"{path}: PinJoint 'pin' (line 11): broken or truncated XML" in done.stderr


def test_elements_that_do_not_move_anything_are_listed_as_ignored(tmp_path, capsys):
    content = text(
        body_extra="<attached_geometry><Mesh name=\"rod_mesh\"><mesh_file>rod.vtp</mesh_file>"
                   "</Mesh></attached_geometry>\n<WrapObjectSet><objects><WrapCylinder "
                   "name=\"elbow_wrap\"><radius>0.05</radius></WrapCylinder></objects>"
                   "</WrapObjectSet>",
        model_extra="<MarkerSet name=\"markerset\"><objects><Marker name=\"tip\">"
                    "<socket_parent_frame>/bodyset/rod</socket_parent_frame>"
                    "<location>0 -1 0</location></Marker></objects></MarkerSet>")
    path = tmp_path / "drawn.osim"
    path.write_text(content)
    code, out, err = run_models(path, capsys)
    assert code == EXIT_OK, err
    assert "ignored (no effect on the dynamics): 3 elements (1 Mesh, 1 WrapCylinder, " \
           "1 Marker)" in out
    assert f"Mesh 'rod_mesh' (line {line_of(content, 'rod_mesh')})" in out
    assert f"Marker 'tip' (line {line_of(content, '<Marker')})" in out
    assert (f"WrapCylinder 'elbow_wrap' (line {line_of(content, 'elbow_wrap')}): wrap "
            f"surface that no muscle path uses") in out


@pytest.mark.parametrize("geometry", ["polynomial", "neural"])
def test_a_fitted_geometry_needs_a_finite_range_of_every_coordinate(tmp_path, capsys,
                                                                      geometry):
    content = text(extra=MUSCLE_ON_FOREARM.replace("/bodyset/forearm", "/bodyset/rod")) \
        .replace("<range>-3 3</range>", "")
    path = tmp_path / "no_range.osim"
    path.write_text(content)
    code = main(["models", str(path), "--geometry", geometry])
    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT and len(err.strip().splitlines()) == 1
    assert (f"{path}: Coordinate 'angle' (line {line_of(content, '<Coordinate')}): "
            f"coordinates ['angle'] have no finite <range> to fit the {geometry}") in err
