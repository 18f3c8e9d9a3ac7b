"""Reading OpenSim models (.osim) without OpenSim: closed forms, a second method
(Lagrange's equations by automatic differentiation for the moving knee), and
the errors users see. Comparisons with OpenSim itself: tests/test_osim_opensim.py."""
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import casadi as ca
import numpy as np
import pytest
from osim_pendulum import pendulum_osim

import ocp
from ocp.errors import ProblemError
from ocp.models.multibody import inverse_dynamics, mechanical_energy
from ocp.osim import OsimError, build_osim_model, read_osim
from ocp.osim.functions import SimmSpline
from ocp.osim.paths import ConditionalPoint

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
GAIT2D = DATA / "gait2d" / "2D_gait.osim"
GAIT10 = DATA / "walking" / "gait10dof18musc.osim"
needs_data = pytest.mark.skipif(not GAIT2D.exists() or not GAIT10.exists(),
                                reason="../shared/data (OpenSim models) is absent")
pytestmark = pytest.mark.filterwarnings("ignore::ocp.osim.OsimConversionNote")


# -- SimmSpline ----------------------------------------------------------------

def test_simm_spline_reproduces_a_cubic_exactly():
    """Its end conditions match third derivatives to divided differences, so any cubic
    through the knots comes back exactly, with its derivatives."""
    x = np.array([-2.0, -1.3, -0.2, 0.4, 1.1, 2.5])
    cubic = np.poly1d([0.3, -0.5, 0.2, 0.1])
    s = SimmSpline(tuple(x), tuple(cubic(x)))
    t = ca.SX.sym("t")
    f = ca.Function("f", [t], list(s(t)))
    for value in np.linspace(-1.99, 2.49, 37):
        v, d, dd = (float(r) for r in f(value))
        assert v == pytest.approx(cubic(value), abs=1e-12)
        assert d == pytest.approx(cubic.deriv()(value), abs=1e-11)
        assert dd == pytest.approx(cubic.deriv(2)(value), abs=1e-10)


def test_simm_spline_continues_along_the_end_slopes():
    s = SimmSpline((0.0, 1.0, 2.0, 3.0), (0.0, 1.0, 0.0, 1.0))
    inside = s.numpy([0.0, 1.0, 2.0, 3.0])
    assert inside == pytest.approx([0.0, 1.0, 0.0, 1.0], abs=1e-14)
    t = ca.SX.sym("t")
    slope = ca.Function("d", [t], [s(t)[1]])
    assert s.numpy([-1.0])[0] == pytest.approx(-float(slope(0.0)), abs=1e-14)
    assert s.numpy([4.5])[0] == pytest.approx(1.0 + 1.5 * float(slope(3.0)), abs=1e-14)
    assert SimmSpline((0.0, 2.0), (1.0, 2.0)).numpy([1.0, 3.0]) == pytest.approx([1.5, 2.5])


# -- the trees -----------------------------------------------------------------

@needs_data
def test_2d_gait_is_read_completely():
    model = build_osim_model(GAIT2D)
    assert set(model.tree.coordinates) == {
        "pelvis_tilt", "pelvis_tx", "pelvis_ty", "lumbar", *(f"{j}_{s}" for s in "rl"
        for j in ("hip_flexion", "knee_angle", "ankle_angle"))}
    assert len(model.muscles) == 18 and model.tendon == "rigid"
    assert [s.name for s in model.contacts] == ["contactHeel_r", "contactHeel_l",
                                                "contactFront_r", "contactFront_l"]
    assert model.tree.gravity_m_s2 == 9.80665
    # the welded calcaneus and toes are part of the talus segment: no mass lost
    xml_mass = sum(float(b.findtext("mass")) for b in ET.parse(GAIT2D).iter("Body"))
    assert sum(s.mass_kg for s in model.tree.segments) == pytest.approx(xml_mass, rel=1e-14)
    bounds = model.default_bounds()
    assert bounds["reserve_lumbar"] == (-150.0, 150.0)
    assert bounds["soleus_r_excitation"] == (0.01, 1.0)
    assert bounds["knee_angle_r"] == pytest.approx((-2.094395102393195, 0.174532925199433))
    assert model.reserves == {"lumbar": 1.0}


def _lagrange_inverse_dynamics(tree, q, qd, qdd):
    """tau = d/dt dL/dq' - dL/dq with L = T - V, by automatic differentiation."""
    lagrangian = mechanical_energy(tree, q, qd)
    # mechanical_energy is T + V; T is quadratic in q', V independent of it
    kinetic = 0.5 * ca.dot(qd, ca.jacobian(ca.jacobian(lagrangian, qd), qd) @ qd)
    potential = lagrangian - kinetic
    L = kinetic - potential
    dL_dqd = ca.gradient(L, qd)
    return ca.jacobian(dL_dqd, q) @ qd + ca.jacobian(dL_dqd, qd) @ qdd - ca.gradient(L, q)


