"""What reserve and residual actuators carried in a solution, and when to worry.

A *reserve* is an ideal actuator on a joint (Moco's ``ModOpAddReserves``); a
*residual* is one on the root joint (the pelvis of a gait model: the chain of
joints from the ground to the first body with mass, Moco's
``ModOpAddResiduals``): it makes up for what the measured external loads and
the model's accelerations disagree on. Per coordinate the report gives the
actuator's RMS and peak (N m, or N on a translation) and its *share*: its RMS
over the RMS of the coordinate's generalised force (the inverse-dynamics
moment it helps to produce).

Warnings, after OpenSim's guidelines for simulation accuracy ("Reserves and
Residuals", OpenSim documentation,
https://simtk-confluence.stanford.edu:8443/display/OpenSim/_reserves+and+residuals,
and Hicks et al. 2015, J Biomech Eng 137:020905): "Peak residual forces
should typically be less than 10-20 N; peak residual moments, less than 75
Nm"; a reserve should carry little of its joint's moment (here: its RMS at
most 10 % of the moment's, ``RESERVE_SHARE``).

Residuals do not reveal a force plate applied to the wrong foot when its
point is expressed in ground: the total external force and moment on the
body, all the root sees, are the same. The leg joints' moments change, and
the reserves there carry what the muscles cannot (the reserve warning).
"""
from __future__ import annotations

import numpy as np
from scipy import integrate

from ocp.models.multibody import PRISMATIC

#: peak residual force (N) and moment (N m) above which a solution is flagged
#: (OpenSim's "Reserves and Residuals" guideline, upper ends of its ranges)
RESIDUAL_PEAK_FORCE_N = 20.0
RESIDUAL_PEAK_MOMENT_N_M = 75.0
#: largest share of a joint moment's RMS that a reserve may carry
RESERVE_SHARE = 0.10

__all__ = ["RESIDUAL_PEAK_FORCE_N", "RESIDUAL_PEAK_MOMENT_N_M", "RESERVE_SHARE",
           "root_coordinates", "spatial_root_coordinates", "actuator_report", "report_warnings"]


def root_coordinates(tree) -> tuple[str, ...]:
    """The coordinates of a floating base: from the ground to the first segment with
    mass, when a joint on the way slides (a pelvis); () for a fixed base (an arm's
    shoulder is a joint, its actuator a reserve)."""
    out, parent = [], None
    for seg in tree.segments:   # parents first
        if seg.parent == parent:
            out.append(seg)
            parent = seg.name
            if not isinstance(seg.mass_kg, (int, float)) or seg.mass_kg > 0:
                break
    if not any(s.joint.kind == PRISMATIC for s in out):
        return ()
    return tuple(s.joint.coordinate for s in out)


def spatial_root_coordinates(tree) -> tuple:
    """The free coordinates of the joint between the ground and the first body (the
    pelvis' six), when one of them is a translation; () otherwise."""
    from ocp.models.spatial.reduced import ReducedTree
    full = tree.tree if isinstance(tree, ReducedTree) else tree
    first = next((b for b in full.bodies if b.parent is None), None)
    if first is None:
        return ()
    roots = tuple(c for c in first.joint.coordinates if c in tree.coordinates)
    translational = set(full.translational)
    return roots if any(c in translational for c in roots) else ()


def floating_base(tree) -> tuple:
    """:func:`root_coordinates` of a planar tree, :func:`spatial_root_coordinates` of a
    3D one (a SpatialTree or ReducedTree)."""
    from ocp.models.multibody import KinematicTree
    return root_coordinates(tree) if isinstance(tree, KinematicTree) \
        else spatial_root_coordinates(tree)


def _rms(t, y):
    t, y = np.asarray(t, float), np.asarray(y, float)
    return float(np.sqrt(integrate.trapezoid(y ** 2, t) / (t[-1] - t[0])))


def actuator_report(time, torques: dict, moments: dict, tree) -> dict:
    """coordinate -> {kind ("residual" or "reserve"), unit, rms, peak, share, moment_rms}.

    ``torques``: each actuator's generalised force (N m or N) at ``time`` (s);
    ``moments``: the coordinate's generalised force that muscles, reserves and
    loads together produce (inverse dynamics), at the same times.
    """
    t = np.asarray(time, float)
    roots = set(floating_base(tree))
    kinds = tree.coordinate_kinds()
    out = {}
    for c, torque in torques.items():
        torque = np.asarray(torque, float)
        moment = _rms(t, moments[c])
        rms = _rms(t, torque)
        out[c] = {"kind": "residual" if c in roots else "reserve",
                  "unit": "N" if kinds[c] == PRISMATIC else "N*m",
                  "rms": rms, "peak": float(np.max(np.abs(torque))),
                  "share": rms / moment if moment > 0 else 0.0, "moment_rms": moment}
    return out


def report_warnings(model_name: str, report: dict, judged=None) -> list[str]:
    """The residuals above OpenSim's peak thresholds, the reserves above their share;
    ``judged``: the coordinates whose reserve something else could relieve (default
    all; a joint no muscle crosses has its "reserve" as its only actuator)."""
    out = []
    for c, r in report.items():
        if judged is not None and c not in judged and r["kind"] == "reserve":
            continue
        if r["kind"] == "residual":
            limit = RESIDUAL_PEAK_FORCE_N if r["unit"] == "N" else RESIDUAL_PEAK_MOMENT_N_M
            if r["peak"] > limit:
                what = "force" if r["unit"] == "N" else "moment"
                out.append(f"model '{model_name}': the residual {what} on '{c}' peaks at "
                           f"{r['peak']:.3g} {r['unit']}, above the {limit:g} {r['unit']} "
                           f"OpenSim's guidelines allow: the external loads and the "
                           f"kinematics disagree (check the force plates' assignment, "
                           f"the model's mass, filtering)")
        elif r["share"] > RESERVE_SHARE:
            out.append(f"model '{model_name}': the reserve on '{c}' carries "
                       f"{100 * r['share']:.0f} % of its moment (RMS {r['rms']:.3g} against "
                       f"{r['moment_rms']:.3g}), more than {100 * RESERVE_SHARE:.0f} %: the "
                       f"muscles do not produce the motion; check their strength, the data "
                       f"(a force plate on the wrong foot?), or the reserve's optimal force")
    return out
