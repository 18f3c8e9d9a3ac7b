"""SmoothSphereHalfSpaceForces of an .osim file as 3D contacts (``ocp.models.spatial.contact``).

As OpenSim builds them (``SmoothSphereHalfSpaceForce::extendAddToSystem``): the
sphere's centre in its body is the sphere frame's transform in its base body
applied to the sphere's ``location`` (its orientation plays no part); the
half-space frame in its body is the half-space frame's transform in its base
body composed with the geometry's own (``orientation``, body-fixed X-Y-Z Euler
angles, and ``location``). Parameters and their defaults are OpenSim's
(``ocp.osim.forces.SMOOTH_CONTACT_DEFAULTS``); the friction law is "opensim".
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ocp.models.spatial.contact import HalfSpace, SpatialContact
from ocp.models.spatial.rotations import body_fixed_xyz
from ocp.osim.elements import ElementReader, objects, parse_xml
from ocp.osim.forces import opensim_sphere, read_contact_geometry, read_smooth_contact
from ocp.osim.spatial_skeleton import frame_in_body as spatial_frame_in_body


def frame_in_body(doc, path: str, element: str = "", line: int = 0):
    """(body name or None for the ground, R (3x3), p (3,)): the frame's pose in its base body."""
    body, rotation, origin = spatial_frame_in_body(doc, path, element, line)
    return (None if body == "ground" else body), rotation, origin


def read_contact_elements(path) -> tuple:
    """({name: ContactGeometry}, [SmoothContact]) of a file: its ContactGeometrySet and
    every SmoothSphereHalfSpaceForce of its ForceSet and <components> that applies
    force, read without the rest of the model (the 3D reader reads bodies and frames)."""
    root, lines = parse_xml(Path(path))
    ctx = ElementReader(str(path), lines)
    model = root.find("Model")
    if model is None:
        return {}, []
    geometry = {}
    ctx.unique_names(objects(model.find("ContactGeometrySet")), "contact geometry")
    for el in objects(model.find("ContactGeometrySet")):
        if el.tag not in ("ContactSphere", "ContactHalfSpace"):
            raise ctx.error(el, f"contact geometry '{el.tag}' is not supported; supported: "
                                "ContactSphere, ContactHalfSpace")
        geometry[el.get("name")] = read_contact_geometry(ctx, el)
    components = model.find("components")
    holders = objects(model.find("ForceSet")) + (list(components) if components is not None
                                                 else [])
    contacts = [read_smooth_contact(ctx, el) for el in holders
                if el.tag == "SmoothSphereHalfSpaceForce"
                and ctx.boolean(el, "appliesForce", True)]
    return geometry, contacts


def spatial_contacts(doc, geometry: dict | None = None, contacts=None) -> tuple:
    """A :class:`SpatialContact` per SmoothSphereHalfSpaceForce, in file order.

    ``doc`` resolves frames (``frames``: path -> Frame, ``bodies``, ``error``: an
    OsimDocument, or the 3D reader's document together with ``geometry`` and
    ``contacts`` from :func:`read_contact_elements`).
    """
    geometry = doc.contact_geometry if geometry is None else geometry
    contacts = doc.contacts if contacts is None else contacts
    out = []
    for c in contacts:
        where = f"SmoothSphereHalfSpaceForce '{c.name}'"
        sphere = geometry.get(c.sphere)
        half = geometry.get(c.half_space)
        if sphere is None or sphere.kind != "ContactSphere":
            raise doc.error(f"socket_sphere '{c.sphere}' is not a ContactSphere of the "
                            "ContactGeometrySet", where, c.line)
        if half is None or half.kind != "ContactHalfSpace":
            raise doc.error(f"socket_half_space '{c.half_space}' is not a ContactHalfSpace",
                            where, c.line)
        body, r, p = frame_in_body(doc, sphere.frame, f"ContactSphere '{sphere.name}'",
                                   sphere.line)
        if body is None:
            raise doc.error("a contact sphere fixed to the ground is not supported (put it "
                            "on a body and the half-space on the ground)",
                            f"ContactSphere '{sphere.name}'", sphere.line)
        centre = r @ np.asarray(sphere.location, float) + p
        h_body, h_r, h_p = frame_in_body(doc, half.frame, f"ContactHalfSpace '{half.name}'",
                                         half.line)
        rotation = h_r @ body_fixed_xyz(half.orientation)
        origin = h_r @ np.asarray(half.location, float) + h_p
        if h_body == body:
            raise doc.error(f"the sphere and the half-space are on the same body '{body}'",
                            where, c.line)
        out.append(SpatialContact(
            opensim_sphere(c.name, body, tuple(float(v) for v in centre), sphere.radius_m,
                           c.parameters),
            HalfSpace(half.name, h_body, tuple(tuple(float(v) for v in row) for row in rotation),
                      tuple(float(v) for v in origin))))
    return tuple(out)
