"""Benchmark of the learned components (learned_components/, needs torch for some parts).

    python benchmarks/bench_learned.py [--quick] [--repeats N]

1. The reach with the analytic muscle geometry and with the shipped neural
   surrogate (problems/arm_reach_muscles.toml vs arm_reach_muscles_learned.toml):
   objectives, RMS trajectory difference, IPOPT wall and CPU time (best of
   ``--repeats``) and their ratio learned / analytic (target: at most 1.5).
   The same for the walk with the learned contact normal force
   (problems/gait2d_torque.toml vs gait2d_torque_learned_contact.toml), with
   the RMS joint-angle difference and the time to build the NLP.
2. Evaluation cost of the exported CasADi function against the same torch
   network called from CasADi through a ``casadi.Callback`` (l4casadi 2.0 is
   an sdist whose build needs its own torch toolchain; it did not install
   here): value, and value plus Jacobian, per call.
3. The deep ensemble: the reach solved once per shipped member, spread of the
   objective and of the joint angles.
4. PINN identification of I, b, k from 20 samples with 5 % noise (three noise
   draws) against the data-only fit and a classical output-error fit.
5. EMG envelope to activation: GRU against a static map on fast and slow
   excitation patterns.

``--quick`` runs 1 and 2 only (the reach's half of 1). Machines here are shared and noisy: compare
within one run; CPU time is steadier than wall time under load.
"""
import argparse
import math
import time
from pathlib import Path

import casadi as ca
import numpy as np

import ocp
from ocp.engine.guess import interpolated_guess
from ocp.engine.nlp import transcribe
from ocp.engine.solver import make_solver

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"
SURROGATES = PROBLEMS / "surrogates"


def timed_solve(path, with_setup=False):
    """IPOPT's CPU time (s) of one solve; with_setup: also that of building the NLP."""
    started = time.process_time()
    problem = ocp.load_problem(path)
    tp = transcribe(problem)
    solver = make_solver(tp.nlp, problem.solver, False)
    guess = tp.pack(*interpolated_guess(problem, tp.grid))
    setup = time.process_time() - started
    started = time.process_time()
    solver(x0=guess, lbx=tp.lbx, ubx=tp.ubx, lbg=tp.lbg, ubg=tp.ubg)
    cpu = time.process_time() - started
    return (cpu, setup) if with_setup else cpu


def drop_in(repeats: int):
    print("\n## Muscle geometry: analytic vs learned surrogate, arm_reach_muscles\n")
    results = {}
    for label, name in (("analytic", "arm_reach_muscles.toml"),
                        ("learned", "arm_reach_muscles_learned.toml")):
        runs = [ocp.solve(ocp.load_problem(PROBLEMS / name), check_dynamics=False)
                for _ in range(repeats)]
        cpu = min(timed_solve(PROBLEMS / name) for _ in range(repeats))
        best = min(runs, key=lambda s: s.solve_time_s)
        results[label] = (best, cpu)
    a, b = results["analytic"][0], results["learned"][0]
    print(f"{'geometry':<10} {'status':<8} {'iter':>5} {'objective':>14} {'IPOPT wall s':>13} "
          f"{'IPOPT CPU s':>12}")
    for label, (s, cpu) in results.items():
        print(f"{label:<10} {s.status[:8]:<8} {s.iterations:>5} {s.objective:>14.8g} "
              f"{s.solve_time_s:>13.3f} {cpu:>12.3f}")
    rel = (b.objective - a.objective) / a.objective
    rms = {n: math.degrees(float(np.sqrt(np.mean((a.state(n) - b.state(n)) ** 2))))
           for n in ("shoulder", "elbow")}
    print(f"\nobjective learned vs analytic: {100 * rel:+.4f} % (target within 2 %)")
    print("RMS trajectory difference: " + ", ".join(f"{n} {v:.2g} deg" for n, v in rms.items()))
    print(f"solve-time ratio learned / analytic: wall {b.solve_time_s / a.solve_time_s:.2f}, "
          f"CPU {results['learned'][1] / results['analytic'][1]:.2f} (target at most 1.5; "
          f"best of {repeats})")


GAIT_ANGLES = ("pelvis_tilt", "hip_flexion_r", "knee_angle_r", "ankle_angle_r",
               "hip_flexion_l", "knee_angle_l", "ankle_angle_l")


