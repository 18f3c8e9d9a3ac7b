"""Measured walking (opensim-models Gait10dof18musc, subject01): two rates, one time base.

Markers at 60 Hz (mm), force plates at 600 Hz (N, m), inverse kinematics at
60 Hz (degrees). The files live in ../shared/data/walking (credit and license
in its README.md); every test here skips when that folder is absent.
"""
import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from conftest import ROOT
from scipy import integrate

from ocp import data

WALKING = ROOT.parent / "shared" / "data" / "walking"
pytestmark = pytest.mark.skipif(not WALKING.is_dir(),
                                reason=f"measured walking data not found in {WALKING}")
RIGHT, LEFT = "ground_force_vy", "1_ground_force_vy"  # calcn_r, calcn_l (grf.xml)


@pytest.fixture(scope="module")
def markers():
    return data.read(WALKING / "subject01_walk.trc")


@pytest.fixture(scope="module")
def grf():
    return data.read(WALKING / "subject01_walk_grf.mot")


@pytest.fixture(scope="module")
def body_weight_N():
    """Model mass (sum of the bodies of gait10dof18musc.osim) times its gravity."""
    root = ET.parse(WALKING / "gait10dof18musc.osim").getroot()
    mass = sum(float(body.find("mass").text) for body in root.iter("Body"))
    gravity = [float(v) for v in next(root.iter("gravity")).text.split()]
    return mass * math.hypot(*gravity)


def test_markers_load_at_60_hz_in_millimetres(markers):
    assert markers.rate_hz == 60.0 and markers.n_samples == 151
    assert len(markers.metadata["markers"]) == 41 and len(markers.columns) == 123
    assert set(markers.units) == {"mm"}
    # The time column is printed to the millisecond (0.017, 0.033 ...): the
    # samples are the 60 Hz grid all the same.
    assert np.max(np.abs(markers.time_s - markers.uniform_time())) < 0.5e-3
    # Physical sense: pelvis markers about a metre above the floor (y is up).
    asis_height_m = markers.column_in("R.ASIS_y", "m")
    assert 0.9 < asis_height_m.mean() < 1.2


def test_force_plates_load_at_600_hz_in_newtons_and_metres(grf):
    assert grf.rate_hz == 600.0 and grf.n_samples == 1501
    assert grf.metadata["in_degrees"]  # the header says so, yet nothing here is an angle
    assert grf.unit(RIGHT) == "N" and grf.unit("ground_force_px") == "m"
    assert grf.unit("ground_torque_y") == "N*m"
    with pytest.raises(data.DataError, match="does not convert to 'rad'"):
        grf.column_in(RIGHT, "rad")


def test_inverse_kinematics_loads_in_degrees_and_metres():
    ik = data.read(WALKING / "subject01_walk_IK.mot")
    assert ik.rate_hz == pytest.approx(60.0) and ik.n_samples == 151
    assert ik.unit("knee_angle_r") == "deg" and ik.unit("pelvis_tx") == "m"
    knee = ik.column("knee_angle_r")
    assert -75 < knee.min() < -55 and knee.max() < 10  # flexion is negative in this model
    np.testing.assert_allclose(ik.column_in("knee_angle_r", "rad"), np.radians(knee))
    assert ik.column_in("pelvis_ty", "m").mean() == pytest.approx(1.0, abs=0.1)


def test_force_plates_resampled_onto_the_marker_time_base(markers, grf, body_weight_N):
    """600 Hz -> 60 Hz with anti-aliasing; then the physics of walking.

    Vertical force of each foot peaks at 1.0 to 1.3 body weights (the
    classic double hump of walking); on this treadmill trial the mean total
    vertical force over whole strides equals body weight by Newton's second
    law (no net vertical momentum change); the scaled model is 3 % heavier
    than the force plates say, within the 5 % allowed here.
    """
    grf60 = data.resample(grf, markers.rate_hz)
    assert grf60.rate_hz == 60.0 and grf60.n_samples == markers.n_samples
    np.testing.assert_allclose(grf60.time_s, markers.uniform_time(), atol=1e-12)
    assert grf60.units == grf.units
    # A second method onto the same clock: FIR low-pass then spline.
    at = data.resample_at(grf, markers.uniform_time())
    inner = slice(30, -30)
    np.testing.assert_allclose(at.values[inner], grf60.values[inner], atol=1e-6)

    for foot in (RIGHT, LEFT):
        peak = grf60.column(foot).max() / body_weight_N
        print(f"\n{foot}: peak {peak:.3f} body weights ({body_weight_N:.0f} N)")
        assert 1.0 < peak < 1.3
        assert grf60.column(foot).max() == pytest.approx(grf.column(foot).max(), rel=0.01)
    total = grf60.column(RIGHT) + grf60.column(LEFT)
    mean = integrate.trapezoid(total, grf60.time_s) / grf60.duration_s
    print(f"mean total vertical force {mean / body_weight_N:.3f} body weights")
    assert mean == pytest.approx(body_weight_N, rel=0.05)


def test_kinematics_and_forces_filtered_with_the_same_cutoff(markers, grf):
    """Winter's advice: one cut-off for kinematics and forces before inverse dynamics."""
    grf60 = data.lowpass(data.resample(grf, markers.rate_hz), 6.0)
    heel = data.lowpass(markers.select(["R.Heel_y"]), 6.0)
    assert grf60.rate_hz == heel.rate_hz == 60.0
    # A 6 Hz low-pass keeps the movement: heel height within 5 mm of the raw trace.
    np.testing.assert_allclose(heel.column("R.Heel_y"), markers.column("R.Heel_y"), atol=5.0)
    assert abs(grf60.column(RIGHT).max() - grf.column(RIGHT).max()) < 60.0


GAIT2D = ROOT.parent / "shared" / "data" / "gait2d"


@pytest.mark.skipif(not GAIT2D.is_dir(), reason=f"Moco's 2-D walking data not in {GAIT2D}")
def test_moco_reference_files_read_with_units_from_their_column_paths():
    """OpenSim 4 state paths and per-foot force names: units from the names."""
    coordinates = data.read(GAIT2D / "referenceCoordinates.sto")
    forces = data.read(GAIT2D / "referenceGRF.sto")
    assert coordinates.n_samples == forces.n_samples == 50
    np.testing.assert_array_equal(coordinates.time_s, forces.time_s)
    assert coordinates.time_s[-1] == pytest.approx(0.470089)
    assert coordinates.unit("/jointset/knee_r/knee_angle_r/value") == "rad"
    assert coordinates.unit("/jointset/groundPelvis/pelvis_ty/value") == "m"
    assert forces.unit("ground_force_r_vy") == "N" and forces.unit("ground_force_l_px") == "m"
    assert forces.unit("ground_torque_r_z") == "N*m"
    vertical = forces.column("ground_force_r_vy") + forces.column("ground_force_l_vy")
    assert vertical.min() > 0  # walking has no flight phase: a foot is always loaded
