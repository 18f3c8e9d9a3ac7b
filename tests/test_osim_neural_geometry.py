"""Neural muscle geometry of .osim models: networks against the exact paths they replace
(a closed form, and OpenSim's paths as ocp.osim computes them), the cache, and the fit
errors in summary.json. Tolerances are the measured errors with a margin (the figures
are printed with ``pytest -s``)."""
import json
import math
import os
import subprocess
import sys
import time

import casadi as ca
import numpy as np
import pytest
from conftest import PROBLEMS, ROOT
from osim_pendulum import pendulum_osim

from ocp.io.problem_file import fit_ranges
from ocp.models.muscles.polynomial_fit import evaluate_exact, sample_box
from ocp.osim.model import build_osim_model
from ocp.osim.neural_geometry import NeuralGeometryOptions, cache_key, neural_geometry

pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore::ocp.osim.OsimConversionNote")

OSIM = PROBLEMS / "data" / "gait2d" / "2D_gait.osim"
#: Moco's example2DWalking bounds (problems/moco_2d_walking_predictive.toml); the fit
#: covers them widened by 10 deg, as the problem file does.
WALKING_BOUNDS = {
    "pelvis_tilt": ["-20 deg", "-10 deg"], "pelvis_tx": [0, 1], "pelvis_ty": [0.75, 1.25],
    "hip_flexion_r": ["-10 deg", "60 deg"], "hip_flexion_l": ["-10 deg", "60 deg"],
    "knee_angle_r": ["-50 deg", "0 deg"], "knee_angle_l": ["-50 deg", "0 deg"],
    "ankle_angle_r": ["-15 deg", "25 deg"], "ankle_angle_l": ["-15 deg", "25 deg"],
    "lumbar": ["0 deg", "20 deg"]}
#: Muscles with conditional path points: their exact moment arm jumps where the point
#: switches, which no smooth function follows.
KINKED = ("iliopsoas", "rect_fem", "vasti", "gastroc")
QUICK = NeuralGeometryOptions(samples=400, validation_samples=500, adam_epochs=200,
                              lbfgs_iterations=200)


def closed_form():
    """Three lengths (m) of (hip, knee, tx): 'a' crosses hip and knee, 'b' and 'c' the
    knee only, none the translation tx."""
    q = ca.SX.sym("q", 3)
    lengths = ca.vertcat(0.3 + 0.02 * ca.sin(q[0]) + 0.01 * q[0] * q[1],
                         0.2 + 0.03 * ca.cos(q[1]), 0.25 - 0.015 * q[1])
    return ca.Function("exact", [q], [lengths, -ca.jacobian(lengths, q).T])


RANGES = {"hip": (-1.0, 1.0), "knee": (-1.5, 0.2), "tx": (0.0, 2.0)}


def train_closed_form(cache):
    source = cache / "model.osim"    # only its bytes enter the cache key
    source.write_text("<OpenSimDocument/>")
    return neural_geometry(source, closed_form(), ["hip", "knee", "tx"], ["rad", "rad", "m"],
                           ["a", "b", "c"], RANGES, model_name="closed form", cache=cache,
                           options=QUICK)


@pytest.fixture(scope="module")
def closed_form_networks(tmp_path_factory):
    """Networks trained once for this module: (cache folder, surrogate, errors, seconds)."""
    cache = tmp_path_factory.mktemp("cache")
    started = time.perf_counter()
    surrogate, errors, trained = train_closed_form(cache)
    assert trained
    return cache, surrogate, errors, time.perf_counter() - started


