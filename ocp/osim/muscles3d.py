"""A 3D .osim file with muscles -> a muscle-driven model over its spatial tree.

- Tree: ``ocp.osim.spatial_skeleton.reduced_tree``, over the free coordinates
  (coupled coordinates substituted, locked ones held).
- Muscles: Millard2012EquilibriumMuscle, Thelen2003Muscle (converted, noted)
  and DeGrooteFregly2016Muscle, as for planar files (``ocp.osim.muscles``);
  their paths (wrapping included, ``ocp.osim.paths3d``) are fitted by
  polynomials in the coordinates each spans (``ocp.osim.geometry3d``, cached
  on disk), or learned by networks (``geometry = "neural"``,
  ``ocp.osim.neural_geometry3d``, cached too). A fit off by more than
  ``FIT_LENGTH_RMS_M`` (length) or ``FIT_MOMENT_ARM_RMS_M`` (moment arm) RMS
  over the fitted ranges is refused unless ``accept_geometry_fit``.
- CoordinateActuator: a reserve ``reserve_<coordinate>`` (optimal force per
  unit control, control limits as bounds). ActivationCoordinateActuator: an
  activation state and an excitation control (``ocp.models.spatial_muscle_driven``).
- SmoothSphereHalfSpaceForce: a SpatialContact through the tree
  (``ocp.osim.contacts3d``), as for the torque-driven 3D model; ``contacts``
  adds spheres from a contact file (``ocp.osim.contact_file``: gait2392 has
  none); ``contact_stiffness_N_m2`` replaces every sphere's stiffness.
- Bounds: finite coordinate ranges of the free coordinates, muscles'
  [min_control, max_control].
"""
from __future__ import annotations

import dataclasses
import math
import warnings
from dataclasses import dataclass
from pathlib import Path

from ocp.models.multibody import REVOLUTE
from ocp.models.muscle_driven import COMPLIANT, RIGID, Muscle
from ocp.models.spatial_muscle_driven import (
    ActivationActuator,
    SpatialMuscleDrivenTree,
    spatial_coordinate_kinds,
)
from ocp.osim.contact_file import read_contact_file
from ocp.osim.contacts3d import read_contact_elements, spatial_contacts
from ocp.osim.elements import ElementReader, objects, parse_xml
from ocp.osim.forces import CoordinateActuator
from ocp.osim.forces import Muscle as OsimMuscle
from ocp.osim.geometry3d import cached_fit
from ocp.osim.muscles import (
    FIT_LENGTH_RMS_M,
    FIT_MOMENT_ARM_RMS_M,
    FromOsimFile,
    OsimConversionNote,
    muscle_parameters,
)
from ocp.osim.neural_geometry3d import neural_paths3d
from ocp.osim.paths3d_reader import read_muscle_paths
from ocp.osim.reader import MUSCLES
from ocp.osim.spatial_skeleton import SpatialDocument, read_spatial, reduced_tree

#: Force elements read from a 3D file (the others are refused with this list).
FORCES_3D = MUSCLES + ("CoordinateActuator", "ActivationCoordinateActuator",
                       "SmoothSphereHalfSpaceForce")
CURVES = ("ActiveForceLengthCurve", "ForceVelocityCurve", "FiberForceLengthCurve",
          "TendonForceLengthCurve")


@dataclass
class Forces3d:
    muscles: list       # of ocp.osim.forces.Muscle (path read separately)
    actuators: list     # of ocp.osim.forces.CoordinateActuator
    activation: list    # of (ActivationActuator, line)
    ignored: list       # "Tag 'name' (line n): why"
    name: str = ""      # the Model's name


def control_limit(ctx: ElementReader, el, tag: str, default: float) -> float:
    """An actuator's <min_control> or <max_control>: a number, Inf or -Inf (no limit)."""
    text = el.findtext(tag)
    if text is None or not text.strip():
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if math.isnan(value):
        raise ctx.error(el, f"<{tag}> must be a number, Inf or -Inf, got '{text.strip()}'")
    return value


