"""OpenSim's constrained forward dynamics of an .osim model at given states; prints JSON.

Input (JSON on stdin): {"model": path, "coordinates": [names of every coordinate,
the caller's order], "states": [{"q": [...], "qd": [...]}]}. Every force element is
switched off (gravity alone acts); the file's constraints (CoordinateCouplerConstraint)
and its locked coordinates stay as the file has them, so Simbody solves for the
constraint forces (Lagrange multipliers) at each state.

Output per state: "qdd" (the accelerations of every coordinate, caller's order),
"qerr" and "uerr" (the largest constraint error of the given q and q', which must be
~0 for the comparison to mean anything).

Run in its own process: the opensim wheel bundles a CasADi library that cannot
share a process with casadi. Used by tests/test_reduced_tree_opensim.py.
"""
import json
import sys

import opensim as osim


def main():
    osim.Logger.setLevelString("error")   # stdout carries the JSON only
    request = json.loads(sys.stdin.read())
    model = osim.Model(request["model"])
    for i in range(model.getForceSet().getSize()):
        model.getForceSet().get(i).set_appliesForce(False)
    state = model.initSystem()
    cs = model.getCoordinateSet()
    out = {"states": []}
    for s in request["states"]:
        for name, q, qd in zip(request["coordinates"], s["q"], s["qd"]):
            c = cs.get(name)
            if not c.getLocked(state):
                c.setValue(state, q, False)
                c.setSpeedValue(state, qd)
        model.realizeVelocity(state)
        qerr = state.getQErr()
        uerr = state.getUErr()
        model.realizeAcceleration(state)
        out["states"].append({
            "qdd": [cs.get(n).getAccelerationValue(state) for n in request["coordinates"]],
            "qerr": max([abs(qerr.get(k)) for k in range(qerr.size())] or [0.0]),
            "uerr": max([abs(uerr.get(k)) for k in range(uerr.size())] or [0.0])})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
