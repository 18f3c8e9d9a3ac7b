"""Moco's reference splines and filter, checked against closed forms.

NaturalSpline is OpenSim's GCVSpline at error variance 0 (the natural
interpolating spline); opensim_lowpass is OpenSim's TabOpLowPassFilter.
Against OpenSim itself: tests/test_natural_spline_opensim.py.
"""
import textwrap

import casadi as ca
import numpy as np
import pytest

import ocp
from ocp.data.natural_spline import NaturalSpline
from ocp.data.opensim_filter import opensim_lowpass


def uneven_samples(n=25, seed=0):
    rng = np.random.default_rng(seed)
    times = np.cumsum(rng.uniform(0.005, 0.02, n))
    return times, np.sin(9 * times) + 0.05 * rng.standard_normal(n)


@pytest.mark.parametrize("degree", [1, 3, 5, 7])
def test_natural_spline_interpolates_with_natural_end_conditions(degree):
    """Through every sample, and derivatives m .. 2m - 2 zero at both ends (2m - 1 = degree)."""
    times, values = uneven_samples()
    spline = NaturalSpline(times, values, degree)
    scale = np.max(np.abs(values))
    assert np.max(np.abs(spline(times) - values)) < 1e-12 * scale
    m = (degree + 1) // 2
    for j in range(m, 2 * m - 1):
        ends = spline(times[[0, -1]], j)
        inner = np.max(np.abs(spline(times, j)))
        assert np.max(np.abs(ends)) < 1e-9 * inner, (degree, j)


def test_natural_quintic_through_samples_of_a_quadratic_is_that_quadratic():
    """A quadratic meets the natural end conditions, so it is the unique natural quintic."""
    times, _ = uneven_samples(12)
    spline = NaturalSpline(times, 2.0 - 3.0 * times + 5.0 * times ** 2)
    t = np.linspace(times[0], times[-1], 301)
    assert np.max(np.abs(spline(t) - (2.0 - 3.0 * t + 5.0 * t ** 2))) < 1e-12
    assert np.max(np.abs(spline(t, 1) - (-3.0 + 10.0 * t))) < 1e-9


def test_casadi_expression_is_the_spline_with_exact_first_and_second_derivatives():
    """At the samples themselves too (where the piece changes), and held beyond them."""
    times, values = uneven_samples()
    spline = NaturalSpline(times, values)
    t = ca.SX.sym("t")
    r = spline.expression(t)
    f = ca.Function("r", [t], [r, ca.jacobian(r, t), ca.hessian(r, t)[0]])
    points = np.concatenate([np.linspace(times[0], times[-1], 157), times])
    got = np.array([[float(v) for v in f(p)] for p in points])
    for k in range(3):
        expected = spline(points, k)
        assert np.max(np.abs(got[:, k] - expected)) < 1e-12 * np.max(np.abs(expected)), k
    before, after = (float(f(p)[0]) for p in (times[0] - 1.0, times[-1] + 1.0))
    assert before == pytest.approx(values[0], abs=1e-12)
    assert after == pytest.approx(values[-1], abs=1e-12)


def test_natural_spline_unpacks_as_its_samples():
    times, values = uneven_samples()
    spline = NaturalSpline(times, values)
    t, v = spline
    np.testing.assert_array_equal(t, times)
    np.testing.assert_array_equal(v, values)
    np.testing.assert_array_equal(spline[1], values)


def test_opensim_lowpass_keeps_a_constant_and_halves_a_sine_at_its_cut_off():
    """Forward and backward through a 3rd-order Butterworth whose single pass is -3 dB at
    the cut-off: |H|^2 = 1/2 there (the bilinear transform is pre-warped to it)."""
    rate, cutoff = 1000.0, 6.0
    t = np.arange(3001) / rate
    times, flat = opensim_lowpass(t, np.full(t.size, 1.7), cutoff)
    # DC gain sum(b) / sum(a): both ~6e-6 at 0.006 of the rate, so rounding grows 1e5-fold
    assert np.max(np.abs(flat - 1.7)) < 1e-10
    times, out = opensim_lowpass(t, np.sin(2 * np.pi * cutoff * t), cutoff)
    middle = (times > 1.0) & (times < 2.0)
    assert np.max(np.abs(out[middle] - 0.5 * np.sin(2 * np.pi * cutoff * times[middle]))) < 1e-6


