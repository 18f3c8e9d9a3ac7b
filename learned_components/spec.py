"""Training specifications: ``ocp train SPEC.toml``, validated once into a TrainSpec.

A specification names the component to learn, the model it comes from, the
input ranges the optimiser visits, the data, the network and the training
options. Every key is checked here (unknown keys with the closest valid one,
types, units, ranges), with errors naming the file and the dotted key, as in
problem files. Example (``problems/surrogates/six_muscle_arm_geometry.train.toml``)::

    component = "muscle_geometry"        # or "contact_normal_force"
    out = "six_muscle_arm_geometry"      # writes OUT.pt, OUT.casadi, OUT.json

    [model]                              # as in a problem file
    name = "six_muscle_arm"

    [inputs]                             # training ranges
    shoulder = ["-30 deg", "150 deg"]
    elbow = ["10 deg", "150 deg"]

    [data]
    samples = 4000                       # also validation_fraction, seed, noise

    [network]
    hidden = [16]
    activation = "tanh"                  # tanh | softplus | silu

    [training]
    epochs = 0                           # Adam epochs
    lbfgs_steps = 150                    # L-BFGS steps of 20 iterations
    derivative_weight = 1.0              # Sobolev term on d output / d input
    # ensemble = 5                       # a deep ensemble of mean-variance networks
    # laplace = true                     # or one, with a last-layer Laplace posterior

Contact: ``component = "contact_normal_force"``, a ``[sphere]`` table
(``radius_m`` and any other ContactSphere field) and inputs
``indentation`` (m) and ``indentation_speed`` (m/s).
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path

from learned_components.networks import ACTIVATIONS
from learned_components.training import TrainOptions, validation_size
from ocp.errors import ProblemError
from ocp.io.problem_file import read_model
from ocp.io.tables import TableReader, read_toml
from ocp.models.contact import ContactSphere
from ocp.models.protocols import MuscleModel
from ocp.units import UnitError, to_si

COMPONENTS = ("muscle_geometry", "contact_normal_force")
CONTACT_INPUTS = {"indentation": "m", "indentation_speed": "m/s"}


@dataclass
class TrainSpec:
    """A validated training specification (all quantities SI)."""

    file: Path
    component: str
    out: Path
    inputs: dict                      # name -> (lo, hi), in the model's input order
    input_units: dict
    samples: int = 4000
    noise: float = 0.0                # standard deviation of output noise (output units)
    hidden: tuple = (16,)
    activation: str = "tanh"
    options: TrainOptions = field(default_factory=TrainOptions)
    ensemble: int = 0
    laplace: bool = False             # last-layer Laplace posterior (laplace.py)
    model: object = None              # a MuscleDrivenTree for muscle_geometry
    model_table: dict = field(default_factory=dict)
    sphere: ContactSphere | None = None


def _range(reader: TableReader, name: str, unit: str):
    value = reader.table[name]
    if not (isinstance(value, list) and len(value) == 2):
        raise reader.error(name, f"expected [lower, upper] in {unit}, got {value!r}")
    try:
        lo, hi = (to_si(v, unit) for v in value)
    except UnitError as exc:
        raise reader.error(name, str(exc)) from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise reader.error(name, f"expected finite lower < upper, got {value!r}")
    return lo, hi


def load_spec(path) -> TrainSpec:
    """Read and validate a training specification (TOML)."""
    path = Path(path)
    data = read_toml(path)
    return spec_from_dict(data, path)


def spec_from_dict(data: dict, path: Path) -> TrainSpec:
    from learned_components.structured_spec import STRUCTURED_COMPONENTS, structured_spec_from_dict
    file, base = str(path), path.parent
    root = TableReader(data, "", file)
    if root.table.get("component") in STRUCTURED_COMPONENTS:  # graph and recurrent networks
        return structured_spec_from_dict(data, path)
    root.only({"component", "out", "model", "sphere", "inputs", "data", "network", "training",
               "description", "title"})
    component = root.string("component", choices=list(COMPONENTS) + ["tree_dynamics",
                                                                      "emg_activation"])
    if component is None:
        raise root.error("component", f"required: one of {', '.join(COMPONENTS)}")
    out = root.string("out", path.stem.removesuffix(".train"))
    out_path = Path(out) if Path(out).is_absolute() else base / out

    inputs_reader = root.sub("inputs", required=True)
    spec = TrainSpec(path, component, out_path, {}, {})
    if component == "muscle_geometry":
        if "sphere" in root:
            raise root.error("sphere", "[sphere] belongs to contact_normal_force")
        model_reader = root.sub("model", required=True)
        if model_reader.string("geometry", "analytic") != "analytic":
            raise model_reader.error("geometry", "train on the analytic geometry: remove "
                                     "'geometry' from [model]")
        model = read_model(model_reader, base)
        if not isinstance(model, MuscleModel):
            raise model_reader.error("name", f"model '{model.name}' has no muscles")
        spec.model, spec.model_table = model, dict(model_reader.table)
        names = list(model.tree.coordinates)
        units = {c: u for c, u in zip(model.state_names, model.state_units) if c in names}
    else:
        if "model" in root:
            raise root.error("model", "[model] belongs to muscle_geometry; a contact "
                             "surrogate is described by its [sphere]")
        spec.sphere = _sphere(root.sub("sphere", required=True))
        names, units = list(CONTACT_INPUTS), dict(CONTACT_INPUTS)
    inputs_reader.only(set(names))
    missing = [n for n in names if n not in inputs_reader]
    if missing:
        raise inputs_reader.error(None, f"give the training range of every input; missing "
                                  f"{', '.join(missing)} (e.g. {missing[0]} = [lower, upper])")
    spec.inputs = {n: _range(inputs_reader, n, units[n]) for n in names}
    spec.input_units = {n: units[n] for n in names}

    data_reader = root.sub("data")
    data_reader.only({"samples", "validation_fraction", "seed", "noise"})
    spec.samples = data_reader.integer("samples", 4000, minimum=10)
    output_unit = "m" if component == "muscle_geometry" else "N"
    spec.noise = data_reader.number("noise", 0.0, unit=output_unit, minimum=0.0)

    net = root.sub("network")
    net.only({"hidden", "activation", "architecture"})
    if net.string("architecture", "mlp") != "mlp":
        raise net.error("architecture", f"a {component} surrogate is a perceptron ('mlp'); "
                        f"'graph' is for component = \"tree_dynamics\", 'rnn', 'gru' and "
                        f"'lstm' for component = \"emg_activation\"")
    hidden = net.integers("hidden", [16], minimum=1, expected="a list of positive layer "
                          "widths, e.g. [16] or [32, 32]")
    spec.hidden = tuple(hidden)
    spec.activation = net.string("activation", "tanh", choices=list(ACTIVATIONS))

    tr = root.sub("training")
    fields = {f.name for f in dataclasses.fields(TrainOptions)} - {"seed",
                                                                   "validation_fraction"}
    tr.only(fields | {"ensemble", "laplace"})
    defaults = TrainOptions()
    values = {}
    for key in fields:
        default = getattr(defaults, key)
        if isinstance(default, int):
            values[key] = tr.integer(key, default, minimum=0)
        else:
            values[key] = tr.number(key, default, minimum=0.0)
    values["seed"] = data_reader.integer("seed", 0, minimum=0)
    values["validation_fraction"] = data_reader.number("validation_fraction", 0.2)
    if not 0 < values["validation_fraction"] < 1:
        raise data_reader.error("validation_fraction", "must be between 0 and 1 (e.g. 0.2)")
    try:
        validation_size(spec.samples, values["validation_fraction"])
    except ProblemError as exc:
        raise data_reader.error("validation_fraction", exc.message) from None
    spec.options = TrainOptions(**values)
    if spec.options.epochs + spec.options.lbfgs_steps == 0:
        raise tr.error(None, "nothing to train: set epochs (Adam) and/or lbfgs_steps")
    spec.ensemble = tr.integer("ensemble", 0, minimum=0)
    if spec.ensemble == 1:
        raise tr.error("ensemble", "an ensemble needs at least 2 members (0: no ensemble)")
    spec.laplace = tr.boolean("laplace", False)
    if spec.laplace and spec.ensemble:
        raise tr.error("laplace", "choose one uncertainty method: ensemble = N or laplace = "
                       "true")
    if spec.laplace and spec.noise == 0:
        raise data_reader.error("noise", "a Laplace posterior needs the noise of its data "
                                "(aleatoric variance): give the noise standard deviation")
    if spec.ensemble and spec.noise == 0:
        raise data_reader.error("noise", "an ensemble learns the noise of its data "
                                "(aleatoric variance): give the noise standard deviation, "
                                "e.g. noise = \"1 mm\"")
    return spec


def _sphere(reader: TableReader) -> ContactSphere:
    fields = {f.name: f for f in dataclasses.fields(ContactSphere)}
    allowed = set(fields) - {"name", "segment", "center_m"}
    reader.only(allowed)
    if "radius_m" not in reader:
        raise reader.error("radius_m", "the sphere's radius is required (m)")
    values = {k: reader.number(k) for k in reader.table}
    sphere = ContactSphere("surrogate", "ground", (0.0, 0.0), **values)
    try:
        sphere.check()
    except ValueError as exc:
        raise reader.error(None, str(exc)) from None
    return sphere
