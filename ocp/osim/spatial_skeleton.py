"""Bodies, frames, joints, markers and constraints of an .osim file -> a spatial tree.

:func:`read_spatial` reads what the dynamics need from any OpenSim 4 model
(planar or not); :func:`spatial_tree` reads it into a
:class:`ocp.models.spatial.SpatialTree` over all the file's coordinates (in the
file's order), and :func:`reduced_tree` into a
:class:`ocp.models.spatial.ReducedTree` over its free coordinates
(CoordinateCouplerConstraint's dependent coordinates substituted, locked ones
held at their default value). :func:`is_planar` tells whether the planar path
(``ocp.osim.tree.build_skeleton``) can take a file.

Frames: a PhysicalOffsetFrame's ``orientation`` is OpenSim's body-fixed X-Y-Z
sequence, its ``translation`` in its parent frame. A joint's parent and child
frames are bodies, the ground or offset frames; a body's mass properties:
``mass``, ``mass_center``, ``inertia`` (xx yy zz xy xz yz about the centre of
mass, in the body frame). Forces, paths and contacts are read elsewhere.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ocp.models.spatial.reduced import Coupling, ReducedTree
from ocp.models.spatial.rotations import body_fixed_xyz
from ocp.models.spatial.tree import SpatialBody, SpatialJoint, SpatialMarker, SpatialTree
from ocp.osim.bodies import read_frames, refuse_massless_leaf
from ocp.osim.elements import OsimError, join_path, objects, open_model
from ocp.osim.joints3d import JOINTS_3D, Joint3d, read_function, read_joint3d

GRAVITY_DEFAULT = (0.0, -9.80665, 0.0)
#: Constraint types read (the others are refused with this list).
CONSTRAINTS = ("CoordinateCouplerConstraint",)


@dataclass(frozen=True)
class Coupler:
    """dependent = scale * f(independent...) (CoordinateCouplerConstraint)."""

    name: str
    dependent: str
    independent: tuple
    function: object
    scale: float
    line: int


@dataclass
class SpatialDocument:
    """What the dynamics need from one .osim file."""

    file: str
    gravity: tuple
    bodies: dict                 # name -> (mass, com (3,), inertia (3, 3), line)
    frames: dict                 # path -> ocp.osim.bodies.Frame
    joints: list                 # of Joint3d, in the file's order
    markers: list                # of (name, frame path, location, line)
    couplers: list               # of Coupler
    lines: dict = field(default_factory=dict, repr=False)

    def coordinates(self) -> dict:
        """{name: Coordinate3d}, in the file's order."""
        return {c.name: c for j in self.joints for c in j.coordinates}

    def error(self, message, element=None, line=None) -> OsimError:
        return OsimError(message, element, self.file, line)


def read_spatial(path) -> SpatialDocument:
    """Parse an OpenSim 4 file's gravity, bodies, frames, joints, markers and constraints."""
    path = Path(path)
    model, lines, ctx = open_model(path)
    frames, bodies, joints, markers, couplers = {}, {}, [], [], []
    ground = model.find("Ground")
    if ground is not None:
        read_frames(ctx, ground, "/ground", frames)
    for b in objects(model.find("BodySet")):
        if b.tag != "Body":
            raise ctx.error(b, f"'{b.tag}' in the BodySet is not supported (Body only)")
        name = b.get("name")
        if name in bodies:
            raise ctx.error(b, f"a second Body named '{name}' (the first is at line "
                               f"{bodies[name][3]}): body names must be unique")
        mass = ctx.number(b, "mass")
        if mass < 0:
            raise ctx.error(b, f"<mass> must be at least 0 kg, got {mass}")
        xx, yy, zz, xy, xz, yz = ctx.numbers(b, "inertia", 6, (0,) * 6)
        inertia = np.array([[xx, xy, xz], [xy, yy, yz], [xz, yz, zz]])
        bodies[name] = (mass, np.array(ctx.numbers(b, "mass_center", 3, (0, 0, 0))),
                        inertia, ctx.line(b))
        read_frames(ctx, b, f"/bodyset/{name}", frames)
    seen, joint_lines = {}, {}
    for j in objects(model.find("JointSet")):
        if j.get("name") in joint_lines:
            raise ctx.error(j, f"a second joint named '{j.get('name')}' (the first is at line "
                               f"{joint_lines[j.get('name')]}): joint names must be unique")
        joint_lines[j.get("name")] = ctx.line(j)
        joint = read_joint3d(ctx, j)
        for c in joint.coordinates:
            if c.name in seen:
                raise ctx.error(j, f"a second coordinate named '{c.name}' (the first is at "
                                   f"line {seen[c.name]}): coordinate names must be unique")
            seen[c.name] = c.line
        joints.append(joint)
        read_frames(ctx, j, f"/jointset/{j.get('name')}", frames)
    read_frames(ctx, model, "/", frames)
    for m in objects(model.find("MarkerSet")):
        if m.tag != "Marker":
            raise ctx.error(m, f"'{m.tag}' in the MarkerSet is not supported (Marker only)")
        first = next((line for name, _, _, line in markers if name == m.get("name")), None)
        if first is not None:
            raise ctx.error(m, f"a second marker named '{m.get('name')}' (the first is at line "
                               f"{first}): marker names must be unique")
        markers.append((m.get("name"), join_path(f"/markerset/{m.get('name')}",
                                                 ctx.text(m, "socket_parent_frame")),
                        ctx.numbers(m, "location", 3, (0, 0, 0)), ctx.line(m)))
    for c in objects(model.find("ConstraintSet")):
        if c.tag not in CONSTRAINTS:
            raise ctx.error(c, f"constraint type '{c.tag}' is not supported; supported: "
                               f"{', '.join(CONSTRAINTS)}")
        if not ctx.boolean(c, "isEnforced", True):
            continue
        holder = c.find("coupled_coordinates_function")
        inner = list(holder) if holder is not None else []
        if len(inner) != 1:
            raise ctx.error(c, "expected one function in <coupled_coordinates_function>")
        independent = tuple(ctx.text(c, "independent_coordinate_names").split())
        dependent = ctx.text(c, "dependent_coordinate_name")
        for name in independent + (dependent,):
            if name not in seen:
                raise ctx.error(c, f"coordinate '{name}' does not exist")
        couplers.append(Coupler(c.get("name"), dependent, independent,
                                read_function(ctx, inner[0]), ctx.number(c, "scale_factor", 1.0),
                                ctx.line(c)))
    return SpatialDocument(str(path), ctx.numbers(model, "gravity", 3, GRAVITY_DEFAULT),
                           bodies, frames, joints, markers, couplers, lines)


