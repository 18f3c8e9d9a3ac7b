"""An .osim file -> an ocp Model (muscle-driven, or torque-driven without muscles).

- Muscles: DeGrooteFregly2016Muscle parameters are taken as they are. Other
  Hill-type muscles (Millard2012EquilibriumMuscle, Thelen2003Muscle) keep
  their maximum isometric force, optimal fibre length, tendon slack length,
  pennation angle, maximum contraction velocity, activation and deactivation
  time constants and tendon strain at maximum isometric force, and take De
  Groote et al.'s curves (what OpenSim's
  ``DeGrooteFregly2016Muscle::replaceMuscles`` does); each conversion is
  reported in ``model.notes`` and as an ``OsimConversionNote`` warning.
  Activation dynamics take the file's ``activation_dynamics_smoothing``,
  OpenSim's default 0.1 when absent (our own models default to 10).
- CoordinateActuators: reserve actuators ``reserve_<coordinate>`` with the
  actuator's optimal force (N m or N per unit control) and its control limits
  as bounds (torque controls ``tau_<coordinate>`` when there are no muscles).
- SmoothSphereHalfSpaceForce: ``ocp.models.contact.ContactSphere`` with
  ``friction_law = "opensim"``: the normal force identical, the friction
  OpenSim's (static peak and c_f in the slip speed included) but for its
  min(v_rel, 1), made smooth within |v_rel - 1| < 0.1 (contact.py).
- Bounds: coordinate ranges, and [min_control, max_control] of each muscle
  for its excitation and activation, as Moco sets them by default.
"""
from __future__ import annotations

import math
import warnings

from ocp.engine.reports import register_reporter
from ocp.models.muscle_driven import COMPLIANT, RIGID, Muscle, MuscleDrivenTree
from ocp.models.protocols import OsimModel, SurrogateModel
from ocp.models.torque_driven import TorqueDrivenTree, actuator_name
from ocp.osim.elements import OsimError
from ocp.osim.forces import opensim_sphere
from ocp.osim.muscles import (
    FIT_LENGTH_RMS_M,
    FIT_MOMENT_ARM_RMS_M,
    FromOsimFile,
    OsimConversionNote,
    muscle_parameters,
)
from ocp.osim.paths import ConditionalPoint, FixedPoint, MovingPoint, OsimPathGeometry
from ocp.osim.reader import DISPLAY_ONLY, OsimDocument, read_osim
from ocp.osim.tree import Skeleton, build_skeleton


def muscle_geometry(skeleton: Skeleton, m, smoothing_rad: float = 0.0) -> OsimPathGeometry:
    """The path of an OpenSim muscle in the planar tree."""
    doc = skeleton.doc
    coords = skeleton.coordinates
    points = []
    for p in m.path:
        where = f"{p.kind} '{p.name}' of {m.kind} '{m.name}'"
        for name in [p.coordinate] + [c for c, _ in p.functions]:
            if name is not None and name not in coords:
                raise doc.error(f"coordinate '{name}' does not exist; coordinates: "
                                f"{', '.join(coords)}", where, p.line)
        if p.kind == "MovingPathPoint":
            segment, pose = skeleton.frame_pose(p.frame, where, p.line)
            z = skeleton.segment_z[segment] if segment else 0.0
            functions = tuple((c, fn, coords[c].range if c else (0.0, 0.0))
                              for c, fn in p.functions)
            points.append(MovingPoint(segment, pose, z, functions))
            continue
        segment, xy, z = skeleton.locate(p.frame, p.location, where, p.line)
        fixed = FixedPoint(segment, xy, z)
        if p.kind == "ConditionalPathPoint":
            if p.coordinate is None:
                continue  # never active in OpenSim without a coordinate
            points.append(ConditionalPoint(fixed, p.coordinate, tuple(p.range)))
        else:
            points.append(fixed)
    if isinstance(points[0], ConditionalPoint) or isinstance(points[-1], ConditionalPoint):
        raise doc.error("a conditional first or last path point is not supported",
                        f"{m.kind} '{m.name}'", m.line)
    if sum(isinstance(p, ConditionalPoint) for p in points) > 4:
        raise doc.error("more than four conditional path points are not supported",
                        f"{m.kind} '{m.name}'", m.line)
    return OsimPathGeometry(tuple(points), smoothing_rad)


