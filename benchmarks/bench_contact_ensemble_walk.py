"""The learned-contact walk solved once per ensemble member: the contact's uncertainty
carried to the predicted walk (spread of ground reactions and joint angles).

    python benchmarks/bench_contact_ensemble_walk.py [--members 5] [--out DIR]

Trains a deep ensemble of the heel normal force (the shipped
problems/surrogates/contact_heel_normal_force.train.toml with
``[training] ensemble = N`` and ``[data] noise = "5 N"``, written to --out,
not over the shipped surrogate), then solves
problems/gait2d_torque_learned_contact.toml with ``model.contact`` set to
each member (learned_components.propagation.solve_per_member), from the
problem's own guess, and prints the members' objectives and the spread
(standard deviation across members over the cycle, largest and RMS) of the
ground reactions and joint angles, beside the analytic walk's values.
"""
import argparse
import time
import tomllib
from pathlib import Path

import numpy as np

import ocp
from learned_components.propagation import member_files, solve_per_member, spread
from learned_components.spec import spec_from_dict
from learned_components.train import train_from_spec

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "problems" / "surrogates" / "contact_heel_normal_force.train.toml"
WALK = ROOT / "problems" / "gait2d_torque_learned_contact.toml"
GRF = ("grf_x_r", "grf_y_r", "grf_x_l", "grf_y_l")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--members", type=int, default=5)
    ap.add_argument("--out", default=str(ROOT / "results" / "bench_contact_ensemble_walk"))
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    data = tomllib.loads(SPEC.read_text())
    data["out"] = str(out / "heel_ensemble")
    data["data"]["noise"] = "5 N"
    data["training"]["ensemble"] = args.members
    started = time.perf_counter()
    result = train_from_spec(spec_from_dict(data, SPEC), progress=False)
    print(f"ensemble of {args.members} trained in {time.perf_counter() - started:.0f} s")
    for line in result.lines:
        print("  " + line)
    members = member_files(out / "heel_ensemble.casadi")
    started = time.perf_counter()
    solutions = solve_per_member(WALK, members, key="model.contact")
    print(f"{len(solutions)} walks in {time.perf_counter() - started:.0f} s")
    for k, s in enumerate(solutions, 1):
        print(f"  member {k}: {s.status[:8]:<8} objective {s.objective:.5f}, "
              f"{s.iterations} iterations, final time {s.final_time:.3f} s, peak vertical "
              f"GRF {max(np.max(s.output(g)) for g in GRF if '_y_' in g):.0f} N")
    analytic = ocp.solve(ocp.load_problem(ROOT / "problems" / "gait2d_torque.toml"))
    converged = [s for s in solutions if s.success]
    sp = spread(converged, outputs=GRF)
    o = sp["objective"]
    print(f"\nobjective over {sp['converged']}/{sp['members']} converged members: mean "
          f"{o['mean']:.5f}, std {o['std']:.5f} ({100 * o['std'] / o['mean']:.2f} %), range "
          f"{o['min']:.5f}-{o['max']:.5f}; analytic {analytic.objective:.5f}")
    print("ground reactions: members' standard deviation over the cycle")
    for g, v in sp["outputs"].items():
        print(f"  {g:<8} largest {v['max_std']:6.1f} N ({100 * v['max_std_of_peak']:5.2f} % of "
              f"the mean's peak {v['peak']:.0f} N), RMS {v['rms_std']:6.1f} N")
    print("joint angles: members' standard deviation over the cycle")
    for name, v in sp["states"].items():
        if "max_std_deg" in v:
            print(f"  {name:<16} largest {v['max_std_deg']:5.2f} deg, RMS "
                  f"{v['rms_std_deg']:5.2f} deg")


if __name__ == "__main__":
    main()