@needs_data
def test_moving_knee_newton_euler_equals_lagrange():
    """gait10dof18musc's knees slide along splines of the knee angle: the recursive
    Newton-Euler terms for the moving joint centre equal Lagrange's equations."""
    model = build_osim_model(GAIT10)
    tree = model.tree
    assert sum(s.joint.moving_location is not None for s in tree.segments) == 2
    n = tree.n
    q, qd, qdd = (ca.SX.sym(k, n) for k in ("q", "qd", "qdd"))
    f = ca.Function("f", [q, qd, qdd], [inverse_dynamics(tree, q, qd, qdd),
                                        _lagrange_inverse_dynamics(tree, q, qd, qdd)])
    rng = np.random.default_rng(5)
    for _ in range(5):
        args = [rng.uniform(-1, 0.1, n), rng.normal(size=n), rng.normal(size=n)]
        rnea, lagrange = (np.array(v).ravel() for v in f(*args))
        assert np.abs(rnea - lagrange).max() <= 1e-10 * np.abs(lagrange).max()


@needs_data
def test_conditional_path_point_switch_is_reported_and_can_be_smoothed(capsys):
    """iliopsoas_r's third point is active for hip flexion up to 45 deg: the exact path
    (OpenSim's) switches there; the smoothed one blends within a few widths."""
    exact = build_osim_model(GAIT2D)
    smooth = build_osim_model(GAIT2D, conditional_smoothing_rad=0.01)
    names = list(exact.tree.coordinates)
    k = [m.name for m in exact.muscles].index("iliopsoas_r")
    point = next(p for p in exact.muscles[k].geometry.points if isinstance(p, ConditionalPoint))
    edge = point.range[1]
    hip = names.index("hip_flexion_r")

    def at(model, value):
        q = np.zeros(len(names))
        q[hip] = value
        lengths, arms = model.geometry(q)
        return float(lengths[k]), float(arms[hip, k])

    (before, arm_before), (after, arm_after) = at(exact, edge), at(exact, edge + 2e-5)
    print(f"\niliopsoas_r at hip flexion {np.degrees(edge):.2f} deg: length steps by "
          f"{(after - before) * 1e3:.3f} mm, moment arm jumps {arm_before * 100:.3f} -> "
          f"{arm_after * 100:.3f} cm")
    assert after != before or arm_after != arm_before   # the switch is real
    for value in (edge - 0.2, edge + 0.2):              # 20 widths away: the same path
        assert at(smooth, value)[0] == pytest.approx(at(exact, value)[0], abs=1e-12)
    samples = [at(smooth, v)[0] for v in np.linspace(edge - 0.05, edge + 0.05, 201)]
    assert np.abs(np.diff(samples, 2)).max() < 1e-5     # no step left in the smoothed one


# -- bad input -----------------------------------------------------------------

MINIMAL = pendulum_osim(extra="EXTRA")  # EXTRA: one more force, replaced by each test


EXTRA_LINE = next(i for i, line in enumerate(MINIMAL.splitlines(), 1) if "EXTRA" in line)


