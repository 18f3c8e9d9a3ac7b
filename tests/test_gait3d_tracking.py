"""The 3D tracking problem of issue #20 (problems/gait3d_tracking.toml) and its data.

The data are made from OpenSim's gait2392 pipeline (../shared/data/walking3d) by
problems/data/make_walking3d.py: the shipped files must equal a fresh run. The
solve is slow (about a minute here): it must converge and follow the angles.
"""
import importlib.util

import numpy as np
import pytest
from conftest import PROBLEMS, ROOT

import ocp
from ocp.data.opensim_text import read_storage

WALK = ROOT.parent / "shared" / "data" / "walking3d"
SHIPPED = PROBLEMS / "data" / "walking3d"


def make_module():
    spec = importlib.util.spec_from_file_location("make_walking3d",
                                                  PROBLEMS / "data" / "make_walking3d.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not WALK.exists(), reason="../shared/data/walking3d is absent")
def test_shipped_walking3d_files_equal_a_fresh_run():
    from ocp.sensors.inverse_kinematics import inverse_kinematics

    make = make_module()
    text = make.skeleton_text((WALK / "subject01_simbody.osim").read_text())
    assert text == (SHIPPED / "subject01_skeleton.osim").read_text()
    assert "Thelen2003Muscle" not in text and text.count("<locked>true</locked>") == 4
    fresh = inverse_kinematics(None, None, WALK / "subject01_Setup_IK.xml")
    shipped = read_storage(SHIPPED / "subject01_walk1_ik.mot")
    assert shipped.columns == fresh.coordinates
    np.testing.assert_allclose(shipped.time_s, fresh.time_s)
    np.testing.assert_allclose(_radians(shipped), fresh.values, atol=1e-7)


def _radians(table):
    """Values in rad and m (the .mot holds degrees)."""
    scale = np.array([np.pi / 180 if u == "deg" else 1.0 for u in table.units])
    return table.values * scale


@pytest.mark.slow
def test_gait3d_tracking_converges_and_follows_the_measured_angles():
    problem = ocp.load_problem(PROBLEMS / "gait3d_tracking.toml")
    solution = ocp.solve(problem)
    assert solution.success
    reference = read_storage(SHIPPED / "subject01_walk1_ik.mot")
    angles = _radians(reference)
    for name in reference.columns:
        if name not in solution.state_names:
            continue     # locked (subtalar, mtp)
        j = reference.columns.index(name)
        expected = np.interp(solution.time, reference.time_s, angles[:, j])
        rms = np.sqrt(np.mean((solution.state(name) - expected) ** 2))
        bound = 0.002 if reference.units[j] == "m" else np.radians(0.5)
        assert rms < bound, (name, rms)
