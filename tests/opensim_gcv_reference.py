"""OpenSim's own reference splines, filter and contact forces, as Moco uses them; prints JSON.

Input (JSON on stdin), every part optional:
  "splines": [[times, values, [evaluation times]], ...]: GCVSplineSet(table) with its
      defaults (degree 5, error variance 0), as MocoStateTrackingGoal and
      MocoContactTrackingGoal build it; "value" and first "derivative" at the times.
  "lowpass": {"file": .sto, "cutoff_hz": 6}: TableProcessor(file) | TabOpLowPassFilter,
      then MocoTrack's track_reference_position_derivatives (the derivative of each
      column's GCV spline at the table's times): "time", "columns", "speeds".
  "contact": {"model": .osim, "solution": .sto, "groups": {name: [force paths]}}: the
      summed forces on the spheres of each group (the first three record values of
      SmoothSphereHalfSpaceForce, ground frame) at every row of the solution, and the
      model's weight "mg" (N).

Run in its own process: the opensim wheel bundles a CasADi library that cannot
share a process with casadi. Used by tests/test_natural_spline_opensim.py.
"""
import json
import sys

import numpy as np
import opensim as osim


def spline_set(times, columns: dict):
    table = osim.TimeSeriesTable(list(times))
    for label, values in columns.items():
        table.appendColumn(label, osim.Vector(list(values)))
    return table, osim.GCVSplineSet(table)


def evaluate(spline, t, derivative=False):
    if not derivative:
        return spline.calcValue(osim.Vector(1, float(t)))
    order = osim.StdVectorInt()
    order.append(0)
    return spline.calcDerivative(order, osim.Vector(1, float(t)))


def splines(request):
    out = []
    for times, values, points in request:
        _, sset = spline_set(times, {"y": values})  # the set owns its splines: keep it
        s = sset.get(0)
        out.append({"value": [evaluate(s, p) for p in points],
                    "derivative": [evaluate(s, p, True) for p in points]})
    return out


def lowpass(request):
    processor = osim.TableProcessor(request["file"])
    processor.append(osim.TabOpLowPassFilter(request["cutoff_hz"]))
    table = processor.process()
    times = list(table.getIndependentColumn())
    labels = list(table.getColumnLabels())
    sset = osim.GCVSplineSet(table)
    columns = {label: list(table.getDependentColumn(label).to_numpy()) for label in labels}
    speeds = {label: [evaluate(sset.get(label), t, True) for t in times] for label in labels}
    return {"time": times, "columns": columns, "speeds": speeds}


def contact(request):
    model = osim.Model(request["model"])
    state = model.initSystem()
    solution = osim.TimeSeriesTable(request["solution"])
    labels = list(solution.getColumnLabels())
    coordinates = list(model.getCoordinateSet())
    forces = {group: [] for group in request["groups"]}
    for i, t in enumerate(solution.getIndependentColumn()):
        row = solution.getRowAtIndex(i)
        values = {labels[j]: row[j] for j in range(len(labels))}
        state.setTime(t)
        for c in coordinates:
            path = c.getAbsolutePathString()
            c.setValue(state, values[path + "/value"], False)
            c.setSpeedValue(state, values[path + "/speed"])
        model.realizeVelocity(state)
        for group, paths in request["groups"].items():
            total = np.zeros(3)
            for path in paths:
                sphere = osim.SmoothSphereHalfSpaceForce.safeDownCast(model.getComponent(path))
                record = sphere.getRecordValues(state)
                total += [record.get(0), record.get(1), record.get(2)]
            forces[group].append(total.tolist())
    gravity = float(np.linalg.norm(model.get_gravity().to_numpy()))
    return {"forces": forces, "mg": model.getTotalMass(state) * gravity}


def main():
    osim.Logger.setLevelString("error")   # stdout carries the JSON only
    request = json.loads(sys.stdin.read())
    out = {}
    if "splines" in request:
        out["splines"] = splines(request["splines"])
    if "lowpass" in request:
        out["lowpass"] = lowpass(request["lowpass"])
    if "contact" in request:
        out["contact"] = contact(request["contact"])
    print(json.dumps(out))


if __name__ == "__main__":
    main()
