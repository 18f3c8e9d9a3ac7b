"""MocoInverse beside ours: problems/gait10dof18musc_inverse.toml (issue #21).

    python benchmarks/bench_moco_inverse.py [--moco] [--track] [--tight]

Solves our problem file (subject01's walk, 0.5 to 1.5 s, gait10dof18musc
with external loads, rigid tendons, DeGroote muscles without passive fibre
force, active force-length width 1.5, reserves of 1 N m, 0.02 s mesh) and
prints status, build and IPOPT times, iterations, objective, and the
reserves' report.

What is timed. Ours: ``ocp.load_problem`` and ``ocp.solve``, the first solve
in this process: what ``ocp solve`` makes a user wait for before it writes
the results (reading the TOML, the .osim, the IK .mot and the loads' .xml and
.mot; the quintic spline of the angles, inverse dynamics, the muscle paths
on the grid; the NLP; IPOPT; the re-simulation and the reserves' report). Not
timed: ``import ocp`` and writing the results folder (both printed apart).
Moco's: ``MocoInverse.solve()`` (benchmarks/moco_inverse.py), which also
reads and processes the model, the kinematics and the loads, builds its NLP
and solves it; not timed: ``import opensim`` and writing its .sto. Moco's CPU
time is its whole process's (import included); ours is the timed region's.

Nothing is taken from a cache: the problem compiles no derivative blocks
(the measured data enter the NLP as constants at its points, so the per-point
blocks are small) and its muscle paths are the exact ones, so the first solve
on a machine, or of another trial, takes what the timed one takes.

``--moco`` also runs OpenSim Moco's MocoInverse of the same problem
(benchmarks/moco_inverse.py, in its own process: opensim's libcasadi cannot
share one with casadi) and prints, from that one run: both objectives
and their difference (target: within 1 %), the RMS difference of every
muscle's activation (target: the largest within 0.02) and the time ratio
(target: at least 10). Without it Moco's figures are quoted from issue #21
(this machine kind: 8.2 s, 54 iterations, objective 28950.8). The machine is
shared and noisy: compare within one run; the process CPU times are printed
beside the wall-clock times.

``--tight`` also solves our problem to IPOPT tolerance 1e-8 and prints how far
each solution's activations are from that optimum (ours at Moco's 1e-3, and
Moco's own with ``--moco``): at 1e-3 the muscle part of the objective (a few
ten-thousandths of it; the rest is the pelvis reserves) is not converged, and
that, not the formulation, is most of the difference between the two.

``--track`` also solves problems/gait10dof18musc_track.toml (Moco's test
"MocoTrack gait10dof18musc": muscles removed, reserves of 100, the force
plates applied, 6 Hz IK angles tracked with weight 10) and, with ``--moco``,
Moco's MocoTrack of it: status, objectives and times side by side.
"""
import argparse
import dataclasses
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

_started = time.perf_counter()
import ocp  # noqa: E402
from ocp.data.files import read  # noqa: E402

IMPORT_S = time.perf_counter() - _started

ROOT = Path(__file__).resolve().parent.parent
PROBLEM = ROOT / "problems" / "gait10dof18musc_inverse.toml"
DATA = ROOT / "problems" / "data" / "walking"
MOCO_QUOTED = {"objective": 28950.8, "iterations": 54, "solve_time_s": 8.2}


def ours(tolerance=None):
    cpu = time.process_time()
    start = time.perf_counter()
    problem = ocp.load_problem(PROBLEM)
    if tolerance is not None:
        problem.solver = dataclasses.replace(problem.solver, tolerance=tolerance,
                                             constraint_tolerance=tolerance)
    solution = ocp.solve(problem)
    return solution, time.perf_counter() - start, time.process_time() - cpu


def written_in():
    """Seconds to write the results folder of a solve, as ``ocp solve`` does (not timed
    above: Moco's time does not include writing its solution either)."""
    s = ocp.solve(ocp.load_problem(PROBLEM))
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        s.save(Path(out))
        return time.perf_counter() - start