def frame_in_body(doc: SpatialDocument, path: str, element="", line=0, depth=0):
    """(body name or 'ground', R (3,3), p (3,)): a frame path's pose in its body."""
    if depth > 50:
        raise doc.error(f"frame '{path}' is defined in a loop", element, line)
    if path == "/ground":
        return "ground", np.eye(3), np.zeros(3)
    if path.startswith("/bodyset/") and path.count("/") == 2:
        name = path.split("/")[2]
        if name not in doc.bodies:
            raise doc.error(f"frame '{path}' names the body '{name}', which does not exist; "
                            f"bodies: {', '.join(doc.bodies)}", element, line)
        return name, np.eye(3), np.zeros(3)
    frame = doc.frames.get(path)
    if frame is None:
        raise doc.error(f"frame '{path}' does not exist (known frames: ground, "
                        f"{', '.join(doc.bodies)} and {len(doc.frames)} offset frames)",
                        element, line)
    body, r, p = frame_in_body(doc, frame.parent, f"PhysicalOffsetFrame '{path}'",
                               frame.line, depth + 1)
    return body, r @ body_fixed_xyz(frame.orientation), p + r @ np.asarray(frame.translation)


def _ordered_joints(doc: SpatialDocument) -> list:
    """(joint, parent body, child body), parents before children (breadth-first)."""
    children, joint_of = {}, {}
    for j in doc.joints:
        where = f"{j.kind} '{j.name}'"
        parent = frame_in_body(doc, j.parent_frame, where, j.line)[0]
        child = frame_in_body(doc, j.child_frame, where, j.line)[0]
        if child == "ground":
            raise doc.error("a joint whose child is the ground (a reversed joint) is not "
                            "supported", where, j.line)
        if child in joint_of:
            raise doc.error(f"body '{child}' is the child of two joints ('{joint_of[child].name}'"
                            f" and '{j.name}'): closed loops are not supported", where, j.line)
        joint_of[child] = j
        children.setdefault(parent, []).append((j, child))
    for name, (_, _, _, line) in doc.bodies.items():
        if name not in joint_of:
            raise doc.error(f"body '{name}' is attached to nothing (no joint has it as child)",
                            f"Body '{name}'", line)
    refuse_massless_leaf(doc, {b: v[0] for b, v in doc.bodies.items()},
                         {b: v[3] for b, v in doc.bodies.items()},
                         [(j.kind, j.name, p, c) for p, items in children.items()
                          for j, c in items])
    order, queue = [], ["ground"]
    while queue:
        parent = queue.pop(0)
        for j, child in children.get(parent, []):
            order.append((j, parent, child))
            queue.append(child)
    if len(order) != len(doc.joints):
        j = next(j for j in doc.joints if j not in [o[0] for o in order])
        raise doc.error("the joint is not connected to the ground (a loop of bodies)",
                        f"{j.kind} '{j.name}'", j.line)
    return order


