"""EMG scale factors estimated in the NLP: ours beside Moco's MocoControlTrackingGoal.

    python benchmarks/bench_emg_scales.py [--moco] [--noise 0.02]

The MocoInverse of problems/gait10dof18musc_inverse.toml is solved once; EMG
envelopes of four right-leg muscles are made from its excitations divided by
known scales (plus Gaussian noise, a fraction of each envelope's peak); the
same problem with ``[emg]`` then estimates the scales. With ``--moco`` the
same EMG file is tracked by Moco's MocoInverse with a MocoControlTrackingGoal
and a scale factor per muscle (benchmarks/moco_emg.py, in its own process),
and the scales are printed side by side with the times.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

import ocp
from ocp.data.files import write
from ocp.data.tables import Table

ROOT = Path(__file__).resolve().parents[1]
PROBLEM = ROOT / "problems" / "gait10dof18musc_inverse.toml"
DATA = ROOT / "problems" / "data" / "walking"
TRUE_SCALES = {"soleus_r": 0.5, "gastroc_r": 2.0, "tib_ant_r": 1.5, "vasti_r": 0.8}
WEIGHT, BOUNDS = 100.0, (0.01, 100.0)


def make_emg(solution, path: Path, noise: float) -> Path:
    time, index = np.unique(solution.time, return_index=True)
    rng = np.random.default_rng(0)
    columns = []
    for muscle, scale in TRUE_SCALES.items():
        e = solution.control(f"{muscle}_excitation")[index] / scale
        columns.append(np.maximum(e + noise * e.max() * rng.standard_normal(e.size), 0.0))
    return write(path, Table(time, np.column_stack(columns), tuple(TRUE_SCALES)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--moco", action="store_true", help="also Moco's MocoControlTrackingGoal")
    ap.add_argument("--noise", type=float, default=0.0, help="fraction of each peak")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as out:
        base = ocp.solve(ocp.load_problem(PROBLEM))
        emg = make_emg(base, Path(out) / "emg.sto", args.noise)
        problem = ocp.load_problem(PROBLEM, {"emg.file": str(emg), "emg.weight": WEIGHT,
                                             "emg.scale_bounds": list(BOUNDS)})
        s = ocp.solve(problem)
        print(f"ours: {s.status}, {s.iterations} iterations, IPOPT {s.solve_time_s:.2f} s, "
              f"build {s.setup_time_s:.2f} s, objective {s.objective:.2f} "
              f"(EMG term {s.cost_terms['emg']:.4g})")
        moco = None
        if args.moco:
            run = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "moco_emg.py"),
                                  str(DATA), out, str(emg), str(WEIGHT), *map(str, BOUNDS)],
                                 capture_output=True, text=True)
            lines = [json.loads(x) for x in run.stdout.splitlines() if x.startswith("{")]
            if run.returncode or not lines:
                print("Moco failed:", run.stderr[-2000:])
            else:
                moco = lines[-1]
                print(f"Moco: {moco['status']}, {moco['iterations']} iterations, "
                      f"{moco['solve_time_s']:.2f} s, objective {moco['objective']:.2f}")
    print(f"\n{'muscle':<10} {'true':>6} {'ours':>8} {'Moco':>8} {'ours/Moco-1':>12}")
    for m, truth in TRUE_SCALES.items():
        ours = s.emg["muscles"][m]["scale"]
        theirs = moco["scales"][m] if moco else float("nan")
        print(f"{m:<10} {truth:>6.3g} {ours:>8.4f} {theirs:>8.4f} "
              f"{100 * (ours / theirs - 1):>+11.2f}%")


if __name__ == "__main__":
    main()
