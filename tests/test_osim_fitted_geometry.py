"""Polynomial muscle geometry fitted to the exact OpenSim paths of Moco's 2D walker."""
import casadi as ca
import numpy as np
import pytest
from conftest import PROBLEMS

from ocp.models.muscles.polynomial_fit import evaluate_exact, fit_polynomial_geometry, sample_box
from ocp.osim.model import build_osim_model

OSIM = PROBLEMS / "data" / "gait2d" / "2D_gait.osim"
D = np.radians
WALKING = {f"{j}_{s}": r for s in "rl" for j, r in
           (("hip_flexion", (D(-20), D(70))), ("knee_angle", (D(-60), D(10))),
            ("ankle_angle", (D(-25), D(35))))}


def test_a_path_that_is_a_polynomial_is_fitted_exactly():
    q = ca.SX.sym("q", 2)
    length = 0.3 + 0.02 * q[0] - 0.01 * q[0] * q[1] + 0.005 * q[1] ** 3
    exact = ca.Function("exact", [q], [length, -ca.jacobian(length, q).T])
    fitted, errors = fit_polynomial_geometry(exact, ["hip", "knee"], ["m"],
                                             {"hip": (-1, 1), "knee": (-2, 0.5)})
    assert errors[0].degree == 3
    assert errors[0].length_max_m < 1e-12 and errors[0].moment_arm_max_m < 1e-12


def test_polynomial_geometry_follows_the_exact_paths_over_the_walking_ranges():
    exact = build_osim_model(OSIM)
    fitted = build_osim_model(OSIM, geometry="polynomial", fit_ranges=WALKING)
    coords = list(exact.tree.coordinates)
    box = [WALKING.get(c, (-0.3, 0.3)) for c in coords]
    q = sample_box(box, 500, seed=7, kind="uniform")      # fresh points, not the fit's
    l_exact, r_exact = evaluate_exact(exact.geometry, q)
    l_fit, r_fit = evaluate_exact(fitted.geometry, q)
    rms_mm = 1e3 * np.sqrt(np.mean((l_fit - l_exact) ** 2, axis=0))
    worst_arm_mm = 1e3 * np.abs(r_fit - r_exact).max(axis=(0, 1))
    print(f"\nlength RMS error {rms_mm.max():.3f} mm (worst muscle), moment-arm error "
          f"worst {worst_arm_mm.max():.2f} mm ({exact.muscles[int(np.argmax(worst_arm_mm))].name})")
    assert rms_mm.max() < 0.2
    # the conditional points of iliopsoas, rect_fem, vasti and gastroc switch abruptly:
    # no smooth function follows the kink of their moment arms
    assert worst_arm_mm.max() < 3.0
    smooth = [i for i, m in enumerate(exact.muscles)
              if not m.name.startswith(("iliopsoas", "rect_fem", "vasti", "gastroc"))]
    assert worst_arm_mm[smooth].max() < 1.0
    # the fit reports what it measured on its own validation samples
    assert max(e.length_rms_m for e in fitted.geometry_fit) < 2e-4


def test_fitted_moment_arms_are_minus_the_derivative_of_the_fitted_length():
    fitted = build_osim_model(OSIM, geometry="polynomial", fit_ranges=WALKING)
    q0 = np.array([0.1, 0.9, -0.2, 0.3, 0.5, 0.1, -0.6, -0.3, 0.1, -0.1])
    lengths, arms = (np.array(v) for v in fitted.geometry(q0))
    h = 1e-6
    for j in (3, 4, 6, 7, 8, 9):
        dq = np.zeros(10)
        dq[j] = h
        plus, minus = (np.array(fitted.geometry(q0 + s * dq)[0]).ravel() for s in (1, -1))
        assert -(plus - minus) / (2 * h) == pytest.approx(arms[j], abs=1e-8)
