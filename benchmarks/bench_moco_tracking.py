"""Moco's 2D tracking problem: ours from problem file to solution, beside Moco's own solve.

    python benchmarks/bench_moco_tracking.py [--moco [--concurrent]] [--repeats N]
                                             [--set KEY=JSON ...]

Ours: problems/moco_2d_walking_tracking.toml, each step timed (wall and CPU):
``import ocp``, reading the problem file (the model, its polynomial muscle
paths, the references), building the NLP (transcription, lifted derivative
blocks, loaded from the compiled cache after the first run), IPOPT, and
within IPOPT the function and derivative evaluations against the rest (MUMPS
and IPOPT's own algebra). ``--repeats`` solves again (best of N, the first run
compiles the blocks if the cache is empty). ``--set`` overrides a problem key
(``--set solver.ipopt.neg_curv_test_tol=0``): the problem is then solved both
as shipped and with the overrides, to measure an alternative in the same run.

``--moco``: OpenSim Moco's own example2DWalking tracking solve
(benchmarks/moco_2d_walking.py, in its own process: opensim and casadi
cannot share one), then the ratio of Moco's solve time (``MocoStudy.solve``,
building its NLP included) to ours (reading, building and solving) and both
objectives. Moco takes about a minute (much longer under load). Machines here
are shared: compare within one run.

``--concurrent`` (with ``--moco``): ours is solved again and again *while*
Moco's process runs, so that both halves see the same load (on a shared
machine the load changes between a sequential run's two halves: the ratio of
one such run measured the load as much as the solvers). The ratio is then
Moco's time over the median of our solves that ran inside Moco's window
(and over the slowest, for the worst case); the two processes also share the
cores with each other, which slows both.
"""
import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time

_started = time.perf_counter(), time.process_time()
import ocp  # noqa: E402  (timed)

IMPORT = time.perf_counter() - _started[0], time.process_time() - _started[1]

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from ocp.engine.reports import register_reporter  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PROBLEM = ROOT / "problems" / "moco_2d_walking_tracking.toml"


class Clock:
    def __init__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def lap(self):
        wall, cpu = time.perf_counter(), time.process_time()
        out = (wall - self.wall, cpu - self.cpu)
        self.wall, self.cpu = wall, cpu
        return out


#: IPOPT's stats of every solve since the last reset
STATS: list = []


def keep_stats(problem, model, solution, context):
    STATS.append(context.solver.stats())
    return {}


register_reporter(keep_stats, order=99)


def ours(overrides: dict) -> dict:
    STATS.clear()
    clock = Clock()
    problem = ocp.load_problem(PROBLEM, overrides)
    load = clock.lap()
    s = ocp.solve(problem, check_dynamics=False)
    total = clock.lap()
    st = STATS[-1]
    evaluations = sum(v for k, v in st.items() if k.startswith("t_proc_nlp_"))
    return {"load": load, "solve": total, "build": s.setup_time_s, "ipopt": s.solve_time_s,
            "evaluations_cpu": evaluations, "iterations": s.iterations,
            "objective": s.objective, "status": s.status,
            "hessian_cpu": st["t_proc_nlp_hess_l"], "jacobian_cpu": st["t_proc_nlp_jac_g"]}