def test_opensim_lowpass_resamples_rounded_times_at_the_smallest_step():
    """Times rounded to 1e-8 s are not uniform to machine precision: OpenSim resamples."""
    t = np.round(np.arange(50) * 0.00959366135, 8)
    times, out = opensim_lowpass(t, np.sin(3 * t), 6.0)
    step = np.min(np.diff(t))
    np.testing.assert_array_equal(times, t[0] + np.arange(times.size) * step)
    assert times[-1] <= t[-1] and times.size == 50
    # 0.5 Hz passes nearly whole (-6e-6 of amplitude); the reflected ends' curvature
    # jump leaves up to 2.6e-3 at the last samples (OpenSim's too: the OpenSim test file)
    np.testing.assert_allclose(out, np.sin(3 * times), atol=3e-3)


PENDULUM = """
[model]
name = "pendulum"
[time]
final = 0.05
[costs.track]
type = "tracking"
"""


@pytest.mark.parametrize("body, pattern", [
    ('reference = "r.csv"\ninterpolation = "gcv"\n',
     r"task.toml: key 'costs.track.interpolation': .*r.csv: 'pendulum': a natural spline of "
     r"degree 5 needs at least 6 samples, got 4"),
    ('reference = "r.csv"\ninterpolation = "gvc"\n',
     r"key 'costs.track.interpolation': 'gvc' is not one of 'linear', 'quintic', 'gcv'.*"
     r"did you mean 'gcv'"),
    ('reference = "r.csv"\nlowpass_filter = "opensim"\n',
     r"key 'costs.track.lowpass_filter': chooses the filter of 'lowpass_hz', which is not given"),
    ('reference = "r.csv"\nlowpass_hz = 0.1\nlowpass_filter = "matlab"\n',
     r"key 'costs.track.lowpass_filter': 'matlab' is not one of 'butterworth', 'opensim'"),
    ('target = { pendulum = 0.1 }\nlowpass_filter = "opensim"\n',
     r"key 'costs.track.lowpass_filter': filters a 'reference' file; a 'target' is constant"),
    ('target = { pendulum = 0.1 }\n[guess]\nreference = "r.csv"\nlowpass_filter = "opensim"\n',
     r"key 'guess.lowpass_filter': chooses the filter of 'lowpass_hz', which is not given"),
])
def test_bad_spline_or_filter_choices_name_the_key_and_the_file(tmp_path, body, pattern):
    (tmp_path / "r.csv").write_text("time,pendulum\n0,1\n0.01,2\n0.02,2.5\n0.03,2.7\n")
    path = tmp_path / "task.toml"
    path.write_text(PENDULUM + textwrap.dedent(body))
    with pytest.raises(ocp.ProblemError, match=pattern):
        ocp.load_problem(path)


@pytest.mark.parametrize("graph", [{}, {"solver.graph": "lifted", "solver.compile": True}],
                         ids=["plain", "compiled"])
def test_a_pendulum_tracks_gcv_references_and_reports_its_errors(tmp_path, graph):
    """The cost's integrand at the solution is (q - spline(t))^2 + (qd - spline'(t))^2,
    computed here with numpy; the reported error uses the same spline."""
    times = np.linspace(0.0, 1.0, 11)
    samples = np.round(0.4 * np.sin(np.pi * times), 12)  # as written to the file
    (tmp_path / "r.csv").write_text("time,pendulum\n" + "".join(
        f"{t:.3f},{q:.12f}\n" for t, q in zip(times, samples)))
    path = tmp_path / "task.toml"
    path.write_text(PENDULUM.replace("final = 0.05", "final = 1.0") + textwrap.dedent("""
        reference = "r.csv"
        interpolation = "gcv"
        speeds = true
        weight = 100
        [costs.effort]
        type = "squared_controls"
        weight = 1e-3
        [transcription]
        method = "hermite-simpson"
        intervals = 20
    """))
    problem = ocp.load_problem(path, graph)
    reference = problem.costs[0].reference
    assert isinstance(reference["pendulum"], NaturalSpline)
    assert isinstance(reference["pendulum_speed"], NaturalSpline)
    solution = ocp.solve(problem)
    assert solution.success
    t = solution.time
    q, qd = solution.state("pendulum"), solution.state("pendulum_speed")
    position = NaturalSpline(times, samples)
    speed = NaturalSpline(times, position.derivative_at_samples())
    expected = 100 * ((q - position(t)) ** 2 + (qd - speed(t)) ** 2)
    np.testing.assert_allclose(solution.cost_integrands[:, 0], expected, rtol=1e-9, atol=1e-14)
    report = solution.extra["tracking_error"]["track"]["pendulum"]
    assert report["max_abs"] == pytest.approx(np.max(np.abs(q - position(t))), rel=1e-12)
