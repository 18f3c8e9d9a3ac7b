"""OpenSim's muscle paths at given or random states; prints JSON.

Input (JSON on stdin): {"model": path, "states": [{coordinate: value}, ...]
(coordinates not named keep their default), or "random": {"count": n, "seed": s,
"translation_m": half-width for translational coordinates} for states uniform
within the coordinate ranges, "derivatives": true to differentiate, "step": h}.
Locked coordinates keep their default; the dependent coordinate of each
CoordinateCouplerConstraint is set to its function of the independent ones,
so every state satisfies the constraints without assembly.

Output: {"coordinates": {name: {"range", "locked", "dependent"}}, "states": [
{"q": {coordinate: value}, "poses": {body: [R row-major (9), p (3)]} (ground
included), "length": {muscle: m}, and with "derivatives": for each free
coordinate c (neither locked nor dependent): "plus"/"minus": {c: {"q", "poses",
"length"}} at q +- step in c (the dependent coordinates following),
"moment_arm": {muscle: {c: OpenSim's computeMomentArm}}}]}.

Run in its own process: the opensim wheel bundles a CasADi library that cannot
share a process with casadi. Used by tests/test_paths3d_opensim.py.
"""
import json
import sys

import numpy as np
import opensim as osim


def couplers(model):
    out = []
    cs = model.getConstraintSet()
    for i in range(cs.getSize()):
        c = cs.get(i)
        if c.getConcreteClassName() == "CoordinateCouplerConstraint":
            c = osim.CoordinateCouplerConstraint.safeDownCast(c)
            names = c.getIndependentCoordinateNames()
            out.append((c.getDependentCoordinateName(),
                        [names.get(k) for k in range(names.size())], c.getFunction()))
    return out


def set_q(model, state, q, coupled):
    cs = model.getCoordinateSet()
    for name, value in q.items():
        cs.get(name).setValue(state, value, False)
    for dependent, independent, fn in coupled:
        x = osim.Vector([cs.get(n).getValue(state) for n in independent])
        cs.get(dependent).setValue(state, fn.calcValue(x), False)
    model.realizePosition(state)


def snapshot(model, state, muscles):
    poses = {}
    frames = [model.getGround()] + [model.getBodySet().get(i)
                                    for i in range(model.getBodySet().getSize())]
    for f in frames:
        x = f.getTransformInGround(state)
        rot, p = x.R(), x.p()
        poses[f.getName()] = [rot.get(i, j) for i in range(3) for j in range(3)] + \
                             [p.get(i) for i in range(3)]
    cs = model.getCoordinateSet()
    q = {cs.get(i).getName(): cs.get(i).getValue(state) for i in range(cs.getSize())}
    return {"q": q, "poses": poses, "length": {m.getName(): m.getLength(state)
                                               for m in muscles}}


def main():
    osim.Logger.setLevelString("error")   # stdout carries the JSON only
    request = json.loads(sys.stdin.read())
    model = osim.Model(request["model"])
    state = model.initSystem()
    cs = model.getCoordinateSet()
    coupled = couplers(model)
    dependent = {d for d, _, _ in coupled}
    info = {}
    for i in range(cs.getSize()):
        c = cs.get(i)
        info[c.getName()] = {"range": [c.getRangeMin(), c.getRangeMax()],
                             "locked": bool(c.getDefaultLocked()),
                             "dependent": c.getName() in dependent,
                             "rotational": c.getMotionType() == 1}
        c.setLocked(state, False)
    free = [n for n, v in info.items() if not v["locked"] and not v["dependent"]]
    muscles = [osim.PathActuator.safeDownCast(c) for c in model.getComponentsList()
               if c.getConcreteClassName().endswith("Muscle")]
    states = request.get("states")
    if states is None:
        spec = request["random"]
        rng = np.random.default_rng(spec["seed"])
        half = spec.get("translation_m", 0.5)
        states = []
        for _ in range(spec["count"]):
            q = {}
            for n in free:
                lo, hi = info[n]["range"]
                if not info[n]["rotational"]:
                    lo, hi = max(lo, -half), min(hi, half)
                q[n] = float(rng.uniform(lo, hi))
            states.append(q)
    step = request.get("step", 1e-6)
    defaults = {n: cs.get(n).getDefaultValue() for n in info}
    out = {"coordinates": info, "states": []}
    for q in states:
        full = dict(defaults)
        full.update(q)
        set_q(model, state, full, coupled)
        row = snapshot(model, state, muscles)
        if request.get("derivatives"):
            row["plus"], row["minus"], row["moment_arm"] = {}, {}, {}
            for c in free:
                for key, sign in (("plus", 1), ("minus", -1)):
                    moved = dict(full)
                    moved[c] = full[c] + sign * step
                    set_q(model, state, moved, coupled)
                    row[key][c] = snapshot(model, state, muscles)
            set_q(model, state, full, coupled)
            model.realizeVelocity(state)
            for m in muscles:
                row["moment_arm"][m.getName()] = {
                    c: m.computeMomentArm(state, cs.get(c)) for c in free}
        out["states"].append(row)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
