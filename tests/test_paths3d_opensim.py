"""Exact 3-D muscle paths (ocp.osim.paths3d) against OpenSim itself.

OpenSim runs in a subprocess (tests/opensim_path_reference.py): it returns every
body's pose in ground, every muscle's length, the same at q +- h in each free
coordinate, and its own moment arms. Our path code is fed OpenSim's poses, so
these tests check the paths alone, not the kinematic tree.

Tolerances and why: the wrap algorithms are OpenSim's, step by step (tangent
points, passes over several wrap objects, OpenSim's cached wrap-point
positions), so lengths agree to rounding: ~1e-15 relative is measured; the
tests ask for 1e-9, far below anything physical. Moment arms are compared as
derivatives of the length, ours and OpenSim's, by the same central difference
(h = 1e-6 rad or m) from the same poses: their difference is the length
difference over 2h, ~1e-10 m measured, asked to 1e-8 m. OpenSim's own
computeMomentArm is not always that derivative (it differentiates with the
wrap points held where they are): the figure is printed and bounded only where
no wrap object is involved.
"""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ocp.osim.paths3d_reader import read_muscle_paths

ROOT = Path(__file__).resolve().parents[1]
MODELS3D = ROOT.parent / "shared" / "data" / "models3d"
RAJAGOPAL = MODELS3D / "Rajagopal2016.osim"
GAIT2392 = MODELS3D / "gait2392_millard2012muscle.osim"
sys.path.insert(0, str(ROOT / "tests"))
from wrap_models import model_path  # noqa: E402

pytestmark = [pytest.mark.skipif(importlib.util.find_spec("opensim") is None,
                                 reason="opensim is not installed")]
needs_models3d = pytest.mark.skipif(not RAJAGOPAL.exists() or not GAIT2392.exists(),
                                    reason="../shared/data/models3d is absent")
RTOL_LENGTH = 1e-9
ATOL_ARM_M = 1e-8
STEP = 1e-6


def opensim(request: dict) -> dict:
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "opensim_path_reference.py")],
                          input=json.dumps(request), capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def poses(snapshot: dict) -> dict:
    return {b: (np.array(v[:9]).reshape(3, 3), np.array(v[9:]))
            for b, v in snapshot["poses"].items()}


def length_errors(paths, snapshots):
    """(worst relative length difference, muscle) over the snapshots."""
    worst = (0.0, "")
    for snap in snapshots:
        given = poses(snap)
        for name, expected in snap["length"].items():
            ours = paths[name].length(given, snap["q"])
            worst = max(worst, (abs(ours - expected) / expected, name))
    return worst


def derivative_errors(paths, states):
    """Ours vs OpenSim's length derivative, and OpenSim's computeMomentArm vs that
    derivative: {muscle: (coordinate, |difference|)} of the worst of each."""
    ours_vs, reported_vs = {}, {}
    for row in states:
        for c in row["plus"]:
            up, down = row["plus"][c], row["minus"][c]
            pu, pd = poses(up), poses(down)
            for m in row["length"]:
                d_opensim = -(up["length"][m] - down["length"][m]) / (2 * STEP)
                reported = row["moment_arm"][m][c]
                if abs(d_opensim) < 1e-9 and abs(reported) < 1e-9:
                    continue     # the muscle does not span c
                d_ours = -(paths[m].length(pu, up["q"]) - paths[m].length(pd, down["q"])) \
                    / (2 * STEP)
                for store, value in ((ours_vs, abs(d_ours - d_opensim)),
                                     (reported_vs, abs(reported - d_opensim))):
                    if value >= store.get(m, ("", -1.0))[1]:
                        store[m] = (c, value)
    return ours_vs, reported_vs


@pytest.fixture(scope="module")
def rajagopal():
    return read_muscle_paths(RAJAGOPAL), opensim(
        {"model": str(RAJAGOPAL), "random": {"count": 3, "seed": 20}, "derivatives": True,
         "step": STEP})


@needs_models3d
def test_rajagopal_wrapped_lengths_equal_opensims_at_random_states(rajagopal):
    """40 WrapCylinders, quadrants -x, -y, y and all, two-object paths (gastrocnemii),
    limited ranges (iliacus, psoas); the patellae follow the knee (coupler)."""
    paths, reference = rajagopal
    snapshots = [row for row in reference["states"]]
    snapshots += [row[k][c] for row in reference["states"] for k in ("plus", "minus")
                  for c in list(row[k])[::12]]
    worst, muscle = length_errors(paths, snapshots)
    print(f"\nRajagopal 2016: worst length difference {worst:.1e} relative ({muscle}), "
          f"{len(snapshots)} states x {len(paths)} muscles")
    assert worst <= RTOL_LENGTH


@needs_models3d
def test_rajagopal_moment_arms_are_minus_the_derivative_of_opensims_length(rajagopal):
    paths, reference = rajagopal
    ours_vs, reported_vs = derivative_errors(paths, reference["states"])
    worst = max(ours_vs.items(), key=lambda kv: kv[1][1])
    print(f"\nRajagopal 2016: worst moment-arm difference {worst[1][1]:.1e} m "
          f"({worst[0]}, {worst[1][0]})")
    wrapped = {m for m, p in paths.items() if p.wraps}
    off = sorted(((v[1], m, v[0]) for m, v in reported_vs.items() if v[1] > 1e-6),
                 reverse=True)
    print(f"OpenSim's computeMomentArm differs from -dL/dq of its own length by more "
          f"than 1e-6 m for {len(off)} of {len(reported_vs)} muscles:")
    for value, m, c in off:
        print(f"  {m:14s} {c:18s} {value * 1000:8.3f} mm"
              f"{'' if m in wrapped else '  (no wrap object)'}")
    assert worst[1][1] <= ATOL_ARM_M
    unwrapped = [v[1] for m, v in reported_vs.items() if m not in wrapped]
    assert max(unwrapped) <= 1e-7   # where nothing wraps, OpenSim's is the derivative


@needs_models3d
def test_gait2392_moving_and_conditional_points_equal_opensims():
    paths = read_muscle_paths(GAIT2392)
    reference = opensim({"model": str(GAIT2392), "random": {"count": 20, "seed": 21}})
    worst, muscle = length_errors(paths, reference["states"])
    print(f"\ngait2392: worst length difference {worst:.1e} relative ({muscle})")
    assert worst <= RTOL_LENGTH


SWEEP = [{"angle": float(a)} for a in np.linspace(-1.5, 1.5, 61)]


@pytest.mark.parametrize("kind", ["WrapCylinder", "WrapSphere"])
def test_pin_joint_sweep_over_each_quadrant_equals_opensim(kind):
    """A muscle over the obstacle on a pin joint, swept through angles that wrap and
    angles that do not, each quadrant; a wrap object moving with the rod, one
    switched off, a range of two of three points and a path over two objects."""
    path = model_path(kind)
    paths = read_muscle_paths(path)
    reference = opensim({"model": str(path), "states": SWEEP})
    worst, muscle = length_errors(paths, reference["states"])
    wrapped = {m: 0 for m in paths}
    for snap in reference["states"]:
        for m in paths:
            wrapped[m] += bool(paths[m].compute(poses(snap), snap["q"]).tangent_points)
    print(f"\n{kind}: worst length difference {worst:.1e} relative ({muscle}); "
          f"wrapped at {wrapped} of {len(SWEEP)} angles")
    assert worst <= RTOL_LENGTH
    assert wrapped.pop("m_off") == 0
    assert all(0 < n for n in wrapped.values())
