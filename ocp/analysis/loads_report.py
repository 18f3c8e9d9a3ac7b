"""What the residuals and reserves of a 3D model with measured loads carried, and
whether each force plate acts on the body it should.

For a torque-driven 3D ``.osim`` model with ``[external_loads]``
(ocp.models.measured_loads.SpatialMeasuredLoads) and ``[model.reserves]`` /
``[model.residuals]``: per actuated coordinate its kind (a residual on the
pelvis' six coordinates, a reserve elsewhere), RMS and peak (N m, or N on a
translation), and its share of the generalised force it produces (1 here:
the model has no other actuator), with a warning for a residual above
OpenSim's guidelines (ocp.analysis.reserves).

Residuals cannot reveal a force plate applied to the wrong foot when its
point is given in ground: the whole body sees the same total load
(ocp.analysis.reserves). The geometry can: while a plate carries more than
``LOADED_N``, its centre of pressure lies under the foot it is applied to,
near the calcaneus' origin (subject01's stride: at most 0.29 and 0.27 m, at
push-off with the heel raised); on the wrong foot it lies a step away (0.73
and 0.72 m, the plates swapped). A point farther than ``PLATE_DISTANCE_M`` is
reported.
"""
from __future__ import annotations

import casadi as ca
import numpy as np

from ocp.analysis.reserves import report_warnings, spatial_root_coordinates
from ocp.data.external_loads import GROUND
from ocp.engine.reports import register_reporter
from ocp.models.measured_loads import SpatialMeasuredLoads
from ocp.models.multibody import PRISMATIC
from ocp.models.torque_driven import TorqueDrivenTree, actuator_name

#: a force plate counts as loaded above this force (N): plates' noise stays well below
LOADED_N = 50.0
#: largest distance (m) of a loaded plate's point from the origin of its body: more
#: than a foot's length from the heel (module docstring), less than a step
PLATE_DISTANCE_M = 0.35


def spatial_actuator_report(model, solution) -> dict:
    """coordinate -> {kind, unit, rms, peak, share, moment_rms} of a torque-driven 3D model."""
    base = model.base
    roots = set(spatial_root_coordinates(base.tree))
    kinds = base.tree.coordinate_kinds()
    t = np.asarray(solution.time, float)
    out = {}
    for c in base.actuated:
        name = actuator_name(c, kinds[c])
        torque = base.optimal_torque.get(c, 1.0) * solution.control(name)
        rms = float(np.sqrt(np.trapezoid(torque ** 2, t) / (t[-1] - t[0])))
        out[c] = {"kind": "residual" if c in roots else "reserve",
                  "unit": "N" if kinds[c] == PRISMATIC else "N*m", "rms": rms,
                  "peak": float(np.max(np.abs(torque))), "share": 1.0 if rms > 0 else 0.0,
                  "moment_rms": rms}
    return out


def plate_distances(model: SpatialMeasuredLoads, time, q) -> dict:
    """force name -> (largest distance (m) of its point from its body's origin while it
    carries more than LOADED_N, its peak force N), for forces with a point in ground.
    ``q`` (n_t, n) the model's coordinates at ``time`` (n_t,)."""
    tree = model.tree
    qs, ts = ca.SX.sym("q", tree.n), ca.SX.sym("t")
    states = tree.body_states(qs)
    F, P, _ = model.stacked(ts)
    out = {}
    for k, f in enumerate(model.loads.forces):
        if not f.has_point or f.point_expressed_in_body != GROUND \
                or f.force_expressed_in_body != GROUND:
            continue
        fun = ca.Function("plate", [qs, ts], [ca.norm_2(P[3 * k:3 * k + 3]
                                                        - states[f.applied_to_body].p),
                                              ca.norm_2(F[3 * k:3 * k + 3])])
        d, force = (np.array(v).ravel() for v in fun.map(len(time))(np.asarray(q).T,
                                                                    np.asarray(time)))
        loaded = force > LOADED_N
        out[f.name] = (float(d[loaded].max()) if loaded.any() else 0.0, float(force.max()))
    return out


def loads_reporter(problem, model, solution, context) -> dict:
    """Reporter (ocp.engine.reports): the reserves and residuals of a torque-driven 3D model
    with measured loads (``reserves``), and warnings for residuals above OpenSim's
    guidelines and for a force plate far from its body."""
    if not isinstance(model, SpatialMeasuredLoads) or not isinstance(model.base,
                                                                     TorqueDrivenTree):
        return {}
    q = np.column_stack([solution.state(c) for c in model.tree.coordinates])
    messages = []
    for name, (distance, force) in plate_distances(model, solution.time, q).items():
        if distance > PLATE_DISTANCE_M:
            body = next(f.applied_to_body for f in model.loads.forces if f.name == name)
            messages.append(f"ExternalForce '{name}' on {body}: its point lies up to "
                            f"{distance:.2f} m from {body} while it carries more than "
                            f"{LOADED_N:g} N (peak {force:.0f} N), beyond "
                            f"{PLATE_DISTANCE_M:g} m: is the force plate applied to the "
                            f"wrong foot?")
    report = spatial_actuator_report(model, solution) if model.base.actuated else {}
    messages += report_warnings(model.name, report, judged=())
    return {**({"reserves": report} if report else {}),
            **({"warnings": messages} if messages else {})}


register_reporter(loads_reporter, order=29)
