"""Read every muscle's 3-D path and the model's wrap objects from an .osim file.

``read_muscle_paths(doc_or_file)`` -> {muscle name: MusclePath3D}. Path points
(PathPoint, MovingPathPoint, ConditionalPathPoint) are located in their body
(offset frames composed in); wrap objects (WrapCylinder, WrapSphere, ...) come
from the WrapObjectSet of each body, the ground or an offset frame; each
GeometryPath's PathWrapSet names them. Errors are
:class:`ocp.osim.elements.OsimError`\\ s naming the file, the element and its
line: a wrap object of an unknown type, a wrap object in a frame on no body, a
PathWrap naming no wrap object, an unknown method or quadrant, a range outside
the path.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ocp.osim.bodies import read_frames
from ocp.osim.elements import ElementReader, OsimError, join_path, objects, parse_xml
from ocp.osim.functions import Constant
from ocp.osim.joints3d import read_function
from ocp.osim.paths3d import GROUND, MusclePath3D, PathPoint3D, PathWrap3D
from ocp.osim.reader import OsimDocument
from ocp.osim.wrapping import QUADRANTS, WRAP_TYPES, body_fixed_xyz

PATH_POINTS = ("PathPoint", "MovingPathPoint", "ConditionalPathPoint")
WRAP_METHODS = ("hybrid", "midpoint", "axial")
#: OpenSim's default Coordinate range (Coordinate.cpp), used to clamp moving points.
DEFAULT_RANGE = (-10.0, 10.0)


def as_tuples(a):
    """A numpy vector or matrix as (nested) tuples of floats, for frozen dataclasses."""
    a = np.asarray(a, float)
    return tuple(float(v) for v in a) if a.ndim == 1 else tuple(as_tuples(r) for r in a)


class FrameLocator:
    """Component paths of bodies, the ground and offset frames -> (body, R, p)."""

    def __init__(self, ctx: ElementReader, model):
        self.ctx = ctx
        self.bodies = {b.get("name") for b in objects(model.find("BodySet"))}
        self.frames = {}
        ground = model.find("Ground")
        if ground is not None:
            read_frames(ctx, ground, "/ground", self.frames)
        for b in objects(model.find("BodySet")):
            read_frames(ctx, b, f"/bodyset/{b.get('name')}", self.frames)
        for j in objects(model.find("JointSet")):
            read_frames(ctx, j, f"/jointset/{j.get('name')}", self.frames)
        read_frames(ctx, model, "/", self.frames)

    def locate(self, path: str, el, depth: int = 0):
        """(body, R (3x3), p (3,)) of the frame at component ``path``, for errors ``el``."""
        if path in ("/ground", "/ground/"):
            return GROUND, np.eye(3), np.zeros(3)
        parts = [p for p in path.split("/") if p]
        if len(parts) == 2 and parts[0] == "bodyset":
            if parts[1] in self.bodies:
                return parts[1], np.eye(3), np.zeros(3)
        frame = self.frames.get(path)
        if frame is None or depth > 50:
            known = sorted(["/ground"] + [f"/bodyset/{b}" for b in self.bodies])
            raise self.ctx.error(el, f"frame '{path}' is no body, ground or offset frame of "
                                     f"this model; bodies: {', '.join(known)}")
        body, rot, pos = self.locate(frame.parent, el, depth + 1)
        own = body_fixed_xyz(frame.orientation)
        return body, rot @ own, rot @ np.asarray(frame.translation, float) + pos


def read_wrap_objects(ctx: ElementReader, model, frames: FrameLocator) -> dict:
    """{name: wrap object} of every WrapObjectSet in the model."""
    out = {}
    owners = []
    ground = model.find("Ground")
    if ground is not None:
        owners.append(("/ground", ground))
    for b in objects(model.find("BodySet")):
        owners.append((f"/bodyset/{b.get('name')}", b))
    frame_at_line = {f.line: path for path, f in frames.frames.items()}
    for el in model.iter("PhysicalOffsetFrame"):
        if el.find("WrapObjectSet") is not None and ctx.line(el) in frame_at_line:
            owners.append((frame_at_line[ctx.line(el)], el))
    for owner_path, owner in owners:
        for el in objects(owner.find("WrapObjectSet")):
            if el.tag not in WRAP_TYPES:
                raise ctx.error(el, f"wrap object type '{el.tag}' is not supported; "
                                    f"supported: {', '.join(WRAP_TYPES)}")
            name = el.get("name")
            if name in out:
                raise ctx.error(el, f"a second wrap object named '{name}' (the first is at "
                                    f"line {out[name].line}): wrap object names must be unique")
            body, rot, pos = frames.locate(owner_path, el)
            quadrant = ctx.text(el, "quadrant", "all")
            if quadrant.lower() not in QUADRANTS and quadrant != "Unassigned":
                raise ctx.error(el, f"<quadrant> '{quadrant}' is not one of: all, "
                                    "x, -x, y, -y, z, -z (with or without +, any case)")
            cls, shape = WRAP_TYPES[el.tag]
            values = {}
            for key, count in shape.items():
                values[key] = (ctx.number(el, key) if count == 1
                               else ctx.numbers(el, key, count))
            out[name] = cls(name=name, body=body,
                            translation=ctx.numbers(el, "translation", 3, (0, 0, 0)),
                            xyz_body_rotation=ctx.numbers(el, "xyz_body_rotation", 3, (0, 0, 0)),
                            quadrant="all" if quadrant == "Unassigned" else quadrant.lower(),
                            active=ctx.boolean(el, "active", True), line=ctx.line(el),
                            frame_rotation=as_tuples(rot),
                            frame_translation=as_tuples(pos), **values)
    return out


def coordinate_ranges(ctx: ElementReader, model) -> dict:
    return {c.get("name"): ctx.numbers(c, "range", 2, DEFAULT_RANGE)
            for c in model.iter("Coordinate") if c.get("name")}


def coordinate_of(socket: str | None) -> str | None:
    if socket is None or not socket.strip():
        return None
    return socket.strip().rsplit("/", 1)[-1]


def read_point(ctx: ElementReader, p, base: str, frames: FrameLocator, ranges: dict):
    if p.tag not in PATH_POINTS:
        raise ctx.error(p, f"path point type '{p.tag}' is not supported; supported: "
                           f"{', '.join(PATH_POINTS)}")
    body, rot, pos = frames.locate(join_path(base, ctx.text(p, "socket_parent_frame")), p)
    common = dict(name=p.get("name") or p.tag, body=body, kind=p.tag,
                  frame_rotation=as_tuples(rot), frame_translation=as_tuples(pos),
                  line=ctx.line(p))
    if p.tag == "MovingPathPoint":
        functions = []
        for axis in "xyz":
            holder = p.find(f"{axis}_location")
            coord = coordinate_of(p.findtext(f"socket_{axis}_coordinate"))
            if coord is not None and coord not in ranges:
                raise ctx.error(p, f"socket_{axis}_coordinate names '{coord}', which is no "
                                   "coordinate of this model")
            fn = Constant(0.0)
            if holder is not None:
                kids = list(holder)
                if len(kids) != 1:
                    raise ctx.error(p, f"<{axis}_location> must hold exactly one function")
                fn = read_function(ctx, kids[0])
            functions.append((coord, fn, ranges.get(coord, DEFAULT_RANGE)))
        return PathPoint3D(functions=tuple(functions), **common)
    location = ctx.numbers(p, "location", 3)
    if p.tag == "ConditionalPathPoint":
        coord = coordinate_of(p.findtext("socket_coordinate") or p.findtext("coordinate"))
        if coord is not None and coord not in ranges:
            raise ctx.error(p, f"socket_coordinate names '{coord}', which is no coordinate "
                               "of this model")
        return PathPoint3D(location=location, coordinate=coord,
                           range=ctx.numbers(p, "range", 2), **common)
    return PathPoint3D(location=location, **common)


def read_path(ctx, el, owner: str, frames, ranges, wraps) -> MusclePath3D:
    gp = el.find("GeometryPath")
    base = f"{join_path(owner, el.get('name'))}/geometrypath"
    pps = objects(gp.find("PathPointSet"))
    if len(pps) < 2:
        raise ctx.error(el, "a muscle path needs at least two points")
    points = tuple(read_point(ctx, p, base, frames, ranges) for p in pps)
    path_wraps = []
    for pw in objects(gp.find("PathWrapSet")):
        if pw.tag != "PathWrap":
            raise ctx.error(pw, f"'{pw.tag}' in a PathWrapSet is not supported (PathWrap only)")
        name = ctx.text(pw, "wrap_object")
        if name not in wraps:
            raise ctx.error(pw, f"wrap object '{name}' (muscle '{el.get('name')}') is not in "
                                "any WrapObjectSet of this model; wrap objects: "
                                f"{', '.join(sorted(wraps)) or 'none'}")
        method = ctx.text(pw, "method", "hybrid")
        if method.lower() not in WRAP_METHODS + ("unassigned",):
            raise ctx.error(pw, f"<method> '{method}' is not one of: {', '.join(WRAP_METHODS)}")
        first, last = (int(v) for v in ctx.numbers(pw, "range", 2, (-1, -1)))
        for v in (first, last):
            if v > len(points) or v == 0:
                raise ctx.error(pw, f"<range> {first} {last}: path point numbers run from 1 "
                                    f"to {len(points)} (-1: the first or last point)")
        path_wraps.append(PathWrap3D(wraps[name], "hybrid" if method.lower() == "unassigned"
                                     else method.lower(), (first, last)))
    return MusclePath3D(el.get("name"), points, tuple(path_wraps))


def read_muscle_paths(source) -> dict:
    """{muscle (any force with a GeometryPath): MusclePath3D} of an .osim file, given
    its path or an OsimDocument (its ``file`` is read)."""
    file = Path(source.file if isinstance(source, OsimDocument) else source)
    root, lines = parse_xml(file)
    ctx = ElementReader(str(file), lines)
    model = root.find("Model")
    if model is None:
        raise OsimError("not an OpenSim model: expected <OpenSimDocument> holding <Model>",
                        root.tag, str(file), lines.get(root, 1))
    frames = FrameLocator(ctx, model)
    wraps = read_wrap_objects(ctx, model, frames)
    ranges = coordinate_ranges(ctx, model)
    out = {}
    holders = [("/forceset", objects(model.find("ForceSet"))),
               ("/", list(model.find("components") if model.find("components") is not None
                          else ())),
               ("/componentset", objects(model.find("ComponentSet")))]
    for owner, elements in holders:
        for el in elements:
            if el.find("GeometryPath") is not None and el.get("name") not in out:
                out[el.get("name")] = read_path(ctx, el, owner, frames, ranges, wraps)
    return out


__all__ = ["read_muscle_paths", "read_wrap_objects"]
