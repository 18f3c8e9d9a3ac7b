"""``ocp models FILE.osim`` for any OpenSim 4 file, 3D included: what it holds, what was read.

The tree (bodies with their mass, joints parents first with their coordinates and
ranges, locked and clamped ones marked), constraints, muscles with the wrap
objects of their paths, actuators, contacts, markers, and what was not read:
elements that only draw (listed as ignored) and elements this project does not
model (listed as not read, by tag and line). ``ocp models FILE.osim`` gives it for
files that are not planar, ``--spatial`` for any file; planar files keep their
own listing (``ocp.osim.model.describe_osim``), which also builds the model.
"""
from __future__ import annotations

from pathlib import Path

from ocp.models.contact import foot_of
from ocp.osim.contacts3d import read_contact_elements, spatial_contacts
from ocp.osim.elements import ElementReader, objects, parse_xml
from ocp.osim.model import describe_osim
from ocp.osim.reader import DISPLAY_ONLY, MUSCLES, WRAP_SURFACES
from ocp.osim.spatial_skeleton import is_planar, read_spatial, spatial_tree

#: Force elements read for the 3D listing (the rest of a ForceSet is "not read").
ACTUATORS = ("CoordinateActuator", "ActivationCoordinateActuator")
#: Joints whose rotation is body-fixed X-Y-Z angles (ocp/osim/joints3d.py): gimbal lock
#: where the second angle is +-90 deg.
EULER_JOINTS = ("BallJoint", "GimbalJoint", "FreeJoint")
#: Children of <Model> that only hold display or tool settings.
SETTINGS = ("defaults", "ModelVisualPreferences", "credits", "publications",
            "length_units", "force_units", "assembly_accuracy")


def describe_model_file(path) -> str:
    """``ocp models FILE.osim``: the planar listing (which builds the model) for a planar
    file, the 3D listing for any other (``is_planar``, as ``build_osim_model`` routes)."""
    return describe_osim(path) if is_planar(path) else describe_spatial(path)


def _forces(model) -> list:
    components = model.find("components")
    return objects(model.find("ForceSet")) + (list(components) if components is not None
                                              else [])


def _wrap_names(el) -> list:
    path = el.find("GeometryPath")
    holder = path.find("PathWrapSet") if path is not None else None
    return [pw.findtext("wrap_object", "").strip() for pw in objects(holder)]


def _number(el, tag: str, default: str = "?") -> str:
    text = (el.findtext(tag) or default).strip()
    try:
        return f"{float(text):.6g}"
    except ValueError:
        return text


