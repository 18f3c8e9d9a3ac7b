"""Learned surrogates at solve time: load, check and watch an exported CasADi function.

``learned_components`` trains a network in PyTorch and exports it as two
files, ``NAME.casadi`` (``casadi.Function.save``) and ``NAME.json`` (what it
computes: component, inputs with units and training ranges, outputs, training
error, and the SHA-256 of the ``.casadi`` file). This module needs neither
torch nor ``learned_components``: the solve path loads the function with
``casadi.Function.load`` and uses it like any other CasADi function, so IPOPT
gets its exact derivatives.

Three checks, each with a message that names the file:

- the files: missing, not JSON, another format, a checksum that differs
  (corrupt or swapped), a function CasADi cannot read;
- the component: a surrogate of another kind, another signature, or other
  coordinates and muscles than the model it replaces (and, for muscle
  geometry, lengths that disagree with the model's own paths);
- the inputs: after a solve, :func:`range_report` warns when the motion
  leaves the training range, with the range and by how much.
"""
from __future__ import annotations

import hashlib
import json
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import casadi as ca
import numpy as np

from ocp.engine.reports import register_reporter
from ocp.errors import ProblemError
from ocp.models.protocols import ContactModel, MuscleModel, SurrogateModel, TreeModel

FORMAT, FORMAT_VERSION = "ocp-surrogate", 1
MUSCLE_GEOMETRY = "muscle_geometry"
CONTACT_NORMAL_FORCE = "contact_normal_force"
#: ContactSphere fields that shape the normal force (ocp.models.contact.normal_force).
NORMAL_FORCE_PARAMETERS = ("stiffness_N_m2", "dissipation_s_m", "derivative_smoothing",
                           "hertz_smoothing_1_m", "hunt_crossley_smoothing_s_m")
#: Length discrepancy (m) between a geometry surrogate and the model's own paths above
#: which the surrogate is taken to describe another model (unless its training error
#: was larger than half of this).
GEOMETRY_MISMATCH_M = 1e-3
#: Postures at which a geometry surrogate is compared with the model's paths: a grid of
#: 7 per coordinate up to this many points (4 coordinates), a Halton sample beyond.
GEOMETRY_CHECK_POINTS = 2401
#: Analytic normal force (N) along a lower edge of a contact surrogate's training range
#: below which the force counts as vanished beyond that edge (1e-4 of a 75 kg body
#: weight): foot above the ground, or leaving it faster than 2 / (3 c).
ZERO_FORCE_N = 0.1
#: Width of the smooth clamp of a contact surrogate's inputs at those edges (m, m/s):
#: the clamp moves an input by width * exp(-(x - lower) / width), below 1e-8 m and
#: 1e-8 m/s from 20 widths inside the range on.
CLAMP_WIDTH = {"indentation": 1e-3, "indentation_speed": 0.02}
#: The ground only pushes: a contact surrogate's normal force is held above zero by
#: the same smooth clamp, this wide (N); it moves a force of 10 N by 1e-9 N.
PUSH_ONLY_WIDTH_N = 0.5
#: A foot in the air feels no force: below the lower edge of a contact surrogate's
#: indentation range, where the analytic force vanishes (``clamped``), its force is
#: multiplied by 0.5 + 0.5 tanh((d - edge) / width + AIR_GATE_SHIFT) of the raw
#: indentation d: 0.999 at the edge, 0.08 1 cm below it, 4e-6 2 cm below.
AIR_GATE_WIDTH_M, AIR_GATE_SHIFT = 0.002, 3.8


class SurrogateRangeWarning(UserWarning):
    """A solution visits inputs outside a surrogate's training range."""


class SurrogateMismatch(ProblemError):
    """A surrogate that does not fit the component it replaces."""


@dataclass(frozen=True)
class Surrogate:
    """An exported learned component: its CasADi function and its metadata."""

    path: Path                    # the .casadi file
    function: ca.Function
    metadata: dict = field(repr=False)

    @property
    def component(self) -> str:
        return self.metadata["component"]

    @property
    def inputs(self) -> list[dict]:
        """[{name, unit, range: [lo, hi]}] in the function's input order."""
        return self.metadata["inputs"]

    @property
    def outputs(self) -> list[dict]:
        return self.metadata["outputs"]


