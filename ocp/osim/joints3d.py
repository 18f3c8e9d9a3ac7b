"""Joints, coordinates and functions of an .osim file, in 3D, as transforms for a spatial tree.

Each joint becomes a function of its coordinates giving the pose of its child
frame in its parent frame (``ocp.models.spatial.SpatialJoint.transform``),
following Simbody's mobilizers as OpenSim 4 builds them:

- CustomJoint (Simbody FunctionBased): R = R(a1, f1) R(a2, f2) R(a3, f3), three
  successive rotations about the axes of rotation1..3 (each after the
  previous ones: body-fixed), and p = f4 a4 + f5 a5 + f6 a6 along the
  translation axes in the parent frame. Each f is a function of the
  coordinates the axis names (none: its value at 0; one coordinate without a
  function: the coordinate itself, OpenSim's default LinearFunction).
- PinJoint: rotation about the parent frame's z. SliderJoint: translation
  along its x. PlanarJoint: translation (x, y), then rotation about z.
- UniversalJoint: R = Rx(q1) Ry(q2) (body-fixed); no singular angle.
- GimbalJoint, BallJoint: R = Rx(q1) Ry(q2) Rz(q3), body-fixed X-Y-Z angles,
  singular (gimbal lock) at q2 = +-pi/2.
- FreeJoint: the same rotation and a translation (q4, q5, q6) in the parent frame.
- WeldJoint: no coordinates; its child body is kept (its markers and frames move).

Speeds: ours are the coordinates' time derivatives (u = q') for every joint.
OpenSim's are too, except BallJoint and FreeJoint, whose Simbody mobilizers
(Ball, Free) use the angular velocity of the child in the parent frame as the
rotational speeds: their mass matrix and generalised forces differ from ours
by that change of variables (same motion, same physics).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import casadi as ca
import numpy as np

from ocp.models.spatial.rotations import axis_angle, clean, numpy_axis_angle
from ocp.osim.elements import ElementReader, join_path
from ocp.osim.functions import Constant, Linear, Multiplier, PiecewiseLinear, Polynomial, SimmSpline

#: Joint types read into a spatial tree.
JOINTS_3D = ("CustomJoint", "PinJoint", "SliderJoint", "PlanarJoint", "UniversalJoint",
             "GimbalJoint", "BallJoint", "FreeJoint", "WeldJoint")
#: Function types a transform axis or a coupler constraint may hold.
FUNCTIONS = ("Constant", "LinearFunction", "SimmSpline", "NaturalCubicSpline",
             "PolynomialFunction", "PiecewiseLinearFunction", "MultiplierFunction")
#: Coordinates of each fixed joint type (OpenSim's order).
JOINT_COORDINATES = {"PinJoint": 1, "SliderJoint": 1, "PlanarJoint": 3, "UniversalJoint": 2,
                     "GimbalJoint": 3, "BallJoint": 3, "FreeJoint": 6, "WeldJoint": 0}
_X, _Y, _Z = (1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)


@dataclass(frozen=True)
class Coordinate3d:
    """A coordinate: range (rad or m), default value, clamped (range is a bound),
    locked (held at its default value)."""

    name: str
    range: tuple
    default_value: float
    clamped: bool
    locked: bool
    line: int


@dataclass(frozen=True)
class Axis:
    """One transform axis of a CustomJoint: ``function`` of the joint coordinates
    at ``indices`` (a one-argument function when one index; a LinearFunction of
    several coefficients when more)."""

    name: str
    indices: tuple
    direction: tuple
    function: object

    def value(self, q: list):
        args = [q[i] for i in self.indices]
        if not args:
            return float(ca.evalf(self.function(0.0)[0])) if not isinstance(
                self.function, Constant) else self.function.value
        if isinstance(self.function, MultiLinear):
            return self.function.value(args)
        return self.function(args[0])[0]


@dataclass(frozen=True)
class MultiLinear:
    """OpenSim LinearFunction of several arguments: sum c_i x_i + c_n."""

    coefficients: tuple

    def value(self, args):
        return sum(c * a for c, a in zip(self.coefficients[:-1], args)) + self.coefficients[-1]


@dataclass(frozen=True)
class JointTransform:
    """Pose of a joint's child frame in its parent frame, as a function of its
    coordinates: ``(q list) -> (R (3x3), p (3x1))`` (see the module docstring)."""

    kind: str
    axes: tuple = ()         # CustomJoint: six Axis

    def __call__(self, q):
        if self.kind == "CustomJoint":
            return self._custom(q)
        zero = ca.DM.zeros(3, 1)
        if self.kind == "WeldJoint":
            return ca.DM.eye(3), zero
        if self.kind == "PinJoint":
            return axis_angle(_Z, q[0]), zero
        if self.kind == "SliderJoint":
            return ca.DM.eye(3), ca.vertcat(q[0], 0, 0)
        if self.kind == "PlanarJoint":
            return axis_angle(_Z, q[0]), ca.vertcat(q[1], q[2], 0)
        if self.kind == "UniversalJoint":
            return ca.mtimes(axis_angle(_X, q[0]), axis_angle(_Y, q[1])), zero
        rotation = ca.mtimes(ca.mtimes(axis_angle(_X, q[0]), axis_angle(_Y, q[1])),
                             axis_angle(_Z, q[2]))
        if self.kind == "FreeJoint":
            return rotation, ca.vertcat(q[3], q[4], q[5])
        return rotation, zero    # GimbalJoint, BallJoint

    def factors(self, q):
        """([(axis, angle), ...], p): the rotations whose product is this transform's R
        (SpatialJoint.factors), and its p."""
        zero = ca.DM.zeros(3, 1)
        if self.kind == "CustomJoint":
            return ([(a.direction, a.value(q)) for a in self.axes[:3]],
                    self._custom(q)[1])
        if self.kind == "WeldJoint":
            return [], zero
        if self.kind in ("PinJoint", "PlanarJoint"):
            return [(_Z, q[0])], self(q)[1]
        if self.kind == "SliderJoint":
            return [], self(q)[1]
        if self.kind == "UniversalJoint":
            return [(_X, q[0]), (_Y, q[1])], zero
        return [(_X, q[0]), (_Y, q[1]), (_Z, q[2])], self(q)[1]

    def _custom(self, q):
        rotation = None
        constant = np.eye(3)            # constant rotations folded as numbers
        for axis in self.axes[:3]:
            angle = axis.value(q)
            if isinstance(angle, float):
                if angle != 0.0:
                    constant = constant @ numpy_axis_angle(axis.direction, angle)
                continue
            factor = axis_angle(axis.direction, angle)
            if not np.array_equal(constant, np.eye(3)):
                factor = ca.mtimes(ca.DM(clean(constant)), factor)
                constant = np.eye(3)
            rotation = factor if rotation is None else ca.mtimes(rotation, factor)
        if not np.array_equal(constant, np.eye(3)):
            rotation = ca.DM(clean(constant)) if rotation is None else ca.mtimes(
                rotation, ca.DM(clean(constant)))
        position = ca.DM.zeros(3, 1)
        for axis in self.axes[3:]:
            length = axis.value(q)
            if isinstance(length, float) and length == 0.0:
                continue
            position = position + length * ca.DM(axis.direction)
        return (ca.DM.eye(3) if rotation is None else rotation), position


@dataclass(frozen=True)
class Joint3d:
    kind: str
    name: str
    parent_frame: str        # absolute component path
    child_frame: str
    coordinates: tuple       # of Coordinate3d
    transform: JointTransform
    line: int


def read_function(ctx: ElementReader, el):
    """One OpenSim function element -> a callable x -> (value, slope, curvature)."""
    try:
        if el.tag == "Constant":
            return Constant(ctx.number(el, "value"))
        if el.tag == "LinearFunction":
            c = ctx.numbers(el, "coefficients", None, (1.0, 0.0))
            if len(c) == 2:
                return Linear(*c)
            if len(c) < 2:
                raise ctx.error(el, "<coefficients> of a LinearFunction needs a slope and "
                                    "an intercept")
            return MultiLinear(tuple(c))
        if el.tag in ("SimmSpline", "NaturalCubicSpline"):   # OpenSim 4 renames one to the other
            return SimmSpline(ctx.numbers(el, "x"), ctx.numbers(el, "y"))
        if el.tag == "PiecewiseLinearFunction":
            return PiecewiseLinear(ctx.numbers(el, "x"), ctx.numbers(el, "y"))
        if el.tag == "PolynomialFunction":
            return Polynomial(ctx.numbers(el, "coefficients", None, (1.0,)))
        if el.tag == "MultiplierFunction":
            holder = el.find("function")
            inner = list(holder) if holder is not None else []
            if len(inner) != 1:
                raise ctx.error(el, "expected one function inside <function>")
            return Multiplier(read_function(ctx, inner[0]), ctx.number(el, "scale", 1.0))
    except ValueError as exc:
        raise ctx.error(el, str(exc)) from None
    raise ctx.error(el, f"function type '{el.tag}' is not supported; supported: "
                        f"{', '.join(FUNCTIONS)}")


def read_coordinates(ctx: ElementReader, joint_el) -> tuple:
    holder = joint_el.find("coordinates")
    out = []
    for c in (holder if holder is not None else ()):
        if c.tag != "Coordinate":
            raise ctx.error(c, "expected <Coordinate>")
        if ctx.boolean(c, "prescribed", False) and c.find("prescribed_function") is not None \
                and len(c.find("prescribed_function")):
            raise ctx.error(c, "prescribed coordinates are not supported: unset <prescribed>")
        lo, hi = ctx.numbers(c, "range", 2, (-math.inf, math.inf))
        if not lo <= hi:
            raise ctx.error(c, f"<range> {lo:g} {hi:g} is reversed: expected (lower upper) "
                               f"with lower <= upper")
        default = ctx.number(c, "default_value", 0.0)
        clamped = ctx.boolean(c, "clamped", False)
        if clamped and not lo - 1e-12 <= default <= hi + 1e-12:
            raise ctx.error(c, f"<default_value> {default:g} is outside the coordinate's "
                               f"range [{lo:g}, {hi:g}]")
        out.append(Coordinate3d(c.get("name"), (lo, hi), default, clamped,
                                ctx.boolean(c, "locked", False), ctx.line(c)))
    return tuple(out)


def _custom_axes(ctx: ElementReader, el, names: list) -> tuple:
    st = el.find("SpatialTransform")
    if st is None:
        raise ctx.error(el, "a CustomJoint needs a <SpatialTransform>")
    found = {ax.get("name"): ax for ax in st.findall("TransformAxis")}
    axes = []
    for k, axis_name in enumerate(("rotation1", "rotation2", "rotation3",
                                   "translation1", "translation2", "translation3")):
        ax = found.get(axis_name)
        if ax is None:
            axes.append(Axis(axis_name, (), (_X, _Y, _Z)[k % 3], Constant(0.0)))
            continue
        coords = tuple((ax.findtext("coordinates") or "").split())
        unknown = [c for c in coords if c not in names]
        if unknown:
            raise ctx.error(ax, f"TransformAxis '{axis_name}' uses coordinate '{unknown[0]}', "
                                f"which is not one of the joint's ({', '.join(names)})")
        direction = np.asarray(ctx.numbers(ax, "axis", 3), float)
        if np.linalg.norm(direction) == 0:
            raise ctx.error(ax, f"TransformAxis '{axis_name}' has a zero <axis>")
        funcs = [f for f in ax if f.tag not in ("coordinates", "axis")]
        if funcs:
            function = read_function(ctx, funcs[0])
        elif coords:
            function = Linear(1.0, 0.0)    # OpenSim's default for an axis with a coordinate
        else:
            function = Constant(0.0)
        if len(coords) > 1 and not (isinstance(function, MultiLinear)
                                    and len(function.coefficients) == len(coords) + 1):
            raise ctx.error(ax, f"TransformAxis '{axis_name}' of {len(coords)} coordinates "
                                f"needs a LinearFunction of {len(coords) + 1} coefficients; "
                                f"functions of several coordinates other than LinearFunction "
                                "are not supported")
        if isinstance(function, MultiLinear) and len(function.coefficients) != len(coords) + 1:
            raise ctx.error(ax, f"the LinearFunction of TransformAxis '{axis_name}' has "
                                f"{len(function.coefficients)} coefficients for {len(coords)} "
                                "coordinates")
        axes.append(Axis(axis_name, tuple(names.index(c) for c in coords),
                         tuple(direction / np.linalg.norm(direction)), function))
    return tuple(axes)


def read_joint3d(ctx: ElementReader, el) -> Joint3d:
    """A joint element of one of :data:`JOINTS_3D` -> :class:`Joint3d`."""
    if el.tag not in JOINTS_3D:
        raise ctx.error(el, f"joint type '{el.tag}' is not supported; supported: "
                            f"{', '.join(JOINTS_3D)}")
    path = f"/jointset/{el.get('name')}"
    coordinates = read_coordinates(ctx, el)
    names = [c.name for c in coordinates]
    if el.tag == "CustomJoint":
        transform = JointTransform("CustomJoint", _custom_axes(ctx, el, names))
        used = {names[i] for a in transform.axes for i in a.indices}
        if set(names) - used:
            raise ctx.error(el, f"coordinates {sorted(set(names) - used)} move nothing in the "
                                "SpatialTransform")
    else:
        if len(names) != JOINT_COORDINATES[el.tag]:
            raise ctx.error(el, f"a {el.tag} has {JOINT_COORDINATES[el.tag]} coordinates, "
                                f"this one {len(names)}")
        transform = JointTransform(el.tag)
    return Joint3d(el.tag, el.get("name"), join_path(path, ctx.text(el, "socket_parent_frame")),
                   join_path(path, ctx.text(el, "socket_child_frame")), coordinates,
                   transform, ctx.line(el))
