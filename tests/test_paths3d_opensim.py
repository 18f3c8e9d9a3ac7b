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
from ocp.osim.paths3d_tree import PathKinematics

ROOT = Path(__file__).resolve().parents[1]
MODELS3D = ROOT.parent / "shared" / "data" / "models3d"
RAJAGOPAL = MODELS3D / "Rajagopal2016.osim"
GAIT2392 = MODELS3D / "gait2392_millard2012muscle.osim"
FALISSE = MODELS3D / "Falisse_et_al_2022.osim"   # AGPL-3.0: read there, never copied
sys.path.insert(0, str(ROOT / "tests"))
from wrap_models import model_path, model_text  # noqa: E402

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
    # where it differs over one wrap object, it is the derivative with the tangent
    # points held (over two, OpenSim directs the tension at its cached, first
    # positions of the tangent points: the gastrocnemii get moment arms about the
    # hip, whose angle their length does not depend on)
    held = 0.0
    for row in reference["states"]:
        for _, m, c in off:
            if len(paths[m].wraps) != 1:
                continue
            up, down = row["plus"][c], row["minus"][c]
            d_held = -(paths[m].held_length((poses(row), row["q"]), poses(up), up["q"])
                       - paths[m].held_length((poses(row), row["q"]), poses(down), down["q"])
                       ) / (2 * STEP)
            held = max(held, abs(d_held - row["moment_arm"][m][c]))
    print(f"Over one wrap object, OpenSim's computeMomentArm is -dL/dq with the tangent "
          f"points held in their bodies, to {held:.1e} m")
    assert held <= ATOL_ARM_M


@needs_models3d
def test_rajagopal_lengths_and_moment_arms_from_the_coordinates_alone(rajagopal):
    """Poses from ocp's spatial tree (couplers substituted), not OpenSim's."""
    _, reference = rajagopal
    model = PathKinematics.from_osim(RAJAGOPAL)
    free = [c for c, v in reference["coordinates"].items()
            if not v["locked"] and not v["dependent"]]
    assert sorted(model.coordinates) == sorted(free)
    worst_length = worst_arm = 0.0
    for row in reference["states"]:
        q = {c: row["q"][c] for c in model.coordinates}
        for m, length in model.lengths(q).items():
            worst_length = max(worst_length, abs(length - row["length"][m]) / row["length"][m])
    row = reference["states"][0]
    q = {c: row["q"][c] for c in model.coordinates}
    for c in ("knee_angle_r", "hip_flexion_r", "hip_adduction_l", "ankle_angle_l"):
        up, down = row["plus"][c]["length"], row["minus"][c]["length"]
        for m in model.paths:
            expected = -(up[m] - down[m]) / (2 * STEP)
            if abs(expected) > 1e-9:
                worst_arm = max(worst_arm, abs(model.moment_arm(m, c, q, STEP) - expected))
    print(f"\nRajagopal 2016 from q alone: worst length difference {worst_length:.1e} "
          f"relative, worst moment-arm difference {worst_arm:.1e} m")
    assert worst_length <= RTOL_LENGTH
    assert worst_arm <= ATOL_ARM_M


@needs_models3d
@pytest.mark.parametrize("model_file", [GAIT2392, FALISSE], ids=["gait2392", "Falisse2022"])
def test_moving_and_conditional_points_equal_opensims(model_file):
    """gait2392 and Falisse 2022: moving and conditional points, no wrap object."""
    if not model_file.exists():
        pytest.skip(f"{model_file} is absent")
    paths = read_muscle_paths(model_file)
    reference = opensim({"model": str(model_file), "random": {"count": 20, "seed": 21}})
    worst, muscle = length_errors(paths, reference["states"])
    model = PathKinematics.from_osim(model_file)
    from_q = 0.0
    for row in reference["states"][:5]:
        lengths = model.lengths({c: row["q"][c] for c in model.coordinates})
        from_q = max(from_q, max(abs(lengths[m] - row["length"][m]) / row["length"][m]
                                 for m in lengths))
    print(f"\n{model_file.stem}: worst length difference {worst:.1e} relative ({muscle}) "
          f"from OpenSim's poses, {from_q:.1e} from q alone")
    assert worst <= RTOL_LENGTH
    assert from_q <= RTOL_LENGTH


SWEEP = [{"angle": float(a)} for a in np.linspace(-1.5, 1.5, 31)]


@pytest.mark.parametrize("kind", ["WrapCylinder", "WrapSphere", "WrapEllipsoid", "WrapTorus"])
def test_pin_joint_sweep_over_each_quadrant_equals_opensim(kind):
    """A muscle over the obstacle on a pin joint, swept through angles that wrap and
    angles that do not, each quadrant; a wrap object moving with the rod, one
    switched off, a range of two of three points and a path over two objects."""
    path = model_path(kind)
    paths = read_muscle_paths(path)
    sweep = SWEEP[::2] if kind == "WrapTorus" else SWEEP   # its two-torus path is slow
    reference = opensim({"model": str(path), "states": sweep})
    worst, muscle = 0.0, ""
    wrapped = {m: 0 for m in paths}
    for snap in reference["states"]:
        given = poses(snap)
        for m, expected in snap["length"].items():
            state = paths[m].compute(given, snap["q"])
            worst, muscle = max((worst, muscle), (abs(state.length - expected) / expected, m))
            wrapped[m] += bool(state.tangent_points)
    print(f"\n{kind}: worst length difference {worst:.1e} relative ({muscle}); "
          f"wrapped at {wrapped} of {len(sweep)} angles")
    assert worst <= RTOL_LENGTH
    assert wrapped.pop("m_off") == 0
    assert all(0 < n for n in wrapped.values())


@pytest.mark.parametrize("method", ["midpoint", "axial"])
def test_ellipsoid_wrap_methods_equal_opensim(method, tmp_path):
    """The PathWrap's method chooses the ellipsoid's wrapping plane (hybrid above)."""
    path = tmp_path / f"wrap_ellipsoid_{method}.osim"
    path.write_text(model_text("WrapEllipsoid", method))
    paths = read_muscle_paths(path)
    reference = opensim({"model": str(path), "states": SWEEP})
    worst, muscle = length_errors(paths, reference["states"])
    print(f"\nWrapEllipsoid, {method}: worst length difference {worst:.1e} relative ({muscle})")
    assert worst <= RTOL_LENGTH
