"""Read an OpenSim 4 model file (.osim) into plain data: bodies, joints, frames,
coordinates, actuators, muscles and their paths, contacts.

Only the standard library's XML parser (expat, through ``xml.etree``) is used;
OpenSim need not be installed. Every element keeps its line number, so an error
names the file, the element and its line. Nothing is dropped silently:
elements that only draw (meshes, markers, display properties) are listed in
``OsimDocument.ignored``; an element that would change the dynamics and is not
supported is an error.

This module only reads. ``ocp.osim.tree`` turns bodies and joints into a planar
kinematic tree, ``ocp.osim.model`` builds the model.
"""
from __future__ import annotations

import math
import xml.etree.ElementTree as ET
import xml.parsers.expat
from dataclasses import dataclass, field
from pathlib import Path

from ocp.errors import ProblemError
from ocp.osim.functions import Constant, Linear, Multiplier, SimmSpline

#: Elements read (the rest of the file, by tag, is either ignored as display-only
#: or rejected). Muscles other than DeGrooteFregly2016Muscle are converted.
MUSCLES = ("DeGrooteFregly2016Muscle", "Millard2012EquilibriumMuscle", "Thelen2003Muscle")
JOINTS = ("PlanarJoint", "PinJoint", "SliderJoint", "WeldJoint", "CustomJoint")
PATH_POINTS = ("PathPoint", "MovingPathPoint", "ConditionalPathPoint")
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
#: Force and component tags that are read.
FORCES = MUSCLES + ("CoordinateActuator", "SmoothSphereHalfSpaceForce")
GRAVITY_DEFAULT = (0.0, -9.80665, 0.0)


class OsimError(ProblemError):
    """A problem in an .osim file: names the file, the element (tag, name, line).

    ``key`` holds the element, e.g. ``PinJoint 'knee_r' (line 812)``.
    """

    def __str__(self):
        return ": ".join(str(p) for p in (self.file, self.key, self.message) if p)


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


@dataclass(frozen=True)
class PathPoint:
    """A muscle path point in ``frame``; ``kind`` is PathPoint, MovingPathPoint or
    ConditionalPathPoint. Moving points have ``functions`` = three (coordinate or
    None, function) pairs for x, y, z; conditional ones a ``coordinate`` and its
    active ``range``."""

    kind: str
    name: str
    frame: str
    location: tuple
    functions: tuple = ()
    coordinate: str | None = None
    range: tuple = ()
    line: int = 0


@dataclass(frozen=True)
class Muscle:
    kind: str
    name: str
    properties: dict = field(hash=False)   # tag -> text of its scalar properties
    path: tuple = ()                      # of PathPoint
    line: int = 0


@dataclass(frozen=True)
class CoordinateActuator:
    name: str
    coordinate: str
    optimal_force: float
    min_control: float
    max_control: float
    line: int


@dataclass(frozen=True)
class ContactGeometry:
    kind: str                # ContactSphere or ContactHalfSpace
    name: str
    frame: str
    location: tuple
    orientation: tuple
    radius_m: float
    line: int


@dataclass(frozen=True)
class SmoothContact:
    """A SmoothSphereHalfSpaceForce: its sphere, half-space and parameters."""

    name: str
    sphere: str
    half_space: str
    parameters: dict = field(hash=False)
    line: int = 0


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

    def coordinates(self) -> dict:
        return {c.name: c for j in self.joints for c in j.coordinates}

    def error(self, message: str, element: str | None = None, line: int | None = None):
        where = element or ""
        if line:
            where += f" (line {line})"
        return OsimError(message, where or None, self.file)


# -- parsing with line numbers -----------------------------------------------

