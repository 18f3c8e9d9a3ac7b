"""Benchmark of how the 2D walks' solve time grows with the mesh.

    python benchmarks/bench_mesh_growth.py [--problems gait2d_torque gait2d_muscles]
                                           [--intervals 50 100 200 400]

Each walk is solved cold from its shipped guess on one uniform mesh of each
size (mesh refinement off), each solve in a fresh Python process (cached
compiled blocks are used: compiling is bench_first_run.py's subject). For
each it prints the build time split into its parts (transcription with its
derivative blocks, initial guess, IPOPT's set-up in CasADi), the time in
IPOPT and iterations, and per walk the log-log slope (least squares) of the
total time (building included), of building alone and of IPOPT alone
against the number of intervals. Issue #26 asks for a total slope of at most
1.15 from 50 to 400 intervals and building no worse than linear (slope <= 1).

Machines here are shared and noisy: quote the figures of one run together,
with the load average printed beside them.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def one(problem: str, n: int) -> dict:
    """Solve in this process, timing each part of the build."""
    import ocp
    from ocp.engine import reuse

    p = ocp.load_problem(ROOT / "problems" / f"{problem}.toml", {"transcription.intervals": n})
    p.mesh_refinement = None
    parts = {}

    class Timed(reuse.Fresh):
        def transcribe(self, problem):
            started = time.perf_counter()
            tp = super().transcribe(problem)
            parts["transcribe_s"] = time.perf_counter() - started
            parts["guess_from"] = time.perf_counter()
            return tp

        def solver(self, problem, tp, verbose, warm):
            started = time.perf_counter()
            parts["guess_s"] = started - parts.pop("guess_from")
            s = super().solver(problem, tp, verbose, warm)
            parts["nlpsol_s"] = time.perf_counter() - started
            return s

    started = time.perf_counter()
    s = ocp.solve(p, build=Timed(), check_dynamics=False)
    return {"wall_s": time.perf_counter() - started, "build_s": s.setup_time_s,
            "ipopt_s": s.solve_time_s, "iterations": s.iterations, "objective": s.objective,
            "status": s.status, **parts}


def slope(n, t) -> float:
    return float(np.polyfit(np.log(n), np.log(t), 1)[0])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--problems", nargs="+", default=["gait2d_torque"])
    ap.add_argument("--intervals", type=int, nargs="+", default=[50, 100, 200, 400])
    ap.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one[0], int(args.one[1]))))
        return
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    for problem in args.problems:
        print(f"\n{problem}\n{'N':>5} {'total [s]':>9} {'build [s]':>9} {'transcr.':>9} "
              f"{'guess':>6} {'nlpsol':>7} {'IPOPT [s]':>9} {'iter':>5} {'s/iter':>7} "
              f"{'objective':>11} status")
        rows = []
        for n in args.intervals:
            out = subprocess.run([sys.executable, __file__, "--one", problem, str(n)],
                                 capture_output=True, text=True, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            rows.append(r)
            print(f"{n:>5} {r['build_s'] + r['ipopt_s']:>9.2f} {r['build_s']:>9.2f} "
                  f"{r['transcribe_s']:>9.2f} {r['guess_s']:>6.2f} {r['nlpsol_s']:>7.2f} "
                  f"{r['ipopt_s']:>9.2f} {r['iterations']:>5} "
                  f"{r['ipopt_s'] / max(r['iterations'], 1):>7.3f} {r['objective']:>11.6g} "
                  f"{r['status']}", flush=True)
        n = np.array(args.intervals, float)
        total = [r["build_s"] + r["ipopt_s"] for r in rows]
        per_iteration = [r["ipopt_s"] / max(r["iterations"], 1) for r in rows]
        print(f"log-log slope {n[0]:.0f}..{n[-1]:.0f} intervals: total {slope(n, total):.2f} "
              f"(target <= 1.15), building {slope(n, [r['build_s'] for r in rows]):.2f} "
              f"(target <= 1), IPOPT {slope(n, [r['ipopt_s'] for r in rows]):.2f}, "
              f"IPOPT per iteration {slope(n, per_iteration):.2f}, iterations "
              f"{slope(n, [max(r['iterations'], 1) for r in rows]):.2f}")
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