def read_forces3d(doc: SpatialDocument) -> Forces3d:
    """The muscles and actuators of a 3D file's ForceSet, components and ComponentSet."""
    root, lines = parse_xml(Path(doc.file))
    ctx = ElementReader(doc.file, lines)
    model = root.find("Model")
    out = Forces3d([], [], [], [], model.get("name", Path(doc.file).stem))
    elements = list(objects(model.find("ForceSet"))) + list(objects(model.find("ComponentSet")))
    components = model.find("components")
    elements += [el for el in (components if components is not None else ())
                 if el.tag in FORCES_3D]
    ctx.unique_names([el for el in elements if el.tag != "PhysicalOffsetFrame"], "force")
    for el in elements:
        where = f"{el.tag} '{el.get('name')}' (line {ctx.line(el)})"
        if el.tag not in FORCES_3D:
            if el.tag == "PhysicalOffsetFrame":
                continue
            raise ctx.error(el, f"'{el.tag}' is not supported; supported forces: "
                                f"{', '.join(FORCES_3D)}")
        if not ctx.boolean(el, "appliesForce", True):
            out.ignored.append(f"{where}: appliesForce is false")
        elif el.tag in MUSCLES:
            props = {c.tag: c.text.strip() for c in el
                     if len(c) == 0 and c.text is not None and c.text.strip()}
            for curve in CURVES:
                for c in (el.find(curve) if el.find(curve) is not None else ()):
                    if c.text is not None and c.text.strip():
                        props[f"{curve}.{c.tag}"] = c.text.strip()
            out.muscles.append(OsimMuscle(el.tag, el.get("name"), props, (), ctx.line(el)))
        elif el.tag == "CoordinateActuator":
            out.actuators.append(CoordinateActuator(
                el.get("name"), ctx.text(el, "coordinate"), ctx.number(el, "optimal_force", 1.0),
                control_limit(ctx, el, "min_control", -math.inf),
                control_limit(ctx, el, "max_control", math.inf), ctx.line(el)))
        elif el.tag == "ActivationCoordinateActuator":
            act = ActivationActuator(el.get("name"), ctx.text(el, "coordinate"),
                                     ctx.number(el, "optimal_force", 1.0),
                                     ctx.number(el, "activation_time_constant", 0.01),
                                     control_limit(ctx, el, "min_control", -math.inf),
                                     control_limit(ctx, el, "max_control", math.inf))
            out.activation.append((act, ctx.line(el)))
    return out


def has_muscles(path) -> bool:
    """Whether the file's ForceSet, components or ComponentSet hold a muscle."""
    root, _ = parse_xml(Path(path))
    model = root.find("Model")
    if model is None:
        return False
    holders = [model.find("ForceSet/objects"), model.find("components"),
               model.find("ComponentSet/objects")]
    return any(el.tag in MUSCLES for h in holders if h is not None for el in h)


class OsimSpatialMuscleModel(FromOsimFile, SpatialMuscleDrivenTree):
    """A SpatialMuscleDrivenTree that keeps the file's bounds, notes and geometry fit
    (ocp.models.protocols.OsimModel; ``osim`` is the SpatialDocument)."""

    def __init__(self, *args, geometry_method: str = "polynomial", **kwargs):
        super().__init__(*args, geometry_method=geometry_method, **kwargs)


def _free_actuator_coordinate(doc, rtree, name, coordinate, kind, line) -> bool:
    """Whether the actuator acts: False on a locked coordinate (it moves nothing)."""
    if coordinate not in doc.coordinates():
        raise doc.error(f"coordinate '{coordinate}' does not exist; coordinates: "
                        f"{', '.join(doc.coordinates())}", f"{kind} '{name}'", line)
    if coordinate in rtree.locked:
        return False
    if coordinate not in rtree.coordinates:
        raise doc.error(f"coordinate '{coordinate}' is coupled (a function of other "
                        "coordinates): an actuator on it is not supported",
                        f"{kind} '{name}'", line)
    return True


def fit_box(doc: SpatialDocument, rtree, fit_ranges: dict | None) -> dict:
    """Free coordinate -> (lo, hi) fitted: the file's ranges, narrowed by ``fit_ranges``
    (never widened: a moving path point holds its coordinate within the file's range,
    so a path is not smooth beyond it)."""
    coords = doc.coordinates()
    ranges = {c: tuple(coords[c].range) for c in rtree.coordinates}
    for c, (lo, hi) in (fit_ranges or {}).items():
        if c in ranges:
            ranges[c] = (max(lo, ranges[c][0]), min(hi, ranges[c][1]))
    for c, (lo, hi) in ranges.items():
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise doc.error(f"the range [{lo}, {hi}] cannot be fitted over: give the "
                            "coordinate a finite <range>, or bounds in the problem file",
                            f"Coordinate '{c}'", coords[c].line)
    return ranges


