"""The torque walk with the walker's graph network (contact edges) beside the analytic walk.

    python benchmarks/bench_walker_graph.py [--analytic DIR] [--out DIR]

problems/gait2d_torque.toml solved as shipped (Newton-Euler, Hunt-Crossley
contacts) and with one key changed, ``model.dynamics =
"surrogates/gait2d_walker_graph.casadi"``: the equations of motion and the
ground's forces of a graph network with one contact edge per sphere
(learned_components/contact_graph.py, trained by
``ocp train problems/surrogates/gait2d_walker_graph.train.toml``). Both from
the problem's own guess, each as ``ocp solve`` does (mesh refinement
included). Prints the training record (time, held-out errors), the two
solves (status, objective, iterations, time) and their agreement: objective
(target within 5 %), ground reactions on the normalised cycle (RMS and peak
difference over the peak vertical force, target within 10 %), joint angles;
once from each half cycle's first instant and once over whole strides at
the phase that matches them best (the half cycle may start anywhere in the
stride: the same gait found at another phase is the same optimum).
Machines here are shared: compare within one run. ``--analytic DIR`` takes
the analytic walk from an ``ocp solve`` folder instead of solving it (its
time then comes from that run); ``--out DIR`` saves the learned walk;
``--surrogate FILE`` takes another walker network (a .casadi file of ``ocp
train``) in place of the shipped one.

``--diagnose`` asks whether the learned walk's optimum is one of the analytic
dynamics too: the network's errors at the learned walk's states (against
Newton-Euler with Hunt-Crossley contacts: how far the learned walk is from
feasible for the analytic walker), at the analytic walk's and at the
problem's guess (feet up to 7 cm deep), and the analytic walk warm-started from
the learned one (a nearby analytic optimum, or a slide to another gait).
"""
import argparse
import json
import time
from pathlib import Path

import numpy as np

import ocp
from learned_components.walker_training import walk_agreement
from ocp.solution import Solution

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"
WALK = PROBLEMS / "gait2d_torque.toml"
SURROGATE = PROBLEMS / "surrogates" / "gait2d_walker_graph.casadi"


def solve(label, overrides, guess=None, guess_solution=None):
    started = time.perf_counter()
    problem = ocp.load_problem(WALK, overrides)
    if guess is not None:
        problem.guess = Solution.load(guess)
    if guess_solution is not None:
        problem.guess = guess_solution
    s = ocp.solve(problem)
    wall = time.perf_counter() - started
    print(f"{label:<28} {s.status[:8]:<8} objective {s.objective:.6f}  iterations "
          f"{s.iterations:>4}  build {s.setup_time_s:6.1f} s  IPOPT {s.solve_time_s:7.1f} s  "
          f"whole call {wall:7.1f} s  final time {s.final_time:.3f} s", flush=True)
    return s, wall


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--analytic", help="an ocp solve folder of problems/gait2d_torque.toml")
    ap.add_argument("--out", help="save the learned walk here")
    ap.add_argument("--guess", help="start the learned walk from this ocp solve folder (the "
                    "analytic walk's: does the learned walker keep that optimum?)")
    ap.add_argument("--diagnose", action="store_true", help="the network's errors at the "
                    "learned walk and the analytic walk started from it")
    ap.add_argument("--surrogate", type=Path, default=SURROGATE, help="a walker network "
                    "(.casadi) in place of the shipped one")
    args = ap.parse_args()
    surrogate = args.surrogate.resolve()
    learned_keys = {"model.dynamics": str(surrogate)}
    record = json.loads(surrogate.with_suffix(".json").read_text())
    tr = record["training"]
    print(f"network: {record['network']['parameters']} weights, "
          f"{record['network']['contact_edges']} contact edges; trained in {tr['time_s']:.0f} s "
          f"on {tr['samples']}")
    for kind, v in tr["held_out"].items():
        print(f"  held-out {kind:<7} generalised forces {100 * v['tau_relative_rms']:.2f} % "
              f"(relative RMS), contact forces RMS {v['contact_force_rms_N']:.1f} N "
              f"({100 * v['contact_force_rms_of_peak']:.2f} % of the set's peak "
              f"{v['contact_force_peak_N']:.0f} N)")
    print()
    if args.analytic:
        analytic = Solution.load(args.analytic)
        t_a = analytic.setup_time_s + analytic.solve_time_s
        print(f"{'analytic (from ' + args.analytic + ')':<28} objective {analytic.objective:.6f} "
              f" iterations {analytic.iterations:>4}  build+IPOPT {t_a:.1f} s  final time "
              f"{analytic.final_time:.3f} s")
    else:
        analytic, t_a = solve("analytic (Newton-Euler)", {})
    learned, t_l = solve("graph network, contact edges" + (", warm" if args.guess else ""),
                         learned_keys, args.guess)
    if args.out:
        learned.save(args.out)
    a = walk_agreement(analytic, learned)
    met = lambda ok: "met" if ok else "NOT met"  # noqa: E731
    print(f"\nobjective: learned / analytic - 1 = {100 * a['objective_relative']:+.2f} % "
          f"(target within 5 %: {met(abs(a['objective_relative']) <= 0.05)})")
    aligned = walk_agreement(analytic, learned, align_phase=True)
    for label, r in (("half cycles from their first instant", a),
                     (f"whole strides, the learned one shifted by "
                      f"{100 * aligned['phase_shift_of_stride']:.1f} % of the stride (the "
                      f"half cycle's start is free)", aligned)):
        grf_ok = max(r["grf_rms_of_peak"], r["grf_peak_difference_of_peak"]) <= 0.10
        print(f"ground reactions, {label}, over the peak vertical force "
              f"{r['peak_vertical_grf_N']:.0f} N (target within 10 %, RMS and peaks: "
              f"{met(grf_ok)}):")
        for name, v in r["grf"].items():
            print(f"  {name:<8} RMS difference {100 * v['rms_of_peak']:5.2f} %, largest "
                  f"{100 * v['max_of_peak']:5.2f} %, peak "
                  f"{100 * v['peak_difference_of_peak']:+6.2f} %")
        print(f"  joint angles: RMS difference {r['joint_angle_rms_rad']:.4f} rad")
    print(f"final times {a['final_time_s'][0]:.3f} / {a['final_time_s'][1]:.3f} s")
    print(f"time: learned / analytic whole call {t_l / t_a:.2f} ({t_l:.1f} / {t_a:.1f} s); "
          f"IPOPT {learned.solve_time_s / analytic.solve_time_s:.2f} "
          f"({learned.solve_time_s:.1f} / {analytic.solve_time_s:.1f} s); iterations "
          f"{learned.iterations} / {analytic.iterations}")
    if args.diagnose:
        diagnose(learned, analytic, surrogate)


