"""Benchmark of a new user's first solve: compiling the derivative blocks.

    python benchmarks/bench_first_run.py [--problems gait2d_muscles moco_2d_walking_predictive]
                                         [--intervals N]

Each problem is solved twice, each time in a fresh Python process: first on
an empty cache (a fresh ``OCP_CACHE_DIR``: every derivative block is built
and compiled), then again on the cache the first solve filled. For each it
prints the wall time from loading the problem file to the solution, the
building time (transcription, derivative blocks, C compiler, IPOPT set-up:
``setup_time_s``), the time in IPOPT, iterations and objective, and after
the first solve the compiled blocks (count, size of their C source, size of
the libraries). The two solves must reach the same objective.

Machines here are shared and noisy: quote the figures of one run together,
with the load average printed beside them.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def one(problem: str, intervals: int | None) -> dict:
    """Solve ``problem`` in this process; its figures."""
    import ocp

    started = time.perf_counter()
    overrides = {"transcription.intervals": intervals} if intervals else {}
    p = ocp.load_problem(ROOT / "problems" / f"{problem}.toml", overrides)
    s = ocp.solve(p)
    return {"wall_s": time.perf_counter() - started, "build_s": s.setup_time_s,
            "ipopt_s": s.solve_time_s, "iterations": s.iterations,
            "objective": s.objective, "status": s.status}


def measure(problem: str, intervals: int | None, cache: str) -> dict:
    env = {**os.environ, "OCP_CACHE_DIR": cache}
    out = subprocess.run([sys.executable, __file__, "--one", problem, str(intervals or 0)],
                         env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def blocks(cache: str) -> str:
    libraries = sorted(Path(cache, "compiled").glob("*.so"))
    size = sum(f.stat().st_size for f in libraries)
    return f"{len(libraries)} compiled blocks, {size / 1e6:.1f} MB of libraries"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--problems", nargs="+", default=["gait2d_muscles"])
    ap.add_argument("--intervals", type=int, default=None)
    ap.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one[0], int(args.one[1]) or None)))
        return
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    print(f"{'problem':<28} {'cache':<6} {'wall [s]':>9} {'build [s]':>9} {'IPOPT [s]':>9} "
          f"{'iter':>5} {'objective':>12} status")
    for problem in args.problems:
        with tempfile.TemporaryDirectory(prefix="ocp_first_run_") as cache:
            for label in ("empty", "filled"):
                r = measure(problem, args.intervals, cache)
                print(f"{problem:<28} {label:<6} {r['wall_s']:>9.1f} {r['build_s']:>9.1f} "
                      f"{r['ipopt_s']:>9.1f} {r['iterations']:>5} {r['objective']:>12.7g} "
                      f"{r['status']}", flush=True)
                if label == "empty":
                    print(f"{'':<28} {blocks(cache)}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
