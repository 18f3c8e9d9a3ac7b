"""The cost of one IPOPT iteration on PredSim's problem: its KKT solves, variant by variant.

Builds problems/predsim_falisse2022.toml once (blocks cached), starts from PredSim's
guess (``--predsim-guess PATH/IK_Guess_Full_GC.mot``, benchmarks/predsim_reference.py)
and runs IPOPT for ``--iterations`` iterations once per variant, each a set of IPOPT
options (``--variant 'mumps_pivot_order=5,mumps_scaling=77'``; ``base`` is the file's
own). For each it prints the iterations and objective reached (variants are compared
only when both match), IPOPT's time split (KKT solves, of which factorisations and
back-solves; derivatives; function values), the number of factorisations (IPOPT's
output file at level 7: one "Number of doubles for MUMPS" line each) and MUMPS's
factor size (doubles) at the first and the last factorisation. With ``--sparsity`` it
prints the densest rows and columns of the constraint Jacobian and of the Hessian of
the Lagrangian, which can spoil a fill-reducing ordering.

    PYTHONPATH=. python benchmarks/bench_kkt3d.py --predsim-guess PATH/IK_Guess_Full_GC.mot
        [--iterations 30] [--set KEY=VALUE ...] [--sparsity]
        [--variant base --variant 'mumps_pivot_order=6' ...]

Timings on a loaded machine are inflated: compare variants only within one run, run
back to back (the order alternates if ``--repeat 2``).

Measured (6 Dec 2026, load average 5 to 7, CPU s; docs/benchmarks.md, "One iteration's
cost"), exact Hessian: METIS (ocp's choice) 6.89 M factor doubles, 2.91 GFlop, about
0.3 s a factorisation; AMD 18.1 M, QAMD 19.3 M, AMF 26.9 M. 20 iterations, KKT 16.5 s
as shipped, no MUMPS option cheaper (pivtol 1e-4 17.6, 1e-8 16.8; permuting scaling and
scaling off 17.7; mem_percent 1000 16.9). 2.50 factorisations an iteration (inertia
correction; perturb_dec_fact 0.6: 2.27, perturb_inc_fact 20: 2.38, both with worse
iterates); neg_curv_test_tol 1e-12 or 1e-2: 1.03 to 1.15, KKT halved, but the solve
stalls (1e-2: 493 at iteration 108 against 375 at 100). SPRAL (serial in CasADi's
build): over 10x MUMPS's CPU. L-BFGS, 40 iterations: KKT 21.8 s (back-solves 10.5);
limited_memory_max_history 3: 17.2 s but objective 1961 against 1025; 12: 29.0 s, 968.
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import re
import tempfile
import time
import tomllib
import warnings
from pathlib import Path

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import numpy as np  # noqa: E402
from bench_predsim import MODEL, PROBLEM, Tee, time_split  # noqa: E402


def parse_value(text: str):
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:   # a bare word: the string itself
        return text


def parse_variant(text: str) -> dict:
    if text == "base":
        return {}
    out = {}
    for item in text.split(","):
        key, _, value = item.partition("=")
        out[key.strip()] = parse_value(value.strip())
    return out


def densest(sparsity, axis: int, names, top: int = 5) -> str:
    """The ``top`` densest rows (axis 0) or columns (1) of a sparsity, with names."""
    index = np.asarray(sparsity.get_triplet()[axis], dtype=int)
    count = np.bincount(index, minlength=sparsity.shape[axis])
    order = np.argsort(-count)[:top]
    label = (lambda k: names[k]) if names is not None else str
    return ", ".join(f"{label(k)} {count[k]}" for k in order) + \
        f" (median {np.median(count):.0f})"


def print_sparsity(tp, problem) -> None:
    """Densest rows and columns of jac_g and of the Hessian of the Lagrangian."""
    jac = tp.solver_functions["jac_g"].sparsity_out(1)
    hess = tp.solver_functions["hess_lag"].sparsity_out(0)
    names = variable_names(tp, problem)
    print(f"jac_g {jac.shape}, {jac.nnz()} nonzeros; densest columns: "
          f"{densest(jac, 1, names)}; densest rows: {densest(jac, 0, None)}")
    full = hess + hess.T
    print(f"Hessian (both triangles) {full.nnz()} nonzeros; densest columns: "
          f"{densest(full, 1, names)}")


def variable_names(tp, problem) -> list:
    """A name for each NLP variable: the state or control and mesh point it holds."""
    import casadi as ca
    n = tp.lbx.size
    names = [f"w{k}" for k in range(n)]
    model = problem.model
    w = ca.MX.sym("w", n)
    X, U, _, tf = tp.unpack(w)
    for rows, labels in ((X, model.state_names), (U, model.control_names)):
        for i, label in enumerate(labels):
            for j in range(rows.shape[1]):
                hit = ca.jacobian_sparsity(rows[i, j], w).get_triplet()[1]
                if hit:
                    names[int(hit[0])] = f"{label}[{j}]"
    for k in ca.jacobian_sparsity(tf, w).get_triplet()[1]:
        names[int(k)] = "final_time"
    return names


FACTOR = re.compile(r"Number of doubles for MUMPS to hold factorization \(INFO\(9\)\) = (\d+)")


def run(tp, problem, arguments, variant: dict, iterations: int) -> dict:
    from ocp.engine.solver import make_solver
    log = Path(tempfile.mkstemp(suffix=".ipopt.log")[1])
    ipopt = {**problem.solver.ipopt, "print_timing_statistics": "yes",
             "output_file": str(log), "file_print_level": 7}
    linear = variant.pop("linear_solver", problem.solver.linear_solver)
    ipopt.update(variant)
    options = dataclasses.replace(problem.solver, ipopt=ipopt, max_iterations=iterations,
                                  linear_solver=linear)
    solver = make_solver(tp.nlp, options, verbose=True, functions=tp.solver_functions)
    tee = Tee(False)
    start = time.perf_counter()
    with contextlib.redirect_stdout(tee):
        result = solver(**arguments)
    wall = time.perf_counter() - start
    stats = solver.stats()
    text = log.read_text(errors="replace")
    if os.environ.get("BENCH_KKT3D_KEEP"):   # IPOPT's output file and printout, kept
        Path(os.environ["BENCH_KKT3D_KEEP"]).write_text(text + "".join(tee.parts))
    log.unlink()
    factors = [int(v) for v in FACTOR.findall(text)]
    trials = sum(map(int, re.findall(r"Number of trial factorizations performed: (\d+)", text)))
    split = time_split("".join(tee.parts))
    history = stats.get("iterations", {})
    last = {k: history[k][-1] if history.get(k) else float("nan") for k in ("inf_pr", "inf_du")}
    return {"wall": wall, "iterations": stats["iter_count"], "objective": float(result["f"]),
            "inf_pr": last["inf_pr"], "inf_du": last["inf_du"],
            "status": stats["return_status"], "factorizations": len(factors) or trials,
            "factor_first": factors[0] if factors else None,
            "factor_last": factors[-1] if factors else None, "split": split,
            "inertia_corrections": text.count("Trying different values of delta_x")}


def report(name: str, r: dict) -> None:
    s = r["split"]

    def cpu(key):
        return s.get(key, (0.0, 0.0))[0]
    n = max(r["iterations"], 1)
    deriv = sum(cpu(k) for k in ("Objective function gradient", "Equality constraint Jacobian",
                                 "Inequality constraint Jacobian", "Lagrangian Hessian"))
    factor = f"{r['factor_first']:.3g} / {r['factor_last']:.3g}" if r["factor_first"] else "-"
    # IPOPT's MUMPS interface leaves LinearSystemFactorization at 0: the numerical
    # factorisations are the KKT time less the back-solves
    print(f"{name}: {r['iterations']} iterations, objective {r['objective']:.6g}, "
          f"inf_pr {r['inf_pr']:.2g}, inf_du {r['inf_du']:.2g} ({r['status']}); "
          f"{r['wall']:.1f} s wall, {r['wall'] / n:.3f} s/iteration; CPU s: all "
          f"{cpu('OverallAlgorithm'):.1f}, KKT {cpu('PDSystemSolverTotal'):.1f} (back-solves "
          f"{cpu('LinearSystemBackSolve'):.1f}; symbolic analysis "
          f"{cpu('LinearSystemSymbolicFactorization'):.1f} apart), derivatives {deriv:.1f} "
          f"(Hessian {cpu('Lagrangian Hessian'):.1f}); factorisations {r['factorizations']} "
          f"({r['factorizations'] / n:.2f} per iteration); factor doubles first / last "
          f"{factor}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--predsim-guess", type=Path, required=True, metavar="MOT")
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a key of the problem file (a TOML value)")
    parser.add_argument("--variant", action="append", default=[],
                        help="IPOPT options 'key=value,key=value' (or 'base'); "
                             "linear_solver=spral switches the solver")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run the variants this many times, order reversed each time")
    parser.add_argument("--sparsity", action="store_true",
                        help="densest rows and columns of jac_g and of the Hessian")
    args = parser.parse_args()
    if not MODEL.exists():
        print(f"skipped: {MODEL} is absent")
        return
    import ocp  # noqa: F401
    from ocp.engine.guess import interpolated_guess
    from ocp.engine.nlp import transcribe
    from ocp.engine.solver import mumps_pivot_order
    from ocp.io.problem_file import load_problem

    overrides = {key: parse_value(value) for key, _, value in
                 (item.partition("=") for item in args.set)}
    # PredSim's guess as the user's command builds it (the file's [guess])
    overrides["guess.reference"] = str(args.predsim_guess.resolve())
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        problem = load_problem(PROBLEM, overrides)
    tp = transcribe(problem)
    guess = interpolated_guess(problem, tp.grid)
    arguments = dict(x0=tp.pack(*guess), lbx=tp.lbx, ubx=tp.ubx, lbg=tp.lbg, ubg=tp.ubg)
    if tp.weights.size:
        arguments["p"] = tp.weights
    order = mumps_pivot_order(tp.nlp, tp.solver_functions)
    print(f"built in {time.perf_counter() - start:.1f} s: {tp.lbx.size} variables, "
          f"{tp.lbg.size} constraints; hessian {problem.solver.hessian}, threads "
          f"{problem.solver.threads}; ocp's mumps_pivot_order for it: {order}", flush=True)
    if args.sparsity:
        print_sparsity(tp, problem)
    variants = args.variant or ["base"]
    for k in range(args.repeat):
        for text in (variants if k % 2 == 0 else variants[::-1]):
            report(text, run(tp, problem, arguments, parse_variant(text), args.iterations))


if __name__ == "__main__":
    main()