# -- contacts ----------------------------------------------------------------

def contact_spheres(skeleton: Skeleton, notes: list) -> tuple:
    doc = skeleton.doc
    spheres = []
    for c in doc.contacts:
        where = f"SmoothSphereHalfSpaceForce '{c.name}'"
        sphere = doc.contact_geometry.get(c.sphere)
        half = doc.contact_geometry.get(c.half_space)
        if sphere is None or sphere.kind != "ContactSphere":
            raise doc.error(f"socket_sphere '{c.sphere}' is not a ContactSphere of the "
                            "ContactGeometrySet", where, c.line)
        if half is None or half.kind != "ContactHalfSpace":
            raise doc.error(f"socket_half_space '{c.half_space}' is not a ContactHalfSpace",
                            where, c.line)
        hseg, hpose = skeleton.frame_pose(half.frame, f"ContactHalfSpace '{half.name}'", half.line)
        if abs(half.orientation[0]) > 1e-12 or abs(half.orientation[1]) > 1e-12:
            raise doc.error("the half-space is tilted out of the plane",
                            f"ContactHalfSpace '{half.name}'", half.line)
        angle = hpose.angle + half.orientation[2]
        outward = (-math.cos(angle), -math.sin(angle))   # OpenSim: the half-space is x > 0
        origin = hpose.apply(half.location)
        if hseg is not None or abs(outward[0]) > 1e-9 or outward[1] < 0 or abs(origin[1]) > 1e-12:
            raise doc.error("only a ground half-space at y = 0 with its surface normal along "
                            "+y is supported (orientation 0 0 -1.5707963)",
                            f"ContactHalfSpace '{half.name}'", half.line)
        seg, xy, _ = skeleton.locate(sphere.frame, sphere.location,
                                     f"ContactSphere '{sphere.name}'", sphere.line)
        if seg is None:
            raise doc.error("a contact sphere fixed to the ground is not supported",
                            f"ContactSphere '{sphere.name}'", sphere.line)
        spheres.append(opensim_sphere(c.name, seg, xy, sphere.radius_m, c.parameters))
    return tuple(spheres)


def with_contact_stiffness(spheres, stiffness_N_m2: float) -> tuple:
    """The contact spheres with every plain-strain modulus set to ``stiffness_N_m2`` (N/m^2).

    The Hertz part of the normal force is proportional to it (contact.py:
    F_H = (4/3) k^(3/2) sqrt(r) d^(3/2) with k = E^(2/3) / 2, i.e.
    F_H = (sqrt(2) / 3) E sqrt(r) d^(3/2) for an indentation d well inside
    contact), so a sphere carrying a force F sinks (E_old / E_new)^(2/3)
    times deeper.
    """
    import dataclasses
    if not (math.isfinite(stiffness_N_m2) and stiffness_N_m2 > 0):
        raise ValueError(f"contact stiffness must be a positive number of N/m^2, "
                         f"got {stiffness_N_m2}")
    return tuple(dataclasses.replace(s, stiffness_N_m2=float(stiffness_N_m2)) for s in spheres)


# -- the models --------------------------------------------------------------

class OsimMuscleModel(FromOsimFile, MuscleDrivenTree):
    """A MuscleDrivenTree (with its contact spheres) that keeps the file's bounds."""


class OsimTorqueModel(FromOsimFile, TorqueDrivenTree):
    """A TorqueDrivenTree from an .osim file without muscles (CoordinateActuators)."""


def _coordinate_bounds(skeleton: Skeleton) -> dict:
    return {name: c.range for name, c in skeleton.coordinates.items()
            if all(math.isfinite(v) for v in c.range)}