def moco(meanwhile=None) -> dict | None:
    """Moco's own tracking solve in its process; ``meanwhile()`` is called again and
    again in this process until Moco's has ended (``--concurrent``)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryDirectory() as out:
        run = subprocess.Popen([sys.executable, str(ROOT / "benchmarks" / "moco_2d_walking.py"),
                                str(ROOT / "problems" / "data" / "gait2d"), out, "tracking"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               cwd=out)
        if meanwhile is not None:
            while run.poll() is None:
                meanwhile()
        stdout, stderr = run.communicate()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = [json.loads(x) for x in stdout.splitlines() if x.startswith("{")]
    if run.returncode or not lines:
        print("Moco failed:", stderr[-2000:])
        return None
    # the whole Moco process: opensim's import, the model, MocoTrack's set-up and solve
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {**lines[0], "process_cpu_s": cpu}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--moco", action="store_true", help="also run Moco's own solve (slow)")
    ap.add_argument("--concurrent", action="store_true",
                    help="with --moco: solve ours again and again while Moco runs")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--set", nargs="*", default=[], metavar="KEY=JSON")
    args = ap.parse_args()
    overrides = {k: json.loads(v) for k, v in (a.split("=", 1) for a in args.set)}
    print(f"import ocp: {IMPORT[0]:.2f} s wall, {IMPORT[1]:.2f} s CPU")
    print(f"{'setting':<10} {'run':>3} {'read s':>7} {'build s':>8} {'IPOPT s':>8} "
          f"{'total s':>8} {'CPU s':>7} {'IPOPT eval CPU':>15} {'hess CPU':>9} {'iter':>5} "
          f"{'objective':>10}")
    best = {}
    settings = {"shipped": {}} | ({"overrides": overrides} if overrides else {})
    runs = {label: [] for label in settings}

    def one_round():
        for label, values in settings.items():
            r = ours(values)
            r["total"] = r["load"][0] + r["build"] + r["ipopt"]
            r["cpu"] = r["load"][1] + r["solve"][1]
            runs[label].append(r)
            if label not in best or r["total"] < best[label]["total"]:
                best[label] = r
            print(f"{label:<10} {len(runs[label]):>3} {r['load'][0]:>7.2f} {r['build']:>8.2f} "
                  f"{r['ipopt']:>8.2f} {r['total']:>8.2f} {r['load'][1] + r['solve'][1]:>7.2f} "
                  f"{r['evaluations_cpu']:>15.2f} {r['hessian_cpu']:>9.2f} "
                  f"{r['iterations']:>5} {r['objective']:>10.6f}", flush=True)

    for _ in range(args.repeats):  # the first run compiles the blocks if the cache is empty
        one_round()
    if overrides:
        print(f"overrides: {overrides}")
    print("(read: the problem file, model and references; build: the NLP and its derivative "
          "blocks; IPOPT eval CPU: function and derivative evaluations inside IPOPT, the rest "
          "of IPOPT's time is MUMPS and IPOPT's own algebra)")
    if not args.moco:
        return
    if args.concurrent:
        for label in runs:
            runs[label].clear()
        print("while Moco runs:", flush=True)
    m = moco(one_round if args.concurrent else None)
    if m is None:
        return
    if args.concurrent:
        print(f"\nMoco: {m['solve_time_s']:.1f} s, {m['iterations']} iterations, objective "
              f"{m['objective']:.6f}, {m['status']}; its whole process "
              f"{m['process_cpu_s']:.1f} s CPU")
        for label, rs in runs.items():
            if not rs:
                continue
            totals = sorted(r["total"] for r in rs)
            median = float(np.median(totals))
            print(f"ours, {label}: {len(rs)} solves started inside Moco's window, from problem "
                  f"file to solution median {median:.2f} s (fastest {totals[0]:.2f}, slowest "
                  f"{totals[-1]:.2f}), objective {rs[-1]['objective']:.6f} "
                  f"({100 * (rs[-1]['objective'] / m['objective'] - 1):+.2f} % of Moco's); "
                  f"ratio Moco / ours {m['solve_time_s'] / median:.1f} on the median, "
                  f"{m['solve_time_s'] / totals[-1]:.1f} on the slowest (target at least 20)")
        return
    print(f"\nMoco: {m['solve_time_s']:.1f} s, {m['iterations']} iterations, objective "
          f"{m['objective']:.6f}, {m['status']}; its whole process {m['process_cpu_s']:.1f} s "
          f"CPU")
    for label, r in best.items():
        print(f"ours, {label} (best of {args.repeats}): {r['total']:.2f} s from problem file to "
              f"solution ({r['build'] + r['ipopt']:.2f} s building and solving), objective "
              f"{r['objective']:.6f} ({100 * (r['objective'] / m['objective'] - 1):+.2f} % of "
              f"Moco's); ratio Moco / ours {m['solve_time_s'] / r['total']:.1f} from the "
              f"problem file, {m['solve_time_s'] / (r['build'] + r['ipopt']):.1f} building and "
              f"solving (target at least 20); CPU, Moco's whole process / ours from the "
              f"problem file: {m['process_cpu_s'] / r['cpu']:.1f}")


if __name__ == "__main__":
    main()
