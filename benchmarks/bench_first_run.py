"""Benchmark of a new user's first solve: compiling the derivative blocks.

    python benchmarks/bench_first_run.py [--problems gait2d_muscles moco_2d_walking_predictive]
                                         [--intervals N] [--modes start wait interpreted]

Each problem is solved twice, each time in a fresh Python process: first on
an empty cache (a fresh ``OCP_CACHE_DIR``: every derivative block is built
and compiled), then again on the cache the first solve filled. For each it
prints the wall time from loading the problem file to the solution, the
building time (transcription, derivative blocks, C compiler, IPOPT set-up:
``setup_time_s``), the time in IPOPT, iterations and objective, and after
the first solve the compiled blocks (count, size of their C source, size of
the libraries). The two solves must reach the same objective.

``--modes`` compares what a first run does with the large blocks missing
from the cache (each mode on its own empty cache, back to back): ``start``
(the default, ``ocp.engine.compiled.START_UNCOMPILED``): the solve starts at
once with them in CasADi's virtual machine while a background process
compiles them (-O1), switching to each when it is ready; ``wait``: compile
them first at -O0 (-O1 in the background for the next solve); ``interpreted``:
never compile (``solver.compile = false``). The filled-cache solve is run
after the first mode only. For ``start`` it prints, per block, how many of its
evaluations ran interpreted.

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


def one(problem: str, intervals: int | None, mode: str) -> dict:
    """Solve ``problem`` in this process; its figures."""
    import ocp
    from ocp.engine import compiled

    started = time.perf_counter()
    overrides = {"transcription.intervals": intervals} if intervals else {}
    if mode == "interpreted":
        overrides["solver.compile"] = False
    compiled.START_UNCOMPILED = mode == "start"
    p = ocp.load_problem(ROOT / "problems" / f"{problem}.toml", overrides)
    s = ocp.solve(p)
    return {"wall_s": time.perf_counter() - started, "build_s": s.setup_time_s,
            "ipopt_s": s.solve_time_s, "iterations": s.iterations,
            "objective": s.objective, "status": s.status,
            "interpreted": {f.block: f.evaluations for f in compiled.LIVE}}


def measure(problem: str, intervals: int | None, cache: str, mode: str) -> dict:
    env = {**os.environ, "OCP_CACHE_DIR": cache}
    out = subprocess.run([sys.executable, __file__, "--one", problem, str(intervals or 0),
                          mode], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def wait_for_background(cache: str, limit_s: float = 3600.0) -> float:
    """Wait until no background build is left in ``cache`` (kept sources, partial
    libraries); the seconds waited."""
    started = time.perf_counter()
    folder = Path(cache, "compiled")
    while (list(folder.glob(".*.c")) or list(folder.glob("*.partial"))
           or list(folder.glob(".*.background"))) and time.perf_counter() - started < limit_s:
        time.sleep(1.0)
    return time.perf_counter() - started


def blocks(cache: str) -> str:
    libraries = sorted(Path(cache, "compiled").glob("*.so"))
    size = sum(f.stat().st_size for f in libraries)
    return f"{len(libraries)} compiled blocks, {size / 1e6:.1f} MB of libraries"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--problems", nargs="+", default=["gait2d_muscles"])
    ap.add_argument("--intervals", type=int, default=None)
    ap.add_argument("--modes", nargs="+", default=["start"],
                    choices=["start", "wait", "interpreted"])
    ap.add_argument("--one", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one[0], int(args.one[1]) or None, args.one[2])))
        return
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    print(f"{'problem':<24} {'mode':<12} {'cache':<6} {'wall [s]':>9} {'build [s]':>9} "
          f"{'IPOPT [s]':>9} {'iter':>5} {'objective':>12} status")
    for problem in args.problems:
        for k, mode in enumerate(args.modes):
            with tempfile.TemporaryDirectory(prefix="ocp_first_run_") as cache:
                for label in ("empty", "filled") if k == 0 else ("empty",):
                    r = measure(problem, args.intervals, cache, mode)
                    print(f"{problem:<24} {mode:<12} {label:<6} {r['wall_s']:>9.1f} "
                          f"{r['build_s']:>9.1f} {r['ipopt_s']:>9.1f} {r['iterations']:>5} "
                          f"{r['objective']:>12.7g} {r['status']}  "
                          f"(load {os.getloadavg()[0]:.1f})", flush=True)
                    if r["interpreted"]:
                        print(f"{'':<24} evaluations interpreted before the switch: " +
                              ", ".join(f"{b} {n}" for b, n in r["interpreted"].items()))
                    if label == "empty" and mode != "interpreted":
                        waited = wait_for_background(cache)
                        print(f"{'':<24} {blocks(cache)} (background builds done "
                              f"{waited:.0f} s after the solve)", flush=True)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