def refuse_poor_fits(doc, errors, muscles: dict) -> None:
    """OsimError naming the worst fitted muscle beyond the targets, and how far off."""
    poor = [e for e in errors
            if e.length_rms_m > FIT_LENGTH_RMS_M or e.moment_arm_rms_m > FIT_MOMENT_ARM_RMS_M]
    if not poor:
        return
    e = max(poor, key=lambda e: max(e.length_rms_m / FIT_LENGTH_RMS_M,
                                    e.moment_arm_rms_m / FIT_MOMENT_ARM_RMS_M))
    m = muscles[e.muscle]
    rest = [p.muscle for p in poor if p is not e]
    others = f" ({len(rest)} other muscles too: {', '.join(rest)})" if rest else ""
    raise doc.error(f"the polynomial fit of muscle '{e.muscle}' over "
                    f"{', '.join(e.coordinates)} is off by {e.length_rms_m * 1e3:.3g} mm RMS "
                    f"in length and {e.moment_arm_rms_m * 1e3:.3g} mm RMS in moment arm "
                    f"(targets {FIT_LENGTH_RMS_M * 1e3:g} mm and "
                    f"{FIT_MOMENT_ARM_RMS_M * 1e3:g} mm){others}: narrow the fitted ranges "
                    "(bounds in the problem file), or accept the fit with [model] "
                    "accept_geometry_fit = true", f"{m.kind} '{m.name}'", m.line)


