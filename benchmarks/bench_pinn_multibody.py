"""The multibody PINN against a data-only network (issue 27, item 3).

    nice python benchmarks/bench_pinn_multibody.py [--noise 0.005] [--nlp]
        [--network spline|tanh] [--intervals 100] [--no-data-only]
        tanh network only: [--weight 0.01] [--steps 3000] [--lbfgs 1000] [--warm]
        [--rest] [--schedule 1,10,100 --lm 10] [--errors least-squares|output-error]

A triple pendulum (learned_components.pinn_multibody.Chain) simulated under
known torques; joint angles sampled 100 times over 4 s with Gaussian noise.
The PINN (residual of the equations of motion as physics loss) and the
data-only network (fit, then least squares on its derivatives) identify the
3 masses, 3 inertias about the centres of mass and 3 joint dampings. The
PINN's network is by default the B-spline network driven to the equations'
constrained limit (learned_components.pinn_spline; ``--network tanh``: the
tanh network of pinn_multibody.fit_pinn); the data-only network is the tanh
one (``--steps``, ``--lbfgs``). Also printed for the spline PINN: its q''
against the true q'' (the simulation's, by finite differences at 1 kHz), and
how far the motion simulated with its own parameters is from the samples
(RMS over the noise). Printed:
each parameter's relative error and approximate standard error, and the
must-show: PINN masses and inertias within 5 %, data-only off by > 20 %.
``--nlp`` also solves problems/triple_pendulum_identify.toml (the NLP's own
identification on the same samples, written by
problems/data/make_triple_pendulum_identify.py; default noise and seed only)
and prints its estimates and standard errors beside the PINN's, with whether
they differ by less than the combined standard error.
Torch on one thread; machines here are shared.
"""
import argparse


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--noise", type=float, default=0.005)
    parser.add_argument("--network", default="spline", choices=["spline", "tanh"])
    parser.add_argument("--intervals", type=int, default=100,
                        help="B-spline intervals of the spline network")
    parser.add_argument("--weight", type=float, default=0.01)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--lbfgs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--warm", action="store_true",
                        help="PINN starts from a data fit and its least-squares m, I, b")
    parser.add_argument("--rest", action="store_true",
                        help="the PINN's network starts at rest exactly (as the NLP's [initial])")
    parser.add_argument("--schedule", default="",
                        help="physics weights after the first fit, comma-separated, each by "
                             "--lm Levenberg-Marquardt steps (continuation)")
    parser.add_argument("--lm", type=int, default=10, help="Levenberg-Marquardt steps per weight")
    parser.add_argument("--errors", default="least-squares",
                        choices=["least-squares", "output-error"],
                        help="the PINN's standard errors (pinn_multibody.fit_pinn)")
    parser.add_argument("--no-data-only", action="store_true")
    parser.add_argument("--nlp", action="store_true",
                        help="also solve problems/triple_pendulum_identify.toml beside it")
    args = parser.parse_args()
    from learned_components import pinn_multibody as pm
    chain = pm.Chain()
    motion = pm.noisy_motion(chain, 100, 4.0, args.noise, args.seed)
    common = {"adam_steps": args.steps, "lbfgs_steps": args.lbfgs, "seed": args.seed}
    schedule = [float(w) for w in args.schedule.split(",") if w]
    if args.network == "spline":
        from learned_components.pinn_spline import SCHEDULE, fit_spline_pinn
        fits = [fit_spline_pinn(chain, motion, args.intervals)]
        setting = (f"B-spline network ({args.intervals} intervals, degree 5, at rest), "
                   f"physics weights {list(SCHEDULE)} by Levenberg-Marquardt, standard "
                   f"errors: output-error")
    else:
        fits = [pm.fit_pinn(chain, motion, weight=args.weight, warm_start=args.warm,
                            at_rest=args.rest, schedule=schedule, lm_steps=args.lm,
                            errors=args.errors, **common)]
        setting = (f"tanh network, weight {args.weight}"
                   f"{', warm start' if args.warm else ''}{', at rest' if args.rest else ''}"
                   f"{f', then weights {schedule} ({args.lm} LM steps each)' if schedule else ''}"
                   f", standard errors: {args.errors}")
    if not args.no_data_only:
        fits.append(pm.fit_data_only(chain, motion, **common))
    truth = pm.unpack(chain.vector())
    print(f"noise {args.noise} rad, 100 samples over 4 s; PINN: {setting}; data-only: "
          f"tanh network {args.steps} Adam + {args.lbfgs} L-BFGS steps")
    for f in fits:
        print(f"{f.method} ({f.time_s:.0f} s)")
        for name in pm.NAMES:
            for i in range(3):
                print(f"  {name:<16}{i + 1}  true {truth[name][i]:<7.4g} found "
                      f"{f.parameters[name][i]:<9.4g} +- {f.standard_errors[name][i]:<9.2g}"
                      f" error {100 * f.relative_errors[name][i]:+7.1f} %")
    pinn = fits[0]
    print(f"worst mass/inertia error: PINN {100 * pinn.worst():.1f} % (target <= 5 %: "
          f"{'met' if pinn.worst() <= 0.05 else 'not met'})")
    if len(fits) > 1:
        print(f"data-only {100 * fits[1].worst():.1f} % (target > 20 %: "
              f"{'met' if fits[1].worst() > 0.2 else 'not met'})")
    masses = max(abs(e) for e in pinn.relative_errors["mass_kg"])
    print(f"PINN worst mass error {100 * masses:.1f} %, worst damping error "
          f"{100 * pinn.worst(('damping_Nms_rad',)):.1f} %")
    if pinn.network is not None:
        check_motion(pinn, chain, motion, pm)
    if args.nlp:
        compare_with_nlp(pinn, pm)


