"""The hump finder on curves whose peaks are known."""
import numpy as np
import pytest

from ocp.analysis.gait_analysis import grf_humps


def walking_like(percent):
    """Two Gaussian humps of 1.2 and 1.1 BW over a 0.75 BW plateau, stance 0-60 %."""
    stance = (percent > 0) & (percent < 60)
    shape = (0.75 + 0.45 * np.exp(-((percent - 13) / 6) ** 2)
             + 0.35 * np.exp(-((percent - 48) / 6) ** 2))
    ramp = np.clip(percent / 3, 0, 1) * np.clip((60 - percent) / 3, 0, 1)  # touchdown, toe-off
    return np.where(stance, shape * ramp, 0.0)


def test_two_humps_of_walking_are_found_with_their_heights():
    percent = np.linspace(0, 100, 401)
    humps = grf_humps(percent, 700 * walking_like(percent), 700.0)
    assert humps.two_humped
    assert humps.peaks_bw[0] == pytest.approx(1.2, abs=0.03)
    assert humps.peaks_bw[1] == pytest.approx(1.1, abs=0.03)
    assert humps.valley_bw < 0.85
    assert humps.stance_fraction == pytest.approx(0.6, abs=0.01)
    # the humps' centres, 13 % and 48 % of the stride, in a stance from 0 to 60 %
    assert humps.peaks_at == pytest.approx((13 / 60, 48 / 60), abs=0.02)


def test_where_the_peaks_are_in_a_stance_that_wraps_around_the_stride():
    """The same stance started at 70 % of the stride (it ends at 30 % of the next)."""
    percent = np.linspace(0, 100, 401)
    humps = grf_humps(percent, 700 * walking_like((percent - 70) % 100), 700.0)
    assert humps.peaks_bw == pytest.approx((1.2, 1.1), abs=0.03)
    assert humps.peaks_at == pytest.approx((13 / 60, 48 / 60), abs=0.02)


def test_stance_is_a_share_of_time_on_a_graded_grid():
    """Samples crowded into early stance (a refined mesh) do not lengthen it: 60 %."""
    percent = 100 * np.linspace(0, 1, 801) ** 2
    humps = grf_humps(percent, 700 * walking_like(percent), 700.0)
    assert humps.peaks_bw == pytest.approx((1.2, 1.1), abs=0.03)
    assert humps.stance_fraction == pytest.approx(0.6, abs=0.01)
    assert np.mean(walking_like(percent) > 0.02) > 0.7  # what a count of samples says (0.75)


def test_a_single_impact_spike_is_one_hump():
    percent = np.linspace(0, 100, 401)
    force = np.where(percent < 60, 2.5 * np.exp(-((percent - 5) / 3) ** 2) + 0.8, 0.0)
    humps = grf_humps(percent, force, 1.0)
    assert not humps.two_humped and len(humps.peaks_bw) == 1
    assert humps.peaks_bw[0] == pytest.approx(3.3, abs=0.01)
