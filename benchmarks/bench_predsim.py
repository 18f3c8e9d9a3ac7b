"""PredSim's standard problem (problems/predsim_falisse2022.toml) beside PredSim's reference result.

PredSim (KU Leuven, AGPL-3.0; fetch KULeuvenNeuromechanics/PredSim) ships its own run
of this problem in Tests/ReferenceResults/Falisse_et_al_2022/: the log (objective
1.1301045, 895 IPOPT iterations, 5630 s in IPOPT, 5656 s in all, MUMPS, 74504
variables, 69504 equality and 28350 inequality constraints) and a .mot of the joint
angles over two gait cycles (200 rows, 1.097 s a cycle). This script:

1. builds the problem from a cold start (model read, muscle paths fitted or read from
   the cache, NLP transcribed, derivative blocks compiled or read from the cache) and
   prints where that time goes and the NLP's size beside PredSim's;
2. with ``--solve``, solves it and prints iterations, times (IPOPT, function and
   derivative evaluations as CasADi counts them), the objective beside PredSim's, the
   joint angles' RMS difference from the reference .mot over the gait cycle (``--mot``),
   and the vertical ground reaction force's peaks (the two humps of walking).

3. with ``--score-reference PATH/Falisse_et_al_2022_paper.mat``, scores PredSim's own
   solution by our problem file, term by term beside PredSim's values of the terms
   (``benchmarks/predsim_reference.py``): at PredSim's collocation points with its
   quadrature, and on our mesh through our transcribed NLP.

    PYTHONPATH=. python benchmarks/bench_predsim.py [--solve] [--no-compile]
        [--mot PATH/Falisse_et_al_2022_paper.mot] [--intervals 50] [--max-iterations N]
        [--score-reference PATH/Falisse_et_al_2022_paper.mat]

PredSim's 1.1301045 is IPOPT's scaled objective (its log's "(scaled)" column); in
PredSim's units the objective is 339.98777, which is what the figures here compare.

The model is read from ../shared/data/models3d/Falisse_et_al_2022.osim (skipped when
absent). Targets (issue 23): objective within 2 % of PredSim's, angles within 3 deg
RMS of the .mot, two GRF humps, under 4 minutes from a cold start.

Measured (6 Dec 2026, 2 cores shared by 8 sessions, load average ~20, so each process
had ~15 % of a core): build only, ``--no-compile``: model and problem 1027 s (the
polynomial fits of the 92 paths over the problem's bounds, first time; cached after),
NLP transcribed 163 s; 24328 variables (PredSim 74504: trapezoidal here, Radau with 3
points there), 19227 equalities (PredSim 69504), no inequality constraints (PredSim
28350: its distance constraints and bounds on activation dynamics). Not solved yet:
no objective, angle or GRF figure, and the 4-minute target is not met.

Measured (6 Dec 2026, load average above 30), ``--score-reference ... --no-compile``
(1458 s): ours/PredSim per term, with PredSim's quadrature (and on our trapezoidal
mesh): metabolic 166.3471 (168.2199) / 165.1478, activations 58.5158 (58.6394) /
58.5159, arm excitations 29.3403 (29.3412) / 29.3403, accelerations 85.4686 (89.4175) /
85.4686, limit torques 1.5152 (1.5153) / 1.5152; objective 341.1870 (347.1333) /
339.9878, ratio 1.0035 (1.0210). Its solution leaves our bounds by at most 7.6e-9.
Building with compiled blocks (their first compile, old acceleration term, no distance
constraints): NLP transcribed in 1705 s, 28:40 in all at 19 % of a core.
``--solve --verbose --set 'solver.hessian="limited-memory"' --set
'guess.reference="PATH/IK_Guess_Full_GC.mot"' --max-iterations 170`` (PredSim's own
guess file): not converged at 170 iterations, objective 1403.7 (4.13x), violation
0.032, dual infeasibility 624; 1114 s in IPOPT, 1584 s from a cold start (blocks
cached) at 7-13 % of a core; IPOPT's CPU 149.8 s: function evaluations 29.0 s, linear
solves 109.7 s. GRF humps 1.30, 1.35 BW; angles RMS 16.3 (hip flexion), 7.1, 8.3,
14.6 (knee), 10.4 (ankle) degrees. From the quasi-random guess (the problem's own)
dual infeasibility passes 1e9 within 20 iterations, exact Hessian or L-BFGS.

Measured (6 Dec 2026, load average 8-16), ``--solve --verbose --set
'solver.scale_variables=true' --predsim-guess PATH/IK_Guess_Full_GC.mot``
(scale_variables is now in the problem file): PredSim's guess and the variables
scaled by their bounds: objective 615.5 at 64 iterations, 381.7 at 184, 349.4 at 384,
348.31 at 554, 348.082 at 1420, stopped there, not converged (scaled dual
infeasibility 1e-3 to 0.5, tolerance 1e-4; violation 1e-6 to 1e-8); 1159 s of CPU, 38
min 36 s wall. 348.08 is 1.0238x PredSim's 339.99, 1.0027x PredSim's own solution on
our mesh (347.13). Unscaled from the same guess: 825.3 at 362 iterations; from the IK
file as guess.reference: 1484.6 at 151. Exact Hessian (unscaled): 11 iterations in
2.5 min, dual infeasibility 1.7e7.
The problem file as it is (scale_variables = true), ``--solve --predsim-guess
PATH/IK_Guess_Full_GC.mot --mot PATH/Falisse_et_al_2022_paper.mot --max-iterations
550`` (blocks cached, load average ~8, 76 % of a core): objective 348.31 (1.0245x);
GRF humps 1.43, 1.03 BW; angles RMS hip flexion 4.3, adduction 1.7, rotation 2.9, knee
6.9, ankle 3.6 deg; 628 s from the command (setup 27.6 s, model 4.2 s); IPOPT 419.6 s
CPU (563 s wall): function values 35.7, derivatives 48.4, KKT solves 305.0 (MUMPS
back-solves 155.6), the rest 30.5.

Measured (6 Dec 2026, load average ~5, 40-55 % of a core), the exact Hessian: the
trapezoidal mesh from PredSim's guess, success in 149 iterations, 348.05 (1.0237x),
IPOPT 166.9 s CPU (318 s wall), 401 s from the command; then ``--warm`` that solution
with ``transcription.method = "radau"`` (now the file's): success in 49 iterations,
**342.63 (1.0078x)**, IPOPT 153.6 s CPU (358 s wall: KKT solves 96.6 CPU, derivatives
41.3, function values 5.7), set-up 73 s, 511 s from the command; re-simulation 0.006;
GRF humps 1.41, 1.01 BW; angles RMS from the right foot's initial contact (as PredSim's
.mot) hip flexion 3.9, adduction 1.7, rotation 3.0, knee 6.5, ankle 3.7 deg (from the
first point 4.4, 1.7, 3.2, 7.0, 3.7). ``--first-trapezoidal`` runs both stages in one
command. Radau's NLP: 72027 variables, 609497 + 10112 Jacobian and 710046 Hessian
nonzeros. The same in one command under a heavier load (``--first-trapezoidal``, the
slow test): 198 iterations, 342.6266, IPOPT 332.6 s CPU (916 s wall), 445 s of CPU and
1203 s of wall time from the command. Held to PredSim's half cycle (``time.final``
0.5513 to 0.5515 s, trapezoidal): 127 iterations, 358.60, knee 6.1 deg: our model's
optimum walks at a higher cadence (0.490 s), not a worse local optimum. With PredSim's
mtp spring (``--set model.passive_moments={preset="predsim", mtp_angle_r={k=[-0.9,
14.87, 0.18, -70.08], theta=[0.0, 1.13446401379631], damping=2, stiffness=25},
mtp_angle_l=...}``): trapezoidal 76 iterations, 326.90; Radau from it 51 iterations,
322.36 (0.9482x), angles from initial contact 1.1, 0.5, 0.5, knee 1.4, ankle 1.0 deg.
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import math
import os
import re
import sys
import time
import tomllib
import warnings
from pathlib import Path

import numpy as np

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
STARTED = time.perf_counter()   # the script's own imports (ocp, casadi) counted from here

ROOT = Path(__file__).resolve().parents[1]
PROBLEM = ROOT / "problems" / "predsim_falisse2022.toml"
MODEL = ROOT.parent / "shared" / "data" / "models3d" / "Falisse_et_al_2022.osim"
#: PredSim's reference run (Tests/ReferenceResults/Falisse_et_al_2022/..._log.txt)
PREDSIM = {"objective": 1.1301045, "unscaled": 339.98777, "iterations": 895,
           "ipopt_s": 5630.323, "total_s": 5656.68,
           "variables": 74504, "equalities": 69504, "inequalities": 28350}
ANGLES = ("hip_flexion", "hip_adduction", "hip_rotation", "knee_angle", "ankle_angle")


def read_mot(path: Path) -> tuple[np.ndarray, dict]:
    """(time, {column: values in degrees or m}) of an OpenSim .mot."""
    lines = path.read_text().splitlines()
    end = next(i for i, line in enumerate(lines) if line.strip() == "endheader")
    names = lines[end + 1].split()
    data = np.array([[float(v) for v in line.split()] for line in lines[end + 2:] if line.strip()])
    return data[:, 0], {n: data[:, k] for k, n in enumerate(names)}


def initial_contact(grf_y: np.ndarray, threshold: float) -> int:
    """Index of the right foot's initial contact among ``grf_y``'s samples (one gait
    cycle, periodic): the first sample at or above ``threshold`` whose predecessor
    (the last sample for the first) is below it; 0 when there is none. PredSim's
    post-processing starts its .mot's gait cycle there (getStancePhaseSimulation.m:
    threshold body mass / 3 in N, its 100 mesh points of the cycle)."""
    stance = grf_y >= threshold
    rising = stance & ~np.roll(stance, 1)
    return int(np.argmax(rising)) if rising.any() else 0


def angle_rms_deg(stride, mot: Path, mass_kg: float | None = None) -> dict:
    """RMS difference (deg) per right-leg angle between our stride and the .mot's first
    gait cycle over % of the cycle. PredSim's .mot starts its cycle at the right foot's
    initial contact (its reference .mot: three mesh points into its solution), so with
    ``mass_kg`` ours is started there too (:func:`initial_contact` on our vertical GRF
    at the cycle's 100 uniform points, as PredSim's 100 mesh points); without it both
    are compared from their first point."""
    t_ref, ref = read_mot(mot)
    rows = len(t_ref) // 2      # the .mot holds two cycles
    pct_ref = 100 * np.arange(rows) / rows
    cycle = stride.time[-1] - stride.time[0]
    pct = 100 * (stride.time - stride.time[0]) / cycle
    shift = 0.0
    if mass_kg is not None:
        grf = np.interp(pct_ref, pct, stride.output("grf_y_r"))
        shift = pct_ref[initial_contact(grf, mass_kg / 3)]
    out = {}
    for joint in ANGLES:
        name = f"{joint}_r"
        ours = np.interp((pct_ref + shift) % 100, pct, np.degrees(stride.state(name)))
        out[name] = float(np.sqrt(np.mean((ours - ref[name][:rows]) ** 2)))
    return out


def humps(grf_y: np.ndarray, weight_N: float) -> list:
    """Local maxima of the vertical force above 0.8 body weight (body weights)."""
    y = grf_y / weight_N
    return [float(y[k]) for k in range(1, len(y) - 1)
            if y[k] >= y[k - 1] and y[k] > y[k + 1] and y[k] > 0.8]


class Tee(io.TextIOBase):
    """IPOPT's printout (CasADi writes it to Python's sys.stdout) kept, and shown if
    ``echo``."""

    def __init__(self, echo: bool):
        self.echo, self.parts = echo, []

    def write(self, text):
        self.parts.append(text)
        if self.echo:
            sys.__stdout__.write(text)
            sys.__stdout__.flush()
        return len(text)


TIMING = re.compile(r"^\s*([A-Za-z][^.:]*?)\.{2,}:\s+([\d.]+) \(sys:\s+[\d.]+ wall:\s+([\d.]+)\)")
#: its function evaluation lines that are derivatives
DERIVATIVES = ("Objective function gradient", "Equality constraint Jacobian",
               "Inequality constraint Jacobian", "Lagrangian Hessian")


def time_split(printout: str) -> dict:
    """{IPOPT timing line: (CPU s, wall s)} from its print_timing_statistics, added up
    over the IPOPT runs of the printout (both stages of ``--first-trapezoidal``)."""
    out = {}
    for line in printout.splitlines():
        found = TIMING.match(line)
        if found:
            cpu, wall = out.get(found.group(1).strip(), (0.0, 0.0))
            out[found.group(1).strip()] = (cpu + float(found.group(2)),
                                           wall + float(found.group(3)))
    return out


def print_time_split(split: dict) -> None:
    """Where IPOPT's time went: function values, derivatives, the KKT solves (MUMPS's
    factorisations and back-solves and, with L-BFGS, its low-rank terms), the rest."""
    if "OverallAlgorithm" not in split:
        print("(no IPOPT timing statistics in its printout)")
        return
    total = split["OverallAlgorithm"]
    evals = split.get("Function Evaluations", (0.0, 0.0))
    deriv = tuple(sum(split.get(k, (0.0, 0.0))[i] for k in DERIVATIVES) for i in (0, 1))
    kkt = split.get("PDSystemSolverTotal", (0.0, 0.0))
    rest = tuple(total[i] - evals[i] - kkt[i] for i in (0, 1))
    back = split.get("LinearSystemBackSolve", (0.0, 0.0))[0]
    print(f"IPOPT time, CPU (wall) s: all {total[0]:.1f} ({total[1]:.1f}); function "
          f"values {evals[0] - deriv[0]:.1f} ({evals[1] - deriv[1]:.1f}), derivatives "
          f"{deriv[0]:.1f} ({deriv[1]:.1f}), KKT solves {kkt[0]:.1f} ({kkt[1]:.1f}; MUMPS "
          f"back-solves {back:.1f} CPU), the rest {rest[0]:.1f} ({rest[1]:.1f})")


def score_reference(mat: Path, overrides: dict) -> None:
    """Print our cost terms of PredSim's solution beside PredSim's own values of them
    (``overrides``: keys of the problem file set as --set does)."""
    from predsim_reference import (
        TERMS,
        geometry_against_predsim,
        read_reference,
        score_our_mesh,
        score_predsim_quadrature,
    )

    import ocp  # noqa: F401
    from ocp.engine.nlp import transcribe
    from ocp.io.problem_file import load_problem

    ref = read_reference(mat)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # "our mesh": the trapezoidal one, whose points are PredSim's mesh points, and its
        # decision vector in SI units: the NLP unscaled (scaling the variables changes the
        # NLP's coordinates, not its optimum or its cost terms)
        problem = load_problem(PROBLEM, {**overrides, "solver.scale_variables": False,
                                         "transcription.method": "trapezoidal"})
    print(f"PredSim's solution: half cycle {ref.tf:.4f} s, {ref.mesh['pelvis_tx'][-1]:.4f} m; "
          f"objective {ref.objective:.5f} in PredSim's units (the log's 1.1301045 is "
          f"IPOPT's scaled objective, {PREDSIM['objective'] / ref.objective:.6f} times it)")
    radau = score_predsim_quadrature(problem, ref)
    nlp = transcribe(problem)
    built = time.perf_counter() - start
    mesh, violated = score_our_mesh(problem, nlp, ref)
    print(f"{'term':22s} {'PredSim':>10s} {'ours, Radau':>12s} {'ratio':>7s} "
          f"{'ours, our mesh':>15s} {'ratio':>7s}")
    for label, name in TERMS.items():
        p = ref.terms[label]
        print(f"{label:22s} {p:10.4f} {radau[name]:12.4f} {radau[name] / p:7.4f} "
              f"{mesh[name]:15.4f} {mesh[name] / p:7.4f}")
    rest = ref.objective - sum(ref.terms[k] for k in TERMS)
    total_r, total_m = sum(radau.values()), sum(mesh.values())
    print(f"{'(PredSim only: slacks)':22s} {rest:10.2e}")
    print(f"{'objective':22s} {ref.objective:10.4f} {total_r:12.4f} "
          f"{total_r / ref.objective:7.4f} {total_m:15.4f} {total_m / ref.objective:7.4f}")
    print(f"(problem loaded and transcribed in {built:.0f} s)")
    geometry = geometry_against_predsim(problem.model, mat)
    length, arm = geometry["length_mm"], geometry["arm_mm"]
    worst_l, worst_a = max(length, key=length.get), max(arm, key=arm.get)
    print(f"our muscle paths against PredSim's polynomials along its gait cycle: lengths "
          f"{np.mean(list(length.values())):.2f} mm RMS on average over {len(length)} muscles "
          f"(largest {length[worst_l]:.2f} mm, {worst_l}); moment arms "
          f"{np.mean(list(arm.values())):.2f} mm on average over {len(arm)} muscle-coordinate "
          f"pairs (largest {arm[worst_a]:.2f} mm, {worst_a[0]} about {worst_a[1]})")
    if violated:
        worst = sorted(violated.items(), key=lambda kv: -kv[1])[:5]
        print(f"bounds of our problem that PredSim's solution leaves ({len(violated)} "
              "variables), worst: " + ", ".join(f"{k} by {v:.3g}" for k, v in worst))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--solve", action="store_true", help="solve it (tens of minutes)")
    parser.add_argument("--no-compile", action="store_true",
                        help="derivative blocks in CasADi's virtual machine")
    parser.add_argument("--intervals", type=int, default=None)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a key of the problem file (a TOML value), as ocp solve")
    parser.add_argument("--max-iterations", type=int, default=None,
                        help="stop IPOPT there (to time iterations on a busy machine)")
    parser.add_argument("--mot", type=Path, default=None, help="PredSim's reference .mot")
    parser.add_argument("--verbose", action="store_true", help="IPOPT's iterations")
    parser.add_argument("--score-reference", type=Path, default=None, metavar="MAT",
                        help="PredSim's Falisse_et_al_2022_paper.mat: score its solution by "
                             "our problem file, term by term")
    parser.add_argument("--out", type=Path, default=None,
                        help="save the solution there (ocp.Solution.save)")
    parser.add_argument("--predsim-guess", type=Path, default=None, metavar="MOT",
                        help="PredSim's IK_Guess_Full_GC.mot: start from PredSim's "
                             "data-informed guess built from it (predsim_reference.py)")
    parser.add_argument("--warm", type=Path, default=None, metavar="DIR",
                        help="start from a saved solution (--out of an earlier run, e.g. "
                             "the trapezoidal mesh's: continuation to Radau), or from "
                             "PredSim's own (its Falisse_et_al_2022_paper.mat), interpolated "
                             "onto this mesh by name and time fraction")
    parser.add_argument("--first-trapezoidal", action="store_true",
                        help="continuation: solve on the trapezoidal mesh first (from the "
                             "guess), then the file's transcription from that solution; "
                             "iterations and times of both stages added up")
    args = parser.parse_args()
    if not MODEL.exists():
        print(f"skipped: {MODEL} is absent")
        return
    import ocp  # noqa: F401
    from ocp.engine.nlp import transcribe
    from ocp.io.problem_file import load_problem

    imported = time.perf_counter() - STARTED
    overrides = {}
    if args.no_compile:
        overrides["solver.compile"] = False
    if args.intervals:
        overrides["transcription.intervals"] = args.intervals
    if args.max_iterations is not None:
        overrides["solver.max_iterations"] = args.max_iterations
    for item in args.set:
        key, _, value = item.partition("=")
        try:
            overrides[key] = tomllib.loads(f"v = {value}")["v"]
        except tomllib.TOMLDecodeError:   # a bare word: the string itself
            overrides[key] = value
    if args.score_reference is not None:
        score_reference(args.score_reference, overrides)
        return
    if args.predsim_guess is not None:   # the user's path: the file's [guess] builds it
        overrides["guess.reference"] = str(args.predsim_guess.resolve())
    if args.solve:   # IPOPT's split: function evaluations, linear solver, the rest
        overrides["solver.ipopt.print_timing_statistics"] = "yes"
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        problem = load_problem(PROBLEM, overrides)
    if args.predsim_guess is not None:
        print(f"PredSim's guess from {args.predsim_guess.name} (the file's [guess]: its first "
              f"half cycle, the pelvis shifted so that the spheres carry body weight): half "
              f"cycle {problem.final_time_guess:.4f} s")
    if args.warm is not None and args.warm.suffix == ".mat":
        from predsim_reference import predsim_solution
        problem.guess = predsim_solution(problem, args.warm)
        print(f"warm start from PredSim's own solution ({args.warm.name})")
    elif args.warm is not None:
        from ocp.solution import Solution
        problem.guess = Solution.load(args.warm)
        print(f"warm start from {args.warm} ({problem.guess.status}, objective "
              f"{problem.guess.objective:.7g}, {problem.guess.iterations} iterations)")
    loaded = time.perf_counter() - start
    model = problem.model
    print(f"model and problem: {loaded:.1f} s ({model.tree.n} coordinates, "
          f"{len(model.muscles)} muscles, {len(model.actuators)} arm actuators, "
          f"{len(model.contacts)} spheres, {len(model.state_names)} states, "
          f"{len(model.control_names)} controls)")
    if not args.solve:
        start = time.perf_counter()
        nlp = transcribe(problem)
        built = time.perf_counter() - start
        n_w = nlp.lbx.size
        equalities = int(np.sum(nlp.lbg == nlp.ubg))
        print(f"NLP transcribed (blocks {'compiled' if not args.no_compile else 'in the VM'}): "
              f"{built:.1f} s; {n_w} variables (PredSim {PREDSIM['variables']}), "
              f"{equalities} equalities (PredSim {PREDSIM['equalities']}), "
              f"{nlp.lbg.size - equalities} inequalities (PredSim {PREDSIM['inequalities']})")
        return
    from ocp.analysis.stride import full_stride
    from ocp.solve import solve

    start = time.perf_counter()
    tee = Tee(args.verbose)
    first = None
    if args.first_trapezoidal:   # the same problem and guess on the trapezoidal mesh
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            coarse = load_problem(PROBLEM, {**overrides, "transcription.method": "trapezoidal"})
        coarse.guess = problem.guess
        with contextlib.redirect_stdout(tee):   # its re-simulation would be thrown away
            first = solve(coarse, verbose=True, check_dynamics=False)
        print(f"first stage, trapezoidal: {first.status}, {first.iterations} iterations, "
              f"objective {first.objective:.7g}, {first.solve_time_s:.0f} s in IPOPT, "
              f"set-up {first.setup_time_s:.1f} s, {time.perf_counter() - start:.0f} s")
        problem.guess = first
        # the second stage starts next to its optimum: a monotone barrier from 1e-4 keeps
        # it there (from a trapezoidal optimum of PredSim's formulation at 332.06, 30
        # iterations to success against 77 with the adaptive rule, which first climbs
        # from 333 to 675; one run each, 6 Dec 2026; from the file's 334.32, 51)
        problem.solver = dataclasses.replace(problem.solver, ipopt={
            **problem.solver.ipopt, "mu_strategy": "monotone", "mu_init": 1e-4})
    with contextlib.redirect_stdout(tee):
        solution = solve(problem, verbose=True)
    wall = time.perf_counter() - start + loaded
    if first is not None:   # both stages, as the figures below
        print(f"second stage, {problem.transcription.describe()}: {solution.iterations} "
              f"iterations, {solution.solve_time_s:.0f} s in IPOPT, set-up "
              f"{solution.setup_time_s:.1f} s")
        solution.iterations += first.iterations
        solution.solve_time_s += first.solve_time_s
        solution.setup_time_s += first.setup_time_s
    if args.out is not None:
        solution.save(args.out)
    print(f"{solution.status}: {solution.iterations} iterations (PredSim "
          f"{PREDSIM['iterations']}), {solution.solve_time_s:.0f} s in IPOPT (PredSim "
          f"{PREDSIM['ipopt_s']:.0f} s), {wall:.0f} s from a cold start (PredSim "
          f"{PREDSIM['total_s']:.0f} s): " + (
              f"ratio {PREDSIM['total_s'] / wall:.1f}x" if solution.success else
              "not converged, so no ratio (PredSim's time is to its converged solution); "
              f"{solution.solve_time_s / max(solution.iterations, 1):.2f} s in IPOPT "
              "per iteration"))
    print(f"objective {solution.objective:.7g} (PredSim {PREDSIM['unscaled']} in its "
          f"units, the log's {PREDSIM['objective']} scaled by IPOPT; ratio "
          f"{solution.objective / PREDSIM['unscaled']:.4f})")
    print(f"set-up before IPOPT's first iteration (transcription, blocks loaded or "
          f"compiled): {solution.setup_time_s:.1f} s; model and problem read: {loaded:.1f} s")
    print_time_split(time_split("".join(tee.parts)))
    after = wall - loaded - solution.setup_time_s - solution.solve_time_s
    print(f"outside IPOPT: imports {imported:.1f} s, model and problem {loaded:.1f} s, set-up "
          f"{solution.setup_time_s:.1f} s, after IPOPT (re-simulation of the solution, its "
          f"outputs) {after:.1f} s")
    if solution.accuracy:
        print(f"re-simulation: {solution.accuracy}")
    stride = full_stride(solution, problem)
    mass = sum(b.mass_kg for b in model.tree.tree.bodies)
    peaks = humps(stride.output("grf_y_r"), mass * 9.80665)
    print(f"vertical GRF peaks (right foot, body weights): "
          f"{', '.join(f'{p:.2f}' for p in peaks)} ({len(peaks)} humps)")
    if args.mot is not None:
        for label, aligned in (("from our first point", None),
                               ("from the right foot's initial contact, as PredSim's", mass)):
            rms = angle_rms_deg(stride, args.mot, aligned)
            print(f"angle RMS vs PredSim's .mot (deg), {label}: " + ", ".join(
                f"{k} {v:.1f}" for k, v in rms.items()) + f"; worst {max(rms.values()):.1f}")
    if not math.isfinite(solution.objective):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
