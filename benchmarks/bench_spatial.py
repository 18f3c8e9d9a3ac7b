"""Spatial dynamics of the 3D models (issue 20): build and evaluation times, beside OpenSim.

    nice python benchmarks/bench_spatial.py [--repeat 200] [--solve [INTERVALS]]

For gait2392, Rajagopal 2016 and Falisse 2022 (read from ../shared/data/models3d;
the Falisse model is AGPL-3.0 and is never copied): the time to read the file
into a spatial tree, to build the inverse dynamics (the implicit form's
residual, SX) and its Jacobian with respect to (q, q', q''), their sizes
(instructions), and their evaluation times at one random state, beside
OpenSim's InverseDynamicsSolver at the same state (in its own process: the
opensim wheel bundles a CasADi library that cannot share a process with
casadi). Machines here are shared: compare within one run.

``--solve``: a 3D torque-driven solve on gait2392 (its muscles not applied): the
right leg lifts from standing (hip 60 deg, knee -60 deg, at rest) in 0.8 s with
minimum squared joint torques, the pelvis held in space and the subtalar and
mtp joints held at 0 (the toes' tiny inertia, 1e-4 kg m^2, otherwise makes the
torque-driven foot too fast for the mesh); 17 coordinates, Hermite-Simpson,
the coordinate ranges as bounds, exact Hessian from per-point blocks
(graph = "lifted"). Prints status, iterations, objective, build and IPOPT times.
Measured (one run, shared machine): explicit dynamics, 25 intervals: success, 225
iterations, objective 164.409, build 3.0 s, IPOPT 22.4 s; ``--dynamics implicit``
did not converge in 3000 iterations (it cycles near 195.9), an open question for
the implicit form on this model. Without holding subtalar and mtp the solve
"converges" to 46.6 with a re-simulation off by 1.1 of the ankle speed's range:
the toes whip between mesh points.
"""
import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import casadi as ca
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT.parent / "shared" / "data" / "models3d"
FILES = ("gait2392_millard2012muscle.osim", "Rajagopal2016.osim", "Falisse_et_al_2022.osim")

OPENSIM = r"""
import json, sys, time
import opensim as osim
osim.Logger.setLevelString("error")
request = json.loads(sys.stdin.read())
model = osim.Model(request["model"])
for i in range(model.getForceSet().getSize()):
    model.getForceSet().get(i).set_appliesForce(False)
cs = model.getCoordinateSet()
for i in range(cs.getSize()):
    cs.get(i).set_locked(False)
state = model.initSystem()
for name, q, u in zip(request["coordinates"], request["q"], request["u"]):
    cs.get(name).setValue(state, q, False)
    cs.get(name).setSpeedValue(state, u)
solver = osim.InverseDynamicsSolver(model)
udot = osim.Vector(state.getNU(), 0.0)
first = cs.get(request["coordinates"][0])
start = time.perf_counter()
for k in range(request["repeat"]):
    first.setValue(state, request["q"][0] + 1e-9 * (k % 2), False)  # recompute from positions
    solver.solve(state, udot)
print(json.dumps({"seconds": (time.perf_counter() - start) / request["repeat"]}))
"""


def timed(fn, args, repeat):
    start = time.perf_counter()
    for _ in range(repeat):
        fn(*args)
    return (time.perf_counter() - start) / repeat