def contact_drop_in(repeats: int):
    print("\n## Contact normal force: analytic vs learned surrogate, gait2d_torque\n")
    results = {}
    for label, name in (("analytic", "gait2d_torque.toml"),
                        ("learned", "gait2d_torque_learned_contact.toml")):
        solution = ocp.solve(ocp.load_problem(PROBLEMS / name), check_dynamics=False)
        times = [timed_solve(PROBLEMS / name, with_setup=True) for _ in range(repeats)]
        results[label] = (solution, min(c for c, _ in times), min(s for _, s in times))
    print(f"{'contact':<10} {'status':<8} {'iter':>5} {'objective':>12} {'IPOPT CPU s':>12} "
          f"{'CPU s/iter':>11} {'NLP build CPU s':>16}")
    for label, (s, cpu, setup) in results.items():
        print(f"{label:<10} {s.status[:8]:<8} {s.iterations:>5} {s.objective:>12.6g} "
              f"{cpu:>12.2f} {cpu / s.iterations:>11.4f} {setup:>16.2f}")
    (a, cpu_a, setup_a), (b, cpu_b, setup_b) = results["analytic"], results["learned"]
    rms = {n: math.degrees(float(np.sqrt(np.mean((a.state(n) - b.state(n)) ** 2))))
           for n in GAIT_ANGLES}
    total = math.sqrt(np.mean([r ** 2 for r in rms.values()]))
    print(f"\nobjective learned vs analytic: {100 * (b.objective / a.objective - 1):+.3f} % "
          f"(target within 2 %)")
    print(f"RMS joint-angle difference: {total:.2f} deg (" +
          ", ".join(f"{n} {v:.1f}" for n, v in rms.items()) + ")")
    print(f"solve-time ratio learned / analytic (IPOPT CPU, best of {repeats}): "
          f"{cpu_b / cpu_a:.2f} (target at most 1.5); per iteration "
          f"{(cpu_b / b.iterations) / (cpu_a / a.iterations):.2f}; building the NLP "
          f"{setup_b / setup_a:.2f}")
    print("range warnings: " + ("; ".join(b.warnings) if b.warnings else "none"))


def callback_cost():
    print("\n## Evaluation cost: exported CasADi function vs torch through casadi.Callback\n")
    try:
        import torch

        from learned_components.checkpoint import load_checkpoint
    except Exception as exc:  # ProblemError without torch
        print(f"skipped: {exc}")
        return
    torch.set_num_threads(1)
    net = load_checkpoint(SURROGATES / "six_muscle_arm_geometry.pt").networks[0]
    exported = ocp.models.surrogate.load_surrogate(
        SURROGATES / "six_muscle_arm_geometry.casadi").function

    class Jacobian(ca.Callback):
        def __init__(self, name, opts=None):
            ca.Callback.__init__(self)
            self.construct(name, opts or {})

        def get_n_in(self):
            return 2

        def get_n_out(self):
            return 1

        def get_sparsity_in(self, i):
            return ca.Sparsity.dense(2, 1) if i == 0 else ca.Sparsity.dense(6, 1)

        def get_sparsity_out(self, i):
            return ca.Sparsity.dense(6, 2)

        def eval(self, arg):
            x = torch.as_tensor(np.array(arg[0]).ravel())
            J = torch.autograd.functional.jacobian(lambda v: net(v[None])[0], x)
            return [ca.DM(J.numpy())]

    class Lengths(ca.Callback):
        def __init__(self, name, opts=None):
            ca.Callback.__init__(self)
            self.construct(name, opts or {})

        def get_n_in(self):
            return 1

        def get_n_out(self):
            return 1

        def get_sparsity_in(self, i):
            return ca.Sparsity.dense(2, 1)

        def get_sparsity_out(self, i):
            return ca.Sparsity.dense(6, 1)

        def eval(self, arg):
            with torch.no_grad():
                y = net(torch.as_tensor(np.array(arg[0]).ravel())[None])[0]
            return [ca.DM(y.numpy())]

        def has_jacobian(self, *args):
            return True

        def get_jacobian(self, name, inames, onames, opts):
            self.jacobian_callback = Jacobian(name, opts)
            return self.jacobian_callback

    callback = Lengths("torch_lengths")
    q = ca.MX.sym("q", 2)
    with_jac_cb = ca.Function("cb", [q], [callback(q), ca.jacobian(callback(q), q)])
    qs = ca.SX.sym("q", 2)
    lengths = exported(qs)[0]
    with_jac_ex = ca.Function("ex", [qs], [lengths, ca.jacobian(lengths, qs)])
    values_ex = ca.Function("ex_value", [qs], [lengths])
    points = np.random.default_rng(0).uniform([-0.5, 0.2], [2.6, 2.6], (500, 2))
    rows = []
    for label, f in (("value", values_ex), ("value", callback),
                     ("value + Jacobian", with_jac_ex), ("value + Jacobian", with_jac_cb)):
        started = time.perf_counter()
        for p in points:
            f(p)
        rows.append((label, time.perf_counter() - started))
    print(f"{'what':<18} {'CasADi SX us/call':>18} {'torch Callback us/call':>23} {'ratio':>7}")
    for (label, ex), (_, cb) in zip(rows[::2], rows[1::2]):
        print(f"{label:<18} {1e6 * ex / len(points):>18.1f} {1e6 * cb / len(points):>23.1f} "
              f"{cb / ex:>7.0f}")
    check = max(float(np.max(np.abs(np.array(with_jac_ex(p)[1]) - np.array(with_jac_cb(p)[1]))))
                for p in points[:20])
    print(f"(Jacobians agree to {check:.1e}; the Callback has no Hessian unless nested again, "
          f"and an SX graph cannot call it at all)")


