"""Bodies and joints of an .osim file -> a planar kinematic tree.

Planar means: every rotation is about the ground's z axis and every
translation lies in the x-y plane. Out-of-plane offsets (a hip 8 cm to the
side) are constant and kept as each point's z coordinate, which enters muscle
path lengths (OpenSim's paths are 3-D) but not the planar dynamics.

Joint mapping (OpenSim -> ocp.models.multibody):

- PinJoint: revolute about the parent frame's z axis.
- SliderJoint: prismatic along the parent frame's x axis.
- PlanarJoint (rz, tx, ty): prismatic x, prismatic y, revolute, with two
  massless intermediate segments (translations in the parent frame, then the
  rotation, as OpenSim's Planar mobilizer).
- WeldJoint: the child body is merged into its parent (mass, centre of mass,
  parallel-axis inertia); its points move with the parent.
- CustomJoint: its SpatialTransform must be planar. A rotation about z that is
  ``q + constant`` with translations that are constants or functions of that
  same coordinate becomes a revolute joint whose centre moves with q
  (``Joint.moving_location``); translations of their own coordinates (linear,
  slope 1 after the axis) become prismatic joints before the rotation.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import casadi as ca
import numpy as np

from ocp.models.multibody import PRISMATIC, REVOLUTE, KinematicTree, Marker, Segment
from ocp.models.multibody import Joint as TreeJoint
from ocp.osim.bodies import refuse_massless_leaf
from ocp.osim.functions import Constant, Linear
from ocp.osim.reader import OsimDocument

_EPS = 1e-12


@dataclass(frozen=True)
class Pose:
    """A planar pose with an out-of-plane offset: p -> (R(angle) p_xy + (x, y), p_z + z)."""

    angle: float = 0.0
    x: float = 0.0
    y: float = 0.0
    z: float = 0.0

    def apply(self, p) -> tuple:
        c, s = math.cos(self.angle), math.sin(self.angle)
        return (c * p[0] - s * p[1] + self.x, s * p[0] + c * p[1] + self.y, p[2] + self.z)

    def then(self, inner: Pose) -> Pose:
        """self o inner: first inner, then self."""
        x, y, z = self.apply((inner.x, inner.y, inner.z))
        return Pose(self.angle + inner.angle, x, y, z)

    def inverse(self) -> Pose:
        c, s = math.cos(self.angle), math.sin(self.angle)
        return Pose(-self.angle, -(c * self.x + s * self.y), -(-s * self.x + c * self.y), -self.z)


@dataclass(frozen=True)
class MovingLocation:
    """Joint centre base + R(angle) (f_x(q), f_y(q)) in the parent's frame (m)."""

    angle: float
    base: tuple
    fx: object
    fy: object

    def __call__(self, q):
        c, s = math.cos(self.angle), math.sin(self.angle)
        out = []
        for k, (vx, vy) in enumerate(zip(self.fx(q), self.fy(q))):
            px = c * vx - s * vy + (self.base[0] if k == 0 else 0.0)
            py = s * vx + c * vy + (self.base[1] if k == 0 else 0.0)
            out.append(ca.vertcat(px, py))
        return tuple(out)


@dataclass
class Skeleton:
    """The planar tree and where each OpenSim body and frame sits in it."""

    tree: KinematicTree
    body_pose: dict          # body -> (segment or None for ground, Pose body -> segment)
    segment_z: dict          # segment -> z of its origin in ground (m)
    coordinates: dict        # name -> reader.Coordinate, in the tree's order
    merged: dict             # welded body -> the body it was merged into
    doc: OsimDocument

    def frame_pose(self, path: str, element: str = "", line: int = 0):
        """(segment or None, Pose frame -> segment) of a frame path."""
        body, pose = _frame_in_body(self.doc, path, element, line)
        segment, to_segment = self.body_pose[body]
        return segment, to_segment.then(pose)

    def locate(self, frame: str, point, element: str = "", line: int = 0):
        """(segment or None, (x, y) in its frame, z in ground) of a point given in a frame."""
        segment, pose = self.frame_pose(frame, element, line)
        x, y, z = pose.apply(point)
        return segment, (x, y), z + (self.segment_z[segment] if segment else 0.0)


