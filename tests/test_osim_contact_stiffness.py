"""[model] contact_stiffness: one plain-strain modulus for every contact sphere of an .osim file.

The reference is OpenSim's Hertz law for a SmoothSphereHalfSpaceForce at rest,
well inside contact: F = (4/3) k^(3/2) sqrt(r) d^(3/2) with k = E^(2/3) / 2,
i.e. F = (sqrt(2) / 3) E sqrt(r) d^(3/2).
"""
import math

import pytest
from conftest import PROBLEMS
from osim_pendulum import pendulum_osim

import ocp
from ocp.errors import ProblemError
from ocp.models.contact import normal_force

GAIT_OSIM = PROBLEMS / "data" / "gait2d" / "2D_gait.osim"
FILE_STIFFNESS_N_M2 = 3067776.0          # <stiffness> of every sphere in 2D_gait.osim


def write_problem(tmp_path, stiffness, osim=GAIT_OSIM) -> ocp.Problem:
    value = stiffness if isinstance(stiffness, str) else repr(stiffness)
    path = tmp_path / "contact.toml"
    path.write_text(f'[model]\nfile = "{osim}"\ncontact_stiffness = {value}\n'
                    '[time]\nfinal = 0.5\n[costs.effort]\ntype = "squared_controls"\n')
    return ocp.load_problem(path)


def test_every_sphere_takes_the_stiffness_and_its_force_is_hertz_closed_form(tmp_path):
    model = write_problem(tmp_path, '"1e6 N/m^2"').model
    assert [s.stiffness_N_m2 for s in model.contacts] == [1e6] * 4
    assert model.parameters()["contact stiffness (N/m^2)"] == 1e6
    depth_m = 0.05   # deep enough that the smoothing of |d| and the tanh switches are < 0.3 %
    for sphere in model.contacts:
        hertz = math.sqrt(2) / 3 * 1e6 * math.sqrt(sphere.radius_m) * depth_m ** 1.5
        assert float(normal_force(sphere, depth_m, 0.0)) == pytest.approx(hertz, rel=3e-3)


def test_the_force_scales_with_the_stiffness_at_every_depth_and_speed(tmp_path):
    soft = write_problem(tmp_path, 1e6).model.contacts
    files = write_problem(tmp_path, FILE_STIFFNESS_N_M2).model.contacts
    for a, b in zip(soft, files):
        assert (a.name, a.radius_m, a.dissipation_s_m) == (b.name, b.radius_m, b.dissipation_s_m)
        for depth_m, speed_m_s in ((0.0, 0.0), (0.004, 0.3), (0.02, -0.1)):
            ratio = float(normal_force(a, depth_m, speed_m_s)) / float(
                normal_force(b, depth_m, speed_m_s))
            assert ratio == pytest.approx(1e6 / FILE_STIFFNESS_N_M2, rel=1e-12)


def test_without_the_key_the_files_stiffness_stays(tmp_path):
    path = tmp_path / "plain.toml"
    path.write_text(f'[model]\nfile = "{GAIT_OSIM}"\n[time]\nfinal = 0.5\n'
                    '[costs.effort]\ntype = "squared_controls"\n')
    model = ocp.load_problem(path).model
    assert {s.stiffness_N_m2 for s in model.contacts} == {FILE_STIFFNESS_N_M2}
    assert "contact stiffness (N/m^2)" not in model.parameters()


@pytest.mark.parametrize("value, expected", [
    (0, "expected a positive, finite stiffness in N/m^2"),
    (-1e6, "expected a positive, finite stiffness in N/m^2"),
    ('"inf"', "expected a positive, finite stiffness in N/m^2"),
    ('"1e6 kg"', "has unit 'kg'"),
    ('"stiff"', "is not a quantity"),
])
def test_a_bad_stiffness_names_the_file_and_the_key(tmp_path, value, expected):
    with pytest.raises(ProblemError) as info:
        write_problem(tmp_path, value)
    message = str(info.value)
    assert "contact.toml" in message and "key 'model.contact_stiffness'" in message
    assert expected in message


def test_a_model_without_contact_spheres_says_so(tmp_path):
    osim = tmp_path / "bar.osim"
    osim.write_text(pendulum_osim())
    with pytest.raises(ProblemError, match="key 'model.contact_stiffness'.*has no "
                                           "SmoothSphereHalfSpaceForce"):
        write_problem(tmp_path, 1e6, osim=osim)