def test_networks_follow_a_closed_form_and_are_cached(closed_form_networks):
    cache, surrogate, errors, seconds = closed_form_networks
    assert surrogate.path.parent == cache
    assert surrogate.path.with_suffix(".pt").exists()             # the checkpoint
    q = sample_box(list(RANGES.values()), 1000, seed=11, kind="uniform")
    lengths, arms = evaluate_exact(surrogate.function, q)
    exact_lengths, exact_arms = evaluate_exact(closed_form(), q)
    length_error, arm_error = np.abs(lengths - exact_lengths), np.abs(arms - exact_arms)
    print(f"\nclosed form: length error max {length_error.max() * 1e3:.4f} mm, moment arm "
          f"error max {arm_error.max() * 1e3:.3f} mm, trained in {seconds:.1f} s")
    assert length_error.max() < 0.2e-3          # measured 0.055 mm
    assert arm_error.max() < 1.5e-3             # measured 0.5-0.7 mm (lengths of 0.2-0.3 m)
    # no muscle crosses tx: its moment arms are exactly zero, not small
    assert np.all(arms[:, 2, :] == 0.0)
    assert np.all(arms[:, 0, 1:] == 0.0)        # nor do 'b' and 'c' cross the hip
    # the recorded errors are those of the exported function on fresh samples
    assert max(e.length_max_m for e in errors) == pytest.approx(length_error.max(), rel=0.5)
    # a second call loads the same networks from the cache
    again, errors_again, trained = train_closed_form(cache)
    assert not trained and again.path == surrogate.path and errors_again == errors
    assert np.array_equal(evaluate_exact(again.function, q)[0], lengths)


def test_moment_arms_are_minus_the_derivative_of_the_exported_length(closed_form_networks):
    """Central differences of the exported lengths against its moment-arm output."""
    f = closed_form_networks[1].function
    h = 1e-6
    for q0 in ([0.3, -0.7, 1.0], [-0.9, 0.1, 0.2]):
        _, arms = (np.array(v) for v in f(q0))
        for j in range(3):
            dq = np.zeros(3)
            dq[j] = h
            plus, minus = (np.array(f(np.array(q0) + s * dq)[0]).ravel() for s in (1, -1))
            assert -(plus - minus) / (2 * h) == pytest.approx(arms[j], abs=1e-8)


def test_the_cache_key_changes_with_the_file_the_ranges_and_the_training():
    base = cache_key(b"model", {"knee": (-1.0, 0.0)}, 0.0, {"samples": 1000})
    assert base == cache_key(b"model", {"knee": (-1.0, 0.0)}, 0.0, {"samples": 1000})
    for changed in (cache_key(b"model2", {"knee": (-1.0, 0.0)}, 0.0, {"samples": 1000}),
                    cache_key(b"model", {"knee": (-1.0, 0.1)}, 0.0, {"samples": 1000}),
                    cache_key(b"model", {"knee": (-1.0, 0.0)}, 0.01, {"samples": 1000}),
                    cache_key(b"model", {"knee": (-1.0, 0.0)}, 0.0, {"samples": 2000})):
        assert changed != base


ARM = pendulum_osim(extra="""<DeGrooteFregly2016Muscle name="flexor">
        <max_isometric_force>200</max_isometric_force>
        <optimal_fiber_length>0.1</optimal_fiber_length>
        <tendon_slack_length>0.2</tendon_slack_length>
        <ignore_tendon_compliance>true</ignore_tendon_compliance>
        <GeometryPath><PathPointSet><objects>
          <PathPoint name="a"><location>0.1 0 0</location>
            <socket_parent_frame>/ground</socket_parent_frame></PathPoint>
          <PathPoint name="b"><location>0 -0.3 0</location>
            <socket_parent_frame>/bodyset/rod</socket_parent_frame></PathPoint>
        </objects></PathPointSet></GeometryPath>
      </DeGrooteFregly2016Muscle>""")
SWING = """[model]
file = "arm.osim"
geometry = "GEOMETRY"
[time]
final = 1.0
[initial]
angle = 0
angle_speed = 0
[final]
angle = 0.5
angle_speed = 0
[bounds]
angle = [-1, 1]
[costs.effort]
type = "squared_controls"
[transcription]
intervals = 10
"""


