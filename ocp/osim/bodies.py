"""Bodies, frames, joints and coordinates of an .osim file, read into frozen dataclasses.

Also the OpenSim functions (Constant, LinearFunction, SimmSpline,
MultiplierFunction) that a CustomJoint's transform axes and moving path
points hold. Lengths in m, angles in rad, masses in kg, as in OpenSim.
Errors are :class:`ocp.osim.elements.OsimError` naming file, element and line.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ocp.osim.elements import ElementReader, join_path
from ocp.osim.functions import Constant, Linear, Multiplier, SimmSpline


@dataclass(frozen=True)
class Frame:
    """A frame fixed in another: ``parent`` is a component path; translation (m),
    orientation (body-fixed X-Y-Z rotations, rad), as in PhysicalOffsetFrame."""

    path: str
    parent: str
    translation: tuple
    orientation: tuple
    line: int


@dataclass(frozen=True)
class Body:
    name: str
    mass_kg: float
    mass_center_m: tuple     # (x, y, z) in the body frame
    inertia_kg_m2: tuple     # (xx, yy, zz, xy, xz, yz) about the centre of mass
    line: int


@dataclass(frozen=True)
class Coordinate:
    name: str
    range: tuple             # (min, max), rad or m
    default_value: float
    line: int


@dataclass(frozen=True)
class TransformAxis:
    """One of the six axes of a CustomJoint's SpatialTransform."""

    name: str                # rotation1..3, translation1..3
    coordinates: tuple       # names (zero or one)
    axis: tuple              # (x, y, z) in the parent frame
    function: object         # Constant, Linear, SimmSpline, Multiplier


@dataclass(frozen=True)
class Joint:
    kind: str                # PlanarJoint, PinJoint, ...
    name: str
    parent_frame: str        # absolute component path
    child_frame: str
    coordinates: tuple       # of Coordinate
    transform: tuple         # of TransformAxis (CustomJoint only)
    line: int


# -- functions ---------------------------------------------------------------

def read_function(ctx: ElementReader, el):
    """Constant, LinearFunction, SimmSpline or MultiplierFunction element -> callable."""
    if el.tag == "Constant":
        return Constant(ctx.number(el, "value"))
    if el.tag == "LinearFunction":
        slope, intercept = ctx.numbers(el, "coefficients", 2)
        return Linear(slope, intercept)
    if el.tag == "SimmSpline":
        x, y = ctx.numbers(el, "x"), ctx.numbers(el, "y")
        try:
            return SimmSpline(x, y)
        except ValueError as exc:
            raise ctx.error(el, str(exc)) from None
    if el.tag == "MultiplierFunction":
        holder = el.find("function")
        inner = list(holder) if holder is not None else []
        if len(inner) != 1:
            raise ctx.error(el, "expected one function inside <function>")
        return Multiplier(read_function(ctx, inner[0]), ctx.number(el, "scale", 1.0))
    raise ctx.error(el, f"function type '{el.tag}' is not supported; supported: Constant, "
                        "LinearFunction, SimmSpline, MultiplierFunction")


def read_only_function(ctx: ElementReader, holder):
    """The one function element inside ``holder`` (``<x_location>``, ...) -> callable."""
    kids = list(holder)
    if len(kids) != 1:
        raise ctx.error(holder, "expected exactly one function element")
    return read_function(ctx, kids[0])


# -- bodies and joints ------------------------------------------------------

def read_frames(ctx: ElementReader, el, owner_path: str, frames: dict):
    """PhysicalOffsetFrames declared inside ``el`` (a joint's, a body's or the model's)."""
    for holder_tag in ("frames", "components"):
        holder = el.find(holder_tag)
        if holder is None:
            continue
        for f in holder:
            if f.tag != "PhysicalOffsetFrame":
                if holder_tag == "frames":
                    raise ctx.error(f, "only PhysicalOffsetFrame is supported as a frame")
                continue
            path = join_path(owner_path, f.get("name", ""))
            if path in frames:
                raise ctx.error(f, f"a second frame named '{f.get('name')}' in "
                                   f"'{owner_path}' (the first is at line {frames[path].line}): "
                                   "frame names must be unique")
            parent = join_path(path, ctx.text(f, "socket_parent"))
            frames[path] = Frame(path, parent, ctx.numbers(f, "translation", 3, (0, 0, 0)),
                                 ctx.numbers(f, "orientation", 3, (0, 0, 0)),
                                 ctx.line(f))
            read_frames(ctx, f, path, frames)