def describe_spatial(path) -> str:
    """The 3D listing (module docstring) of an OpenSim 4 file."""
    path = Path(path)
    doc = read_spatial(path)
    tree = spatial_tree(doc)
    root, lines = parse_xml(path)
    model = root.find("Model")
    ElementReader(str(path), lines).unique_names(
        [el for el in _forces(model) if el.tag != "PhysicalOffsetFrame"], "force")
    kinds = {j.name: j.kind for j in doc.joints}
    coordinates = doc.coordinates()
    mass = sum(b[0] for b in doc.bodies.values())
    version = (f"an OpenSim 3 file (version {root.get('upgraded_from')}) read as OpenSim 4"
               if root.get("upgraded_from") else f"OpenSim {root.get('Version')}")
    out = [f"{model.get('name', path.stem)} ({path}): 3D, {version}",
           f"  gravity:     {' '.join(f'{g:g}' for g in doc.gravity)} m/s^2",
           f"  bodies:      {len(doc.bodies)}, {mass:.6g} kg: " + ", ".join(
               f"{name} ({b[0]:.4g} kg)" for name, b in doc.bodies.items()),
           f"  joints:      {len(doc.joints)} (parents first)"]
    for body in tree.bodies:
        marks = []
        for c in body.joint.coordinates:
            coordinate = coordinates[c]
            flags = "".join([" locked" if coordinate.locked else "",
                             " clamped" if coordinate.clamped else ""])
            marks.append(f"{c} [{coordinate.range[0]:.4g}, {coordinate.range[1]:.4g}]{flags}")
        kind = kinds.get(body.joint.name, "joint")
        singular = (f"; angles singular at {body.joint.coordinates[1]} = +-90 deg"
                    if kind in EULER_JOINTS and len(body.joint.coordinates) > 1 else "")
        out.append(f"    {body.joint.name} ({kind}): {body.parent or 'ground'} -> {body.name}: "
                   + (", ".join(marks) or "welded") + singular)
    locked = [c for c, v in coordinates.items() if v.locked]
    out.append(f"  coordinates: {len(coordinates)}" + (f" ({len(locked)} locked: "
                                                        f"{', '.join(locked)})" if locked else ""))
    out.append("  constraints: " + ("; ".join(
        f"CoordinateCouplerConstraint '{c.name}': {c.dependent} = "
        f"{c.scale:g} f({', '.join(c.independent)})" for c in doc.couplers) or "none"))
    muscles, actuators, not_read = [], [], []
    for el in _forces(model):
        name = el.get("name")
        if el.tag in MUSCLES:
            wraps = _wrap_names(el)
            force = _number(el, "max_isometric_force")
            muscles.append(f"{name} ({force} N" + (f"; wraps {', '.join(wraps)})" if wraps
                                                   else ")"))
        elif el.tag in ACTUATORS:
            actuators.append(f"{name} ({el.tag} on {el.findtext('coordinate', '?').strip()}, "
                             f"optimal force {_number(el, 'optimal_force', '1')})")
        elif el.tag != "SmoothSphereHalfSpaceForce" and el.tag != "PhysicalOffsetFrame":
            not_read.append(f"{el.tag} '{name}' (line {lines.get(el, 0)})")
    muscle_kinds = sorted({el.tag for el in _forces(model) if el.tag in MUSCLES})
    out.append(f"  muscles:     {len(muscles)}" + (f" ({', '.join(muscle_kinds)})" if muscles
                                                   else "") + (": " + "; ".join(muscles)
                                                               if muscles else ""))
    out.append(f"  actuators:   {len(actuators)}" + (": " + "; ".join(actuators)
                                                     if actuators else ""))
    geometry, contacts = read_contact_elements(path)
    contacts = spatial_contacts(doc, geometry, contacts)
    out.append("  contacts:    " + ("; ".join(
        f"{c.name}: sphere on {c.body} (r = {c.sphere.radius_m:g} m) against "
        f"'{c.half_space.name}' on {c.half_space.body or 'ground'}" for c in contacts)
        or "none"))
    feet = {}
    for c in contacts:
        feet.setdefault(foot_of(c.sphere), set()).add(c.body)
    if feet:
        out.append("  feet (grf, cop, free moment outputs): " + "; ".join(
            f"{foot}: {sum(foot_of(c.sphere) == foot for c in contacts)} spheres on "
            f"{', '.join(sorted(bodies))}" for foot, bodies in feet.items()))
    fixed = len(doc.markers) - len(tree.markers)
    out.append(f"  markers:     {len(doc.markers)}" + (": " + ", ".join(
        f"{m.name} ({m.body})" for m in tree.markers) if tree.markers else "")
        + (f"; {fixed} fixed in the ground" if fixed else ""))
    used = {w for el in _forces(model) for w in _wrap_names(el)}
    drawn, unused = {}, []
    for el in model.iter():
        if el.tag in DISPLAY_ONLY and el.tag != "Marker":
            drawn[el.tag] = drawn.get(el.tag, 0) + 1
        elif el.tag in WRAP_SURFACES and el.get("name") not in used:
            unused.append(f"{el.tag} '{el.get('name')}'")
    for el in model:
        if el.tag in SETTINGS and len(el):
            drawn[f"<{el.tag}>"] = 1
        elif el.tag in ("ControllerSet", "ProbeSet"):
            not_read.extend(f"{c.tag} '{c.get('name')}' (line {lines.get(c, 0)})"
                            for c in objects(el))
    ignored = [f"{n} {k}" for k, n in sorted(drawn.items())] + [
        f"{u} (no path uses it)" for u in unused]
    out.append("  ignored (display only): " + (", ".join(ignored) or "none"))
    out.append("  not read (not modelled here): " + (", ".join(not_read) or "none"))
    return "\n".join(out)