def theirs(out, which="inverse"):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    run = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "moco_inverse.py"),
                          str(DATA), out, which], capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = [json.loads(x) for x in run.stdout.splitlines() if x.startswith("{")]
    if run.returncode or not lines:
        print("Moco failed:", run.stderr[-2000:])
        return None
    result = lines[-1]
    result["cpu_s"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return result


def activation_rms(solution, path, other=None) -> dict:
    """RMS difference of each muscle's activation, Moco's (from ``path``) interpolated
    at our times, or those of an ``other`` solution of ours."""
    table = read(path) if other is None else None
    t = np.asarray(solution.time)
    out = {}
    for name in solution.state_names:
        if name.endswith("_activation"):
            muscle = name[:-len("_activation")]
            if other is None:
                theirs = np.interp(t, table.time_s,
                                   table.column(f"/forceset/{muscle}/activation"))
            else:
                theirs = np.interp(t, np.asarray(other.time), other.state(name))
            out[muscle] = float(np.sqrt(np.mean((solution.state(name) - theirs) ** 2)))
    return out


def worst(rms: dict) -> str:
    name = max(rms, key=rms.get)
    return f"largest {rms[name]:.4f} ({name}), mean {np.mean(list(rms.values())):.4f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--moco", action="store_true", help="also run OpenSim Moco's MocoInverse")
    ap.add_argument("--track", action="store_true", help="also the MocoTrack problem")
    ap.add_argument("--tight", action="store_true",
                    help="also ours at tolerance 1e-8: each solution's distance from it")
    args = ap.parse_args()
    print(f"import ocp: {IMPORT_S:.2f} s wall (not timed)")
    s, wall, cpu = ours()
    print(f"ours: {s.status}, build {s.setup_time_s:.2f} s, IPOPT {s.solve_time_s:.2f} s, "
          f"load+build+solve {wall:.2f} s wall ({cpu:.2f} s CPU), {s.iterations} iterations, "
          f"objective {s.objective:.2f}")
    for w in s.warnings:
        print("  warning:", w)
    if s.reserves:
        print(f"\n{'coordinate':<18} {'kind':<8} {'RMS':>9} {'peak':>9} {'share %':>8}")
        for c, r in s.reserves.items():
            print(f"{c:<18} {r['kind']:<8} {r['rms']:>9.3g} {r['peak']:>9.3g} "
                  f"{100 * r['share']:>8.1f}")
    m, rms, source = MOCO_QUOTED, None, "quoted from issue #21 (this machine kind, unloaded)"
    tight = ours(1e-8)[0] if args.tight else None
    moco_to_tight = None
    if args.moco:
        with tempfile.TemporaryDirectory() as out:
            measured = theirs(out)
            if measured is not None:
                m, source = measured, "measured in this run"
                rms = activation_rms(s, Path(out) / "moco_inverse_solution.sto")
                if tight is not None:
                    moco_to_tight = activation_rms(tight, Path(out) / "moco_inverse_solution.sto")
    print(f"\n## Beside MocoInverse ({source})\n")
    print(f"{'':<6} {'time s':>8} {'CPU s':>8} {'iter':>5} {'objective':>12}")
    print(f"{'Moco':<6} {m['solve_time_s']:>8.2f} {m.get('cpu_s', float('nan')):>8.2f} "
          f"{m['iterations']:>5} {m['objective']:>12.2f}")
    print(f"{'ours':<6} {wall:>8.2f} {cpu:>8.2f} {s.iterations:>5} {s.objective:>12.2f}")
    diff = 100 * (s.objective / m["objective"] - 1)
    print(f"\nobjective difference {diff:+.4f} % (target within 1 %): "
          f"{'met' if abs(diff) <= 1 else 'not met'}")
    ratio = m["solve_time_s"] / wall
    print(f"time ratio Moco/ours {ratio:.1f} wall (target >= 10: "
          f"{'met' if ratio >= 10 else 'not met'})"
          + (f", {m['cpu_s'] / cpu:.1f} CPU" if "cpu_s" in m else ""))
    print(f"writing the results folder (not timed, as Moco's .sto): {written_in():.2f} s")
    if rms is not None:
        print(f"activation RMS difference: {worst(rms)} (target <= 0.02: "
              f"{'met' if max(rms.values()) <= 0.02 else 'not met'})")
    if tight is not None:
        print(f"\nours at tolerance 1e-8: {tight.status}, {tight.iterations} iterations, "
              f"objective {tight.objective:.2f}")
        print(f"  activations of ours at 1e-3 against it: {worst(activation_rms(s, None, tight))}")
        if moco_to_tight is not None:
            print(f"  activations of Moco's at 1e-3 against it: {worst(moco_to_tight)}")
    if args.track:
        track(args.moco)


def track(moco: bool):
    cpu, start = time.process_time(), time.perf_counter()
    s = ocp.solve(ocp.load_problem(ROOT / "problems" / "gait10dof18musc_track.toml"))
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    print("\n## Beside MocoTrack gait10dof18musc\n")
    print(f"{'':<6} {'status':<16} {'time s':>8} {'CPU s':>8} {'iter':>5} {'objective':>12}")
    print(f"{'ours':<6} {s.status:<16} {wall:>8.2f} {cpu:>8.2f} {s.iterations:>5} "
          f"{s.objective:>12.6f}  {s.cost_terms}")
    if moco:
        with tempfile.TemporaryDirectory() as out:
            m = theirs(out, "track")
        if m is not None:
            print(f"{'Moco':<6} {m['status']:<16} {m['solve_time_s']:>8.2f} "
                  f"{m['cpu_s']:>8.2f} {m['iterations']:>5} {m['objective']:>12.6f}  "
                  f"{m['terms']}")
            print(f"objective difference {100 * (s.objective / m['objective'] - 1):+.2f} %, "
                  f"time ratio Moco/ours {m['solve_time_s'] / wall:.1f} wall, "
                  f"{m['cpu_s'] / cpu:.1f} CPU")


if __name__ == "__main__":
    main()
