"""Checks shared by the predictive walk tests (2D and 3D): the half cycle's symmetry and
the mean vertical ground reaction of a periodic motion."""
import numpy as np
import pytest


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