def write(tmp_path, text, name="bar.osim"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_pendulum_file_is_a_torque_driven_pendulum(tmp_path):
    """One rod on a pin: M = I_zz + m c^2, gravity torque m g c sin(q)."""
    model = build_osim_model(write(tmp_path, MINIMAL.replace("EXTRA", "")))
    assert model.control_names == ("tau_angle",) and model.default_bounds()["tau_angle"] == (-1, 1)
    q = 0.3
    tau = float(inverse_dynamics(model.tree, ca.DM([q]), ca.DM([0.0]), ca.DM([1.0])))
    assert tau == pytest.approx(0.1667 + 2 * 0.25 + 2 * 9.80665 * 0.5 * np.sin(q), rel=1e-14)


@pytest.mark.parametrize("change, element, says", [
    (lambda t: t[: len(t) // 2], None, "truncated XML"),
    (lambda t: t.replace("<PinJoint name=\"pin\">", "<EllipsoidJoint name=\"pin\">")
     .replace("</PinJoint>", "</EllipsoidJoint>"), "EllipsoidJoint 'pin' (line 11)",
     "joint type 'EllipsoidJoint' is not supported"),
    (lambda t: t.replace("EXTRA", "<PointActuator name=\"push\"/>"),
     f"PointActuator 'push' (line {EXTRA_LINE})", "'PointActuator' is not supported"),
    (lambda t: t.replace("<socket_child_frame>/bodyset/rod", "<socket_child_frame>/bodyset/rodd"),
     "PinJoint 'pin' (line 11)", "names the body 'rodd', which does not exist"),
])
def test_bad_files_name_the_file_the_element_and_its_line(tmp_path, change, element, says):
    path = write(tmp_path, change(MINIMAL).replace("EXTRA", ""))
    with pytest.raises(OsimError) as info:
        build_osim_model(path)
    message = str(info.value)
    assert str(path) in message and says in message
    if element:
        assert element in message


def test_a_pendulum_on_a_tilted_axis_is_a_3d_torque_driven_pendulum(tmp_path):
    """Its pin turned 0.2 rad about x (a 3D model since issue 20): the gravity torque
    is m g c sin(q) cos(0.2), the axis' share of gravity."""
    path = write(tmp_path, MINIMAL.replace("EXTRA", "").replace(
        "<socket_parent_frame>/ground</socket_parent_frame>",
        "<socket_parent_frame>tilted</socket_parent_frame><frames><PhysicalOffsetFrame "
        "name=\"tilted\"><socket_parent>/ground</socket_parent><orientation>0.2 0 0"
        "</orientation></PhysicalOffsetFrame></frames>"))
    model = build_osim_model(path)
    assert model.control_names == ("tau_angle",)
    q = 0.3
    tau = float(model.tree.inverse_dynamics(ca.DM([q]), ca.DM([0.0]), ca.DM([0.0])))
    assert tau == pytest.approx(2 * 9.80665 * 0.5 * np.sin(q) * np.cos(0.2), rel=1e-14)


def test_a_muscle_path_on_a_missing_body_is_an_error(tmp_path):
    muscle = """<DeGrooteFregly2016Muscle name="flexor">
        <max_isometric_force>100</max_isometric_force>
        <optimal_fiber_length>0.1</optimal_fiber_length><tendon_slack_length>0.2</tendon_slack_length>
        <GeometryPath><PathPointSet><objects>
          <PathPoint name="a"><location>0.1 0 0</location>
            <socket_parent_frame>/ground</socket_parent_frame></PathPoint>
          <PathPoint name="b"><location>0 -0.3 0</location>
            <socket_parent_frame>/bodyset/forearm</socket_parent_frame></PathPoint>
        </objects></PathPointSet></GeometryPath></DeGrooteFregly2016Muscle>"""
    path = write(tmp_path, MINIMAL.replace("EXTRA", muscle))
    line = EXTRA_LINE + 6
    with pytest.raises(OsimError, match=rf"PathPoint 'b' of DeGrooteFregly2016Muscle 'flexor' "
                                        rf"\(line {line}\).*body 'forearm', which does not exist"):
        build_osim_model(path)


def test_display_only_elements_are_listed_not_dropped(tmp_path):
    text = MINIMAL.replace("<inertia>0.1 0.1 0.1667 0 0 0</inertia>",
                           "<inertia>0.1 0.1 0.1667 0 0 0</inertia><attached_geometry>"
                           "<Mesh name=\"rod_mesh\"><mesh_file>rod.vtp</mesh_file></Mesh>"
                           "</attached_geometry>").replace("EXTRA", "")
    doc = read_osim(write(tmp_path, text))
    assert doc.ignored == ["Mesh 'rod_mesh' (line 7)"]


def test_cli_lists_an_osim_model_and_rejects_a_broken_one(tmp_path):
    good = write(tmp_path, MINIMAL.replace("EXTRA", ""))
    done = subprocess.run([sys.executable, "-m", "ocp", "models", str(good)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "coordinates: angle [-3, 3]" in done.stdout
    assert "motor on angle (optimal force 10" in done.stdout
    bad = write(tmp_path, MINIMAL[:300], "broken.osim")
    done = subprocess.run([sys.executable, "-m", "ocp", "models", str(bad)],
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "broken.osim" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_problem_file_names_an_osim_model_with_one_key(tmp_path):
    write(tmp_path, MINIMAL.replace("EXTRA", ""))
    toml = tmp_path / "swing.toml"
    toml.write_text('model = "bar.osim"\n[time]\nfinal = 1.0\n[initial]\nangle = 0\n'
                    'angle_speed = 0\n[final]\nangle = 3.0\nangle_speed = 0\n'
                    '[bounds]\ntau_angle = [-1, 1]\n[costs.effort]\ntype = "squared_controls"\n'
                    '[transcription]\nintervals = 20\n')
    problem = ocp.load_problem(toml)
    assert problem.model.control_names == ("tau_angle",)
    write(tmp_path, MINIMAL.replace("EXTRA", "<Thing name=\"x\"/>"))
    with pytest.raises(ProblemError) as info:
        ocp.load_problem(toml)
    assert "swing.toml" in str(info.value) and "bar.osim" in str(info.value)
    assert f"Thing 'x' (line {EXTRA_LINE})" in str(info.value)