def build_osim_model(path, *, tendon: str | None = None, conditional_smoothing_rad: float = 0.0,
                     doc: OsimDocument | None = None, geometry: str = "exact",
                     fit_ranges: dict | None = None,
                     contact_stiffness_N_m2: float | None = None,
                     accept_geometry_fit: bool = False, spatial: dict | None = None,
                     muscle_options: dict | None = None, contacts=None):
    """Read ``path`` and build its model (OsimMuscleModel or OsimTorqueModel).

    ``tendon``: "rigid" or "compliant" for every muscle; by default the file's
    ``ignore_tendon_compliance`` (which must then agree for all muscles).
    ``conditional_smoothing_rad``: see ``OsimPathGeometry``; 0 = OpenSim's switch.
    ``geometry``: "exact" (OpenSim's paths), "polynomial": each muscle's
    length fitted by a polynomial in the coordinates it crosses over
    ``fit_ranges`` (coordinate -> (lo, hi); default the file's coordinate
    ranges), see ocp.models.muscles.polynomial_fit, or "neural": small
    networks trained on the same paths over the same ranges, cached on disk
    (ocp.osim.neural_geometry; the first run needs PyTorch). The fit errors
    are kept in ``model.geometry_fit``, the method in ``model.geometry_method``.
    ``contact_stiffness_N_m2``: replaces the ``<stiffness>`` (plain-strain
    modulus, N/m^2) of every SmoothSphereHalfSpaceForce; None keeps the file's.
    A 3D file with muscles is built by ``ocp.osim.muscles3d`` (polynomial paths;
    ``accept_geometry_fit`` keeps a fit beyond the targets instead of refusing it);
    without them, or with ``spatial = {"ignore": ["muscles"]}``, it is torque-driven.
    ``spatial``: options of a 3D torque-driven model (``ignore``, ``hold``,
    ``unactuated``, ``frames`` of ``ocp.osim.model3d.spatial_torque_arguments``).
    ``muscle_options``: for a planar file with muscles, constructor arguments of
    the model that replace the file's (``reserves`` and ``bounds`` are merged into
    the file's; ``curves``, ``passive_fiber_force``, ``parameters``): one build
    instead of a build and a ``replace``.
    ``contacts``: a contact file of spheres (``ocp.osim.contact_file``) added to a 3D
    muscle-driven model's own.
    Raises OsimError (a ProblemError) naming the file, element and line.
    """
    # the 3D readers are imported when a file needs them: `import ocp` stays light
    from ocp.osim.model3d import spatial_torque_arguments
    from ocp.osim.muscles3d import build_spatial_osim_model, has_muscles
    from ocp.osim.spatial_skeleton import is_planar
    options = {k: v for k, v in (spatial or {}).items() if v}
    spatial_tree = doc is None and not is_planar(path)
    muscle_3d = spatial_tree and has_muscles(path) and "muscles" not in options.get("ignore", ())
    if contacts is not None and not muscle_3d:
        raise OsimError("a contact file adds spheres to a 3D muscle-driven model only",
                        "ForceSet", str(path), None)
    if spatial_tree:   # 3D: a spatial tree
        if muscle_3d:
            hold = options.pop("hold", None)
            if options:   # muscle-driven (ocp.osim.muscles3d)
                raise OsimError(f"{', '.join(options)}: options of torque-driven 3D models; "
                                "this file has muscles (ignore them with ignore = "
                                "[\"muscles\"])", "ForceSet", str(path), None)
            return build_spatial_osim_model(path, tendon=tendon, geometry=geometry,
                                            fit_ranges=fit_ranges,
                                            accept_geometry_fit=accept_geometry_fit,
                                            contacts=contacts,
                                            contact_stiffness_N_m2=contact_stiffness_N_m2,
                                            hold=hold)
        return OsimTorqueModel(**spatial_torque_arguments(path, **options))
    doc = doc or read_osim(path)
    if any((spatial or {}).values()):
        raise doc.error(f"{', '.join(k for k, v in spatial.items() if v)}: options of 3D "
                        "files; this file is planar")
    skeleton = build_skeleton(doc)
    notes = []
    coords = skeleton.coordinates
    reserves, bounds = {}, _coordinate_bounds(skeleton)
    kinds = {s.joint.coordinate: s.joint.kind for s in skeleton.tree.segments}
    for a in doc.actuators:
        where = f"CoordinateActuator '{a.name}'"
        if a.coordinate not in coords:
            raise doc.error(f"coordinate '{a.coordinate}' does not exist; coordinates: "
                            f"{', '.join(coords)}", where, a.line)
        if a.coordinate in reserves:
            raise doc.error(f"a second actuator on coordinate '{a.coordinate}' is not supported",
                            where, a.line)
        reserves[a.coordinate] = a.optimal_force
    muscles, flags = [], []
    for m in doc.muscles:
        params, f = muscle_parameters(doc, m, notes, millard_min_control=True)
        path_geometry = muscle_geometry(skeleton, m, conditional_smoothing_rad)
        muscles.append(Muscle(m.name, params, path_geometry))
        flags.append(f)
    if notes:
        warnings.warn(f"{path}: {len(notes)} muscles converted to DeGrooteFregly2016Muscle "
                      f"parameters; first: {notes[0]}", OsimConversionNote, stacklevel=2)
    contacts = contact_spheres(skeleton, notes)
    if contact_stiffness_N_m2 is not None:
        contacts = with_contact_stiffness(contacts, contact_stiffness_N_m2)
    parameters = {"file": str(path), "ignored elements": len(doc.ignored)}
    if contact_stiffness_N_m2 is not None:
        parameters["contact stiffness (N/m^2)"] = float(contact_stiffness_N_m2)
    if not muscles:
        for a in doc.actuators:
            name = actuator_name(a.coordinate, kinds[a.coordinate])
            bounds[name] = (a.min_control, a.max_control)
        model = OsimTorqueModel(doc.name, skeleton.tree, tuple(reserves),
                                parameters=parameters, contacts=contacts,
                                optimal_torque=reserves, bounds=bounds, osim=skeleton,
                                notes=notes, geometry_fit=(), geometry_method="exact")
        return model   # no paths to fit
    if tendon is None:
        rigid = {f["rigid"] for f in flags}
        if len(rigid) > 1:
            raise doc.error("some muscles ignore tendon compliance and others do not; choose "
                            "one with [model] tendon = \"rigid\" or \"compliant\"", "ForceSet")
        tendon = RIGID if rigid.pop() else COMPLIANT
    activation = {not f["no_activation_dynamics"] for f in flags}
    passive = {not f["no_passive"] for f in flags}
    smoothing = {f["activation_smoothing"] for f in flags}
    if len(activation) > 1 or len(passive) > 1 or len(smoothing) > 1:
        raise doc.error("muscles differ in ignore_activation_dynamics, "
                        "ignore_passive_fiber_force or activation_dynamics_smoothing; "
                        "ocp needs one setting for all", "ForceSet")
    for m, f in zip(muscles, flags):
        limits = (f["min_control"], f["max_control"])
        bounds[f"{m.name}_activation"] = limits
        bounds[f"{m.name}_excitation"] = limits
    for a in doc.actuators:
        bounds[f"reserve_{a.coordinate}"] = (a.min_control, a.max_control)
    fit, learned = (), None
    if geometry == "polynomial":
        muscles, fit = _polynomial_muscles(skeleton, muscles, fit_ranges)
    elif geometry == "neural":
        learned, fit = _neural_geometry(path, skeleton, muscles, fit_ranges,
                                        conditional_smoothing_rad)
    elif geometry != "exact":
        raise ValueError(f"geometry must be 'exact', 'polynomial' or 'neural', "
                         f"got {geometry!r}")
    options = dict(muscle_options or {})
    reserves.update(options.pop("reserves", {}))
    bounds.update(options.pop("bounds", {}))
    parameters.update(options.pop("parameters", {}))
    options.setdefault("passive_fiber_force", passive.pop())
    model = OsimMuscleModel(doc.name, skeleton.tree, muscles, tendon=tendon,
                           activation_dynamics=activation.pop(),
                           activation_smoothing=smoothing.pop(),
                           reserves={c: reserves[c] for c in skeleton.tree.coordinates
                                     if c in reserves},
                           parameters=parameters, contacts=contacts, bounds=bounds,
                           osim=skeleton, notes=notes, geometry=learned,
                           geometry_fit=fit, geometry_method=geometry, **options)
    return model


