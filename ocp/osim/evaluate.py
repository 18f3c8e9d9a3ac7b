"""``ocp models FILE.osim --evaluate STATES.json --out VALUES.json``: a model at given states.

So that a user can hold the project's model against OpenSim or their own code
(issue #20; tests/opensim_model_values.py writes OpenSim's VALUES.json).

STATES.json: ``{"coordinates": [names], "samples": [{"q": [...], "u": [...]}]}``,
SI units (rad, m, rad/s, m/s), in the listed order; a coordinate not listed
stays at its default value with zero speed, and a sample without "u" is at
rest. Dependent coordinates are given consistent with their constraint (they
are not recomputed). Speeds are the coordinates' time derivatives for every
joint; OpenSim's speeds of a BallJoint or FreeJoint are an angular velocity
instead (ocp/osim/joints3d.py), so there its mass matrix and forces differ from
these by that change of variables.

VALUES.json: ``{"coordinates": [the file's coordinates, in its order],
"samples": [...]}``, each sample holding

- ``mass_matrix`` (n x n) and ``bias_and_gravity_tau`` (n): M(q) and the
  inverse dynamics at zero acceleration with no force element, C(q, u) - G(q),
  over all the file's coordinates with constraints not applied (the spatial
  tree, ``ocp.models.spatial``), as OpenSim's ``calcM`` and
  ``InverseDynamicsSolver`` give them;
- ``muscle_tendon_length`` {muscle: m} and ``moment_arms`` {muscle: {coordinate:
  m}}: the exact paths (:func:`muscle_geometry`, empty where the file's muscle
  paths cannot be evaluated yet);
- ``marker_positions`` {marker: [x, y, z]} and ``body_origin_positions`` {body:
  [x, y, z]}, in ground;
- ``contact_forces`` {SmoothSphereHalfSpaceForce: [fx, fy, fz]}: the sphere's
  force on its body, in ground (``ocp.models.spatial.contact``).

A bad STATES.json (not JSON, a key missing or unknown, an unknown coordinate, a
vector of the wrong length, a value that is not a finite number) is a
:class:`ProblemError` naming the file and the key.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import casadi as ca
import numpy as np

from ocp.errors import ProblemError, suggestion
from ocp.models.spatial.contact import sphere_reactions
from ocp.osim.contacts3d import read_contact_elements, spatial_contacts
from ocp.osim.paths3d_reader import read_muscle_paths
from ocp.osim.spatial_skeleton import frame_in_body, read_spatial, spatial_tree

STATES_KEYS = ("coordinates", "samples")
SAMPLE_KEYS = ("q", "u")


#: central-difference step (rad or m) of the moment arms, -dL/dq: truncation and
#: rounding errors both near 1e-10 m (as tests/opensim_model_values.py)
MOMENT_ARM_STEP = 1e-6


def muscle_geometry(path, tree):
    """The exact 3D muscle paths, wrapping included, as a function q (numpy, over
    ``tree.coordinates``) -> ({muscle: length m}, {muscle: {coordinate: moment arm m}}),
    moment arms being minus the central difference of the length; or None.

    The paths are ``ocp.osim.paths3d``'s, with OpenSim's wrapping: a numpy
    reference that takes the body poses. None for a file without muscles.
    """
    paths = read_muscle_paths(path)
    if not paths:
        return None
    q_sym = ca.SX.sym("q", tree.n)
    states = tree.body_states(q_sym)
    names = [b.name for b in tree.bodies]
    pose_function = ca.Function("poses", [q_sym], [ca.horzcat(*[ca.horzcat(states[b].R,
                                                                          states[b].p)
                                                               for b in names])])
    coordinates = list(tree.coordinates)
    spans = {m: spanned_coordinates(tree, p) for m, p in paths.items()}

    def lengths(q, muscles) -> dict:
        table = np.array(pose_function(q))
        poses = {b: (table[:, 4 * i:4 * i + 3], table[:, 4 * i + 3])
                 for i, b in enumerate(names)}
        values = dict(zip(coordinates, (float(v) for v in q)))
        return {m: paths[m].length(poses, values) for m in muscles}

    def geometry(q):
        q = np.asarray(q, dtype=float)
        arms = {m: dict.fromkeys(coordinates, 0.0) for m in paths}
        for k, c in enumerate(coordinates):
            muscles = [m for m in paths if c in spans[m]]
            if not muscles:
                continue
            up, down = q.copy(), q.copy()
            up[k] += MOMENT_ARM_STEP
            down[k] -= MOMENT_ARM_STEP
            longer, shorter = lengths(up, muscles), lengths(down, muscles)
            for m in muscles:
                arms[m][c] = -(longer[m] - shorter[m]) / (2 * MOMENT_ARM_STEP)
        return lengths(q, paths), arms

    return geometry


def spanned_coordinates(tree, path) -> set:
    """The coordinates a muscle's length can depend on: those of the joints between the
    bodies of its points and wrap objects (up to their lowest common ancestor), and
    those that move or switch its points. Its moment arm about any other is 0 exactly
    (the whole path moves rigidly)."""
    parent = {b.name: b.parent or "ground" for b in tree.bodies}
    joint = {b.name: b.joint.coordinates for b in tree.bodies}

    def chain(body):
        out = [body]
        while out[-1] != "ground":
            out.append(parent[out[-1]])
        return out

    bodies = {p.body for p in path.points} | {w.wrap.body for w in path.wraps}
    chains = [chain(b) for b in bodies]
    common = set(chains[0]).intersection(*chains[1:])
    out = set()
    for c in chains:
        for body in c:
            if body in common:
                break
            out.update(joint[body])
    for p in path.points:
        out.update(coordinate for coordinate, _, _ in p.functions if coordinate)
        if p.coordinate:
            out.add(p.coordinate)
    return out


def _vector(value, key: str, n: int, file: str) -> np.ndarray:
    if not isinstance(value, list):
        raise ProblemError(f"must be a list of {n} numbers, one per coordinate, got "
                           f"{type(value).__name__}", key, file)
    if len(value) != n:
        raise ProblemError(f"has {len(value)} values; expected {n}, one per coordinate of "
                           "'coordinates'", key, file)
    for i, v in enumerate(value):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ProblemError(f"must be a finite number, got {v!r}", f"{key}[{i}]", file)
    return np.array(value, dtype=float)


def read_states(path, coordinates: dict) -> tuple:
    """(listed names, [(q, u)] over all the file's coordinates) from a STATES.json.

    ``coordinates``: {name: default value} of the file, in its order.
    """
    file = str(path)
    try:
        data = json.loads(Path(path).read_text())
    except json.JSONDecodeError as exc:
        raise ProblemError(f"not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                           None, file) from None
    except UnicodeDecodeError:
        raise ProblemError("not JSON: not a UTF-8 text file", None, file) from None
    if not isinstance(data, dict):
        raise ProblemError('must be a JSON object {"coordinates": [...], "samples": [...]}',
                           None, file)
    for key in data:
        if key not in STATES_KEYS:
            raise ProblemError(f"unknown key{suggestion(key, STATES_KEYS)}", key, file)
    for key in STATES_KEYS:
        if key not in data:
            raise ProblemError("missing", key, file)
    names = data["coordinates"]
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ProblemError("must be a list of coordinate names", "coordinates", file)
    for i, name in enumerate(names):
        if name not in coordinates:
            raise ProblemError(f"'{name}' is not a coordinate of the model"
                               f"{suggestion(name, coordinates)}", f"coordinates[{i}]", file)
        if names.index(name) != i:
            raise ProblemError(f"'{name}' is listed twice", f"coordinates[{i}]", file)
    samples = data["samples"]
    if not isinstance(samples, list) or not samples:
        raise ProblemError('must be a non-empty list of {"q": [...], "u": [...]}', "samples",
                           file)
    order = list(coordinates)
    index = [order.index(n) for n in names]
    out = []
    for k, sample in enumerate(samples):
        where = f"samples[{k}]"
        if not isinstance(sample, dict):
            raise ProblemError('must be an object {"q": [...], "u": [...]}', where, file)
        for key in sample:
            if key not in SAMPLE_KEYS:
                raise ProblemError(f"unknown key{suggestion(key, SAMPLE_KEYS)}",
                                   f"{where}.{key}", file)
        if "q" not in sample:
            raise ProblemError("missing", f"{where}.q", file)
        q = np.array([coordinates[c] for c in order], dtype=float)
        u = np.zeros(len(order))
        q[index] = _vector(sample["q"], f"{where}.q", len(names), file)
        if "u" in sample:
            u[index] = _vector(sample["u"], f"{where}.u", len(names), file)
        out.append((q, u))
    return names, out


def _columns(vectors):
    """(3, k): the 3-vectors side by side."""
    return ca.horzcat(*vectors) if vectors else ca.SX(3, 0)


class ModelEvaluator:
    """The quantities of VALUES.json for one .osim file, as one CasADi function."""

    def __init__(self, path, doc=None):
        self.path = Path(path)
        doc = read_spatial(self.path) if doc is None else doc
        self.tree = spatial_tree(doc)
        self.defaults = {name: c.default_value for name, c in doc.coordinates().items()}
        geometry, contacts = read_contact_elements(self.path)
        self.contacts = spatial_contacts(doc, geometry, contacts)
        self.muscles = muscle_geometry(self.path, self.tree)
        n = self.tree.n
        q, u = ca.SX.sym("q", n), ca.SX.sym("u", n)
        self.markers = [m.name for m in self.tree.markers]
        self.ground_markers = {}   # markers fixed in the ground: constant positions
        for name, frame, location, line in doc.markers:
            body, rotation, origin = frame_in_body(doc, frame, f"Marker '{name}'", line)
            if body == "ground":
                self.ground_markers[name] = (rotation @ np.asarray(location) + origin).tolist()
        self.bodies = [b.name for b in self.tree.bodies]
        states = self.tree.body_states(q)
        markers = self.tree.marker_positions(q)
        reactions = sphere_reactions(self.tree, q, u, self.contacts)
        self.function = ca.Function("values", [q, u], [
            self.tree.mass_matrix(q),
            self.tree.inverse_dynamics(q, u, ca.SX.zeros(n)),
            _columns([markers[m] for m in self.markers]),
            _columns([states[b].p for b in self.bodies]),
            _columns([r.force for r in reactions])])

    @property
    def coordinates(self) -> tuple:
        return self.tree.coordinates

    def sample(self, q, u) -> dict:
        """One VALUES.json sample at q, u (numpy, over the file's coordinates)."""
        mass, bias, markers, bodies, forces = (np.array(v) for v in self.function(q, u))
        lengths, arms = ({}, {}) if self.muscles is None else self.muscles(q)
        return {
            "mass_matrix": mass.tolist(),
            "bias_and_gravity_tau": bias.ravel().tolist(),
            "muscle_tendon_length": lengths,
            "moment_arms": arms,
            "marker_positions": {**self.ground_markers, **{
                m: markers[:, i].tolist() for i, m in enumerate(self.markers)}},
            "body_origin_positions": {b: bodies[:, i].tolist()
                                      for i, b in enumerate(self.bodies)},
            "contact_forces": {c.name: forces[:, i].tolist()
                               for i, c in enumerate(self.contacts)},
        }


def evaluate(model_path, states_path) -> dict:
    """VALUES.json (a dict) of the model at the states of STATES.json."""
    doc = read_spatial(model_path)
    defaults = {name: c.default_value for name, c in doc.coordinates().items()}
    _, samples = read_states(states_path, defaults)   # before the model's functions are built
    evaluator = ModelEvaluator(model_path, doc)
    return {"coordinates": list(evaluator.coordinates),
            "samples": [evaluator.sample(q, u) for q, u in samples]}


def write_values(model_path, states_path, out_path) -> Path:
    """Evaluate and write VALUES.json to ``out_path``; returns the path."""
    values = evaluate(model_path, states_path)
    out = Path(out_path)
    out.write_text(json.dumps(values))
    return out
