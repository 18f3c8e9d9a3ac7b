"""The learned-contact walk against the analytic walk: time ratio, iterations, objectives.

    python benchmarks/bench_learned_contact.py [--skip-shipped]

problems/gait2d_torque.toml (analytic Hunt-Crossley normal force) and
gait2d_torque_learned_contact.toml (the same problem with the normal force of
a neural surrogate) solved in one run, each as ``ocp solve`` does (mesh
refinement included), in four settings:

- ``shipped``: the problem files as they are (derivative blocks in CasADi's
  virtual machine);
- ``compiled``: both with ``solver.compile = true`` (the per-point Jacobian
  and Hessian blocks as C, the same numbers to the last bit); the first build
  compiles them once into the cache, timed apart and left out of the ratio;
- ``warm``: the learned walk started from the analytic walk's solution (the
  compiled setting), the use where a surrogate replaces a model whose walk
  is known; its ratio is against the analytic walk's cold solve, and it is
  stated as such, beside the whole route (the analytic solve, then the
  learned one from it) against the analytic solve alone.

For each solve: IPOPT iterations, objective, time (building the NLP plus IPOPT
over all refinement passes, wall) and CPU time of the whole call, and where
IPOPT's iterations and time go (first pass): iterations with an inertia
correction (regularised Hessian), iterations at the smallest barrier
parameter, restoration, the CPU time in the Hessian and Jacobian evaluations.
Machines here are shared: compare within one run; CPU time is steadier than
wall time under load.
"""
import argparse
import dataclasses
import time
from pathlib import Path

import numpy as np

import ocp
from ocp.engine.nlp import transcribe
from ocp.engine.reports import register_reporter

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"
ANALYTIC, LEARNED = PROBLEMS / "gait2d_torque.toml", PROBLEMS / "gait2d_torque_learned_contact.toml"
#: IPOPT's stats of every solve (pass) since the last reset
STATS: list = []


def keep_stats(problem, model, solution, context):
    STATS.append(context.solver.stats())
    return {}


register_reporter(keep_stats, order=99)


def run(label, path, overrides, guess=None):
    problem = ocp.load_problem(path, overrides)
    if guess is not None:
        problem = dataclasses.replace(problem, guess=guess)
    STATS.clear()
    started = time.process_time()
    s = ocp.solve(problem, check_dynamics=False)
    cpu = time.process_time() - started
    first = STATS[0]
    it = first["iterations"]
    reg = np.asarray(it["regularization_size"])
    mu = np.asarray(it["mu"])
    row = dict(label=label, status=s.status, iterations=s.iterations, objective=s.objective,
               time=s.setup_time_s + s.solve_time_s, cpu=cpu,
               passes="+".join(str(x["iter_count"]) for x in STATS),
               regularised=int(np.count_nonzero(reg > 0)), at_mu_floor=int(np.count_nonzero(
                   mu <= 1.0001 * mu.min())), hess=first["t_proc_nlp_hess_l"],
               jac=first["t_proc_nlp_jac_g"], solution=s)
    print(f"{label:<34} {s.status[:8]:<8} {row['passes']:>12} {s.objective:>10.6f} "
          f"{row['time']:>8.2f} {cpu:>8.2f} {row['regularised']:>6} {row['at_mu_floor']:>6} "
          f"{row['hess']:>7.2f} {row['jac']:>7.2f}", flush=True)
    return row


def ratio(b, a, what):
    return (f"{b['label']} / {a['label']}: time {b['time'] / a['time']:.2f}, CPU "
            f"{b['cpu'] / a['cpu']:.2f}, iterations {b['iterations']}/{a['iterations']} "
            f"= {b['iterations'] / a['iterations']:.2f}, objective "
            f"{100 * (b['objective'] / a['objective'] - 1):+.2f} % ({what})")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-shipped", action="store_true",
                    help="leave out the shipped (uncompiled) setting")
    args = ap.parse_args()
    compiled = {"solver.compile": True}
    started = time.perf_counter()
    for path in (ANALYTIC, LEARNED):  # fill the compiled-block cache (first run only)
        transcribe(ocp.load_problem(path, compiled))
    print(f"compiled blocks ready in {time.perf_counter() - started:.1f} s wall "
          f"(cached after the first run)\n")
    print(f"{'solve':<34} {'status':<8} {'iterations':>12} {'objective':>10} {'time s':>8} "
          f"{'CPU s':>8} {'reg.':>6} {'mu min':>6} {'hess s':>7} {'jac s':>7}")
    rows = {}
    if not args.skip_shipped:
        rows["a"] = run("analytic, shipped", ANALYTIC, {})
        rows["l"] = run("learned, shipped", LEARNED, {})
    rows["ac"] = run("analytic, compiled", ANALYTIC, compiled)
    rows["lc"] = run("learned, compiled", LEARNED, compiled)
    rows["lw"] = run("learned, compiled, from analytic", LEARNED, compiled,
                     guess=rows["ac"]["solution"])
    print("\n(iterations: per refinement pass; reg.: first-pass iterations with an inertia "
          "correction; mu min: first-pass iterations at the smallest barrier parameter; "
          "hess s, jac s: IPOPT's CPU time in the Hessian and Jacobian evaluations, first "
          "pass)\n")
    if "a" in rows:
        print(ratio(rows["l"], rows["a"], "cold, as shipped"))
    print(ratio(rows["lc"], rows["ac"], "cold, both compiled"))
    print(ratio(rows["lw"], rows["ac"], "learned warm-started from the analytic optimum, "
                                        "analytic cold"))
    a, w = rows["ac"], rows["lw"]
    print(f"analytic cold then learned from it / analytic alone: time "
          f"{(a['time'] + w['time']) / a['time']:.2f}, CPU {(a['cpu'] + w['cpu']) / a['cpu']:.2f} "
          f"(the whole route to the learned walk, the analytic solve counted)")
    print("target: at most 1.5 with the objective within 2 %")


if __name__ == "__main__":
    main()