def _polynomial_muscles(skeleton, muscles, fit_ranges):
    """Muscles whose paths are replaced by polynomials fitted to them, and the fit errors."""
    import dataclasses

    from ocp.models.muscles.polynomial_fit import fit_polynomial_geometry
    tree = skeleton.tree
    exact = _exact_paths(tree, muscles)
    ranges = _fit_box(skeleton, fit_ranges, "polynomial")
    fitted, errors = fit_polynomial_geometry(exact, tree.coordinates, [m.name for m in muscles],
                                             ranges)
    return [dataclasses.replace(m, geometry=g) for m, g in zip(muscles, fitted)], errors


def _fit_box(skeleton, fit_ranges, method: str) -> dict:
    """Coordinate -> (lo, hi) fitted: the file's ranges, overridden by ``fit_ranges``."""
    ranges = dict(_coordinate_bounds(skeleton))
    ranges.update(fit_ranges or {})
    missing = [c for c in skeleton.tree.coordinates if c not in ranges]
    if missing:
        first = skeleton.coordinates[missing[0]]
        raise skeleton.doc.error(f"coordinates {missing} have no finite <range> to fit the "
                                 f"{method} geometry over; give them one, or bounds in the "
                                 f"problem file", f"Coordinate '{first.name}'", first.line)
    return ranges