def check_motion(pinn, chain, motion, pm):
    """The network's q'' against the truth's, and the motion simulated with the PINN's
    own parameters against the samples."""
    import numpy as np
    import torch
    h = 1e-3
    t = np.arange(0.0, motion.duration_s + h / 2, h)
    q = pm.simulate(chain, t)
    qdd = np.gradient(np.gradient(q, h, axis=0), h, axis=0)[5:-5]
    with torch.no_grad():
        _, _, net_qdd = (v.numpy() for v in pinn.network(torch.as_tensor(t[5:-5])))
    rel = np.sqrt(np.mean((net_qdd - qdd) ** 2, 0) / np.mean(qdd ** 2, 0))
    knots = np.arange(40, len(t) - 10, 40) - 5     # every 40 ms: the collocation points
    at_knots = np.sqrt(np.mean((net_qdd[knots] - qdd[knots]) ** 2, 0) / np.mean(qdd ** 2, 0))
    p = np.concatenate([pinn.parameters[n] for n in pm.NAMES])
    own = pm.simulate_many(chain, p[None], motion.times)[0]
    clean = pm.simulate(chain, motion.times)
    misfit = np.sqrt(np.mean((own - motion.angles) ** 2, 0)) / motion.noise_std_rad
    print(f"PINN network q'' against the true q'' (1 kHz): RMS error "
          f"{', '.join(f'{100 * r:.2f}' for r in rel)} % of each joint's RMS q'' (at the "
          f"collocation points: {', '.join(f'{100 * r:.2f}' for r in at_knots)} %)")
    print(f"motion simulated with the PINN's parameters: RMS from the samples "
          f"{', '.join(f'{m:.3f}' for m in misfit)} x the noise (from the noise-free "
          f"motion {np.sqrt(np.mean((own - clean) ** 2)) * 1e3:.2f} mrad)")


def compare_with_nlp(pinn, pm):
    import math
    from pathlib import Path

    import ocp
    from learned_components.pinn_spline import NLP_NAMES
    path = Path(__file__).resolve().parent.parent / "problems" / "triple_pendulum_identify.toml"
    solution = ocp.solve(ocp.load_problem(path))
    report = solution.parameters
    print(f"\nNLP ({path.name}: {solution.iterations} iterations; residual variance "
          f"{report.residual_variance:.3g} per sample over {report.samples} samples) "
          f"beside the PINN")
    print("| parameter | PINN +- se | NLP +- se | difference / combined se |")
    print("|---|---|---|---|")
    agree = True
    for name in pm.NAMES:
        for i, nlp_name in enumerate(NLP_NAMES[name]):
            e = report.estimates[nlp_name]
            p, se = pinn.parameters[name][i], pinn.standard_errors[name][i]
            ratio = abs(p - e.value) / math.hypot(se, e.standard_error)
            agree = agree and ratio <= 1.0
            print(f"| {nlp_name} | {p:.5g} +- {se:.2g} | {e.value:.5g} +- "
                  f"{e.standard_error:.2g} | {ratio:.1f} |")
    print(f"PINN and NLP within their combined standard errors: {'met' if agree else 'not met'}")


if __name__ == "__main__":
    main()
