"""OpenSim 3 model files (Version 30000 to 30499) read in the OpenSim 4 layout.

An OpenSim 3 file is upgraded in memory, element by element, as OpenSim 4
upgrades it when it opens one (``Model::updateFromXMLNode``), for the elements
that map one to one; every reader of ``ocp.osim`` then reads the OpenSim 4 tree
(:func:`ocp.osim.elements.parse_xml` calls :func:`upgrade`). New elements keep the
line of the element they come from, so errors still point into the file.

- ``<Body name="ground">`` -> ``<Ground>`` (its wrap objects kept);
- a Body's ``<Joint><XJoint>`` -> the model's JointSet, its ``parent_body``,
  ``location_in_parent``, ``orientation_in_parent`` -> an offset frame
  ``<parent>_offset`` and its ``location``, ``orientation`` -> ``<child>_offset``,
  both in the joint's ``<frames>``; ``<CoordinateSet>`` -> ``<coordinates>``;
- ``inertia_xx`` ... ``inertia_yz`` -> ``<inertia>xx yy zz xy xz yz``;
- a TransformAxis' ``<function><F/></function>`` -> ``<F name="function">``;
- ``<body>`` of path points and markers -> ``socket_parent_frame``;
  ``x_coordinate`` (y, z) of moving points -> ``socket_x_coordinate``,
  ``coordinate`` of conditional points -> ``socket_coordinate``, ``body_name``
  of contact geometry -> ``socket_frame``;
- ``VisibleObject``: its display geometry -> ``attached_geometry`` meshes (listed
  as ignored by the readers).

What does not map one to one is refused, saying what to convert: a reversed
joint (``<reverse>true``), a joint under a body that is not in the BodySet, and
files of other versions (OpenSim 1 and 2, and 4.0 betas such as 30501).
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

from ocp.errors import ProblemError

FIRST, LAST = 30000, 30499
CONVERT = "open and save it in OpenSim 4 (File > Save Model As) to convert it"
INERTIA = ("inertia_xx", "inertia_yy", "inertia_zz", "inertia_xy", "inertia_xz", "inertia_yz")


class Upgrade:
    """One file's upgrade: its elements' lines and the errors that name them."""

    def __init__(self, root, lines: dict, file: str):
        self.root, self.lines, self.file = root, lines, file

    def error(self, el, message: str) -> ProblemError:
        name = el.get("name")
        where = f"{el.tag} '{name}'" if name else el.tag
        return ProblemError(f"{where} (line {self.lines.get(el, 0)}): {message}", None,
                            self.file)

    def new(self, parent, tag: str, source, text: str | None = None, **attrs):
        """A new child of ``parent`` carrying the line of ``source``."""
        el = ET.SubElement(parent, tag, attrs)
        el.text = text
        self.lines[el] = self.lines.get(source, 0)
        return el

    def frame(self, parent, name: str, socket: str, source, translation: str,
              orientation: str):
        frame = self.new(parent, "PhysicalOffsetFrame", source, name=name)
        self.new(frame, "socket_parent", source, socket)
        self.new(frame, "translation", source, translation)
        self.new(frame, "orientation", source, orientation)

    def body_path(self, name: str) -> str:
        return "/ground" if name == "ground" else f"/bodyset/{name}"


def _text(el, tag: str, default: str) -> str:
    value = el.findtext(tag)
    return value.strip() if value and value.strip() else default


def upgrade(root, lines: dict, file: str):
    """The OpenSim 4 tree of an OpenSim 3 document (in place); other documents as they are."""
    if root.tag != "OpenSimDocument":
        return root
    try:
        version = int(root.get("Version", "0") or 0)
    except ValueError:
        return root
    if version >= 40000 or root.find("Model") is None:
        return root
    u = Upgrade(root, lines, file)
    if not FIRST <= version <= LAST:
        raise u.error(root, f"version {version}: OpenSim 3 files (Version {FIRST} to "
                            f"{LAST}) and OpenSim 4 files are read; {CONVERT}")
    model = root.find("Model")
    coordinates = _upgrade_bodies(u, model)
    for el in model.iter():
        if el.tag in ("PathPoint", "MovingPathPoint", "ConditionalPathPoint", "Marker"):
            _rename(u, el, "body", "socket_parent_frame", u.body_path)
        if el.tag == "MovingPathPoint":
            for axis in "xyz":
                _rename(u, el, f"{axis}_coordinate", f"socket_{axis}_coordinate",
                        lambda c: coordinates.get(c, c))
        if el.tag == "ConditionalPathPoint":
            _rename(u, el, "coordinate", "socket_coordinate", lambda c: coordinates.get(c, c))
        if el.tag in ("ContactSphere", "ContactHalfSpace", "ContactMesh"):
            _rename(u, el, "body_name", "socket_frame", u.body_path)
    _display_geometry(u, model)
    root.set("Version", "40000")
    root.set("upgraded_from", str(version))
    return root


def _rename(u: Upgrade, el, old: str, new: str, value):
    child = el.find(old)
    if child is None:
        return
    replacement = u.new(el, new, child, value((child.text or "").strip()))
    el.remove(replacement)
    el.insert(list(el).index(child), replacement)
    el.remove(child)


def _upgrade_bodies(u: Upgrade, model) -> dict:
    """Bodies and their joints; returns {coordinate: its OpenSim 4 path}."""
    body_set = model.find("BodySet")
    holder = body_set.find("objects") if body_set is not None else None
    bodies = list(holder) if holder is not None else []
    names = {b.get("name") for b in bodies}
    joint_set = ET.Element("JointSet", {"name": "jointset"})
    u.lines[joint_set] = u.lines.get(body_set, 0)
    joints = u.new(joint_set, "objects", body_set)
    coordinates = {}
    for body in bodies:
        if body.tag != "Body":
            continue
        values = [body.findtext(k) for k in INERTIA]
        if all(v is not None for v in values):
            for k in INERTIA:
                body.remove(body.find(k))
            inertia = u.new(body, "inertia", body, " ".join(v.strip() for v in values))
            body.remove(inertia)
            body.insert(2, inertia)
        wrapper = body.find("Joint")
        inner = list(wrapper) if wrapper is not None else []
        if wrapper is not None:
            body.remove(wrapper)
        if body.get("name") == "ground":
            holder.remove(body)
            body.tag = "Ground"
            for k in ("mass", "mass_center", "inertia"):
                if body.find(k) is not None:
                    body.remove(body.find(k))
            model.insert(list(model).index(body_set), body)
            continue
        for joint in inner:
            coordinates.update(_upgrade_joint(u, joint, body, names))
            joints.append(joint)
    if len(joints):
        model.insert(list(model).index(body_set) + 1, joint_set)
    return coordinates


def _upgrade_joint(u: Upgrade, joint, body, names) -> dict:
    child = body.get("name")
    if _text(joint, "reverse", "false").lower() == "true":
        raise u.error(joint, "a reversed joint (<reverse>true</reverse>) does not map to "
                             f"OpenSim 4 one to one; {CONVERT}")
    parent = _text(joint, "parent_body", "")
    if parent != "ground" and parent not in names:
        raise u.error(joint, f"<parent_body> '{parent}' is not a body of the BodySet; "
                             f"bodies: {', '.join(sorted(names))}")
    source = {k: joint.find(k) for k in ("parent_body", "location_in_parent",
                                         "orientation_in_parent", "location", "orientation")}
    frames = u.new(joint, "frames", joint)
    u.frame(frames, f"{parent}_offset", u.body_path(parent), joint,
            _text(joint, "location_in_parent", "0 0 0"),
            _text(joint, "orientation_in_parent", "0 0 0"))
    u.frame(frames, f"{child}_offset", u.body_path(child), joint,
            _text(joint, "location", "0 0 0"), _text(joint, "orientation", "0 0 0"))
    for el in source.values():
        if el is not None:
            joint.remove(el)
    if joint.find("reverse") is not None:
        joint.remove(joint.find("reverse"))
    u.new(joint, "socket_parent_frame", joint, f"{parent}_offset")
    u.new(joint, "socket_child_frame", joint, f"{child}_offset")
    out = {}
    coordinate_set = joint.find("CoordinateSet")
    if coordinate_set is not None:
        listed = u.new(joint, "coordinates", coordinate_set)
        holder = coordinate_set.find("objects")
        for c in list(holder) if holder is not None else []:
            listed.append(c)
            out[c.get("name")] = f"/jointset/{joint.get('name')}/{c.get('name')}"
        joint.remove(coordinate_set)
    transform = joint.find("SpatialTransform")
    for axis in transform.findall("TransformAxis") if transform is not None else []:
        wrapper = axis.find("function")
        if wrapper is not None:
            inner = list(wrapper)
            axis.remove(wrapper)
            for f in inner[:1]:
                f.set("name", "function")
                axis.append(f)
    return out


def _display_geometry(u: Upgrade, model):
    """VisibleObject -> attached_geometry meshes; the empty ones of wrap objects dropped."""
    for owner in list(model.iter()):
        for visible in owner.findall("VisibleObject"):
            meshes = [g for g in visible.iter("DisplayGeometry")]
            owner.remove(visible)
            if meshes:
                attached = u.new(owner, "attached_geometry", visible)
                for g in meshes:
                    u.new(attached, "Mesh", g, name=_text(g, "geometry_file", "mesh"))