def _parse(path: Path):
    """The element tree and a dict element -> line number."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise OsimError(f"cannot read the file: {exc.strerror}", None, str(path)) from None
    builder = ET.TreeBuilder()
    lines = {}
    parser = xml.parsers.expat.ParserCreate()
    open_elements = []   # (tag, name, line) of the elements not yet closed

    def start(tag, attrs):
        lines[builder.start(tag, attrs)] = parser.CurrentLineNumber
        open_elements.append((tag, attrs.get("name"), parser.CurrentLineNumber))

    def end(tag):
        builder.end(tag)
        open_elements.pop()

    def inside() -> str | None:
        """The innermost open element that has a name (else the innermost), for errors."""
        if not open_elements:
            return None
        tag, name, line = next((e for e in reversed(open_elements) if e[1]),
                               open_elements[-1])
        return (f"{tag} '{name}'" if name else tag) + f" (line {line})"

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(data, True)
        root = builder.close()
    except xml.parsers.expat.ExpatError as exc:
        where = inside()
        raise OsimError(f"broken or truncated XML at line {exc.lineno}, column {exc.offset}: "
                        f"{xml.parsers.expat.ErrorString(exc.code)}"
                        + (" (the file breaks off or goes wrong inside this element); an "
                           ".osim file must be complete, well-formed XML" if where else ""),
                        where, str(path)) from None
    except AssertionError:  # TreeBuilder: unclosed elements
        raise OsimError("truncated XML: the file ends inside an element", inside(),
                        str(path)) from None
    return root, lines


class _Context:
    def __init__(self, file: str, lines: dict):
        self.file, self.lines = file, lines

    def where(self, el) -> str:
        name = el.get("name")
        return f"{el.tag} '{name}'" if name else el.tag

    def error(self, el, message: str) -> OsimError:
        return OsimError(message, f"{self.where(el)} (line {self.lines.get(el, '?')})", self.file)

    def text(self, el, tag: str, default=None) -> str | None:
        child = el.find(tag)
        if child is None or child.text is None or not child.text.strip():
            if default is None:
                raise self.error(el, f"missing <{tag}>")
            return default
        return child.text.strip()

    def numbers(self, el, tag: str, count: int | None = None, default=None) -> tuple:
        text = self.text(el, tag, None if default is None else "")
        if text == "" and default is not None:
            return tuple(default)
        try:
            values = tuple(float(v) for v in text.split())
        except ValueError:
            raise self.error(el, f"<{tag}> must hold numbers, got '{text}'") from None
        if count is not None and len(values) != count:
            raise self.error(el, f"<{tag}> must hold {count} numbers, got {len(values)}")
        if not all(math.isfinite(v) for v in values):
            raise self.error(el, f"<{tag}> holds a value that is not finite: '{text}'")
        return values

    def number(self, el, tag: str, default=None) -> float:
        return self.numbers(el, tag, 1, None if default is None else (default,))[0]

    def boolean(self, el, tag: str, default: bool) -> bool:
        text = self.text(el, tag, str(default).lower()).lower()
        if text not in ("true", "false"):
            raise self.error(el, f"<{tag}> must be true or false, got '{text}'")
        return text == "true"


def _join(base: str, path: str) -> str:
    """A socket path resolved against the path of the component that owns the socket."""
    if path.startswith("/"):
        parts = []
        rest = path
    else:
        parts = [p for p in base.split("/") if p]
        rest = path
    for p in rest.split("/"):
        if p in ("", "."):
            continue
        if p == "..":
            if parts:
                parts.pop()
        else:
            parts.append(p)
    return "/" + "/".join(parts)


# -- functions ---------------------------------------------------------------

def _function(ctx: _Context, el):
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
        return Multiplier(_function(ctx, inner[0]), ctx.number(el, "scale", 1.0))
    raise ctx.error(el, f"function type '{el.tag}' is not supported; supported: Constant, "
                        "LinearFunction, SimmSpline, MultiplierFunction")


def _only_function(ctx: _Context, holder):
    kids = list(holder)
    if len(kids) != 1:
        raise ctx.error(holder, "expected exactly one function element")
    return _function(ctx, kids[0])


# -- components --------------------------------------------------------------

def _frames_under(ctx: _Context, el, owner_path: str, frames: dict):
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
            path = _join(owner_path, f.get("name", ""))
            parent = _join(path, ctx.text(f, "socket_parent"))
            frames[path] = Frame(path, parent, ctx.numbers(f, "translation", 3, (0, 0, 0)),
                                 ctx.numbers(f, "orientation", 3, (0, 0, 0)),
                                 ctx.lines.get(f, 0))
            _frames_under(ctx, f, path, frames)


def _coordinates(ctx: _Context, joint_el) -> tuple:
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
        out.append(Coordinate(c.get("name"), (lo, hi), ctx.number(c, "default_value", 0.0),
                              ctx.lines.get(c, 0)))
    return tuple(out)


def _joint(ctx: _Context, el) -> Joint:
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
            function = _function(ctx, funcs[0]) if funcs else Constant(0.0)
            axes.append(TransformAxis(ax.get("name"), coords, ctx.numbers(ax, "axis", 3),
                                      function))
        transform = tuple(axes)
    return Joint(el.tag, el.get("name"),
                 _join(path, ctx.text(el, "socket_parent_frame")),
                 _join(path, ctx.text(el, "socket_child_frame")),
                 _coordinates(ctx, el), transform, ctx.lines.get(el, 0))


def _path_points(ctx: _Context, muscle_el, muscle_path: str) -> tuple:
    gp = muscle_el.find("GeometryPath")
    if gp is None:
        raise ctx.error(muscle_el, "a muscle needs a <GeometryPath>")
    wraps = gp.find("PathWrapSet")
    if wraps is not None and wraps.find("objects") is not None and len(wraps.find("objects")):
        raise ctx.error(wraps, "wrapping surfaces (PathWrapSet) are not supported")
    pps = gp.find("PathPointSet")
    objects = pps.find("objects") if pps is not None else None
    if objects is None or len(objects) < 2:
        raise ctx.error(muscle_el, "a muscle path needs at least two points")
    points = []
    base = f"{muscle_path}/geometrypath"
    for p in objects:
        if p.tag not in PATH_POINTS:
            raise ctx.error(p, f"path point type '{p.tag}' is not supported; supported: "
                               f"{', '.join(PATH_POINTS)}")
        frame = _join(base, ctx.text(p, "socket_parent_frame"))
        line = ctx.lines.get(p, 0)
        if p.tag == "MovingPathPoint":
            functions = []
            for axis in "xyz":
                holder = p.find(f"{axis}_location")
                socket = p.findtext(f"socket_{axis}_coordinate")
                coord = socket.strip().rsplit("/", 1)[-1] if socket and socket.strip() else None
                function = _only_function(ctx, holder) if holder is not None else Constant(0.0)
                functions.append((coord, function))
            points.append(PathPoint(p.tag, p.get("name"), frame, (0.0, 0.0, 0.0),
                                    functions=tuple(functions), line=line))
        elif p.tag == "ConditionalPathPoint":
            socket = p.findtext("socket_coordinate") or p.findtext("coordinate") or ""
            coord = socket.strip().rsplit("/", 1)[-1] or None
            points.append(PathPoint(p.tag, p.get("name"), frame, ctx.numbers(p, "location", 3),
                                    coordinate=coord, range=ctx.numbers(p, "range", 2),
                                    line=line))
        else:
            points.append(PathPoint(p.tag, p.get("name"), frame, ctx.numbers(p, "location", 3),
                                    line=line))
    return tuple(points)


def _muscle(ctx: _Context, el, owner: str) -> Muscle:
    path = _join(owner, el.get("name"))
    props = {}
    for child in el:
        if len(child) == 0 and child.text is not None and child.text.strip():
            props[child.tag] = child.text.strip()
    for curve in ("ActiveForceLengthCurve", "ForceVelocityCurve", "FiberForceLengthCurve",
                  "TendonForceLengthCurve"):
        for child in (el.find(curve) if el.find(curve) is not None else ()):
            if child.text is not None and child.text.strip():
                props[f"{curve}.{child.tag}"] = child.text.strip()
    return Muscle(el.tag, el.get("name"), props, _path_points(ctx, el, path),
                  ctx.lines.get(el, 0))


def _actuator(ctx: _Context, el) -> CoordinateActuator:
    return CoordinateActuator(el.get("name"), ctx.text(el, "coordinate"),
                              ctx.number(el, "optimal_force", 1.0),
                              ctx.number(el, "min_control", -math.inf),
                              ctx.number(el, "max_control", math.inf),
                              ctx.lines.get(el, 0))


#: SmoothSphereHalfSpaceForce properties and their OpenSim defaults.
SMOOTH_CONTACT_DEFAULTS = {
    "stiffness": 1.0, "dissipation": 0.0, "static_friction": 0.0, "dynamic_friction": 0.0,
    "viscous_friction": 0.0, "transition_velocity": 0.01, "constant_contact_force": 1e-5,
    "hertz_smoothing": 300.0, "hunt_crossley_smoothing": 50.0}


def _smooth_contact(ctx: _Context, el) -> SmoothContact:
    params = {}
    for key, default in SMOOTH_CONTACT_DEFAULTS.items():
        tag = key
        if key == "constant_contact_force" and el.find(key) is None:
            tag = "derivative_smoothing"  # the older name of the same property
        params[key] = ctx.number(el, tag, default)
    sphere = ctx.text(el, "socket_sphere").rsplit("/", 1)[-1]
    half = ctx.text(el, "socket_half_space").rsplit("/", 1)[-1]
    return SmoothContact(el.get("name"), sphere, half, params, ctx.lines.get(el, 0))


def _contact_geometry(ctx: _Context, el) -> ContactGeometry:
    path = f"/contactgeometryset/{el.get('name')}"
    radius = ctx.number(el, "radius") if el.tag == "ContactSphere" else 0.0
    return ContactGeometry(el.tag, el.get("name"), _join(path, ctx.text(el, "socket_frame")),
                           ctx.numbers(el, "location", 3, (0, 0, 0)),
                           ctx.numbers(el, "orientation", 3, (0, 0, 0)), radius,
                           ctx.lines.get(el, 0))


def _list_ignored(owner, lines: dict, ignored: list):
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


def _objects(set_el):
    if set_el is None:
        return []
    holder = set_el.find("objects")
    return list(holder) if holder is not None else []


def read_osim(path) -> OsimDocument:
    """Parse an .osim file. Raises OsimError naming the file, element and line."""
    path = Path(path)
    root, lines = _parse(path)
    ctx = _Context(str(path), lines)
    model = root.find("Model") if root.tag == "OpenSimDocument" else None
    if model is None:
        raise OsimError("not an OpenSim model: expected <OpenSimDocument> holding <Model>",
                        f"{root.tag} (line {lines.get(root, 1)})", str(path))
    version = int(root.get("Version", "0") or 0)
    if version < 40000:
        raise ctx.error(root, f"OpenSim 4 files (Version >= 40000) are supported; this one "
                              f"is version {version}: open and save it in OpenSim 4 first")
    gravity = ctx.numbers(model, "gravity", 3, GRAVITY_DEFAULT)
    frames, bodies, joints, muscles, actuators = {}, {}, [], [], []
    geometry, contacts, ignored = {}, [], []

    for el in model:   # a set or component this reader does not know: not dropped silently
        if len(el) and el.tag not in MODEL_PARTS:
            raise ctx.error(el, f"'{el.tag}' in the Model is not supported; supported: "
                                f"{', '.join(sorted(MODEL_PARTS))} (and scalar properties)")
    ground = model.find("Ground")
    if ground is not None:
        _frames_under(ctx, ground, "/ground", frames)
        _list_ignored(ground, lines, ignored)
    for b in _objects(model.find("BodySet")):
        if b.tag != "Body":
            raise ctx.error(b, f"'{b.tag}' in the BodySet is not supported (Body only)")
        name = b.get("name")
        bodies[name] = Body(name, ctx.number(b, "mass"),
                            ctx.numbers(b, "mass_center", 3, (0, 0, 0)),
                            ctx.numbers(b, "inertia", 6), lines.get(b, 0))
        _frames_under(ctx, b, f"/bodyset/{name}", frames)
        _list_ignored(b, lines, ignored)
    for j in _objects(model.find("JointSet")):
        if j.tag not in JOINTS:
            raise ctx.error(j, f"joint type '{j.tag}' is not supported; supported: "
                               f"{', '.join(JOINTS)}")
        joints.append(_joint(ctx, j))
        _frames_under(ctx, j, f"/jointset/{j.get('name')}", frames)

    def force(el, owner):
        if el.tag in FORCES and not ctx.boolean(el, "appliesForce", True):
            ignored.append(f"{el.tag} '{el.get('name')}' (line {lines.get(el, 0)}): "
                           "appliesForce is false")
            return
        if el.tag in MUSCLES:
            muscles.append(_muscle(ctx, el, owner))
        elif el.tag == "CoordinateActuator":
            actuators.append(_actuator(ctx, el))
        elif el.tag == "SmoothSphereHalfSpaceForce":
            contacts.append(_smooth_contact(ctx, el))
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
    for el in _objects(model.find("ComponentSet")):
        force(el, "/componentset")
    _frames_under(ctx, model, "/", frames)
    for el in _objects(model.find("ForceSet")):
        force(el, "/forceset")
    for el in _objects(model.find("ContactGeometrySet")):
        if el.tag not in ("ContactSphere", "ContactHalfSpace"):
            raise ctx.error(el, f"contact geometry '{el.tag}' is not supported; supported: "
                                "ContactSphere, ContactHalfSpace")
        geometry[el.get("name")] = _contact_geometry(ctx, el)
    for el in _objects(model.find("ConstraintSet")):
        raise ctx.error(el, f"constraints ('{el.tag}') are not supported")
    for el in _objects(model.find("ControllerSet")):
        ignored.append(f"{el.tag} '{el.get('name')}' (line {lines.get(el, 0)}): controllers "
                       "are replaced by the optimal control problem")
    for el in _objects(model.find("MarkerSet")):
        ignored.append(f"{el.tag} '{el.get('name')}' (line {lines.get(el, 0)})")
    for el in model.findall("ModelVisualPreferences"):
        ignored.append(f"ModelVisualPreferences (line {lines.get(el, 0)})")
    for el in _objects(model.find("ProbeSet")):
        ignored.append(f"{el.tag} '{el.get('name')}' (line {lines.get(el, 0)})")
    return OsimDocument(str(path), model.get("name", path.stem), gravity, bodies, frames,
                        joints, muscles, actuators, geometry, contacts, ignored, lines)