def solve_swing(tmp_path, geometry):
    (tmp_path / "arm.osim").write_text(ARM)
    problem = tmp_path / "swing.toml"
    problem.write_text(SWING.replace("GEOMETRY", geometry))
    out = tmp_path / f"out_{geometry}"
    done = subprocess.run([sys.executable, "-m", "ocp", "solve", str(problem), "--out",
                           str(out), "--quiet"], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "OCP_CACHE_DIR": str(tmp_path / "cache"),
                               "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr
    return json.loads((out / "summary.json").read_text())


def test_summary_json_holds_the_polynomial_fit_errors(tmp_path):
    """The muscle path is two straight points: its length is sqrt(a + b cos(q + c)), which
    a degree-9 polynomial follows to micrometres over the bounds +-10 deg."""
    fit = solve_swing(tmp_path, "polynomial")["muscle_geometry_fit"]
    assert fit["method"] == "polynomial"
    flexor = fit["muscles"]["flexor"]
    assert flexor["coordinates"] == ["angle"]
    assert 0 < flexor["length_rms_mm"] < 0.05                 # measured 0.006 mm
    assert 0 < flexor["moment_arm_max_mm"] < 1.0              # measured 0.32 mm
    assert fit["worst_moment_arm_mm"] == flexor["moment_arm_max_mm"]


def test_summary_json_of_an_exact_geometry_has_no_fit_errors(tmp_path):
    assert "muscle_geometry_fit" not in solve_swing(tmp_path, "exact")


@pytest.mark.slow
def test_summary_json_holds_the_neural_fit_errors(tmp_path):
    fit = solve_swing(tmp_path, "neural")["muscle_geometry_fit"]
    assert fit["method"] == "neural" and fit["networks"].endswith(".casadi")
    flexor = fit["muscles"]["flexor"]
    assert 0 < flexor["length_rms_mm"] < 0.05                 # measured 0.004 mm
    assert 0 < flexor["moment_arm_max_mm"] < 1.0              # measured 0.28 mm


@pytest.mark.parametrize("geometry", ["polynomial", "neural"])
def test_a_model_without_muscles_has_no_paths_to_fit(tmp_path, capsys, geometry):
    from ocp.cli import main
    path = tmp_path / "pendulum.osim"
    start = ARM.index("<DeGrooteFregly2016Muscle")
    end = ARM.index("</DeGrooteFregly2016Muscle>") + len("</DeGrooteFregly2016Muscle>")
    path.write_text(ARM[:start] + ARM[end:])
    assert main(["models", str(path), "--geometry", geometry]) == 0
    out = capsys.readouterr().out
    assert f"{geometry} geometry fitted" in out and "(no muscles: no paths to fit)" in out


def _errors_mm(model, exact, q, k):
    """(length RMS, worst moment arm) of muscle k in mm against ``exact`` at q."""
    lengths, arms = evaluate_exact(model.geometry, q)
    exact_lengths, exact_arms = exact
    return (1e3 * math.sqrt(np.mean((lengths[:, k] - exact_lengths[:, k]) ** 2)),
            1e3 * np.abs(arms[:, :, k] - exact_arms[:, :, k]).max())


@pytest.mark.slow
def test_neural_geometry_of_the_2d_walker_follows_the_exact_paths(tmp_path, monkeypatch):
    """Over Moco's walking bounds +-10 deg, on fresh uniform samples (not the training
    ones), the networks are as close to OpenSim's paths as the polynomials."""
    monkeypatch.setenv("OCP_CACHE_DIR", str(tmp_path))
    ranges = fit_ranges(WALKING_BOUNDS)
    exact = build_osim_model(OSIM)
    started = time.perf_counter()
    neural = build_osim_model(OSIM, geometry="neural", fit_ranges=ranges)
    trained_in = time.perf_counter() - started
    polynomial = build_osim_model(OSIM, geometry="polynomial", fit_ranges=ranges)
    coords = list(exact.tree.coordinates)
    q = sample_box([ranges[c] for c in coords], 1000, seed=7, kind="uniform")
    reference = evaluate_exact(exact.geometry, q)
    print(f"\nneural geometry trained in {trained_in:.1f} s (wall; "
          f"{neural.surrogates['geometry'].metadata['training']['cpu_time_s']:.1f} s CPU)\n"
          f"{'muscle':<14} length RMS mm (neural, polynomial)   worst moment arm mm")
    worst = {"neural": [0.0, 0.0, 0.0], "polynomial": [0.0, 0.0, 0.0]}
    for k, m in enumerate(exact.muscles):
        n_rms, n_arm = _errors_mm(neural, reference, q, k)
        p_rms, p_arm = _errors_mm(polynomial, reference, q, k)
        print(f"{m.name:<14} {n_rms:7.3f} {p_rms:7.3f}            {n_arm:7.3f} {p_arm:7.3f}")
        for name, rms, arm in (("neural", n_rms, n_arm), ("polynomial", p_rms, p_arm)):
            w = worst[name]
            w[0], w[1] = max(w[0], rms), max(w[1], arm)
            if not m.name.startswith(KINKED):
                w[2] = max(w[2], arm)
    for name, (rms, arm, smooth) in worst.items():
        print(f"worst {name}: length RMS {rms:.3f} mm, moment arm {arm:.2f} mm, moment arm "
              f"of the muscles without a switching point {smooth:.2f} mm")
    n_rms, n_arm, n_smooth = worst["neural"]
    assert n_rms < 0.2          # measured 0.095 mm (gastroc); polynomial 0.14 mm
    assert n_arm < 6.0          # measured 3.9 mm at rect_fem's switch; polynomial 2.4 mm
    assert n_smooth < 1.5       # measured 0.9 mm (hamstrings_l); polynomial 0.76 mm
    # the networks cross only the muscle's own joints: no arm about the pelvis or lumbar
    _, arms = evaluate_exact(neural.geometry, q[:50])
    for c in ("pelvis_tilt", "pelvis_tx", "pelvis_ty", "lumbar"):
        assert np.all(arms[:, coords.index(c), :] == 0.0)
    # the errors reported (model.geometry_fit, summary.json) are what is measured here
    recorded = max(e.length_rms_m for e in neural.geometry_fit) * 1e3
    assert recorded == pytest.approx(n_rms, rel=0.3)
    # a second build loads the cached networks: same function, no training
    started = time.perf_counter()
    again = build_osim_model(OSIM, geometry="neural", fit_ranges=ranges)
    assert time.perf_counter() - started < trained_in
    assert np.array_equal(evaluate_exact(again.geometry, q[:20])[0],
                          evaluate_exact(neural.geometry, q[:20])[0])
    assert len(list(tmp_path.rglob("*.casadi"))) == 1


@pytest.mark.slow
def test_cli_prints_the_neural_fit_errors_and_reuses_the_cache(tmp_path):
    env = {**os.environ, "OCP_CACHE_DIR": str(tmp_path), "OMP_NUM_THREADS": "1"}
    runs = []
    for _ in range(2):
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "ocp", "models", str(OSIM),
                               "--geometry", "neural"], capture_output=True, text=True,
                              env=env, cwd=ROOT)
        runs.append((done, time.perf_counter() - started))
        assert done.returncode == 0, done.stderr
        assert "neural geometry fitted over the coordinate ranges" in done.stdout
        assert "rect_fem_r: network 2-16-16-2 tanh in hip_flexion_r, knee_angle_r" in done.stdout
        assert "length RMS" in done.stdout and "worst" in done.stdout
    (first, first_s), (second, second_s) = runs
    print(f"\nfirst run {first_s:.1f} s (trains), second {second_s:.1f} s (cache)")
    assert second_s < first_s
    fit_lines = [line for line in first.stdout.splitlines() if "network " in line]
    assert len(fit_lines) == 18
    assert fit_lines == [line for line in second.stdout.splitlines() if "network " in line]
