"""Benchmark of the core engine: mesh scaling, OpenSim Moco, a hand-written script.

    python benchmarks/bench_engine.py            # everything (about 2 minutes)
    python benchmarks/bench_engine.py --quick    # fewer meshes and repeats
    python benchmarks/bench_engine.py --skip-moco

Prints three tables:

1. Mesh scaling: each shipped problem at several mesh sizes N, with build
   time, IPOPT time, iterations and time per iteration, and the exponent p of
   a fit ``time per iteration ~ N^p`` (p = 1 is linear).
2. The torque-driven pendulum swing-up in OpenSim Moco 4.6 (MocoCasADiSolver,
   Hermite-Simpson, same mass, length, gravity, bounds, horizon, mesh, cost
   and initial guess) and in this engine: both objectives and the time ratio.
   Moco runs in its own process (benchmarks/moco_pendulum.py) because the
   opensim wheel bundles its own CasADi library, which cannot be loaded next
   to the casadi package.
3. The framework's overhead: the same pendulum as a short hand-written
   CasADi script (benchmarks/handwritten_pendulum.py) against this engine
   from problem file to solution (parse, validate, transcribe, solve,
   re-simulate), alternating runs, median of the pairwise ratios.

Machines here are shared and noisy: quote the ratios measured in one run.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import ocp

HERE = Path(__file__).resolve().parent
PROBLEMS = HERE.parent / "problems"
sys.path.insert(0, str(HERE))
from handwritten_pendulum import solve_handwritten  # noqa: E402

#: The pendulum of problems/pendulum_swingup.toml, in the peers' terms.
PENDULUM = {
    "mass_kg": 1.0, "length_m": 1.0, "gravity_m_s2": 9.80665, "final_time_s": 2.0,
    "tau_max_Nm": 8.0, "q_bounds": [-10.0, 10.0], "qdot_bounds": [-50.0, 50.0],
    "mesh_intervals": 50, "tolerance": 1e-8,
}


def our_pendulum(params: dict):
    """Problem file to solution, with the benchmark's parameters as overrides."""
    started = time.perf_counter()
    problem = ocp.load_problem(PROBLEMS / "pendulum_swingup.toml", {
        "model.parameters.mass_kg": params["mass_kg"],
        "model.parameters.length_m": params["length_m"],
        "model.parameters.gravity_m_s2": params["gravity_m_s2"],
        "time.final": params["final_time_s"],
        "bounds.tau_pendulum": [-params["tau_max_Nm"], params["tau_max_Nm"]],
        "bounds.pendulum": params["q_bounds"],
        "bounds.pendulum_speed": params["qdot_bounds"],
        "transcription.method": "hermite-simpson",
        "transcription.intervals": params["mesh_intervals"],
        "solver.tolerance": params["tolerance"],
    })
    solution = ocp.solve(problem)
    return solution, time.perf_counter() - started


def fit_exponent(n, values) -> float:
    return float(np.polyfit(np.log(n), np.log(values), 1)[0])


def mesh_scaling(quick: bool):
    cases = {
        "pendulum_swingup": [25, 50, 100, 200] if quick else [25, 50, 100, 200, 400, 800],
        "arm_reach_torque": [25, 50, 100, 200] if quick else [25, 50, 100, 200, 400, 800],
        "acrobot_swingup": [150, 300] if quick else [150, 200, 300, 400],
        "gait2d_torque": [50] if quick else [50, 100],
    }
    print("\n## 1. Mesh scaling (Hermite-Simpson, exact Hessian, MUMPS)\n")
    print(f"{'problem':<18} {'N':>5} {'status':<8} {'build s':>8} {'IPOPT s':>8} "
          f"{'iter':>5} {'ms/iter':>8} {'objective':>12} {'dyn. error':>10}")
    for name, meshes in cases.items():
        per_iter, totals = [], []
        for n in meshes:
            problem = ocp.load_problem(PROBLEMS / f"{name}.toml", {"transcription.intervals": n})
            s = ocp.solve(problem)
            ms = 1e3 * s.solve_time_s / max(s.iterations, 1)
            per_iter.append(ms)
            totals.append(s.solve_time_s)
            print(f"{name:<18} {n:>5} {s.status[:8]:<8} {s.setup_time_s:>8.3f} "
                  f"{s.solve_time_s:>8.3f} {s.iterations:>5} {ms:>8.2f} {s.objective:>12.6g} "
                  f"{s.max_dynamics_error:>10.2e}")
        print(f"{'':<18} time per iteration ~ N^{fit_exponent(meshes, per_iter):.2f}, "
              f"IPOPT time ~ N^{fit_exponent(meshes, totals):.2f}")


