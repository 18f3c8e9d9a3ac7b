"""Moco's reference splines and filter against OpenSim itself (a second method).

OpenSim runs in a subprocess (tests/opensim_gcv_reference.py): its wheel bundles
a CasADi library that cannot share a process with casadi. Skipped cleanly when
OpenSim is not installed.

What is compared, and why the tolerances:
- NaturalSpline vs GCVSplineSet(table) (degree 5, error variance 0), values and
  first derivatives between and at the samples: the same interpolant from two
  banded solves (Woltring's GCVSPL in Simbody, scipy's B-spline collocation),
  measured to agree to ~1e-12 of the signal's scale on uneven random knots and
  ~1e-15 on Moco's data; the tests ask for 1e-9.
- opensim_lowpass vs TableProcessor | TabOpLowPassFilter(6) on Moco's
  referenceCoordinates.sto: the same times exactly, values measured within 3e-14
  of each column's scale (the recursion's rounding); the test asks for 1e-12.
- Moco's contact term at its own solution from OpenSim's contact forces and our
  problem file's GRF reference: Moco prints 0.377731 (six digits, so within
  5e-7 absolute); measured 0.3777311406.
"""
import importlib.util
import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import PROBLEMS

import ocp
from ocp.data.files import read_tables
from ocp.data.natural_spline import NaturalSpline
from ocp.data.opensim_filter import opensim_lowpass

ROOT = PROBLEMS.parent
GAIT = PROBLEMS / "data" / "gait2d"
MOCO_TRACKING = ROOT / "tests" / "data" / "moco_2d_walking_tracking_solution.sto"
MOCO_CONTACT_TERM = 0.377731   # the solution file's objective_contact

pytestmark = pytest.mark.skipif(importlib.util.find_spec("opensim") is None,
                                reason="opensim is not installed")


def opensim(request):
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "opensim_gcv_reference.py")],
                          input=json.dumps(request), capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def simpson(times, values):
    """Hermite-Simpson's quadrature over knots and midpoints (Moco's, and ours)."""
    h = times[2::2] - times[:-2:2]
    return float(np.sum(h / 6 * (values[:-2:2] + 4 * values[1::2] + values[2::2])))