def _exact_paths(tree, muscles):
    """q (n,) -> (lengths (m,), moment arms (n, m)) of the muscles' own paths."""
    import casadi as ca
    q = ca.SX.sym("q", tree.n)
    lengths = ca.vertcat(*[m.geometry.length(tree, q) for m in muscles])
    return ca.Function("exact_paths", [q], [lengths, -ca.jacobian(lengths, q).T])


def _neural_geometry(path, skeleton, muscles, fit_ranges, smoothing_rad):
    """(learned geometry surrogate, fit errors): networks trained on the paths, or cached."""
    from ocp.models.multibody import REVOLUTE
    from ocp.osim.neural_geometry import neural_geometry
    tree = skeleton.tree
    ranges = _fit_box(skeleton, fit_ranges, "neural")
    kinds = {s.joint.coordinate: s.joint.kind for s in tree.segments}
    units = ["rad" if kinds[c] == REVOLUTE else "m" for c in tree.coordinates]
    surrogate, errors, _ = neural_geometry(
        path, _exact_paths(tree, muscles), list(tree.coordinates), units,
        [m.name for m in muscles], ranges, model_name=skeleton.doc.name,
        smoothing_rad=smoothing_rad)
    return surrogate, errors


def geometry_fit_summary(model) -> dict:
    """``{"muscle_geometry_fit": ...}`` for summary.json: method and errors (mm) per muscle.

    Empty for a model whose geometry is not fitted (exact paths, built-in models).
    """
    if not isinstance(model, OsimModel) or not model.geometry_fit:
        return {}
    errors = model.geometry_fit
    muscles = {e.muscle: {"coordinates": list(e.coordinates),
                          "length_rms_mm": e.length_rms_m * 1e3,
                          "length_max_mm": e.length_max_m * 1e3,
                          "moment_arm_rms_mm": e.moment_arm_rms_m * 1e3,
                          "moment_arm_max_mm": e.moment_arm_max_m * 1e3} for e in errors}
    summary = {"method": model.geometry_method,
               "worst_length_rms_mm": max(m["length_rms_mm"] for m in muscles.values()),
               "worst_moment_arm_mm": max(m["moment_arm_max_mm"] for m in muscles.values()),
               "muscles": muscles}
    learned = model.surrogates.get("geometry") if isinstance(model, SurrogateModel) else None
    if learned is not None:
        summary["networks"] = str(learned.path)
        summary["training_time_s"] = learned.metadata.get("training", {}).get("time_s")
    return {"muscle_geometry_fit": summary}


