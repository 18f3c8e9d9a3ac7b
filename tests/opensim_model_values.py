"""OpenSim's own VALUES.json for a model at the states of a STATES.json (issue #20's format).

    python tests/opensim_model_values.py MODEL.osim STATES.json VALUES.json [--body-kinematics]

STATES.json: {"coordinates": [names], "samples": [{"q": [...], "u": [...]}]}, SI
units, in the listed order; coordinates not listed stay at their default value
with zero speed. VALUES.json, one entry per sample, over "coordinates" (all the
file's coordinates, in the order of its CoordinateSet):

- "mass_matrix" (n x n): Simbody's calcM, rows and columns mapped from OpenSim's
  mobility order to "coordinates";
- "bias_and_gravity_tau" (n): InverseDynamicsSolver at zero udot with every force
  element disabled, C(q, u) - G(q);
- "muscle_tendon_length" {muscle: m}: the path's length (wrapping included);
- "moment_arms" {muscle: {coordinate: m}}: OpenSim's computeMomentArm;
- "moment_arms_from_length" {muscle: {coordinate: m}}: minus the central difference
  (step 1e-6 rad or m) of OpenSim's length, which is what the issue defines;
- "marker_positions" {marker: [x, y, z]}, "body_origin_positions" {body: [x, y, z]}
  in ground;
- "contact_forces" {SmoothSphereHalfSpaceForce: [fx, fy, fz]}: the force on the
  sphere's body, in ground (getRecordValues' first three).

With ``--body-kinematics`` each sample also holds "body_kinematics" {body: {"R": 3x3
rows (body -> ground), "p", "omega", "v": [x, y, z]}} in ground, and the same of every
PhysicalOffsetFrame as "frame_kinematics" {absolute path: ...}: the input of tests of
contact and frame outputs that should not depend on our own kinematics.

Every quantity is over the independent coordinates with constraints not applied:
locked and clamped coordinates are released and constraints disabled before
initSystem (a locked coordinate could not otherwise be set, a clamped one would be
pulled into its range, and computeMomentArm would follow coupler constraints).
None of this changes M, the inverse dynamics (which ignores constraints) or any
position at the given q.

Run in its own process: the opensim wheel bundles a CasADi library that cannot
share a process with casadi. Used by tests/test_opensim_model_values.py.
"""
import json
import sys

import opensim as osim
from opensim_osim_reference import u_index  # this script's folder is on sys.path

#: central-difference step of the lengths (rad or m): truncation ~h^2 L''' / 6 and
#: rounding ~1e-16 / h both stay near 1e-10 m
STEP = 1e-6


def load(path, contacts_on):
    """The model with every force off (contacts on if asked) and no constraint held."""
    model = osim.Model(path)
    model.finalizeFromProperties()   # an upgraded OpenSim 3 file: its components owned
    forces = model.getForceSet()
    for i in range(forces.getSize()):
        forces.get(i).set_appliesForce(False)
    for c in model.getComponentsList():
        if c.getConcreteClassName() == "SmoothSphereHalfSpaceForce":
            osim.Force.safeDownCast(c).set_appliesForce(contacts_on)
    coordinates = model.getCoordinateSet()
    for i in range(coordinates.getSize()):
        coordinates.get(i).set_locked(False)
        coordinates.get(i).set_clamped(False)
    constraints = model.getConstraintSet()
    for i in range(constraints.getSize()):
        constraints.get(i).set_isEnforced(False)
    return model, model.initSystem()


def set_state(model, state, q, u):
    """q, u: {coordinate: value}."""
    cs = model.getCoordinateSet()
    for name, value in q.items():
        cs.get(name).setValue(state, value, False)
    for name, value in u.items():
        cs.get(name).setSpeedValue(state, value)
    model.realizeVelocity(state)


