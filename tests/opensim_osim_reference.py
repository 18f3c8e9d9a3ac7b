"""OpenSim's own numbers for an .osim model at given states; prints JSON.

Input (JSON on stdin): {"model": path, "coordinates": [names, the caller's order],
"states": [{"q": [...], "qd": [...], "qdd": [...], "activation": {muscle: a},
             "excitation": {muscle: e} (optional: then da/dt "activation_rate")}],
"splines": [[x values, y values, [evaluation points]], ...] (optional),
"kinematics_only": true (optional: M, tau, body origins and markers only, every
coordinate unlocked, so that a locked one takes the given value)}.
Output per state: mass matrix "M", inverse dynamics without any force element
"tau" (gravity only), "tau_contacts" (contacts on, muscles off), contact forces on
each sphere's body "contact_force" (N, ground frame), muscle-tendon lengths
"length", moment arms "moment_arm" (muscle -> coordinate -> m) and tendon forces
"tendon_force" at the given activations, body origins "body_origins" (body -> [x, y, z]
in ground) and marker positions "markers" (marker -> [x, y, z] in ground). All in the
caller's coordinate order.

Run in its own process: the opensim wheel bundles a CasADi library that cannot
share a process with casadi. Used by tests/test_osim_opensim.py.
"""
import json
import sys

import opensim as osim


def load(path, muscles_on, contacts_on, unlock=False):
    model = osim.Model(path)
    if unlock:
        cs = model.getCoordinateSet()
        for i in range(cs.getSize()):
            cs.get(i).set_locked(False)
    for i in range(model.getForceSet().getSize()):
        model.getForceSet().get(i).set_appliesForce(False)
    for m in model.getComponentsList():
        kind = m.getConcreteClassName()
        if kind == "SmoothSphereHalfSpaceForce":
            osim.Force.safeDownCast(m).set_appliesForce(contacts_on)
        elif kind.endswith("Muscle"):
            osim.Force.safeDownCast(m).set_appliesForce(muscles_on)
    state = model.initSystem()
    return model, state


def u_index(model, state, names):
    """Index in the mobility vector u of each named coordinate."""
    cs = model.getCoordinateSet()
    out = []
    for name in names:
        for i in range(cs.getSize()):
            cs.get(i).setSpeedValue(state, 0.0)
        cs.get(name).setSpeedValue(state, 1.0)
        u = state.getU()
        out.append([k for k in range(u.size()) if u.get(k) == 1.0][0])
    return out


def set_state(model, state, names, s):
    cs = model.getCoordinateSet()
    for name, q, qd in zip(names, s["q"], s["qd"]):
        cs.get(name).setValue(state, q, False)
        cs.get(name).setSpeedValue(state, qd)
    model.realizeVelocity(state)


def inverse_dynamics(model, state, index, qdd):
    udot = osim.Vector(len(index), 0.0)
    for k, a in zip(index, qdd):
        udot.set(k, a)
    model.realizeDynamics(state)
    tau = osim.InverseDynamicsSolver(model).solve(state, udot)
    return [tau.get(k) for k in index]


def positions(model, state):
    """Body origins and marker positions in ground at the state's coordinates."""
    model.realizePosition(state)
    bodies = model.getBodySet()
    markers = model.getMarkerSet()
    vec = lambda v: [v.get(k) for k in range(3)]   # noqa: E731
    return ({bodies.get(i).getName(): vec(bodies.get(i).getPositionInGround(state))
             for i in range(bodies.getSize())},
            {markers.get(i).getName(): vec(markers.get(i).getLocationInGround(state))
             for i in range(markers.getSize())})


def kinematics_only(request):
    """M, tau (gravity only), body origins and markers of every requested state."""
    path, names = request["model"], request["coordinates"]
    model, state = load(path, False, False, unlock=True)
    index = u_index(model, state, names)
    out = {"states": []}
    for s in request["states"]:
        set_state(model, state, names, s)
        matrix = osim.Matrix()
        model.getMatterSubsystem().calcM(state, matrix)
        row = {"M": [[matrix.get(i, j) for j in index] for i in index],
               "tau": inverse_dynamics(model, state, index, s["qdd"])}
        row["body_origins"], row["markers"] = positions(model, state)
        out["states"].append(row)
    return out


def main():
    osim.Logger.setLevelString("error")   # stdout carries the JSON only
    request = json.loads(sys.stdin.read())
    if request.get("kinematics_only"):
        print(json.dumps(kinematics_only(request)))
        return
    path, names = request["model"], request["coordinates"]
    plain, s_plain = load(path, False, False)
    contact, s_contact = load(path, False, True)
    full, s_full = load(path, True, False)
    index = u_index(plain, s_plain, names)
    out = {"states": []}
    for s in request["states"]:
        row = {}
        set_state(plain, s_plain, names, s)
        matrix = osim.Matrix()
        plain.getMatterSubsystem().calcM(s_plain, matrix)
        row["M"] = [[matrix.get(i, j) for j in index] for i in index]
        row["tau"] = inverse_dynamics(plain, s_plain, index, s["qdd"])
        row["body_origins"], row["markers"] = positions(plain, s_plain)
        set_state(contact, s_contact, names, s)
        row["tau_contacts"] = inverse_dynamics(contact, s_contact, index, s["qdd"])
        forces = {}
        for comp in contact.getComponentsList():
            if comp.getConcreteClassName() == "SmoothSphereHalfSpaceForce":
                f = osim.Force.safeDownCast(comp)
                values = f.getRecordValues(s_contact)
                forces[f.getName()] = [values.get(k) for k in range(3)]
        row["contact_force"] = forces
        set_state(full, s_full, names, s)
        # muscles may sit in the model's <components> as well as its ForceSet
        muscles = [osim.Muscle.safeDownCast(c) for c in full.getComponentsList()
                   if c.getConcreteClassName().endswith("Muscle")]
        for m in muscles:
            a = s.get("activation", {}).get(m.getName())
            if a is not None:
                m.setActivation(s_full, a)
        full.realizeDynamics(s_full)
        row["length"], row["moment_arm"], row["tendon_force"] = {}, {}, {}
        cs = full.getCoordinateSet()
        for m in muscles:
            row["length"][m.getName()] = m.getLength(s_full)
            row["tendon_force"][m.getName()] = m.getTendonForce(s_full)
            row["moment_arm"][m.getName()] = {
                name: m.computeMomentArm(s_full, cs.get(name)) for name in names}
        excitation = s.get("excitation", {})
        if excitation:   # da/dt of each muscle at the requested excitation
            controls = osim.Vector(full.getNumControls(), 0.0)
            for m in muscles:
                m.setControls(osim.Vector(1, excitation[m.getName()]), controls)
            full.setControls(s_full, controls)
            full.realizeAcceleration(s_full)
            row["activation_rate"] = {m.getName(): m.getStateVariableDerivativeValue(
                s_full, "activation") for m in muscles}
        out["states"].append(row)
    out["splines"] = []
    for x, y, points in request.get("splines", []):
        spline = osim.SimmSpline()
        for a, b in zip(x, y):
            spline.addPoint(a, b)
        out["splines"].append([spline.calcValue(osim.Vector(1, p)) for p in points])
    smooth = [c for c in contact.getComponentsList()
              if c.getConcreteClassName() == "SmoothSphereHalfSpaceForce"]
    if smooth:
        labels = osim.Force.safeDownCast(smooth[0]).getRecordLabels()
        out["contact_labels"] = [labels.get(k) for k in range(labels.size())]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
