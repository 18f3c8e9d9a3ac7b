"""Benchmark: the six-muscle reach with a GRU in place of the activation ODE (issue 11).

    OMP_NUM_THREADS=1 python benchmarks/bench_gru_arm.py [--graph mx|sx|lifted]

Solves, in one run,

1. ``problems/arm_reach_muscles.toml`` as shipped (activation ODE,
   Hermite-Simpson, 50 intervals, free midpoint controls);
2. ``problems/arm_reach_muscles_gru.toml`` with ``activation_dynamics = true``:
   the activation ODE on the GRU's mesh (60 intervals of 10 ms, linear
   controls);
3. ``problems/arm_reach_muscles_gru.toml``: the trained GRU step
   (surrogates/emg_activation_gru, 16 hidden units per muscle, 100 Hz),

and prints build time, IPOPT wall and CPU time, iterations, time per
iteration, objective and the ratio to row 2 (same mesh). Then where the time
goes: NLP size, nonzeros of the constraint Jacobian and of the Hessian of the
Lagrangian, and the time of one evaluation of each; and how far the GRU's
optimum is from the ODE's. Machines here are shared: compare within one run.
"""
import argparse
import time
from pathlib import Path

import casadi as ca
import numpy as np

import ocp
from ocp.engine.nlp import transcribe

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"
ROWS = (("activation ODE, as shipped (HS 50)", "arm_reach_muscles.toml", {}),
        ("activation ODE, GRU mesh (HS 60, linear u)", "arm_reach_muscles_gru.toml",
         {"model.activation_dynamics": True}),
        ("GRU step (16 hidden x 6 muscles)", "arm_reach_muscles_gru.toml", {}))


def _per_call(f, args, repeats=3):
    f(*args)
    started = time.process_time()
    for _ in range(repeats):
        f(*args)
    return (time.process_time() - started) / repeats


def derivative_cost(problem):
    """(variables, constraints, Jacobian nnz, Hessian nnz, s per Jacobian, s per Hessian)."""
    tp = transcribe(problem)
    w, g, f = tp.nlp["x"], tp.nlp["g"], tp.nlp["f"]
    lam = type(w).sym("lam", g.numel())
    jac = ca.Function("jac_g", [w], [ca.jacobian(g, w)])
    hess = ca.Function("hess_l", [w, lam], [ca.hessian(f + ca.dot(lam, g), w)[0]])
    rng = np.random.default_rng(0)
    w0 = np.clip(tp.pack(*ocp.engine.guess.interpolated_guess(problem, tp.grid)), tp.lbx, tp.ubx)
    w0 = w0 + 1e-3 * rng.standard_normal(w0.size)
    l0 = rng.standard_normal(g.numel())
    return (w.numel(), g.numel(), jac.sparsity_out(0).nnz(), hess.sparsity_out(0).nnz(),
            _per_call(jac, [w0]), _per_call(hess, [w0, l0]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graph", choices=["mx", "sx", "lifted"], default="mx",
                        help="NLP graph (the problem files use mx)")
    args = parser.parse_args()
    print(f"\n## Six-muscle reach: GRU vs activation ODE ({args.graph.upper()} graph)\n")
    print("| activation | status | build s | IPOPT s (wall) | CPU s (build + IPOPT) | "
          "iterations | ms / iteration | objective | IPOPT time / ODE same mesh |")
    print("|---|---|---|---|---|---|---|---|---|")
    solutions, problems = [], []
    for label, file, overrides in ROWS:
        problem = ocp.load_problem(PROBLEMS / file, {**overrides, "solver.graph": args.graph})
        cpu = time.process_time()
        s = ocp.solve(problem, check_dynamics=False)
        cpu = time.process_time() - cpu
        solutions.append(s)
        problems.append(problem)
        ratio = s.solve_time_s / solutions[1].solve_time_s if len(solutions) > 1 else float("nan")
        print(f"| {label} | {s.status} | {s.setup_time_s:.2f} | {s.solve_time_s:.2f} | "
              f"{cpu:.2f} | {s.iterations} | {1000 * s.solve_time_s / max(s.iterations, 1):.0f} "
              f"| {s.objective:.6g} | {ratio:.2f} |")

    print("\n### Where the time goes (one evaluation, CPU s)\n")
    print("| activation | variables | constraints | Jacobian nnz | Hessian nnz | "
          "s / Jacobian | s / Hessian |")
    print("|---|---|---|---|---|---|---|")
    for (label, _, _), problem in zip(ROWS[1:], problems[1:]):
        n, m, jnz, hnz, tj, th = derivative_cost(problem)
        print(f"| {label} | {n} | {m} | {jnz} | {hnz} | {tj:.4f} | {th:.4f} |")

    ode, gru = solutions[1], solutions[2]
    muscles = [n[:-len("_activation")] for n in ode.state_names if n.endswith("_activation")]
    rms = [np.sqrt(np.mean((gru.state(f"{m}_activation") - ode.state(f"{m}_activation")) ** 2))
           for m in muscles]
    angles = {c: np.degrees(np.max(np.abs(gru.state(c) - ode.state(c))))
              for c in ("shoulder", "elbow")}
    print(f"\nGRU vs ODE on the same mesh: activation cost {gru.cost_terms['activation']:.3g} "
          f"vs {ode.cost_terms['activation']:.3g}; RMS activation difference per muscle "
          f"{', '.join(f'{m} {r:.4f}' for m, r in zip(muscles, rms))} (GRU validation RMS "
          f"error 0.015); largest joint-angle difference "
          f"{', '.join(f'{c} {v:.2f} deg' for c, v in angles.items())}.")


if __name__ == "__main__":
    main()