def read_coordinates(ctx: ElementReader, joint_el) -> tuple:
    holder = joint_el.find("coordinates")
    out = []
    if holder is None:
        return ()
    for c in holder:
        if c.tag != "Coordinate":
            raise ctx.error(c, "expected <Coordinate>")
        if ctx.boolean(c, "locked", False) or ctx.boolean(c, "prescribed", False):
            raise ctx.error(c, "locked or prescribed coordinates are not supported")
        lo, hi = ctx.numbers(c, "range", 2, (-math.inf, math.inf))
        if not lo <= hi:
            raise ctx.error(c, f"<range> {lo:g} {hi:g} is reversed: expected (lower upper) "
                               f"with lower <= upper")
        out.append(Coordinate(c.get("name"), (lo, hi), ctx.number(c, "default_value", 0.0),
                              ctx.line(c)))
    return tuple(out)


def read_joint(ctx: ElementReader, el) -> Joint:
    path = f"/jointset/{el.get('name')}"
    transform = ()
    if el.tag == "CustomJoint":
        st = el.find("SpatialTransform")
        if st is None:
            raise ctx.error(el, "a CustomJoint needs a <SpatialTransform>")
        axes = []
        for ax in st.findall("TransformAxis"):
            coords = tuple((ax.findtext("coordinates") or "").split())
            if len(coords) > 1:
                raise ctx.error(ax, "a transform axis of more than one coordinate is not "
                                    "supported")
            funcs = [k for k in ax if k.tag not in ("coordinates", "axis")]
            function = read_function(ctx, funcs[0]) if funcs else Constant(0.0)
            axes.append(TransformAxis(ax.get("name"), coords, ctx.numbers(ax, "axis", 3),
                                      function))
        transform = tuple(axes)
    return Joint(el.tag, el.get("name"),
                 join_path(path, ctx.text(el, "socket_parent_frame")),
                 join_path(path, ctx.text(el, "socket_child_frame")),
                 read_coordinates(ctx, el), transform, ctx.line(el))


def massless_leaf(masses: dict, joints) -> tuple | None:
    """The first (body, joint name) that OpenSim refuses as massless, or None.

    OpenSim builds its multibody graph only if each body of zero mass has a
    child body or is welded (WeldJoint) to the ground or a body with mass
    (``Model::initSystem``: "body ... is massless but not internal and not
    welded to a massful body"): otherwise nothing with inertia resists its
    joint's motion and the mass matrix is singular. ``masses``: body -> kg;
    ``joints``: (kind, name, parent body, child body), in the file's order.
    """
    joints = list(joints)
    parents = {parent for _, _, parent, _ in joints}
    for kind, name, parent, child in joints:
        if masses.get(child, 1.0) > 0 or child in parents:
            continue
        if kind == "WeldJoint" and (parent == "ground" or masses.get(parent, 0.0) > 0):
            continue
        return child, name
    return None


def refuse_massless_leaf(doc, masses: dict, lines: dict, joints) -> None:
    """Raise ``doc.error`` (an OsimError naming the body and its line) for the first
    body :func:`massless_leaf` finds; ``lines``: body -> line in the file."""
    found = massless_leaf(masses, joints)
    if found is None:
        return
    body, joint = found
    raise doc.error(f"body '{body}' has zero mass and no child body, and is not welded to "
                    f"the ground or a body with mass: nothing with inertia resists its joint "
                    f"'{joint}' (a singular mass matrix; OpenSim refuses it too); expected a "
                    f"<mass> above 0 kg, a child body, or a WeldJoint", f"Body '{body}'",
                    lines.get(body))