def test_natural_spline_matches_opensims_gcv_spline_between_and_at_the_samples():
    rng = np.random.default_rng(7)
    cases = []
    for n, shape in ((12, "smooth"), (40, "noisy"), (30, "step")):
        times = np.cumsum(rng.uniform(0.002, 0.03, n))
        if shape == "smooth":
            values = np.cos(6 * times)
        elif shape == "noisy":
            values = np.sin(11 * times) + 0.1 * rng.standard_normal(n)
        else:  # a heel-strike-like jump, where an interpolating quintic rings
            values = 800.0 * (times > times[n // 2]) + 5 * rng.standard_normal(n)
        off = times[:-1] + rng.uniform(0.05, 0.95, n - 1) * np.diff(times)
        cases.append((times, values, np.concatenate([off, times])))
    reference = opensim({"splines": [[list(t), list(v), list(p)] for t, v, p in cases]})
    for (times, values, points), expected in zip(cases, reference["splines"]):
        spline = NaturalSpline(times, values)
        value, slope = np.array(expected["value"]), np.array(expected["derivative"])
        assert np.max(np.abs(spline(points) - value)) <= 1e-9 * np.max(np.abs(value))
        assert np.max(np.abs(spline(points, 1) - slope)) <= 1e-9 * np.max(np.abs(slope))


def test_moco_grf_reference_is_opensims_spline_at_mocos_times():
    problem = ocp.load_problem(PROBLEMS / "moco_2d_walking_tracking.toml",
                               {"solver.compile": False})
    reference = {t.name: t for t in problem.costs}["contact_tracking"].reference
    columns = {"grf_x_r": "ground_force_r_vx", "grf_y_r": "ground_force_r_vy",
               "grf_x_l": "ground_force_l_vx", "grf_y_l": "ground_force_l_vy"}
    grf = next(iter(read_tables(GAIT / "referenceGRF.sto").values()))
    times = next(iter(read_tables(MOCO_TRACKING).values())).time_s  # knots and midpoints
    expected = opensim({"splines": [[list(grf.time_s), list(grf.column(c)), list(times)]
                                    for c in columns.values()]})["splines"]
    for name, theirs in zip(columns, expected):
        theirs = np.array(theirs["value"])
        assert isinstance(reference[name], NaturalSpline)
        assert np.max(np.abs(reference[name](times) - theirs)) <= 1e-9 * np.max(np.abs(theirs))


def test_opensim_lowpass_and_speeds_match_mocotracks_tracked_states():
    """TabOpLowPassFilter(6), then track_reference_position_derivatives."""
    table = next(iter(read_tables(GAIT / "referenceCoordinates.sto").values()))
    theirs = opensim({"lowpass": {"file": str(GAIT / "referenceCoordinates.sto"),
                                  "cutoff_hz": 6}})["lowpass"]
    times, filtered = opensim_lowpass(table.time_s, table.values, 6.0)
    np.testing.assert_array_equal(times, theirs["time"])
    for j, column in enumerate(table.columns):
        expected = np.array(theirs["columns"][column])
        scale = np.max(np.abs(expected))
        assert np.max(np.abs(filtered[:, j] - expected)) <= 1e-12 * scale, column
        slope = np.array(theirs["speeds"][column])
        ours = NaturalSpline(times, filtered[:, j]).derivative_at_samples()
        assert np.max(np.abs(ours - slope)) <= 1e-9 * np.max(np.abs(slope)), column
    # and our problem file's state references are those
    problem = ocp.load_problem(PROBLEMS / "moco_2d_walking_tracking.toml",
                               {"solver.compile": False})
    states = {t.name: t for t in problem.costs}["state_tracking"].reference
    hip = "/jointset/hip_r/hip_flexion_r/value"
    np.testing.assert_allclose(states["hip_flexion_r"].values, theirs["columns"][hip],
                               rtol=0, atol=1e-12)
    np.testing.assert_allclose(states["hip_flexion_r_speed"].values, theirs["speeds"][hip],
                               rtol=0, atol=1e-9)


def test_mocos_contact_term_from_opensims_forces_and_our_grf_reference():
    """Moco's MocoContactTrackingGoal at its own solution: OpenSim's sphere forces minus
    our problem file's reference, squared on the x-y plane, over m g, Simpson's rule."""
    groups = {"r": ["/contactHeel_r", "/contactFront_r"],
              "l": ["/contactHeel_l", "/contactFront_l"]}
    theirs = opensim({"contact": {"model": str(GAIT / "2D_gait.osim"),
                                  "solution": str(MOCO_TRACKING), "groups": groups}})["contact"]
    problem = ocp.load_problem(PROBLEMS / "moco_2d_walking_tracking.toml",
                               {"solver.compile": False})
    term = {t.name: t for t in problem.costs}["contact_tracking"]
    assert term.scale * theirs["mg"] == pytest.approx(1.0, rel=1e-12)
    times = next(iter(read_tables(MOCO_TRACKING).values())).time_s
    error = 0.0
    for side, force in theirs["forces"].items():
        force = np.array(force)
        error = error + (force[:, 0] - term.reference[f"grf_x_{side}"](times)) ** 2 \
            + (force[:, 1] - term.reference[f"grf_y_{side}"](times)) ** 2
    value = term.weight * term.scale * simpson(times, error)
    print(f"\nMoco's contact term from OpenSim's forces and our reference: {value:.10f} "
          f"(Moco {MOCO_CONTACT_TERM})")
    assert value == pytest.approx(MOCO_CONTACT_TERM, abs=5e-7)
