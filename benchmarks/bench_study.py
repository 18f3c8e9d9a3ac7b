"""Benchmark of cost-weight studies: parallel workers and warm starts.

    python benchmarks/bench_study.py                  # 16-run study, 50 intervals
    python benchmarks/bench_study.py --intervals 100 --repeat 3   # about 3 minutes

The study is the shipped example problems/studies/reach_weights.toml (4 x 4
grid of effort and time weights on the free-time reach), with the mesh set by
``--intervals``. It runs with 1 worker (in the study process) and with 2
local worker processes, each with and without warm starts, every
configuration in a fresh Python process (so the pool and fork-server start-up
is counted, as a user would see it; the interpreter's own import of CasADi is
not). For each it prints the wall time of ``run_study``, the IPOPT iterations
(sum and mean per run), the time in IPOPT and the time spent building the
NLPs (sums over runs, with the study process's own build before it forks its
workers, ocp/study/backends.py), each the minimum over ``--repeat`` repetitions (other
processes on a shared machine only ever add time), and the NLPs built (the
most over repetitions: one per problem structure, ocp/engine/reuse.py). It
also times how long a fresh Python process takes to import ocp and CasADi,
what a worker started from a fork server or by spawning pays (a worker forked
from the study process does not), and prints the serial part of the 1-worker
study (the build and everything that is not a run's IPOPT time) with the
best ratio 2 workers can reach by Amdahl's law.

Machines here are shared and noisy: quote the figures of one run together.
"""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ocp.study.backends import PRELOAD

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "problems" / "studies" / "reach_weights.toml"
CONFIGS = [(1, True), (1, False), (2, True), (2, False)]


def study_file(folder: Path, intervals: int) -> Path:
    """The shipped example's sweep on a mesh of ``intervals``."""
    text = EXAMPLE.read_text()
    problem = (EXAMPLE.parent / "../arm_reach_torque_free_time.toml").resolve()
    head, sweep = text.split("[sweep]")
    path = folder / f"bench_{intervals}.toml"
    path.write_text(f'title = "benchmark"\nproblem = "{problem}"\nmode = "grid"\n'
                    f'[fixed]\n"transcription.intervals" = {intervals}\n[sweep]{sweep}')
    return path


def one(study_path: str, out: str, workers: int, warm: bool) -> dict:
    """Run one configuration (in this fresh process) and return its figures."""
    from ocp.study import load_study, run_study

    study = load_study(study_path)
    result = run_study(study, out, workers=workers, warm_start=warm, progress=False)
    conn = sqlite3.connect(Path(out) / "study.sqlite")
    rows = conn.execute("SELECT status, iterations, solve_time_s, setup_time_s, "
                        "warm_start_from FROM runs").fetchall()
    conn.close()
    return {
        "runs": len(rows), "success": sum(r[0] == "success" for r in rows),
        "wall_s": result.wall_time_s,
        "iterations": sum(r[1] for r in rows),
        "ipopt_s": sum(r[2] for r in rows), "build_s": sum(r[3] for r in rows),
        "warm_started": sum(r[4] is not None for r in rows),
        "builds": result.builds, "prepare_s": result.prepare_time_s,
        "objectives": [o for (o,) in sqlite3.connect(Path(out) / "study.sqlite").execute(
            "SELECT objective FROM runs ORDER BY run_id")],
    }


def measure(study_path: Path, workers: int, warm: bool, scratch: Path) -> dict:
    out = tempfile.mkdtemp(dir=scratch, prefix=f"w{workers}_{'warm' if warm else 'cold'}_")
    os.rmdir(out)  # the study creates it
    completed = subprocess.run(
        [sys.executable, __file__, "--one", str(study_path), out, str(workers),
         "warm" if warm else "cold"], capture_output=True, text=True, check=True)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--intervals", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--warm-only", action="store_true",
                        help="only the warm-started configurations (1 and 2 workers)")
    parser.add_argument("--one", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        path, out, workers, warm = args.one
        print(json.dumps(one(path, out, int(workers), warm == "warm")))
        return

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start; "
          f"study: {EXAMPLE.name}, 16 runs, {args.intervals} Hermite-Simpson intervals; "
          f"minimum of {args.repeat}")
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        path = study_file(scratch, args.intervals)
        figures = {}
        for _ in range(args.repeat):  # interleaved, so that machine noise hits all alike
            for config in CONFIGS:
                if args.warm_only and not config[1]:
                    continue
                figures.setdefault(config, []).append(measure(path, *config, scratch))
    print(f"{'workers':>7} {'warm start':>10} {'wall [s]':>9} {'iterations':>10} "
          f"{'per run':>7} {'IPOPT [s]':>9} {'build [s]':>9} {'converged':>9} {'NLPs built':>10}")
    summary = {}
    for (workers, warm), runs in figures.items():
        for r in runs:
            r["build_s"] += r["prepare_s"]
        med = {k: min(r[k] for r in runs) for k in ("wall_s", "iterations", "ipopt_s", "build_s")}
        summary[(workers, warm)] = med
        print(f"{workers:>7} {'yes' if warm else 'no':>10} {med['wall_s']:>9.2f} "
              f"{med['iterations']:>10.0f} {med['iterations'] / 16:>7.1f} "
              f"{med['ipopt_s']:>9.2f} {med['build_s']:>9.2f} "
              f"{min(r['success'] for r in runs):>6}/16 {max(r['builds'] for r in runs):>10}")
    reference = figures[(1, True)][0]["objectives"]
    spread = max(abs(a - b) / abs(b) for runs in figures.values() for r in runs
                 for a, b in zip(r["objectives"], reference))
    w1, w2 = summary[(1, True)], summary[(2, True)]
    cold, warm = summary.get((1, False)), summary[(1, True)]
    print(f"2 workers against 1 (warm starts): {w1['wall_s'] / w2['wall_s']:.2f}x faster "
          f"in wall time")
    serial = w1["wall_s"] - w1["ipopt_s"]
    print(f"1 worker (warm starts): {w1['wall_s']:.2f} s = {w1['ipopt_s']:.2f} s in IPOPT + "
          f"{serial:.2f} s else ({w1['build_s']:.2f} s of it building); if only IPOPT ran on "
          f"2 workers, Amdahl's law caps 2 workers at "
          f"{w1['wall_s'] / (serial + w1['ipopt_s'] / 2):.2f}x")
    if cold:
        print(f"warm starts (1 worker): {cold['iterations'] / warm['iterations']:.2f}x fewer "
              f"iterations ({cold['iterations']:.0f} -> {warm['iterations']:.0f}), "
              f"{cold['ipopt_s'] / warm['ipopt_s']:.2f}x less time in IPOPT, "
              f"{cold['wall_s'] / warm['wall_s']:.2f}x in wall time")
    print(f"largest relative difference of any run's objective between configurations: "
          f"{spread:.1e}")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import " + ", ".join(PRELOAD)], check=True)
    print(f"starting a fresh Python importing {', '.join(PRELOAD)} (a fork-server or spawned "
          f"worker; a worker forked from the study skips it): "
          f"{time.perf_counter() - started:.2f} s")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (above the core count, other "
          f"processes shared the machine and the wall times are inflated)")


if __name__ == "__main__":  # without fork the local pool starts fresh interpreters
    main()
