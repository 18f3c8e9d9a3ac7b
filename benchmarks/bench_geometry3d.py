"""Fitted muscle geometry of the 3D models (issue 20): fit error per muscle and time.

For gait2392, Rajagopal 2016 and Falisse 2022 (../shared/data/models3d; the
Falisse model is AGPL-3.0, read from there, never copied): each muscle's
exact path (wrapping included) is fitted by a polynomial in the coordinates
it spans (ocp.osim.geometry3d) over a walking box like PredSim's (hip
flexion -50..50 deg, adduction and rotation -30..30, knee 0..90 flexion,
ankle, subtalar, mtp and lumbar -30..30, each within the file's range), and
the errors on held-out samples are printed per muscle, with the worst and
the time to fit (a fresh cache) and to load again (cached).

    PYTHONPATH=. python benchmarks/bench_geometry3d.py [gait2392|rajagopal|falisse ...]
    PYTHONPATH=. python benchmarks/bench_geometry3d.py --neural gait2392

``--neural``: networks instead (``geometry = "neural"``, ocp.osim.neural_geometry3d:
muscles crossing the same coordinates share a perceptron trained on the exact
lengths and moment arms), with the same error report; needs PyTorch.
"""
import math
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # small least squares: one thread

from ocp.osim.muscles import FIT_LENGTH_RMS_M, FIT_MOMENT_ARM_RMS_M  # noqa: E402
from ocp.osim.muscles3d import build_spatial_osim_model  # noqa: E402
from ocp.osim.spatial_skeleton import read_spatial  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "models3d"
MODELS = {"gait2392": "gait2392_millard2012muscle.osim", "rajagopal": "Rajagopal2016.osim",
          "falisse": "Falisse_et_al_2022.osim"}
#: degrees; knee flexion is negative in gait2392 and Falisse, positive in Rajagopal
WALKING = {"hip_flexion": (-50, 50), "hip_adduction": (-30, 30), "hip_rotation": (-30, 30),
           "knee_angle": (-90, 0), "ankle_angle": (-30, 30), "subtalar_angle": (-30, 30),
           "mtp_angle": (-30, 30), "lumbar_extension": (-30, 30), "lumbar_bending": (-30, 30),
           "lumbar_rotation": (-30, 30)}


def walking_box(path) -> dict:
    """Coordinate -> (lo, hi) rad: WALKING within the file's ranges."""
    coords = read_spatial(path).coordinates()
    out = {}
    for name, c in coords.items():
        base = name[:-2] if name.endswith(("_r", "_l")) else name
        if base in WALKING:
            lo, hi = WALKING[base]
            if base == "knee_angle" and c.range[1] > math.radians(30):
                lo, hi = -hi, -lo          # knee flexion positive (Rajagopal)
            out[name] = (max(c.range[0], math.radians(lo)), min(c.range[1], math.radians(hi)))
    return out


def main(names, geometry="polynomial"):
    warnings.simplefilter("ignore")
    for key in names:
        path = DATA / MODELS[key]
        if not path.exists():
            print(f"{key}: {path} absent, skipped")
            continue
        box = walking_box(path)
        with tempfile.TemporaryDirectory() as cache:
            start = time.perf_counter()
            model = build_spatial_osim_model(path, fit_ranges=box, accept_geometry_fit=True,
                                             tendon="rigid", cache=Path(cache),
                                             geometry=geometry)
            fit_s = time.perf_counter() - start
            start = time.perf_counter()
            build_spatial_osim_model(path, fit_ranges=box, accept_geometry_fit=True,
                                     tendon="rigid", cache=Path(cache), geometry=geometry)
            cached_s = time.perf_counter() - start
        print(f"== {key} ({geometry}): {len(model.muscles)} muscles, fitted in {fit_s:.1f} s "
              f"(loaded again from the cache in {cached_s:.2f} s)")
        for e in model.geometry_fit:
            flag = "  BEYOND TARGET" if (e.length_rms_m > FIT_LENGTH_RMS_M or
                                          e.moment_arm_rms_m > FIT_MOMENT_ARM_RMS_M) else ""
            print("  " + e.describe() + flag)
        worst_l = max(model.geometry_fit, key=lambda e: e.length_rms_m)
        worst_r = max(model.geometry_fit, key=lambda e: e.moment_arm_rms_m)
        beyond = sum(e.length_rms_m > FIT_LENGTH_RMS_M or e.moment_arm_rms_m >
                     FIT_MOMENT_ARM_RMS_M for e in model.geometry_fit)
        print(f"  worst length RMS {worst_l.length_rms_m * 1e3:.3f} mm ({worst_l.muscle}), "
              f"worst moment-arm RMS {worst_r.moment_arm_rms_m * 1e3:.3f} mm "
              f"({worst_r.muscle}); {beyond} muscles beyond the targets "
              f"({FIT_LENGTH_RMS_M * 1e3:g} mm, {FIT_MOMENT_ARM_RMS_M * 1e3:g} mm)", flush=True)


if __name__ == "__main__":
    args = sys.argv[1:]
    neural = "--neural" in args
    names = [a for a in args if a != "--neural"]
    main(names or list(MODELS), "neural" if neural else "polynomial")