def shown(value: float, unit: str) -> str:
    """A value in a readable unit: angles in degrees."""
    if unit == "rad":
        return f"{math.degrees(value):.4g} deg"
    if unit == "m" and abs(value) < 1:
        return f"{value * 1000:.4g} mm"
    return f"{value:.4g} {unit}"


def _paths(path) -> tuple[Path, Path]:
    path = Path(path)
    stem = path.with_suffix("") if path.suffix in (".casadi", ".json") else path
    return stem.with_suffix(".casadi"), stem.with_suffix(".json")


def load_surrogate(path, component: str | None = None) -> Surrogate:
    """Read ``NAME.casadi`` and ``NAME.json`` (either name, or the stem), with checks.

    Raises ProblemError (``file`` set to the offending file) for a missing,
    corrupt or foreign file, and for a surrogate of another ``component``.
    """
    casadi_path, json_path = _paths(path)

    def error(message, file=casadi_path):
        return ProblemError(message, file=str(file))

    if not casadi_path.exists():
        raise error("surrogate file does not exist (ocp train writes NAME.casadi and "
                    "NAME.json)")
    if not json_path.exists():
        raise error(f"no metadata file '{json_path.name}' beside it: a surrogate is "
                    f"NAME.casadi plus NAME.json, as written by ocp train")
    try:
        metadata = json.loads(json_path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise error(f"metadata is not valid JSON ({exc}); the file is corrupt",
                    json_path) from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise error(f"not an ocp surrogate: expected \"format\": \"{FORMAT}\"", json_path)
    if metadata.get("version") != FORMAT_VERSION:
        raise error(f"surrogate format version {metadata.get('version')!r}; this version of "
                    f"ocp reads version {FORMAT_VERSION}: export it again", json_path)
    missing = [k for k in ("component", "inputs", "outputs", "function", "sha256")
               if k not in metadata]
    if missing:
        raise error(f"metadata lacks {', '.join(missing)}; the file is incomplete", json_path)
    data = casadi_path.read_bytes()
    if hashlib.sha256(data).hexdigest() != metadata["sha256"]:
        raise error(f"corrupt or replaced: its SHA-256 differs from the one recorded in "
                    f"'{json_path.name}' when it was exported")
    try:
        function = ca.Function.load(str(casadi_path))
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise error(f"CasADi cannot read it, the file is corrupt ({first})") from None
    signature = metadata["function"]
    shapes_in = [list(function.size_in(i)) for i in range(function.n_in())]
    shapes_out = [list(function.size_out(i)) for i in range(function.n_out())]
    if (shapes_in != [s["shape"] for s in signature["inputs"]]
            or shapes_out != [s["shape"] for s in signature["outputs"]]):
        raise error(f"the function's inputs {shapes_in} and outputs {shapes_out} differ from "
                    f"those recorded in '{json_path.name}'")
    surrogate = Surrogate(casadi_path, function, metadata)
    if component is not None and surrogate.component != component:
        raise error(f"this is a '{surrogate.component}' surrogate; expected a "
                    f"'{component}' surrogate here")
    return surrogate


def learned_geometry(surrogate: Surrogate, tree, muscles, analytic: ca.Function) -> ca.Function:
    """The surrogate's function, after checking that it replaces ``analytic``.

    ``analytic`` is the model's own q (n,) -> (lengths (m, 1), moment arms
    (n, m)). Checked: component, coordinates and muscles (names and order),
    shapes, and the lengths on a grid over the training range (a Halton
    sample of GEOMETRY_CHECK_POINTS beyond four coordinates), which must
    agree within ``GEOMETRY_MISMATCH_M`` (or twice the training error): a
    changed path, segment length or muscle list means another model.
    Raises SurrogateMismatch.
    """
    meta, f = surrogate.metadata, surrogate.function
    name = surrogate.path.name
    if surrogate.component != MUSCLE_GEOMETRY:
        raise SurrogateMismatch(f"surrogate '{name}' is a '{surrogate.component}' surrogate, "
                                f"not '{MUSCLE_GEOMETRY}'")
    coords, names = list(tree.coordinates), [m.name for m in muscles]
    inputs = [i["name"] for i in surrogate.inputs]
    if inputs != coords:
        raise SurrogateMismatch(f"surrogate '{name}' takes coordinates {inputs}; the model "
                                f"has {coords}")
    trained = list(meta.get("muscles", []))
    if trained != names:
        missing = [m for m in names if m not in trained]
        extra = [m for m in trained if m not in names]
        detail = "; ".join(s for s in (
            f"not trained for {missing}" if missing else "",
            f"trained for {extra} that the model lacks" if extra else "",
            "same muscles in another order" if not missing and not extra else "") if s)
        raise SurrogateMismatch(f"surrogate '{name}' gives the lengths of {trained}; the "
                                f"model's muscles are {names} ({detail}); train a surrogate "
                                f"for this muscle set")
    n, m = len(coords), len(names)
    expected = ([[n, 1]], [[m, 1], [n, m]])
    got = ([list(f.size_in(i)) for i in range(f.n_in())],
           [list(f.size_out(i)) for i in range(f.n_out())])
    if got != expected:
        raise SurrogateMismatch(f"surrogate '{name}' maps {got[0]} to {got[1]}; muscle "
                                f"geometry maps q {expected[0]} to (lengths, moment arms) "
                                f"{expected[1]}")
    ranges = [i["range"] for i in surrogate.inputs]
    if 7 ** n <= GEOMETRY_CHECK_POINTS:  # a grid of 7 per axis while it is small
        grid = np.array(np.meshgrid(*[np.linspace(lo, hi, 7) for lo, hi in ranges]))
        points = grid.reshape(n, -1)
    else:  # many coordinates: a scrambled Halton sample (seeded) of the box
        from scipy.stats import qmc
        lo, hi = np.array(ranges, dtype=float).T
        unit = qmc.Halton(d=n, scramble=True, seed=0).random(GEOMETRY_CHECK_POINTS)
        points = (lo + unit * (hi - lo)).T
    learned = np.array(f.map(points.shape[1])(points)[0])
    exact = np.array(analytic.map(points.shape[1])(points)[0])
    difference = np.abs(learned - exact)
    training_max = float(meta.get("training", {}).get("validation_max_abs_error", 0.0))
    tolerance = max(GEOMETRY_MISMATCH_M, 2 * training_max)
    if difference.max() > tolerance:
        i, j = np.unravel_index(np.argmax(difference), difference.shape)
        posture = ", ".join(f"{c} {shown(v, 'rad')}" for c, v in zip(coords, points[:, j]))
        raise SurrogateMismatch(
            f"surrogate '{name}' was trained on another geometry: the length of "
            f"'{names[i]}' differs from the model's by {difference.max() * 1000:.3g} mm at "
            f"{posture} (tolerance {tolerance * 1000:.3g} mm); were muscle paths or segment "
            f"lengths changed? train a surrogate for this model (ocp train)")
    return f


def smooth_lower_clamp(x, lower: float, width: float):
    """lower + width softplus((x - lower) / width): x inside, ``lower`` far below.

    C-infinity; written as a shifted log-sum-exp so that it neither
    overflows far above nor loses its exact derivatives (the shift cancels).
    """
    z = (x - lower) / width
    shift = ca.fmax(z, 0)
    return lower + width * (shift + ca.log(ca.exp(-shift) + ca.exp(z - shift)))


class LearnedNormalForce:
    """A stand-in for ``ocp.models.contact.normal_force(sphere, indentation, speed)``.

    The surrogate (component ``contact_normal_force``) maps x = (indentation
    m, indentation speed m/s) to the normal force (N) of the sphere recorded
    in its metadata. For a sphere of another radius the force is scaled by
    sqrt(r / r_trained), which is exact for the Hertz law used here (the force
    is proportional to sqrt(r k)); the other parameters of the normal force
    (NORMAL_FORCE_PARAMETERS) must be the trained ones, else SurrogateMismatch.
    Friction parameters do not enter the normal force and may differ.

    Below the training range the Hunt-Crossley force vanishes: a foot above
    the ground (indentation below about -5 mm, where the tanh switch decays
    faster than the Hertz term grows) or leaving it faster than 2 / (3 c). When
    the analytic force of the recorded sphere is below ``ZERO_FORCE_N`` along
    a lower edge of the range (checked here), that input is clamped smoothly
    to the edge (``smooth_lower_clamp``), where the network has learned that
    zero to within its training error: a swing foot 20 cm up gets the force at
    -2 cm (a few newtons at most), not an extrapolation (kilonewtons).
    ``clamped`` names those inputs; the range check ignores their lower side.

    The network's value at the clamped edge is its training error, a few
    newtons, not zero; on a swing foot, through friction, that was 8 J/m of
    phantom losses beyond 2 cm above the ground in the torque walk (the
    analytic law: 0.00). So below a clamped indentation edge the force is
    gated to zero smoothly (``AIR_GATE_WIDTH_M``).

    The force itself is clamped smoothly at zero (``PUSH_ONLY_WIDTH_N``): the
    ground only pushes. A network that pulled where it extrapolates (a swing
    foot falling faster than the trained speeds: -47 N at 4.8 m/s) would be a
    source of energy that an optimiser finds, and that a cost on the energy
    lost to the ground (``contact_dissipation``) pays it for.
    """

    def __init__(self, surrogate: Surrogate):
        name = surrogate.path.name
        if surrogate.component != CONTACT_NORMAL_FORCE:
            raise SurrogateMismatch(f"surrogate '{name}' is a '{surrogate.component}' "
                                    f"surrogate, not '{CONTACT_NORMAL_FORCE}'")
        recorded = dict(surrogate.metadata.get("sphere", {}))
        if recorded.get("radius_m") is None:
            raise SurrogateMismatch(f"surrogate '{name}' does not record the sphere it was "
                                    f"trained for")
        self.surrogate = surrogate
        self.radius_m = recorded["radius_m"]
        self.trained = {k: recorded[k] for k in NORMAL_FORCE_PARAMETERS if k in recorded}
        self.lower = {i["name"]: i["range"][0] for i in surrogate.inputs}
        self.clamped = self._vanishing_edges(recorded)

    def _vanishing_edges(self, recorded: dict) -> tuple:
        """Inputs along whose lower edge the analytic force is below ZERO_FORCE_N."""
        from ocp.models.contact import ContactSphere, normal_force
        fields = set(ContactSphere.__dataclass_fields__) - {"name", "segment", "center_m"}
        sphere = ContactSphere("trained", "ground", (0.0, 0.0),
                               **{k: v for k, v in recorded.items() if k in fields})
        (d_lo, d_hi), (v_lo, v_hi) = (i["range"] for i in self.surrogate.inputs)
        d, v = ca.SX.sym("d"), ca.SX.sym("v")
        force = ca.Function("f", [d, v], [normal_force(sphere, d, v)]).map(41)
        edges = {"indentation": (np.full(41, d_lo), np.linspace(v_lo, v_hi, 41)),
                 "indentation_speed": (np.linspace(d_lo, d_hi, 41), np.full(41, v_lo))}
        return tuple(n for n, (ds, vs) in edges.items()
                     if float(np.max(np.abs(np.array(force(ds, vs))))) < ZERO_FORCE_N)

    def __call__(self, sphere, indentation, indentation_speed):
        for key, value in self.trained.items():
            mine = getattr(sphere, key)
            if not math.isclose(mine, value, rel_tol=1e-9, abs_tol=0.0):
                raise SurrogateMismatch(
                    f"contact sphere '{sphere.name}' has {key} = {mine}; surrogate "
                    f"'{self.surrogate.path.name}' was trained with {value}")
        x = {"indentation": indentation, "indentation_speed": indentation_speed}
        for n in self.clamped:
            x[n] = smooth_lower_clamp(x[n], self.lower[n], CLAMP_WIDTH[n])
        force = self.surrogate.function(ca.vertcat(x["indentation"], x["indentation_speed"]))
        force = smooth_lower_clamp(force, 0.0, PUSH_ONLY_WIDTH_N)
        if "indentation" in self.clamped:  # a foot in the air feels no force
            above_edge = (indentation - self.lower["indentation"]) / AIR_GATE_WIDTH_M
            force = force * (0.5 + 0.5 * ca.tanh(above_edge + AIR_GATE_SHIFT))
        return math.sqrt(sphere.radius_m / self.radius_m) * force

    def inputs(self, spheres) -> SurrogateInputs:
        """Where a solution of a model with these spheres holds the network's inputs."""
        return SurrogateInputs(
            {"indentation": tuple(f"indentation_{s.name}" for s in spheres),
             "indentation_speed": tuple(f"indentation_speed_{s.name}" for s in spheres)},
            open_below=self.clamped)


def learned_normal_force(surrogate: Surrogate) -> LearnedNormalForce:
    """The surrogate as a contact normal-force law (see LearnedNormalForce)."""
    return LearnedNormalForce(surrogate)


@dataclass(frozen=True)
class SurrogateInputs:
    """Where a solution holds a surrogate's inputs, when not under the inputs' own names.

    ``columns``: input name -> solution columns (states, controls or outputs)
    that are fed to the surrogate, e.g. one per contact sphere; ``open_below``:
    inputs clamped at the lower edge of their range, where the component is
    constant, so that values below it are no extrapolation.
    """

    columns: dict
    open_below: tuple = ()


def _input_values(solution, name: str):
    for names, getter in ((solution.state_names, solution.state),
                          (solution.control_names, solution.control),
                          (solution.output_names, solution.output)):
        if name in names:
            return np.asarray(getter(name), dtype=float)
    return None


def range_messages(surrogates: dict, solution, inputs: dict | None = None) -> list[str]:
    """One message per input of each surrogate that the solution takes out of its range.

    ``inputs`` maps a surrogate's role to its SurrogateInputs, when the
    solution holds its inputs under other names (a contact surrogate's
    indentation of every sphere).
    """
    messages = []
    inputs = inputs or {}
    for role, s in surrogates.items():
        where = inputs.get(role)
        for spec in s.inputs:
            columns = where.columns.get(spec["name"], ()) if where else (spec["name"],)
            found = [(c, v) for c in columns
                     if (v := _input_values(solution, c)) is not None and v.size]
            if not found:
                continue
            lo, hi = spec["range"]
            unit = spec.get("unit", "-")
            slack = 1e-9 * max(1.0, abs(hi - lo))
            low_column, low = min(((c, float(np.min(v))) for c, v in found), key=lambda e: e[1])
            high_column, high = max(((c, float(np.max(v))) for c, v in found),
                                    key=lambda e: e[1])
            sides = [(high, high - hi, "above", high_column)]
            if not (where and spec["name"] in where.open_below):
                sides.insert(0, (low, lo - low, "below", low_column))
            for value, excess, side, column in sides:
                if excess > slack:
                    at = f" ('{column}')" if column != spec["name"] else ""
                    messages.append(
                        f"the {role} surrogate '{s.path.name}' was trained on "
                        f"'{spec['name']}' in [{shown(lo, unit)}, {shown(hi, unit)}]; the "
                        f"solution reaches {shown(value, unit)}{at}, {shown(excess, unit)} "
                        f"{side} that range, where the surrogate extrapolates")
    return messages


def range_report(model, solution) -> dict:
    """Warn (SurrogateRangeWarning) for every learned input outside its training range.

    Returns ``{"warnings": [...]}`` for summary.json, or ``{}`` when the model
    has no surrogates or the solution stays inside their ranges.
    """
    if not isinstance(model, SurrogateModel):
        return {}
    messages = range_messages(model.surrogates, solution, model.surrogate_inputs)
    for message in messages:
        warnings.warn(message, SurrogateRangeWarning, stacklevel=3)
    return {"warnings": messages} if messages else {}


TREE_DYNAMICS = "tree_dynamics"
#: Relative RMS error against the model's own Newton-Euler dynamics above which a
#: tree-dynamics surrogate is refused (it was unrolled over another tree).
TREE_DYNAMICS_TOLERANCE = 0.05


def learned_tree_dynamics(surrogate: Surrogate, model) -> tuple[ca.Function, str]:
    """(function, target) of a graph-network surrogate, checked against ``model``'s tree.

    ``function``: (q, qd, qdd) -> tau (target ``inverse_dynamics``) or
    (q, qd, tau) -> qdd (``forward_dynamics``), unrolled over one fixed tree.
    Checked: component, coordinates, shapes, and the values against the
    model's own inverse dynamics at 200 random states (relative RMS at most
    ``TREE_DYNAMICS_TOLERANCE``): a tree with other segments or proportions
    than the one exported needs its own export. Raises SurrogateMismatch.
    """
    from ocp.models.multibody import forward_dynamics, inverse_dynamics
    name, f = surrogate.path.name, surrogate.function
    if surrogate.component != TREE_DYNAMICS:
        raise SurrogateMismatch(f"surrogate '{name}' is a '{surrogate.component}' surrogate, "
                                f"not '{TREE_DYNAMICS}'")
    if not isinstance(model, TreeModel) or isinstance(model, MuscleModel) or \
            (isinstance(model, ContactModel) and model.contacts):
        raise SurrogateMismatch(f"learned dynamics replace those of a torque-driven tree "
                                f"without contacts; model '{model.name}' is not one")
    tree = model.tree
    coords = list(tree.coordinates)
    trained = list(surrogate.metadata.get("coordinates", []))
    if trained != coords:
        raise SurrogateMismatch(f"surrogate '{name}' was exported for coordinates {trained}; "
                                f"the model has {coords}")
    n = len(coords)
    if [list(f.size_in(i)) for i in range(f.n_in())] != [[n, 1]] * 3 or f.n_out() != 1:
        raise SurrogateMismatch(f"surrogate '{name}' does not map (q, qd, x) of {n} joints "
                                f"to one vector")
    target = surrogate.metadata.get("target")
    rng = np.random.default_rng(0)
    q, qd, x = (ca.SX.sym(s, n) for s in ("q", "qd", "x"))
    exact = inverse_dynamics(tree, q, qd, x) if target == "inverse_dynamics" \
        else forward_dynamics(tree, q, qd, x)
    analytic = ca.Function("analytic", [q, qd, x], [exact]).map(200)
    states = [rng.uniform(-1, 1, (n, 200)) * s for s in (math.pi, 3.0, 15.0)]
    if target != "inverse_dynamics":  # torques of those accelerations
        states[2] = np.array(ca.Function("id", [q, qd, x], [inverse_dynamics(tree, q, qd, x)])
                             .map(200)(*states))
    truth, learned = (np.array(g(*states)) for g in (analytic, f.map(200)))
    error = float(np.sqrt(np.mean((learned - truth) ** 2)) / np.sqrt(np.mean(truth ** 2)))
    if not error <= TREE_DYNAMICS_TOLERANCE:
        raise SurrogateMismatch(
            f"surrogate '{name}' differs from the model's own dynamics by {100 * error:.3g} % "
            f"(relative RMS; tolerance {100 * TREE_DYNAMICS_TOLERANCE:.3g} %): it was exported "
            f"for another tree ({surrogate.metadata.get('model', '?')}); export the graph "
            f"network for this model (ocp train with this [model])")
    return f, target


def range_reporter(problem, model, solution, context) -> dict:
    """Reporter (ocp.engine.reports): learned surrogates visited outside their
    training range, as warnings with the range and the amount."""
    return range_report(model, solution)


register_reporter(range_reporter, order=20)