def leg_lift(intervals: int, dynamics: str):
    """The gait2392 leg lift (see the module docstring): its Solution."""
    import math

    from ocp import HermiteSimpson, Problem, SolverOptions, SquaredTorque, solve
    from ocp.osim.model import OsimTorqueModel
    from ocp.osim.model3d import spatial_torque_arguments

    held = {"pelvis_tilt": 0.0, "pelvis_list": 0.0, "pelvis_rotation": 0.0, "pelvis_tx": 0.0,
            "pelvis_ty": 0.95, "pelvis_tz": 0.0, "subtalar_angle_r": 0.0,
            "subtalar_angle_l": 0.0, "mtp_angle_r": 0.0, "mtp_angle_l": 0.0}
    model = OsimTorqueModel(**spatial_torque_arguments(
        MODELS / FILES[0], ignore=("muscles",), hold=held))
    coords = model.tree.coordinates
    at_rest = {f"{c}_speed": 0.0 for c in coords}
    problem = Problem(
        model=model, final_time=0.8, name="gait2392_leg_lift",
        bounds={c: model.osim.coordinates[c].range for c in coords},
        initial={**{c: 0.0 for c in coords}, **at_rest},
        final={"hip_flexion_r": math.radians(60), "knee_angle_r": math.radians(-60), **at_rest},
        costs=[SquaredTorque(name="effort", weight=1.0)],
        transcription=HermiteSimpson(intervals), dynamics=dynamics,
        solver=SolverOptions(graph="lifted", tolerance=1e-6))
    return solve(problem)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--solve", type=int, nargs="?", const=25, default=None,
                        metavar="INTERVALS")
    parser.add_argument("--dynamics", default="explicit", choices=("explicit", "implicit"))
    args = parser.parse_args()
    if args.solve:
        start = time.perf_counter()
        solution = leg_lift(args.solve, args.dynamics)
        print(f"gait2392 leg lift, {args.solve} intervals, {args.dynamics} dynamics: "
              f"{solution.status}, {solution.iterations} iterations, objective "
              f"{solution.objective:.6g}, build {solution.setup_time_s:.1f} s, IPOPT "
              f"{solution.solve_time_s:.1f} s, wall {time.perf_counter() - start:.1f} s, "
              f"re-simulation error {solution.max_dynamics_error:.3g}")
        return
    from ocp.osim.spatial_skeleton import read_spatial, spatial_tree
    for name in FILES:
        path = MODELS / name
        if not path.exists():
            print(f"{name}: absent, skipped")
            continue
        start = time.perf_counter()
        doc = read_spatial(path)
        tree = spatial_tree(doc)
        read_s = time.perf_counter() - start
        n = tree.n
        q, qd, qdd = (ca.SX.sym(s, n) for s in ("q", "qd", "qdd"))
        start = time.perf_counter()
        tau = tree.inverse_dynamics(q, qd, qdd)
        inverse = ca.Function("id", [q, qd, qdd], [tau])
        id_s = time.perf_counter() - start
        start = time.perf_counter()
        jacobian = ca.Function("id_jacobian", [q, qd, qdd],
                               [ca.jacobian(tau, ca.vertcat(q, qd, qdd))])
        jac_s = time.perf_counter() - start
        rng = np.random.default_rng(0)
        coords = doc.coordinates()
        x = [rng.uniform(-1, 1) if c.range[1] - c.range[0] > 10 else rng.uniform(*c.range)
             for c in coords.values()]
        u = list(rng.normal(size=n))
        zero = np.zeros(n)
        point = (ca.DM(x), ca.DM(u), ca.DM(zero))
        id_eval = timed(inverse, point, args.repeat)
        jac_eval = timed(jacobian, point, max(10, args.repeat // 10))
        print(f"{name}: {n} coordinates, {len(tree.bodies)} bodies")
        print(f"  read {read_s:.3f} s; build ID {id_s:.3f} s ({inverse.n_instructions()} "
              f"instructions), its Jacobian {jac_s:.3f} s ({jacobian.n_instructions()})")
        print(f"  evaluate ID {id_eval * 1e6:.1f} us, Jacobian {jac_eval * 1e6:.1f} us "
              "(CasADi virtual machine)")
        try:
            done = subprocess.run([sys.executable, "-c", OPENSIM], input=json.dumps(
                {"model": str(path), "coordinates": list(tree.coordinates), "q": x, "u": u,
                 "repeat": args.repeat}), capture_output=True, text=True, timeout=600)
            theirs = json.loads(done.stdout)["seconds"]
            print(f"  OpenSim InverseDynamicsSolver {theirs * 1e6:.1f} us: ours / OpenSim = "
                  f"{id_eval / theirs:.2f} (ID), {jac_eval / theirs:.2f} (Jacobian)")
        except (json.JSONDecodeError, KeyError, subprocess.TimeoutExpired):
            print(f"  OpenSim not run: {done.stderr[-300:] if 'done' in dir() else ''}")


if __name__ == "__main__":
    main()