def _planar_pose(doc: OsimDocument, translation, orientation, element, line) -> Pose:
    if abs(orientation[0]) > _EPS or abs(orientation[1]) > _EPS:
        raise doc.error(f"the frame is rotated out of the plane (orientation "
                        f"{list(orientation)}: only a rotation about z is planar); "
                        "3-D models are not supported", element, line)
    return Pose(orientation[2], translation[0], translation[1], translation[2])


def _frame_in_body(doc: OsimDocument, path: str, element="", line=0, depth=0):
    """(body name or 'ground', Pose frame -> body) of a frame path."""
    if depth > 50:
        raise doc.error(f"frame '{path}' is defined in a loop", element, line)
    if path == "/ground":
        return "ground", Pose()
    if path.startswith("/bodyset/") and path.count("/") == 2:
        name = path.split("/")[2]
        if name not in doc.bodies:
            raise doc.error(f"frame '{path}' names the body '{name}', which does not exist; "
                            f"bodies: {', '.join(doc.bodies)}", element, line)
        return name, Pose()
    frame = doc.frames.get(path)
    if frame is None:
        raise doc.error(f"frame '{path}' does not exist (known frames: ground, "
                        f"{', '.join(doc.bodies)} and {len(doc.frames)} offset frames)",
                        element, line)
    body, parent_pose = _frame_in_body(doc, frame.parent, f"PhysicalOffsetFrame '{path}'",
                                       frame.line, depth + 1)
    return body, parent_pose.then(_planar_pose(doc, frame.translation, frame.orientation,
                                               f"PhysicalOffsetFrame '{path}'", frame.line))


@dataclass
class _Mass:
    mass: float = 0.0
    first: tuple = (0.0, 0.0)   # sum m c (x, y)
    izz: float = 0.0            # sum (I_zz + m |c|^2) about the segment origin

    def add(self, mass, com_xy, izz_com):
        self.mass += mass
        self.first = (self.first[0] + mass * com_xy[0], self.first[1] + mass * com_xy[1])
        self.izz += izz_com + mass * (com_xy[0] ** 2 + com_xy[1] ** 2)

    def segment_values(self):
        if self.mass <= 0:
            return 0.0, (0.0, 0.0), 0.0
        com = (self.first[0] / self.mass, self.first[1] / self.mass)
        return self.mass, com, max(0.0, self.izz - self.mass * (com[0] ** 2 + com[1] ** 2))


def _custom_joint_parts(doc: OsimDocument, joint, where):
    """Analyse a CustomJoint: (rotation coordinate or None, angle offset, constant
    translation (x, y, z), moving translations {coord: [(axis, fn)]}, linear
    translations {coord: axis vector})."""
    rot_coord, angle = None, 0.0
    const = np.zeros(3)
    moving, linear = {}, {}
    names = {c.name for c in joint.coordinates}
    for ax in joint.transform:
        axis = np.array(ax.axis, float)
        norm = np.linalg.norm(axis)
        if norm == 0:
            raise doc.error(f"TransformAxis '{ax.name}' has a zero axis", where, joint.line)
        axis = axis / norm
        coord = ax.coordinates[0] if ax.coordinates else None
        fn = ax.function
        if coord is not None and coord not in names:
            raise doc.error(f"TransformAxis '{ax.name}' uses coordinate '{coord}', which is "
                            f"not one of the joint's ({', '.join(sorted(names))})", where,
                            joint.line)
        if coord is None or isinstance(fn, Constant):
            # no coordinate: OpenSim evaluates the function at 0
            value = fn.value if isinstance(fn, Constant) else float(ca.evalf(fn(0.0)[0]))
            if abs(value) < _EPS:
                continue
            if ax.name.startswith("rotation"):
                if abs(abs(axis[2]) - 1) > 1e-9:
                    raise doc.error(f"TransformAxis '{ax.name}' rotates about {list(ax.axis)}, "
                                    "out of the plane; 3-D joints are not supported", where,
                                    joint.line)
                angle += value * axis[2]
            else:
                const += value * axis
            continue
        if ax.name.startswith("rotation"):
            ok = (abs(abs(axis[2]) - 1) < 1e-9 and isinstance(fn, Linear)
                  and abs(fn.slope * axis[2] - 1) < 1e-12)
            if not ok:
                raise doc.error(f"TransformAxis '{ax.name}': a rotation must be about z and "
                                f"equal to its coordinate plus a constant (LinearFunction of "
                                f"slope 1); got axis {list(ax.axis)}, {type(fn).__name__}. "
                                "Rotations out of the plane (3-D joints) and scaled rotations "
                                "are not supported", where, joint.line)
            if rot_coord is not None:
                raise doc.error("two rotations about z with coordinates are not supported",
                                where, joint.line)
            rot_coord = coord
            angle += fn.intercept * axis[2]
        else:
            if abs(axis[2]) > 1e-12:
                raise doc.error(f"TransformAxis '{ax.name}' translates along {list(ax.axis)}, "
                                "out of the plane; 3-D joints are not supported", where,
                                joint.line)
            moving.setdefault(coord, []).append((axis, fn))
    for coord, items in list(moving.items()):
        if coord == rot_coord:
            continue
        if not all(isinstance(fn, Linear) for _, fn in items):
            raise doc.error(f"coordinate '{coord}' translates the joint along a curve "
                            "(a non-linear function of a translation coordinate); not "
                            "supported", where, joint.line)
        vec = sum(fn.slope * axis for axis, fn in items)
        const += sum(fn.intercept * axis for axis, fn in items)
        linear[coord] = vec
        del moving[coord]
    used = set(linear) | set(moving) | ({rot_coord} if rot_coord else set())
    unused = names - used
    if unused:
        raise doc.error(f"coordinates {sorted(unused)} move nothing in the SpatialTransform",
                        where, joint.line)
    return rot_coord, angle, const, moving.get(rot_coord, []), linear