def network_errors(solution, surrogate=SURROGATE) -> dict:
    """RMS over a walk's points of the network's errors against the analytic walker:
    slider forces (N), joint torques (N m, largest), contact forces (N)."""
    import casadi as ca

    from learned_components.contact_graph import truth_function
    model = ocp.load_problem(WALK).model
    function = ca.Function.load(str(surrogate))     # (q, qd, qdd) -> (tau, contact forces)
    n, m = model.tree.n, len(solution.time)
    q, qd, qdd = solution.states[:, :n].T, solution.states[:, n:].T, solution.algebraics.T
    tau, forces, _ = truth_function(model).map(m)(q, qd, qdd)
    tau_l, forces_l = function.map(m)(q, qd, qdd)
    tau_rms = np.sqrt(np.mean(np.array(tau_l - tau) ** 2, 1))
    return {"sliders_N": tau_rms[:2], "joints_N_m": float(np.max(tau_rms[3:])),
            "contact_N": float(np.sqrt(np.mean(np.array(forces_l - forces) ** 2)))}


def the_guess():
    """The problem's own guess (feet up to 7 cm deep) as a Solution: IPOPT stopped
    before its first iteration."""
    problem = ocp.load_problem(WALK, {"solver.max_iterations": 0})
    problem.mesh_refinement = None
    return ocp.solve(problem, check_dynamics=False)


def diagnose(learned, analytic, surrogate=SURROGATE):
    print("\nnetwork errors against Newton-Euler + Hunt-Crossley (RMS over the walk's points):")
    guess = the_guess()
    for label, s in (("at the learned walk", learned), ("at the analytic walk", analytic),
                     ("at the problem's guess", guess)):
        e = network_errors(s, surrogate)
        print(f"  {label:<22} sliders {e['sliders_N'][0]:.1f}, {e['sliders_N'][1]:.1f} N; "
              f"joints up to {e['joints_N_m']:.1f} N m; contact forces {e['contact_N']:.1f} N")
    back, _ = solve("analytic from the learned", {}, guess_solution=learned)
    print(f"analytic walk from the learned one: objective {back.objective:.6f} "
          f"({100 * (back.objective / learned.objective - 1):+.2f} % from the learned walk's, "
          f"{100 * (back.objective / analytic.objective - 1):+.2f} % from the analytic walk's)")


if __name__ == "__main__":
    main()