def spatial_tree(doc: SpatialDocument) -> SpatialTree:
    """The tree over all the file's coordinates (constraints not applied)."""
    bodies = []
    for j, parent, child in _ordered_joints(doc):
        where = f"{j.kind} '{j.name}'"
        _, r_p, p_p = frame_in_body(doc, j.parent_frame, where, j.line)
        _, r_c, p_c = frame_in_body(doc, j.child_frame, where, j.line)
        mass, com, inertia, _ = doc.bodies[child]
        bodies.append(SpatialBody(child, None if parent == "ground" else parent,
                                  SpatialJoint(j.name, tuple(c.name for c in j.coordinates),
                                               j.transform, j.transform.factors),
                                  (r_p, p_p), (r_c, p_c), mass, tuple(com), inertia))
    markers = []
    for name, frame, location, line in doc.markers:
        body, r, p = frame_in_body(doc, frame, f"Marker '{name}'", line)
        if body == "ground":
            continue   # a marker fixed in the ground does not move
        markers.append(SpatialMarker(name, body, tuple(r @ np.asarray(location) + p)))
    return SpatialTree(tuple(bodies), tuple(doc.coordinates()), tuple(doc.gravity),
                       tuple(markers), translational(doc))


def translational(doc: SpatialDocument) -> tuple:
    """Coordinates in metres: those that only translate (slider, planar and free
    translations, CustomJoint coordinates on translation axes only)."""
    out = []
    for j in doc.joints:
        names = [c.name for c in j.coordinates]
        if j.kind == "SliderJoint":
            out += names
        elif j.kind in ("PlanarJoint", "FreeJoint"):
            out += names[-2:] if j.kind == "PlanarJoint" else names[3:]
        elif j.kind == "CustomJoint":
            rotating = {names[i] for a in j.transform.axes[:3] for i in a.indices}
            out += [c for c in names if c not in rotating]
    return tuple(out)


def reduced_tree(doc: SpatialDocument, hold: dict | None = None) -> ReducedTree:
    """The tree over the free coordinates: couplers substituted, locked ones held
    (at their default value), and those of ``hold`` ({coordinate: value}) held too."""
    coords = doc.coordinates()
    couplings = []
    for c in doc.couplers:
        if coords[c.dependent].locked:
            raise doc.error(f"coordinate '{c.dependent}' is both locked and coupled",
                            f"CoordinateCouplerConstraint '{c.name}'", c.line)
        couplings.append(Coupling(c.dependent, c.independent, c.function, c.scale))
    locked = {c.name: c.default_value for c in coords.values() if c.locked}
    for name, value in (hold or {}).items():
        if name not in coords or name in {c.dependent for c in doc.couplers}:
            raise ValueError(f"cannot hold '{name}': not a free coordinate of {doc.file}")
        locked[name] = float(value)
    return ReducedTree(spatial_tree(doc), tuple(couplings), locked)


def read_spatial_tree(path) -> SpatialTree:
    """Any .osim file (3D or planar) -> its SpatialTree over all its coordinates."""
    return spatial_tree(read_spatial(path))


def is_planar(path) -> bool:
    """Whether every joint of the file moves in the ground's x-y plane: rotations
    about z (constant offsets included) and translations in x-y, gravity along
    -y: what ``ocp.osim.tree.build_skeleton`` takes. Raises OsimError for a file
    that cannot be read in 3D either."""
    doc = read_spatial(path)
    g = doc.gravity
    if abs(g[0]) > 1e-12 or abs(g[2]) > 1e-12:
        return False
    for frame in doc.frames.values():
        if abs(frame.orientation[0]) > 1e-12 or abs(frame.orientation[1]) > 1e-12:
            return False
    for j in doc.joints:
        if j.kind in ("PinJoint", "SliderJoint", "PlanarJoint", "WeldJoint"):
            continue
        if j.kind != "CustomJoint":
            return False
        for axis in j.transform.axes:
            moves = bool(axis.indices) or axis.value([]) != 0.0
            if not moves:
                continue
            d = np.asarray(axis.direction)
            if axis.name.startswith("rotation") and abs(abs(d[2]) - 1) > 1e-9:
                return False
            if axis.name.startswith("translation") and axis.indices and abs(d[2]) > 1e-12:
                return False
    return not doc.couplers and not any(c.locked for c in doc.coordinates().values())


__all__ = ["JOINTS_3D", "Coupler", "Joint3d", "SpatialDocument", "frame_in_body", "is_planar",
           "read_spatial", "read_spatial_tree", "reduced_tree", "spatial_tree"]
