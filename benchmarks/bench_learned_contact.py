"""The learned-contact walk against the analytic walk: time ratio, iterations, objectives.

    python benchmarks/bench_learned_contact.py [--skip-shipped] [--curvature]
                                               [--set KEY=JSON ...] [--only-set]

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

``--set`` solves both walks (compiled) once more with the same overrides of
their problem files (``--set solver.ipopt.mu_min=1e-9``) and gives that ratio
too; ``--only-set`` leaves out every other setting.

``--curvature`` (no solve, a second): the network's force law beside the
analytic one it replaces, on a grid of the indentations and speeds a walk
visits: force, stiffness and the second derivatives IPOPT's Hessian is made
of, in contact and in the air, to tell whether the learned walk's extra
iterations come from curvature the analytic law does not have.
"""
import argparse
import dataclasses
import json
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


def curvature():
    """Force, gradient and Hessian of the learned and the analytic normal force of the
    heel sphere (the one the surrogate was trained for) on a grid, compared."""
    import casadi as ca

    from ocp.models.contact import ContactSphere, normal_force
    from ocp.models.surrogate import learned_normal_force, load_surrogate
    surrogate = load_surrogate(PROBLEMS / "surrogates" / "contact_heel_normal_force.casadi")
    recorded = surrogate.metadata["sphere"]
    fields = set(ContactSphere.__dataclass_fields__) - {"name", "segment", "center_m"}
    sphere = ContactSphere("heel", "ground", (0.0, 0.0),
                           **{k: v for k, v in recorded.items() if k in fields})
    d, s = ca.SX.sym("d"), ca.SX.sym("s")
    x = ca.vertcat(d, s)
    laws = {}
    for name, force in (("analytic", normal_force(sphere, d, s)),
                        ("learned", learned_normal_force(surrogate)(sphere, d, s))):
        hessian, gradient = ca.hessian(force, x)
        laws[name] = ca.Function(name, [x], [force, gradient, ca.vec(hessian)])
    D, S = np.meshgrid(np.linspace(-0.05, 0.03, 81), np.linspace(-1.0, 2.0, 31))
    grid = np.vstack([D.ravel(), S.ravel()])
    values = {n: [np.array(v) for v in f.map(grid.shape[1])(grid)] for n, f in laws.items()}
    (fa, ga, ha), (fl, gl, hl) = values["analytic"], values["learned"]
    contact, air = fa[0] > 1.0, grid[0] < -0.02
    print(f"normal force on {grid.shape[1]} grid points (indentation -5 to 3 cm, speed -1 to "
          f"2 m/s), learned against analytic")
    print(f"{'':34} {'in contact (F > 1 N)':>22} {'in the air (d < -2 cm)':>24}")

    def row(label, a, b, scale, unit):
        c = np.median(np.abs(b[contact] - a[contact])) * scale
        ref = np.median(np.abs(a[contact])) * scale
        w = np.max(np.abs(b[air] - a[air])) * scale
        print(f"{label:<34} {c:>10.3g} of {ref:<9.3g} {w:>14.3g} (max) {unit}")

    row("force, median |difference|", fa[0], fl[0], 1.0, "N")
    row("dF/d(indentation)", ga[0], gl[0], 1e-3, "N/mm")
    row("dF/d(speed)", ga[1], gl[1], 1.0, "N/(m/s)")
    row("d2F/d(indentation)2", ha[0], hl[0], 1e-6, "N/mm2")
    row("d2F/d(indentation)d(speed)", ha[1], hl[1], 1e-3, "N/(mm m/s)")
    row("d2F/d(speed)2", ha[3], hl[3], 1.0, "N/(m/s)2")
    print("(the analytic law is linear in the speed while the speed is above -2/(3c): its "
          "d2F/d(speed)2 vanishes there, the network's does not)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-shipped", action="store_true",
                    help="leave out the shipped (uncompiled) setting")
    ap.add_argument("--curvature", action="store_true",
                    help="only compare the two force laws' derivatives (no solve)")
    ap.add_argument("--set", nargs="*", default=[], metavar="KEY=JSON",
                    help="also solve both walks (compiled) with these overrides")
    ap.add_argument("--only-set", action="store_true",
                    help="with --set: only the overridden setting")
    args = ap.parse_args()
    overrides = {k: json.loads(v) for k, v in (a.split("=", 1) for a in args.set)}
    if args.curvature:
        curvature()
        return
    compiled = {"solver.compile": True}
    started = time.perf_counter()
    for path in (ANALYTIC, LEARNED):  # fill the compiled-block cache (first run only)
        transcribe(ocp.load_problem(path, compiled))
    print(f"compiled blocks ready in {time.perf_counter() - started:.1f} s wall "
          f"(cached after the first run)\n")
    print(f"{'solve':<34} {'status':<8} {'iterations':>12} {'objective':>10} {'time s':>8} "
          f"{'CPU s':>8} {'reg.':>6} {'mu min':>6} {'hess s':>7} {'jac s':>7}")
    rows = {}
    if overrides:
        both = compiled | overrides
        rows["as"] = run("analytic, compiled, --set", ANALYTIC, both)
        rows["ls"] = run("learned, compiled, --set", LEARNED, both)
        print(f"(--set: {overrides})")
        print(ratio(rows["ls"], rows["as"], "cold, both compiled, both with --set"))
        if args.only_set:
            return
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