def describe_osim(path) -> str:
    """What was read from an .osim file: coordinates, actuators, muscles, contacts."""
    model = build_osim_model(path)
    sk = model.osim
    doc = sk.doc
    lines = [f"{doc.name} ({path})",
             f"  gravity:     {-doc.gravity[1]:g} m/s^2 along -y",
             f"  bodies:      {len(doc.bodies)} ({', '.join(doc.bodies)})"]
    if sk.merged:
        lines.append("  welded:      " + ", ".join(f"{b} -> {p}" for b, p in sk.merged.items()))
    lines.append("  coordinates: " + ", ".join(
        f"{c} [{sk.coordinates[c].range[0]:.4g}, {sk.coordinates[c].range[1]:.4g}]"
        for c in model.tree.coordinates))
    moving = [s.joint.coordinate for s in model.tree.segments if s.joint.moving_location]
    if moving:
        lines.append("  moving joint centres: " + ", ".join(moving))
    acts = [f"{a.name} on {a.coordinate} (optimal force {a.optimal_force:g}, control "
            f"[{a.min_control:g}, {a.max_control:g}])" for a in doc.actuators]
    lines.append("  actuators:   " + ("; ".join(acts) or "none"))
    if isinstance(model, MuscleDrivenTree):
        lines.append(f"  muscles:     {len(model.muscles)} ({model.tendon} tendon): " + ", ".join(
            f"{m.name} ({m.parameters.max_isometric_force_N:g} N)" for m in model.muscles))
        cond = [f"{m.name}" for m in model.muscles
                if any(isinstance(p, ConditionalPoint) for p in m.geometry.points)]
        if cond:
            lines.append("  conditional path points (exact switch, a kink): " + ", ".join(cond))
    else:
        lines.append("  muscles:     none (torque-driven)")
    lines.append("  contacts:    " + (", ".join(
        f"{s.name} on {s.segment} (r = {s.radius_m:g} m)" for s in model.contacts) or "none"))
    lines.append("  controls:    " + ", ".join(model.control_names))
    for note in model.notes[:3]:
        lines.append(f"  note: {note}")
    if len(model.notes) > 3:
        lines.append(f"  ... and {len(model.notes) - 3} more notes like these")
    if doc.ignored:
        kinds = {}
        for entry in doc.ignored:
            kind = entry.split(" ", 1)[0]
            kinds[kind] = kinds.get(kind, 0) + 1
        lines.append(f"  ignored (no effect on the dynamics): {len(doc.ignored)} elements ("
                     + ", ".join(f"{n} {k}" for k, n in kinds.items()) + ")")
        drawn = [e for e in doc.ignored if e.split(" ", 1)[0] in DISPLAY_ONLY]
        if drawn:   # meshes and frames, often dozens: a few examples
            lines.append("    drawn only, e.g. " + "; ".join(drawn[:3]))
        lines += [f"    {e}" for e in doc.ignored if e not in drawn]   # the rest, each
    return "\n".join(lines)


def geometry_fit_reporter(problem, model, solution, context) -> dict:
    """Reporter (ocp.engine.reports): fitted muscle geometry (polynomial or neural),
    its errors against the exact paths per muscle, and a warning per muscle whose
    fit misses the targets (FIT_LENGTH_RMS_M, FIT_MOMENT_ARM_RMS_M)."""
    report = geometry_fit_summary(model)
    warnings = [f"muscle '{e.muscle}': its fitted path ({model.geometry_method}) is off by "
                f"{e.length_rms_m * 1e3:.3g} mm RMS in length and {e.moment_arm_rms_m * 1e3:.3g}"
                f" mm in moment arm, beyond the targets ({FIT_LENGTH_RMS_M * 1e3:g} mm, "
                f"{FIT_MOMENT_ARM_RMS_M * 1e3:g} mm): narrow the fitted ranges or use "
                f"geometry = \"exact\"" for e in model.geometry_fit
                if e.length_rms_m > FIT_LENGTH_RMS_M or e.moment_arm_rms_m > FIT_MOMENT_ARM_RMS_M
                ] if report else []
    return {**report, "warnings": warnings} if warnings else report


register_reporter(geometry_fit_reporter, order=30)
