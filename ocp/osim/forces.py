"""Muscles and their paths, coordinate actuators and contacts of an .osim file.

Read into frozen dataclasses; lengths in m, forces in N. Errors are
:class:`ocp.osim.elements.OsimError` naming file, element and line.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from ocp.models.contact import ContactSphere
from ocp.osim.bodies import read_only_function
from ocp.osim.elements import ElementReader, join_path
from ocp.osim.functions import Constant

#: Path point elements read.
PATH_POINTS = ("PathPoint", "MovingPathPoint", "ConditionalPathPoint")


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


# -- reading -----------------------------------------------------------------

def read_path_points(ctx: ElementReader, muscle_el, muscle_path: str) -> tuple:
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
        frame = join_path(base, ctx.text(p, "socket_parent_frame"))
        line = ctx.line(p)
        if p.tag == "MovingPathPoint":
            functions = []
            for axis in "xyz":
                holder = p.find(f"{axis}_location")
                socket = p.findtext(f"socket_{axis}_coordinate")
                coord = socket.strip().rsplit("/", 1)[-1] if socket and socket.strip() else None
                function = (read_only_function(ctx, holder) if holder is not None
                            else Constant(0.0))
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


def read_muscle(ctx: ElementReader, el, owner: str) -> Muscle:
    path = join_path(owner, el.get("name"))
    props = {}
    for child in el:
        if len(child) == 0 and child.text is not None and child.text.strip():
            props[child.tag] = child.text.strip()
    for curve in ("ActiveForceLengthCurve", "ForceVelocityCurve", "FiberForceLengthCurve",
                  "TendonForceLengthCurve"):
        for child in (el.find(curve) if el.find(curve) is not None else ()):
            if child.text is not None and child.text.strip():
                props[f"{curve}.{child.tag}"] = child.text.strip()
    return Muscle(el.tag, el.get("name"), props, read_path_points(ctx, el, path),
                  ctx.line(el))


def read_actuator(ctx: ElementReader, el) -> CoordinateActuator:
    return CoordinateActuator(el.get("name"), ctx.text(el, "coordinate"),
                              ctx.number(el, "optimal_force", 1.0),
                              ctx.number(el, "min_control", -math.inf),
                              ctx.number(el, "max_control", math.inf),
                              ctx.line(el))


#: SmoothSphereHalfSpaceForce properties and their OpenSim defaults.
SMOOTH_CONTACT_DEFAULTS = {
    "stiffness": 1.0, "dissipation": 0.0, "static_friction": 0.0, "dynamic_friction": 0.0,
    "viscous_friction": 0.0, "transition_velocity": 0.01, "constant_contact_force": 1e-5,
    "hertz_smoothing": 300.0, "hunt_crossley_smoothing": 50.0}


def opensim_sphere(name: str, body: str, centre: tuple, radius_m: float,
                   p: dict) -> ContactSphere:
    """A SmoothSphereHalfSpaceForce's sphere on ``body`` at ``centre`` (m, in the body:
    2 values planar, 3 spatial), its law from ``p`` keyed as SMOOTH_CONTACT_DEFAULTS
    (OpenSim's property names and units)."""
    return ContactSphere(
        name, body, centre, radius_m, stiffness_N_m2=p["stiffness"],
        dissipation_s_m=p["dissipation"], dynamic_friction=p["dynamic_friction"],
        friction_law="opensim", static_friction=p["static_friction"],
        viscous_friction_s_m=p["viscous_friction"],
        transition_velocity_m_s=p["transition_velocity"],
        derivative_smoothing=p["constant_contact_force"],
        hertz_smoothing_1_m=p["hertz_smoothing"],
        hunt_crossley_smoothing_s_m=p["hunt_crossley_smoothing"])


def read_smooth_contact(ctx: ElementReader, el) -> SmoothContact:
    params = {}
    for key, default in SMOOTH_CONTACT_DEFAULTS.items():
        tag = key
        if key == "constant_contact_force" and el.find(key) is None:
            tag = "derivative_smoothing"  # the older name of the same property
        params[key] = ctx.number(el, tag, default)
    sphere = ctx.text(el, "socket_sphere").rsplit("/", 1)[-1]
    half = ctx.text(el, "socket_half_space").rsplit("/", 1)[-1]
    return SmoothContact(el.get("name"), sphere, half, params, ctx.line(el))


def read_contact_geometry(ctx: ElementReader, el) -> ContactGeometry:
    path = f"/contactgeometryset/{el.get('name')}"
    radius = ctx.number(el, "radius") if el.tag == "ContactSphere" else 0.0
    return ContactGeometry(el.tag, el.get("name"), join_path(path, ctx.text(el, "socket_frame")),
                           ctx.numbers(el, "location", 3, (0, 0, 0)),
                           ctx.numbers(el, "orientation", 3, (0, 0, 0)), radius,
                           ctx.line(el))