def build_skeleton(doc: OsimDocument) -> Skeleton:
    """The planar kinematic tree of an .osim document (bodies merged across welds)."""
    gx, gy, gz = doc.gravity
    if abs(gx) > _EPS or abs(gz) > _EPS or gy > 0:
        raise doc.error(f"gravity {list(doc.gravity)} is not along -y; only gravity along "
                        "-y is supported", "gravity")
    children = {}
    for j in doc.joints:
        where = f"{j.kind} '{j.name}'"
        parent_body, _ = _frame_in_body(doc, j.parent_frame, where, j.line)
        child_body, _ = _frame_in_body(doc, j.child_frame, where, j.line)
        if child_body == "ground":
            raise doc.error("a joint whose child is the ground (a reversed joint) is not "
                            "supported", where, j.line)
        children.setdefault(parent_body, []).append((j, child_body))
    joint_of = {}
    for items in children.values():
        for j, child in items:
            if child in joint_of:
                raise doc.error(f"body '{child}' is the child of two joints "
                                f"('{joint_of[child].name}' and '{j.name}'): closed loops "
                                "are not supported",
                                f"{j.kind} '{j.name}'", j.line)
            joint_of[child] = j
    unattached = [b for b in doc.bodies if b not in joint_of]
    if unattached:
        b = doc.bodies[unattached[0]]
        raise doc.error(f"body '{b.name}' is attached to nothing (no joint has it as child)",
                        f"Body '{b.name}'", b.line)
    refuse_massless_leaf(doc, {b.name: b.mass_kg for b in doc.bodies.values()},
                         {b.name: b.line for b in doc.bodies.values()},
                         [(j.kind, j.name, p, c) for p, items in children.items()
                          for j, c in items])

    segments, masses = [], {}
    body_pose = {"ground": (None, Pose())}
    segment_z = {}
    coords = {}
    merged = {}
    stack = ["ground"]
    visited = set()
    while stack:                 # depth-first from the ground: parents before children
        parent = stack.pop(0)
        if parent in visited:
            continue
        visited.add(parent)
        for j, child in children.get(parent, []):
            where = f"{j.kind} '{j.name}'"
            seg_a, pose_a = body_pose[parent]
            _, p_in_a = _frame_in_body(doc, j.parent_frame, where, j.line)
            _, c_in_b = _frame_in_body(doc, j.child_frame, where, j.line)
            p_in_seg = pose_a.then(p_in_a)       # joint parent frame in the parent segment
            z0 = (segment_z[seg_a] if seg_a else 0.0) + p_in_seg.z
            if j.kind == "WeldJoint":
                body_pose[child] = (seg_a, p_in_seg.then(c_in_b.inverse()))
                merged[child] = parent if parent != "ground" else "ground"
                stack.append(child)
                continue
            loc = (p_in_seg.x, p_in_seg.y)
            phi = p_in_seg.angle
            chain = []   # (segment name, TreeJoint)
            jc = {c.name: c for c in j.coordinates}
            extra_z = 0.0
            if j.kind == "PinJoint":
                chain.append((child, TreeJoint(j.coordinates[0].name, REVOLUTE, loc,
                                               offset_rad=phi)))
            elif j.kind == "SliderJoint":
                chain.append((child, TreeJoint(j.coordinates[0].name, PRISMATIC, loc,
                                               (math.cos(phi), math.sin(phi)), phi)))
            elif j.kind == "PlanarJoint":
                rz, tx, ty = (c.name for c in j.coordinates)
                chain.append((f"{child}_{tx}", TreeJoint(tx, PRISMATIC, loc,
                                                         (math.cos(phi), math.sin(phi)), phi)))
                chain.append((f"{child}_{ty}", TreeJoint(ty, PRISMATIC, (0.0, 0.0), (0.0, 1.0))))
                chain.append((child, TreeJoint(rz, REVOLUTE)))
            else:  # CustomJoint
                rot, angle, const, moving, linear = _custom_joint_parts(doc, j, where)
                extra_z = const[2]
                c, s = math.cos(phi), math.sin(phi)
                base = (loc[0] + c * const[0] - s * const[1], loc[1] + s * const[0] + c * const[1])
                first = True
                for name in (c.name for c in j.coordinates):
                    if name not in linear:
                        continue
                    v = linear[name]
                    axis = (c * v[0] - s * v[1], s * v[0] + c * v[1]) if first else (v[0], v[1])
                    chain.append((f"{child}_{name}" if rot or len(linear) > 1 else child,
                                  TreeJoint(name, PRISMATIC, base if first else (0.0, 0.0),
                                            axis, phi if first else 0.0)))
                    first = False
                if len(linear) > 1 and rot is None:
                    raise doc.error("several translation coordinates without a rotation are "
                                    "not supported", where, j.line)
                if rot is not None:
                    off = phi if first else 0.0
                    at = base if first else (0.0, 0.0)
                    ang = (phi if first else 0.0)
                    if moving:
                        fx = [fn for axis, fn in moving if abs(axis[0]) > 0]
                        fy = [fn for axis, fn in moving if abs(axis[1]) > 0]
                        if any(abs(axis[0]) > 0 and abs(axis[1]) > 0 for axis, _ in moving) \
                                or len(fx) > 1 or len(fy) > 1:
                            raise doc.error("moving translations must be along the x and y "
                                            "axes, one function each", where, j.line)
                        location = MovingLocation(ang, at, fx[0] if fx else Constant(0.0),
                                                  fy[0] if fy else Constant(0.0))
                        chain.append((child, TreeJoint(rot, REVOLUTE, at, offset_rad=off + angle,
                                                       moving_location=location)))
                    else:
                        chain.append((child, TreeJoint(rot, REVOLUTE, at,
                                                       offset_rad=off + angle)))
                elif chain:
                    name, tj = chain[-1]
                    chain[-1] = (child, TreeJoint(tj.coordinate, PRISMATIC, tj.location_m,
                                                  tj.axis, tj.offset_rad + angle))
            prev = seg_a
            for name, tj in chain:
                segments.append((name, prev, tj))
                segment_z[name] = z0 + extra_z
                masses[name] = _Mass()
                coords[tj.coordinate] = jc[tj.coordinate]
                prev = name
            body_pose[child] = (child, c_in_b.inverse())
            stack.append(child)
    for name, body in doc.bodies.items():
        seg, pose = body_pose[name]
        if seg is None:
            continue    # welded to the ground: does not move
        com = pose.apply(body.mass_center_m)
        masses[seg].add(body.mass_kg, com[:2], body.inertia_kg_m2[2])
    tree_segments = []
    for name, parent, tj in segments:
        mass, com, izz = masses[name].segment_values()
        tree_segments.append(Segment(name, parent, tj, mass, com, izz))
    tree = KinematicTree(tuple(tree_segments), -gy)
    skeleton = Skeleton(tree, body_pose, segment_z, coords, merged, doc)
    markers = []     # in the plane (their out-of-plane z is not an output)
    for name, frame, location, line in doc.markers:
        segment, xy, _ = skeleton.locate(frame, location, f"Marker '{name}'", line)
        if segment is not None:   # a marker fixed in the ground does not move
            markers.append(Marker(name, segment, tuple(float(v) for v in xy)))
    if markers:
        skeleton.tree = KinematicTree(tree.segments, tree.gravity_m_s2, tuple(markers))
    return skeleton