def sample_values(model, state, names, index, muscles, contact):
    """One VALUES.json sample at the state set in ``state`` (and ``contact``)."""
    n = len(names)
    out = {}
    matrix = osim.Matrix()
    model.getMatterSubsystem().calcM(state, matrix)
    out["mass_matrix"] = [[matrix.get(i, j) for j in index] for i in index]
    model.realizeDynamics(state)
    tau = osim.InverseDynamicsSolver(model).solve(state, osim.Vector(n, 0.0))
    out["bias_and_gravity_tau"] = [tau.get(k) for k in index]
    cs = model.getCoordinateSet()
    out["muscle_tendon_length"] = {m.getName(): m.getLength(state) for m in muscles}
    out["moment_arms"] = {m.getName(): {c: m.computeMomentArm(state, cs.get(c)) for c in names}
                          for m in muscles}
    out["marker_positions"] = {}
    markers = model.getMarkerSet()
    for i in range(markers.getSize()):
        p = markers.get(i).getLocationInGround(state)
        out["marker_positions"][markers.get(i).getName()] = [p.get(k) for k in range(3)]
    out["body_origin_positions"] = {}
    bodies = model.getBodySet()
    for i in range(bodies.getSize()):
        p = bodies.get(i).getPositionInGround(state)
        out["body_origin_positions"][bodies.get(i).getName()] = [p.get(k) for k in range(3)]
    out["contact_forces"] = {}
    if contact is not None:
        c_model, c_state = contact
        c_model.realizeDynamics(c_state)
        for comp in c_model.getComponentsList():
            if comp.getConcreteClassName() == "SmoothSphereHalfSpaceForce":
                force = osim.Force.safeDownCast(comp)
                values = force.getRecordValues(c_state)
                out["contact_forces"][force.getName()] = [values.get(k) for k in range(3)]
    # minus the central difference of the lengths, one coordinate at a time
    arms = {m.getName(): {} for m in muscles}
    for c in names:
        coordinate = cs.get(c)
        q0 = coordinate.getValue(state)
        lengths = []
        for step in (STEP, -STEP):
            coordinate.setValue(state, q0 + step, False)
            model.realizePosition(state)
            lengths.append([m.getLength(state) for m in muscles])
        coordinate.setValue(state, q0, False)
        for m, plus, minus in zip(muscles, *lengths):
            arms[m.getName()][c] = -(plus - minus) / (2 * STEP)
    model.realizeVelocity(state)
    out["moment_arms_from_length"] = arms
    return out


def frame_motion(frame, state):
    """{"R", "p", "omega", "v"} of a PhysicalFrame in ground."""
    rotation = frame.getTransformInGround(state).R()
    omega = frame.getAngularVelocityInGround(state)
    v = frame.getLinearVelocityInGround(state)
    p = frame.getPositionInGround(state)
    return {"R": [[rotation.get(r, c) for c in range(3)] for r in range(3)],
            "p": [p.get(k) for k in range(3)], "omega": [omega.get(k) for k in range(3)],
            "v": [v.get(k) for k in range(3)]}


def body_kinematics(model, state):
    """{body: motion} and {offset frame's absolute path: motion} in ground (the state
    realized to velocity)."""
    bodies = model.getBodySet()
    out = {bodies.get(i).getName(): frame_motion(bodies.get(i), state)
           for i in range(bodies.getSize())}
    frames = {}
    for c in model.getComponentsList():
        if c.getConcreteClassName() == "PhysicalOffsetFrame":
            frames[c.getAbsolutePathString()] = frame_motion(
                osim.PhysicalOffsetFrame.safeDownCast(c), state)
    return out, frames


def main(argv):
    osim.Logger.setLevelString("error")
    kinematics = "--body-kinematics" in argv
    model_path, states_path, values_path = [a for a in argv if a != "--body-kinematics"]
    with open(states_path) as f:
        states = json.load(f)
    model, state = load(model_path, False)
    cs = model.getCoordinateSet()
    names = [cs.get(i).getName() for i in range(cs.getSize())]
    index = u_index(model, state, names)
    muscles = [osim.Muscle.safeDownCast(c) for c in model.getComponentsList()
               if c.getConcreteClassName().endswith("Muscle")]
    has_contacts = any(c.getConcreteClassName() == "SmoothSphereHalfSpaceForce"
                       for c in model.getComponentsList())
    contact = load(model_path, True) if has_contacts else None
    defaults = {c: cs.get(c).getDefaultValue() for c in names}
    samples = []
    for sample in states["samples"]:
        q = dict(defaults)
        q.update(zip(states["coordinates"], sample["q"]))
        u = {c: 0.0 for c in names}
        u.update(zip(states["coordinates"], sample["u"]))
        set_state(model, state, q, u)
        if contact is not None:
            set_state(contact[0], contact[1], q, u)
        samples.append(sample_values(model, state, names, index, muscles, contact))
        if kinematics:
            samples[-1]["body_kinematics"], samples[-1]["frame_kinematics"] = \
                body_kinematics(model, state)
    with open(values_path, "w") as f:
        json.dump({"coordinates": names, "samples": samples}, f)


if __name__ == "__main__":
    main(sys.argv[1:])
