"""Checks shared by the predictive walk tests (2D and 3D): a converged half cycle at its
speed and with its symmetry, and the vertical ground reaction of a periodic motion."""
import numpy as np
import pytest

from ocp.analysis.gait_analysis import grf_humps, stride_vertical_grf
from ocp.data.references import body_weight_N


def assert_half_cycle_at_speed(problem, s, speed_m_s: float) -> None:
    """Converged, the pelvis moving ``speed_m_s`` on average, and symmetric."""
    assert s.success, s.status
    x = s.state("pelvis_tx")
    assert (x[-1] - x[0]) / s.final_time == pytest.approx(speed_m_s, rel=1e-6)
    assert_half_cycle_symmetry(problem, s)


def assert_half_cycle_symmetry(problem, s, tolerance: float = 1e-6) -> None:
    """Periodic states end where they began, negated ones at minus their start (speeds
    too), mirrored pairs end where their partner began (speeds too, not activations)."""
    for name in problem.periodic:
        assert s.state(name)[-1] == pytest.approx(s.state(name)[0], abs=tolerance), name
    for name in problem.negated:
        for state in (name, name + "_speed"):
            assert s.state(state)[-1] == pytest.approx(-s.state(state)[0], abs=tolerance), state
    for a, b in problem.mirror:
        for suffix in ("", "_speed") if not a.endswith("_activation") else ("",):
            assert s.state(a + suffix)[-1] == pytest.approx(s.state(b + suffix)[0],
                                                             abs=tolerance)
            assert s.state(b + suffix)[-1] == pytest.approx(s.state(a + suffix)[0],
                                                             abs=tolerance)


def mean_vertical_force_N(s) -> float:
    """Both feet's vertical ground reaction averaged over the motion (N): the body
    weight for a periodic motion."""
    t = np.asarray(s.time)
    return float(np.trapezoid(s.output("grf_y_r") + s.output("grf_y_l"), t) / (t[-1] - t[0]))


def vertical_grf_humps(problem, s):
    """The stride's vertical ground reaction humps (ocp.analysis.gait_analysis.grf_humps),
    after checking that both feet carry the body weight on average (periodic motion)."""
    weight = body_weight_N(problem.model)
    assert mean_vertical_force_N(s) == pytest.approx(weight, rel=0.02)
    return grf_humps(*stride_vertical_grf(s), weight)
