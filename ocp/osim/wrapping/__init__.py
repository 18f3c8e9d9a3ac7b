"""OpenSim's wrap objects: each type in its own module, following OpenSim's algorithm.

``WRAP_TYPES`` maps the .osim tag to the class and the shape properties it
reads (property -> number of values).
"""
from ocp.osim.wrapping.cylinder import WrapCylinder
from ocp.osim.wrapping.ellipsoid import WrapEllipsoid
from ocp.osim.wrapping.geometry import (
    INSIDE_RADIUS,
    MANDATORY_WRAP,
    NO_WRAP,
    QUADRANTS,
    WRAPPED,
    WrapObject,
    WrapResult,
    body_fixed_xyz,
)
from ocp.osim.wrapping.sphere import WrapSphere
from ocp.osim.wrapping.torus import WrapTorus

WRAP_TYPES = {
    "WrapCylinder": (WrapCylinder, {"radius": 1, "length": 1}),
    "WrapSphere": (WrapSphere, {"radius": 1}),
    "WrapEllipsoid": (WrapEllipsoid, {"dimensions": 3}),
    "WrapTorus": (WrapTorus, {"inner_radius": 1, "outer_radius": 1}),
}

__all__ = ["INSIDE_RADIUS", "MANDATORY_WRAP", "NO_WRAP", "QUADRANTS", "WRAPPED", "WRAP_TYPES",
           "WrapCylinder", "WrapEllipsoid", "WrapObject", "WrapResult", "WrapSphere",
           "WrapTorus", "body_fixed_xyz"]