def linear_solvers():
    print("\n## 1b. Linear solvers inside IPOPT (acrobot, N = 150)\n")
    for ls in ("mumps", "spral"):
        s = ocp.solve(ocp.load_problem(PROBLEMS / "acrobot_swingup.toml",
                                       {"solver.linear_solver": ls}))
        print(f"{ls:<6} {s.status:<10} objective {s.objective:.6g}  iterations {s.iterations:>4}  "
              f"IPOPT {s.solve_time_s:.3f} s  "
              f"({1e3 * s.solve_time_s / max(s.iterations, 1):.2f} ms/iter)")


def moco_comparison(params: dict, repeats: int):
    print("\n## 2. OpenSim Moco vs this engine: pendulum swing-up\n")
    if importlib.util.find_spec("opensim") is None:
        print("opensim is not installed (pip install opensim): skipped")
        return
    script = HERE / "moco_pendulum.py"
    moco_runs = []
    for _ in range(repeats):
        done = subprocess.run([sys.executable, str(script), json.dumps(params)],
                              capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            print("Moco failed:\n" + done.stderr[-2000:])
            return
        moco_runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    ours = [our_pendulum(params) for _ in range(repeats)]
    moco_time = statistics.median(r["solve_time_s"] for r in moco_runs)
    our_time = statistics.median(t for _, t in ours)
    moco_obj, our_obj = moco_runs[0]["objective"], ours[0][0].objective
    timing = f"time s (median of {repeats})"
    print(f"{'':<14} {'objective':>14} {'status':<22} {timing:>24}")
    print(f"{'OpenSim Moco':<14} {moco_obj:>14.8f} {moco_runs[0]['status']:<22} {moco_time:>24.3f}")
    print(f"{'this engine':<14} {our_obj:>14.8f} {ours[0][0].status:<22} {our_time:>24.3f}")
    print(f"relative objective difference: {abs(our_obj - moco_obj) / abs(moco_obj):.2e} "
          f"(target 1e-4)")
    print(f"Moco time / our time: {moco_time / our_time:.1f}x (target >= 10x); Moco's figure "
          f"is study.solve() alone, ours is problem file to solution")
    print(f"Moco iterations {moco_runs[0]['iterations']}, ours {ours[0][0].iterations}; "
          f"Moco's set-up (model, study) {moco_runs[0].get('setup_time_s', float('nan')):.3f} s "
          f"not counted")


def overhead(params: dict, repeats: int):
    print("\n## 3. Framework overhead: hand-written CasADi script vs problem file to solution\n")
    solve_handwritten(params)  # warm-up: CasADi loads IPOPT's plugin once per process
    our_pendulum(params)
    hand_t, ours_t, bare_t, ratios = [], [], [], []
    for _ in range(repeats):  # alternate, so that drift of the machine hits all alike
        hand = solve_handwritten(params)
        solution, ours = our_pendulum(params)
        started = time.perf_counter()
        ocp.solve(ocp.load_problem(PROBLEMS / "pendulum_swingup.toml"), check_dynamics=False)
        bare_t.append(time.perf_counter() - started)
        hand_t.append(hand["solve_time_s"])
        ours_t.append(ours)
        ratios.append(ours / hand["solve_time_s"])
    print(f"hand-written: objective {hand['objective']:.10f}, {hand['iterations']} iterations, "
          f"median {statistics.median(hand_t):.4f} s")
    print(f"this engine:  objective {solution.objective:.10f}, {solution.iterations} iterations, "
          f"median {statistics.median(ours_t):.4f} s "
          f"({statistics.median(bare_t):.4f} s without the re-simulation check)")
    print(f"ratio ours / hand-written: median {statistics.median(ratios):.2f} over {repeats} "
          f"pairs (min {min(ratios):.2f}, max {max(ratios):.2f}; target <= 1.3)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--skip-moco", action="store_true")
    args = parser.parse_args()
    repeats = 5 if args.quick else 15
    print(f"# ocp engine benchmark ({time.strftime('%Y-%m-%d %H:%M')}, casadi "
          f"{__import__('casadi').__version__})")
    mesh_scaling(args.quick)
    if not args.quick:
        linear_solvers()
    if not args.skip_moco:
        moco_comparison(PENDULUM, 1 if args.quick else 3)
    overhead(PENDULUM, repeats)


if __name__ == "__main__":
    main()