def build_spatial_osim_model(path, *, tendon: str | None = None, geometry: str = "polynomial",
                             fit_ranges: dict | None = None, accept_geometry_fit: bool = False,
                             progress=None, cache: Path | None = None, contacts=None,
                             contact_stiffness_N_m2: float | None = None,
                             hold: dict | None = None):
    """Read a 3D ``path`` and build its OsimSpatialMuscleModel (see the module).

    ``geometry``: "polynomial" (or "exact", which for a 3D file is the reference
    the polynomials are fitted to: the NLP uses the fit, noted), or "neural"
    (networks trained on the exact paths, ``ocp.osim.neural_geometry3d``).
    ``fit_ranges``: coordinate -> (lo, hi) replacing the file's ranges for the fit.
    ``progress(error, seconds)`` is called after each muscle's polynomial fit (none
    when read from the cache). ``contacts``: a contact file (``ocp.osim.contact_file``)
    whose spheres join the file's own; a name in both is refused. ``hold``:
    {coordinate: value} held out of the model (as the file's locked coordinates: no
    state, no muscle path spans it). Raises OsimError (ProblemError for the contact
    file).
    """
    doc = read_spatial(path)
    try:
        rtree = reduced_tree(doc, hold)
    except ValueError as exc:
        raise doc.error(str(exc), "CoordinateSet") from None
    forces = read_forces3d(doc)
    if not forces.muscles:
        raise doc.error("3D files without muscles are built torque-driven (not by the "
                        "muscle-driven 3D builder)", "ForceSet")
    if geometry not in ("exact", "polynomial", "neural"):
        raise ValueError(f"geometry must be 'exact', 'polynomial' or 'neural', got {geometry!r}")
    notes = []
    if geometry == "exact":
        notes.append("3D muscle paths: the NLP uses polynomials fitted to the exact paths "
                     "(the exact path, with its wrapping, is the reference)")
    coords = doc.coordinates()
    bounds = {c: tuple(coords[c].range) for c in rtree.coordinates
              if all(math.isfinite(v) for v in coords[c].range)}
    reserves = {}
    for a in forces.actuators:
        if not _free_actuator_coordinate(doc, rtree, a.name, a.coordinate,
                                         "CoordinateActuator", a.line):
            forces.ignored.append(f"CoordinateActuator '{a.name}' (line {a.line}): its "
                                  f"coordinate '{a.coordinate}' is locked")
            continue
        if a.coordinate in reserves:
            raise doc.error(f"a second actuator on coordinate '{a.coordinate}' is not "
                            "supported", f"CoordinateActuator '{a.name}'", a.line)
        reserves[a.coordinate] = a.optimal_force
        bounds[f"reserve_{a.coordinate}"] = (a.min_control, a.max_control)
    acting = []
    for act, line in forces.activation:
        if _free_actuator_coordinate(doc, rtree, act.name, act.coordinate,
                                     "ActivationCoordinateActuator", line):
            acting.append(act)
        else:
            forces.ignored.append(f"ActivationCoordinateActuator '{act.name}' (line {line}): "
                                  f"its coordinate '{act.coordinate}' is locked")
    params, flags = [], []
    for m in forces.muscles:
        p, f = muscle_parameters(doc, m, notes)
        params.append(p)
        flags.append(f)
    if len(notes) > (geometry == "exact"):
        warnings.warn(f"{path}: {len(forces.muscles)} muscles read, some converted to "
                      f"DeGrooteFregly2016Muscle parameters; first: {notes[-1]}",
                      OsimConversionNote, stacklevel=2)
    if tendon is None:
        rigid = {f["rigid"] for f in flags}
        if len(rigid) > 1:
            raise doc.error("some muscles ignore tendon compliance and others do not; choose "
                            "one with [model] tendon = \"rigid\" or \"compliant\"", "ForceSet")
        tendon = RIGID if rigid.pop() else COMPLIANT
    settings = [{not f["no_activation_dynamics"] for f in flags},
                {not f["no_passive"] for f in flags}, {f["activation_smoothing"] for f in flags}]
    if any(len(s) > 1 for s in settings):
        raise doc.error("muscles differ in ignore_activation_dynamics, "
                        "ignore_passive_fiber_force or activation_dynamics_smoothing; "
                        "ocp needs one setting for all", "ForceSet")
    for m, f in zip(forces.muscles, flags):
        bounds[f"{m.name}_activation"] = bounds[f"{m.name}_excitation"] = \
            (f["min_control"], f["max_control"])
    all_paths = read_muscle_paths(path)
    paths = {m.name: all_paths[m.name] for m in forces.muscles}
    ranges = fit_box(doc, rtree, fit_ranges)
    defaults = {c: min(max(coords[c].default_value, ranges[c][0]), ranges[c][1])
                for c in rtree.coordinates}
    try:
        if geometry == "neural":
            kinds = spatial_coordinate_kinds(rtree)
            geometries, errors = neural_paths3d(
                path, rtree, paths, ranges, defaults, model_name=forces.name, cache=cache,
                units=["rad" if kinds[c] == REVOLUTE else "m" for c in rtree.coordinates])
        else:
            geometries, errors, _ = cached_fit(path, rtree, paths, ranges, defaults,
                                               cache=cache, progress=progress)
    except ValueError as exc:
        raise doc.error(str(exc), "ForceSet") from None
    if not accept_geometry_fit:
        refuse_poor_fits(doc, errors, {m.name: m for m in forces.muscles})
    notes += forces.ignored
    contact_list = list(spatial_contacts(doc, *read_contact_elements(path)))
    if contacts is not None:
        own = {c.name for c in contact_list}
        for c in read_contact_file(contacts, rtree.body_names()):
            if c.name in own:
                raise doc.error(f"contact sphere '{c.name}' of {contacts} is also a "
                                "SmoothSphereHalfSpaceForce of the file", "ForceSet")
            contact_list.append(c)
        notes.append(f"{len(contact_list) - len(own)} contact spheres from {contacts}")
    if contact_stiffness_N_m2 is not None:
        contact_list = [dataclasses.replace(c, sphere=dataclasses.replace(
            c.sphere, stiffness_N_m2=contact_stiffness_N_m2)) for c in contact_list]
    muscles = [Muscle(m.name, p, g) for m, p, g in zip(forces.muscles, params, geometries)]
    return OsimSpatialMuscleModel(
        forces.name, rtree, muscles,
        actuators=tuple(acting), tendon=tendon,
        activation_dynamics=settings[0].pop(), passive_fiber_force=settings[1].pop(),
        activation_smoothing=settings[2].pop(), reserves=reserves,
        parameters={"file": str(path), "muscles fitted over": ", ".join(
            f"{c} [{lo:.3g}, {hi:.3g}]" for c, (lo, hi) in ranges.items())},
        bounds=bounds, osim=doc, notes=notes, geometry_fit=errors,
        geometry_method="neural" if geometry == "neural" else "polynomial",
        contacts=tuple(contact_list))


__all__ = ["FORCES_3D", "Forces3d", "OsimSpatialMuscleModel", "build_spatial_osim_model",
           "fit_box", "has_muscles", "read_forces3d", "refuse_poor_fits"]
