"""A 3D .osim file -> the arguments of a torque-driven model over its spatial tree.

The tree is the file's ``ReducedTree`` (ocp.osim.spatial_skeleton): its free
coordinates are the states, CoordinateCouplerConstraint's dependent
coordinates follow their function, locked coordinates stay at their default
value. Every free coordinate gets a generalised-force control (``tau_<c>`` in
N m, or ``force_<c>`` in N for a translation); a coordinate with a
CoordinateActuator (or ActivationCoordinateActuator, whose activation
dynamics is not modelled: a note says so) takes its optimal force as the
control's scale and its control limits as bounds, as the planar path does.
Bounds: the ranges of clamped coordinates.

Contacts: every SmoothSphereHalfSpaceForce becomes a SpatialContact
(ocp.osim.contacts3d) acting through the tree (``ground`` =
``SPATIAL_GROUND``), unless ``ignore`` names "contacts". Muscles (and other
contact forces) of 3D models are not applied here: a file that has them is
refused, naming the first one, unless ``ignore`` names their kind
("muscles", "contacts"); what is ignored is listed in the model's notes.
``ocp.osim.model.build_osim_model`` builds the model from these arguments.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from ocp.models.multibody import PRISMATIC
from ocp.models.spatial.contact import SPATIAL_GROUND
from ocp.models.spatial.outputs import OffsetFrame
from ocp.models.spatial.reduced import ReducedTree
from ocp.osim.contacts3d import read_contact_elements, spatial_contacts
from ocp.osim.elements import ElementReader, objects, parse_xml
from ocp.osim.forces import read_actuator
from ocp.osim.spatial_skeleton import (
    SpatialDocument,
    frame_in_body,
    read_spatial,
    reduced_tree,
)

MUSCLE_SUFFIX = "Muscle"
ACTUATORS = ("CoordinateActuator", "ActivationCoordinateActuator")
CONTACTS = ("SmoothSphereHalfSpaceForce", "HuntCrossleyForce", "ElasticFoundationForce")
#: contact forces the 3D model applies
APPLIED_CONTACTS = ("SmoothSphereHalfSpaceForce",)


@dataclass(frozen=True)
class SpatialSkeleton:
    """What a 3D model keeps of its file (the ``osim`` of an OsimModel read in 3D):
    the reduced tree, every coordinate of the file (name -> Coordinate3d) and
    the parsed document."""

    tree: ReducedTree
    coordinates: dict
    doc: SpatialDocument
    merged: tuple = ()          # no bodies are merged in 3D (welded bodies are kept)


def _forces(path: Path, ignore: tuple):
    """(model name, actuators, notes) of the ForceSet; refuses muscles, contacts not ignored."""
    root, lines = parse_xml(path)
    ctx = ElementReader(str(path), lines)
    model = root.find("Model")
    actuators, notes, skipped = [], [], {}
    components = model.find("components")
    elements = objects(model.find("ForceSet")) + (list(components) if components is not None
                                                  else [])
    ctx.unique_names([el for el in elements if el.tag != "PhysicalOffsetFrame"], "force")
    for el in elements:
        if el.tag in ACTUATORS:
            if ctx.boolean(el, "appliesForce", True):
                actuators.append(read_actuator(ctx, el))
                if el.tag == "ActivationCoordinateActuator":
                    notes.append(f"ActivationCoordinateActuator '{el.get('name')}' (line "
                                 f"{ctx.line(el)}): read as a CoordinateActuator (its "
                                 "activation dynamics is not modelled)")
            continue
        kind = ("muscles" if el.tag.endswith(MUSCLE_SUFFIX) else
                "contacts" if el.tag in CONTACTS else None)
        if el.tag == "PhysicalOffsetFrame" or (el.tag in APPLIED_CONTACTS
                                               and "contacts" not in ignore):
            continue
        if kind is None or kind not in ignore:
            what = {"muscles": "muscles of 3D models", "contacts": "contact forces of 3D models"}
            raise ctx.error(el, f"{what.get(kind, repr(el.tag) + ' forces in 3D models')} "
                                "are not applied by the torque-driven 3D model; supported: "
                                f"{', '.join(ACTUATORS + APPLIED_CONTACTS)}"
                                + (f" (ignore them with ignore=('{kind}',))" if kind else ""))
        skipped.setdefault(kind, []).append(el.get("name"))
    for kind, names in skipped.items():
        notes.append(f"{len(names)} {kind} not applied (torque-driven 3D model): "
                     f"{', '.join(names[:5])}{' ...' if len(names) > 5 else ''}")
    return model.get("name", path.stem), actuators, notes


def spatial_torque_arguments(path, *, ignore: tuple = (), hold: dict | None = None,
                             unactuated: tuple = (), frames: tuple = ()) -> dict:
    """Keyword arguments of ``OsimTorqueModel`` for the 3D file ``path``; ``hold``:
    {coordinate: value} held fixed besides the file's locked ones (a pelvis fixed
    in space, say); ``unactuated``: free coordinates without a generalised force (a
    pelvis that the contacts hold up); ``frames``: bodies or PhysicalOffsetFrames (by
    path or name) whose IMU-like signals become outputs (:func:`offset_frames`)."""
    from ocp.models.torque_driven import actuator_name

    path = Path(path)
    doc = read_spatial(path)
    tree = reduced_tree(doc, hold)
    coordinates = doc.coordinates()
    name, actuators, notes = _forces(path, tuple(ignore))
    kinds = tree.coordinate_kinds()
    reserves, bounds = {}, {}
    unknown = set(unactuated) - set(tree.coordinates)
    if unknown:
        raise doc.error(f"unactuated coordinates {sorted(unknown)} are not free coordinates; "
                        f"free: {', '.join(tree.coordinates)}")
    for a in actuators:
        where = f"CoordinateActuator '{a.name}'"
        if a.coordinate not in coordinates:
            raise doc.error(f"coordinate '{a.coordinate}' does not exist; coordinates: "
                            f"{', '.join(coordinates)}", where, a.line)
        if a.coordinate in (hold or {}):
            notes.append(f"{where}: not applied, its coordinate '{a.coordinate}' is held")
            continue
        if a.coordinate not in tree.coordinates:
            raise doc.error(f"coordinate '{a.coordinate}' is locked or coupled: an actuator "
                            "on it does nothing", where, a.line)
        if a.coordinate in reserves:
            raise doc.error(f"a second actuator on coordinate '{a.coordinate}' is not "
                            "supported", where, a.line)
        if a.coordinate in unactuated:
            continue
        reserves[a.coordinate] = a.optimal_force
        bounds[actuator_name(a.coordinate, kinds[a.coordinate])] = (a.min_control,
                                                                     a.max_control)
    for coordinate in tree.coordinates:
        c = coordinates[coordinate]
        if c.clamped and all(math.isfinite(v) for v in c.range):
            bounds[coordinate] = c.range
    units = sum(kinds[c] == PRISMATIC for c in tree.coordinates)
    parameters = {"file": str(path), "coordinates": tree.n,
                  "translations": units, "bodies": len(tree.bodies)}
    contacts = ()
    if "contacts" not in ignore:
        geometry, elements = read_contact_elements(path)
        contacts = spatial_contacts(doc, geometry, elements)
    return dict(name=name, tree=tree, contacts=contacts, ground=SPATIAL_GROUND,
                frames=offset_frames(doc, frames),
                actuated=tuple(c for c in tree.coordinates if c not in unactuated),
                parameters=parameters, optimal_torque=reserves,
                bounds=bounds, osim=SpatialSkeleton(tree, coordinates, doc), notes=notes,
                geometry_fit=(), geometry_method="exact")


def offset_frames(doc: SpatialDocument, names) -> tuple:
    """An OffsetFrame (ocp.models.spatial.outputs) per name: a body's own frame, or a
    PhysicalOffsetFrame given by its path (``/bodyset/pelvis/imu``) or its name; an
    OffsetFrame (a placed IMU, ocp.sensors.imu_frames) is kept as it is."""
    out = []
    for name in names:
        if isinstance(name, OffsetFrame):
            out.append(name)
            continue
        if name in doc.bodies:
            out.append(OffsetFrame(name, name))
            continue
        paths = [p for p in doc.frames if p == name or p.rsplit("/", 1)[-1] == name]
        if len(paths) != 1:
            raise doc.error(f"frame '{name}' is {'ambiguous' if paths else 'unknown'}; "
                            f"bodies: {', '.join(doc.bodies)}; offset frames: "
                            f"{', '.join(doc.frames) or 'none'}")
        body, rotation, origin = frame_in_body(doc, paths[0])
        if body == "ground":
            raise doc.error(f"frame '{name}' is fixed in the ground: it has no signals")
        out.append(OffsetFrame(paths[0].rsplit("/", 1)[-1], body,
                               tuple(tuple(float(v) for v in row) for row in rotation),
                               tuple(float(v) for v in origin)))
    return tuple(out)
