"""Spatial dynamics of the 3D models (issue 20): build and evaluation times, beside OpenSim.

    nice python benchmarks/bench_spatial.py [--repeat 200]

For gait2392, Rajagopal 2016 and Falisse 2022 (read from ../shared/data/models3d;
the Falisse model is AGPL-3.0 and is never copied): the time to read the file
into a spatial tree, to build the inverse dynamics (the implicit form's
residual, SX) and its Jacobian with respect to (q, q', q''), their sizes
(instructions), and their evaluation times at one random state, beside
OpenSim's InverseDynamicsSolver at the same state (in its own process: the
opensim wheel bundles a CasADi library that cannot share a process with
casadi). Machines here are shared: compare within one run.
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
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