def ensemble_spread():
    print("\n## Ensemble propagated to the movement: the reach once per member\n")
    from learned_components.propagation import member_files, solve_per_member, spread
    members = member_files(SURROGATES / "six_muscle_arm_geometry_ensemble.casadi")
    analytic = ocp.solve(ocp.load_problem(PROBLEMS / "arm_reach_muscles.toml"))
    solutions = solve_per_member(PROBLEMS / "arm_reach_muscles.toml", members)
    result = spread(solutions)
    for member, s in zip(members, solutions):
        print(f"{member.stem:<40} {s.status[:8]:<8} objective {s.objective:.6g}")
    o = result["objective"]
    print(f"objective over {result['members']} members: mean {o['mean']:.6g}, std "
          f"{o['std']:.3g} ({100 * o['std'] / o['mean']:.2f} %), range {o['min']:.6g} to "
          f"{o['max']:.6g}; analytic {analytic.objective:.6g}")
    for name, entry in result["states"].items():
        if "max_std_deg" in entry:
            print(f"{name:<10} std across members: max {entry['max_std_deg']:.3f} deg, RMS "
                  f"{entry['rms_std_deg']:.3f} deg")


def pinn():
    print("\n## PINN: I, b, k of a joint from 20 samples with 5 % noise\n")
    from learned_components.pinn import (
        PARAMETERS,
        Joint,
        fit_data_only,
        fit_output_error,
        fit_pinn,
        noisy_samples,
    )
    joint = Joint()
    truth = joint.parameters()
    print("true: " + ", ".join(f"{p} {truth[p]:.4g}" for p in PARAMETERS))
    print(f"{'seed':>4} {'method':<14} " + " ".join(f"{p[:12]:>13}" for p in PARAMETERS)
          + f" {'worst error':>12} {'time s':>7}")
    for seed in (0, 1, 2):
        samples = noisy_samples(joint, 20, 3.0, 0.05, seed)
        data_only = fit_data_only(joint, samples)
        start = {p: abs(v) for p, v in data_only.parameters.items()}
        for r in (fit_pinn(joint, samples), data_only, fit_output_error(joint, samples),
                  fit_output_error(joint, samples, start)):
            print(f"{seed:>4} {r.method:<14} " + " ".join(
                f"{100 * r.relative_errors[p]:>12.3g}%" for p in PARAMETERS)
                + f" {100 * r.worst_error:>11.3g}% {r.time_s:>7.1f}")
    print("(the first output_error row starts from the PINN's guess, 1 for each parameter;\n"
          " the second from the data-only estimates)")


def sequence():
    print("\n## EMG envelope to activation: GRU vs static map (RMS error, activation units)\n")
    from learned_components.sequence import (
        emg_data,
        predict_gru,
        predict_static,
        train_gru,
        train_static,
    )
    print(f"{'patterns':<9} {'GRU':>7} {'static':>7} {'envelope':>9}")
    for kind in ("fast", "slow"):
        train = emg_data(kind, 32, 1.5, 100.0, seed=0)
        test = emg_data(kind, 8, 1.5, 100.0, seed=10)
        gru = train_gru(train, hidden=16, steps=300)
        static = train_static(train, steps=300)
        rms = [float(np.sqrt(np.mean((p - test.activations) ** 2))) for p in (
            predict_gru(gru, test.envelopes), predict_static(static, test.envelopes),
            test.envelopes)]
        print(f"{kind:<9} {rms[0]:>7.4f} {rms[1]:>7.4f} {rms[2]:>9.4f}")
    print("(envelope: the noisy envelope itself taken as activation; noise std 0.02)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="drop-in and evaluation cost only")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    drop_in(args.repeats)
    callback_cost()
    if not args.quick:
        contact_drop_in(args.repeats)
        ensemble_spread()
        pinn()
        sequence()


if __name__ == "__main__":
    main()
