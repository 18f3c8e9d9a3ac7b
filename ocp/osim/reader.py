"""Read an OpenSim 4 model file (.osim) into plain data: bodies, joints, frames,
coordinates, actuators, muscles and their paths, contacts.

Only the standard library's XML parser (expat, through ``xml.etree``) is used;
OpenSim need not be installed. Every element keeps its line number, so an error
names the file, the element and its line. Nothing is dropped silently:
elements that only draw (meshes, markers, display properties) are listed in
``OsimDocument.ignored``; an element that would change the dynamics and is not
supported is an error.

This module reads the model's sets (with :class:`ocp.osim.elements.ElementReader`);
:mod:`ocp.osim.bodies` reads bodies, frames and joints, :mod:`ocp.osim.forces`
muscles, actuators and contacts. These modules only read: ``ocp.osim.tree``
turns bodies and joints into a planar kinematic tree, ``ocp.osim.model``
builds the model.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ocp.osim.bodies import Body, read_frames, read_joint
from ocp.osim.elements import ElementReader, OsimError, join_path, objects, open_model
from ocp.osim.forces import read_actuator, read_contact_geometry, read_muscle, read_smooth_contact

#: Elements read (the rest of the file, by tag, is either ignored as display-only
#: or rejected). Muscles other than DeGrooteFregly2016Muscle are converted.
MUSCLES = ("DeGrooteFregly2016Muscle", "Millard2012EquilibriumMuscle", "Thelen2003Muscle")
JOINTS = ("PlanarJoint", "PinJoint", "SliderJoint", "WeldJoint", "CustomJoint")
#: Components that do not take part in the dynamics: listed, not read.
DISPLAY_ONLY = ("Marker", "Mesh", "FrameGeometry", "Appearance", "Brick", "Sphere",
                "Cylinder", "Ellipsoid", "ContactMesh", "Probe", "Controller")
#: Wrap surfaces: an error in a muscle's path (PathWrapSet), listed when no path uses them.
WRAP_SURFACES = ("WrapCylinder", "WrapSphere", "WrapEllipsoid", "WrapTorus",
                 "WrapCylinderObst", "WrapSphereObst", "WrapDoubleCylinderObst")
#: Children of <Model> that hold elements and are read (or listed as ignored).
MODEL_PARTS = ("components", "Ground", "BodySet", "JointSet", "ControllerSet",
               "ConstraintSet", "ForceSet", "MarkerSet", "ContactGeometrySet", "ProbeSet",
               "ComponentSet", "ModelVisualPreferences")
#: What a <Body> holds (OpenSim 4): read, or drawn only (listed as ignored).
BODY_PROPERTIES = ("mass", "mass_center", "inertia", "attached_geometry", "frame_geometry",
                   "FrameGeometry", "WrapObjectSet", "components", "frames")
#: Force and component tags that are read.
FORCES = MUSCLES + ("CoordinateActuator", "SmoothSphereHalfSpaceForce")
GRAVITY_DEFAULT = (0.0, -9.80665, 0.0)


@dataclass
class OsimDocument:
    """Everything read from one .osim file."""

    file: str
    name: str
    gravity: tuple
    bodies: dict             # name -> Body
    frames: dict             # path -> Frame
    joints: list             # of Joint
    muscles: list
    actuators: list
    contact_geometry: dict   # name -> ContactGeometry
    contacts: list
    ignored: list            # "Tag 'name' (line n)" of display-only elements
    lines: dict = field(default_factory=dict, repr=False)
    #: (name, frame path, location (3,), line) of each Marker: outputs, not dynamics
    markers: list = field(default_factory=list)

    def coordinates(self) -> dict:
        return {c.name: c for j in self.joints for c in j.coordinates}

    def error(self, message: str, element: str | None = None, line: int | None = None):
        """An OsimError for ``element`` (``PinJoint 'knee_r'``) at ``line`` of this file."""
        return OsimError(message, element, self.file, line)


def list_ignored(owner, lines: dict, ignored: list):
    """Display-only elements and wrap surfaces of a body (or the ground), into ``ignored``.

    A wrap surface that a muscle path used would have stopped reading at its
    PathWrapSet; those listed here are used by no path.
    """
    for g in owner.iter():
        if g is owner or not g.get("name"):
            continue
        if g.tag in DISPLAY_ONLY:
            ignored.append(f"{g.tag} '{g.get('name')}' (line {lines.get(g, 0)})")
        elif g.tag in WRAP_SURFACES:
            ignored.append(f"{g.tag} '{g.get('name')}' (line {lines.get(g, 0)}): wrap "
                           "surface that no muscle path uses")


def check_body(ctx: ElementReader, body, lines: dict, ignored: list) -> None:
    """A <Body>'s mass is not negative and it holds only what a Body holds: an
    element it does not know would change nothing, silently. One that only
    draws (``DISPLAY_ONLY``) is listed as ignored; any other is refused."""
    if ctx.number(body, "mass") < 0:
        raise ctx.error(body, f"<mass> must be at least 0 kg, got {ctx.number(body, 'mass')}")
    for child in body:
        if child.tag in BODY_PROPERTIES:
            continue
        if child.tag in DISPLAY_ONLY:
            if not child.get("name"):   # list_ignored lists the named ones
                ignored.append(f"{child.tag} (line {lines.get(child, 0)})")
            continue
        raise OsimError(f"<{child.tag}> in a Body is not supported; a Body holds "
                        f"{', '.join(BODY_PROPERTIES)}", f"Body '{body.get('name')}'",
                        ctx.file, lines.get(child, lines.get(body)))


def read_osim(path) -> OsimDocument:
    """Parse an .osim file. Raises OsimError naming the file, element and line."""
    path = Path(path)
    model, lines, ctx = open_model(path)
    gravity = ctx.numbers(model, "gravity", 3, GRAVITY_DEFAULT)
    frames, bodies, joints, muscles, actuators = {}, {}, [], [], []
    geometry, contacts, ignored = {}, [], []

    for el in model:   # a set or component this reader does not know: not dropped silently
        if len(el) and el.tag not in MODEL_PARTS:
            raise ctx.error(el, f"'{el.tag}' in the Model is not supported; supported: "
                                f"{', '.join(sorted(MODEL_PARTS))} (and scalar properties)")
    ground = model.find("Ground")
    if ground is not None:
        read_frames(ctx, ground, "/ground", frames)
        list_ignored(ground, lines, ignored)
    for b in objects(model.find("BodySet")):
        if b.tag != "Body":
            raise ctx.error(b, f"'{b.tag}' in the BodySet is not supported (Body only)")
        name = b.get("name")
        if name in bodies:
            raise ctx.error(b, f"a second Body named '{name}' (the first is at line "
                               f"{bodies[name].line}): body names must be unique")
        check_body(ctx, b, lines, ignored)
        bodies[name] = Body(name, ctx.number(b, "mass"),
                            ctx.numbers(b, "mass_center", 3, (0, 0, 0)),
                            ctx.numbers(b, "inertia", 6), lines.get(b, 0))
        read_frames(ctx, b, f"/bodyset/{name}", frames)
        list_ignored(b, lines, ignored)
    ctx.unique_names(objects(model.find("JointSet")), "joint")
    comps = model.find("components")
    ctx.unique_names([el for el in list(comps if comps is not None else ())
                      + objects(model.find("ComponentSet")) + objects(model.find("ForceSet"))
                      if el.tag in FORCES], "force")
    ctx.unique_names(objects(model.find("ContactGeometrySet")), "contact geometry")
    for j in objects(model.find("JointSet")):
        if j.tag not in JOINTS:
            raise ctx.error(j, f"joint type '{j.tag}' is not supported; supported: "
                               f"{', '.join(JOINTS)}")
        joints.append(read_joint(ctx, j))
        read_frames(ctx, j, f"/jointset/{j.get('name')}", frames)
    seen = {}
    for c in (c for j in joints for c in j.coordinates):
        if c.name in seen:
            raise OsimError(f"a second coordinate named '{c.name}' (the first is at line "
                            f"{seen[c.name]}): coordinate names must be unique",
                            f"Coordinate '{c.name}'", str(path), c.line)
        seen[c.name] = c.line

    def force(el, owner):
        if el.tag in FORCES and not ctx.boolean(el, "appliesForce", True):
            ignored.append(f"{el.tag} '{el.get('name')}' (line {lines.get(el, 0)}): "
                           "appliesForce is false")
            return
        if el.tag in MUSCLES:
            muscles.append(read_muscle(ctx, el, owner))
        elif el.tag == "CoordinateActuator":
            actuators.append(read_actuator(ctx, el))
        elif el.tag == "SmoothSphereHalfSpaceForce":
            contacts.append(read_smooth_contact(ctx, el))
        elif el.tag == "PhysicalOffsetFrame":
            pass  # read by _frames_under
        elif el.tag in DISPLAY_ONLY:
            ignored.append(f"{el.tag} '{el.get('name')}' (line {lines.get(el, 0)})")
        else:
            raise ctx.error(el, f"'{el.tag}' is not supported; supported forces and "
                                f"components: {', '.join(FORCES)}")

    comps = model.find("components")
    if comps is not None:
        for el in comps:
            force(el, "/")
    for el in objects(model.find("ComponentSet")):
        force(el, "/componentset")
    read_frames(ctx, model, "/", frames)
    for el in objects(model.find("ForceSet")):
        force(el, "/forceset")
    for el in objects(model.find("ContactGeometrySet")):
        if el.tag not in ("ContactSphere", "ContactHalfSpace"):
            raise ctx.error(el, f"contact geometry '{el.tag}' is not supported; supported: "
                                "ContactSphere, ContactHalfSpace")
        geometry[el.get("name")] = read_contact_geometry(ctx, el)
    for el in objects(model.find("ConstraintSet")):
        raise ctx.error(el, f"constraints ('{el.tag}') are not supported")
    for el in objects(model.find("ControllerSet")):
        ignored.append(f"{el.tag} '{el.get('name')}' (line {lines.get(el, 0)}): controllers "
                       "are replaced by the optimal control problem")
    markers = []
    for el in objects(model.find("MarkerSet")):
        ignored.append(f"{el.tag} '{el.get('name')}' (line {lines.get(el, 0)})")
        if el.tag == "Marker":
            markers.append((el.get("name"), join_path(f"/markerset/{el.get('name')}",
                                                      ctx.text(el, "socket_parent_frame")),
                            ctx.numbers(el, "location", 3, (0, 0, 0)), ctx.line(el)))
    for el in model.findall("ModelVisualPreferences"):
        ignored.append(f"ModelVisualPreferences (line {lines.get(el, 0)})")
    for el in objects(model.find("ProbeSet")):
        ignored.append(f"{el.tag} '{el.get('name')}' (line {lines.get(el, 0)})")
    return OsimDocument(str(path), model.get("name", path.stem), gravity, bodies, frames,
                        joints, muscles, actuators, geometry, contacts, ignored, lines,
                        markers)
