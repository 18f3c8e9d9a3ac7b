"""Training files for the structured architectures: graph networks and recurrent models.

Two components beside muscle geometry and contact (spec.py), read by the same
``ocp train SPEC.toml``:

``component = "tree_dynamics"`` (``problems/surrogates/double_pendulum_graph.train.toml``)::

    component = "tree_dynamics"
    out = "double_pendulum_graph"

    [network]
    architecture = "graph"               # message passing over the kinematic tree
    target = "forward_dynamics"          # or "inverse_dynamics"
    # vectors = 4, accelerations = 2, velocities = 2, forces = 4, moments = 4 (channels)

    [chains]                             # training data: planar chains, +-15 % proportions
    segments = [2, 3, 4]
    samples = 1000                       # per chain size; also seed

    [model]                              # the tree the export unrolls, as in a problem file
    name = "double_pendulum"

    [training]
    epochs = 400                         # Adam, then L-BFGS steps of 20 iterations
    lbfgs_steps = 25
    forward_steps = 6                    # on the forward-dynamics loss
    # ensemble = 3                       # members from seeds seed, seed + 1, ...: each
    #                                    # OUT_member<k>.casadi, their mean OUT.casadi
    # laplace = true                     # or one network with a last-layer Laplace
    #                                    # posterior: OUT_laplace.casadi and 5 posterior
    #                                    # draws OUT_member<k>.casadi (structured_laplace.py)

A model with contact spheres (``gait2d_torque``) takes ``[network]
contact_edges = true``: the walker's graph network with one contact edge per
sphere (contact_graph.py, walker_training.py), trained on ``[data]`` samples
of its own inverse dynamics (``problems/surrogates/gait2d_walker_graph.train.toml``).

``component = "emg_activation"``::

    [network]
    architecture = "gru"                 # rnn | gru | lstm
    hidden = [16]
    init = "default"                     # or "chrono" (gates set for long memories)
    [data]
    task = "bursts"                      # or "fatigue" (a slow state over tens of s)
    sequences = 24                       # also duration, rate, noise, seed
    [training]
    epochs = 300                         # full-batch Adam steps
    # ensemble = 3                       # as for tree_dynamics (structured_ensemble.py)
    # laplace = true                     # as for tree_dynamics (structured_laplace.py)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from learned_components.graph import CHANNELS, INVERSE_DYNAMICS, TARGETS
from learned_components.recurrent import INITS, KINDS
from learned_components.tree_data import tree_of_model
from ocp.errors import ProblemError
from ocp.io.problem_file import read_model
from ocp.io.tables import TableReader
from ocp.models.protocols import ContactModel, MuscleModel, TreeModel

TREE_DYNAMICS, EMG_ACTIVATION = "tree_dynamics", "emg_activation"
#: The multibody PINN (pinn_multibody.py): parameters of a triple pendulum from motion.
MULTIBODY_PINN = "multibody_pinn"
#: Data of an emg_activation network: bursts (sequence.emg_data("fast")) or the
#: fatigue-like long-memory task (sequence.fatigue_data).
TASKS = ("bursts", "fatigue")
STRUCTURED_COMPONENTS = (TREE_DYNAMICS, EMG_ACTIVATION, MULTIBODY_PINN)


@dataclass
class StructuredSpec:
    """A validated specification for a graph or recurrent network (SI units)."""

    file: Path
    component: str
    out: Path
    architecture: str
    target: str = ""
    channels: dict = field(default_factory=dict)
    segments: tuple = (2, 3, 4)
    samples: int = 1000
    seed: int = 0
    model: object = None
    model_table: dict = field(default_factory=dict)
    epochs: int = 400
    learning_rate: float = 1e-2
    lbfgs_steps: int = 25
    forward_steps: int = 6
    hidden: int = 16
    sequences: int = 24
    duration_s: float = 3.0
    rate_hz: float = 100.0
    noise: float = 0.02
    threads: int = 1
    task: str = "bursts"
    init: str = "default"
    pinn: dict = field(default_factory=dict)
    #: a walker's graph network with contact edges (contact_graph.py): [data] and hidden
    walker: dict = field(default_factory=dict)
    #: [training] ensemble: members trained from seeds seed, seed + 1, ... (0: one network;
    #: structured_ensemble.py)
    ensemble: int = 0
    #: [training] laplace: one network, a last-layer posterior (structured_laplace.py)
    laplace: bool = False


def structured_spec_from_dict(data: dict, path: Path) -> StructuredSpec:
    file, base = str(path), path.parent
    root = TableReader(data, "", file)
    component = root.string("component")
    out = root.string("out", path.stem.removesuffix(".train"))
    out_path = Path(out) if Path(out).is_absolute() else base / out
    net = root.sub("network", required=True)
    tr = root.sub("training")
    if component == TREE_DYNAMICS:
        root.only({"component", "out", "network", "chains", "model", "training",
                   "description", "title", "data"})
        net.only({"architecture", "target", "hidden", "contact_edges", "pretrained",
                  "contact_law", *CHANNELS})
        architecture = net.string("architecture", "graph", choices=["graph"])
        target = net.string("target", None, choices=list(TARGETS))
        if target is None:
            raise net.error("target", f"required: one of {', '.join(TARGETS)}")
        channels = {c: net.integer(c, d, minimum=1)
                    for c, d in zip(CHANNELS, (4, 2, 2, 4, 4))}
        chains = root.sub("chains")
        chains.only({"segments", "samples", "seed"})
        segments = chains.integers("segments", [2, 3, 4], minimum=1,
                                   expected="a list of chain sizes, e.g. [2, 3, 4]")
        model_reader = root.sub("model", required=True)
        model = read_model(model_reader, base)
        if net.boolean("contact_edges", False) and isinstance(model, TreeModel) and \
                not isinstance(model, MuscleModel) and isinstance(model, ContactModel) and \
                model.contacts:
            spec = _walker_spec(root, net, tr, path, out_path, model, model_reader)
            spec.learning_rate = tr.number("learning_rate", 1e-2, minimum=0.0)
            spec.threads = tr.integer("threads", 1, minimum=1)
            return spec
        for key in ("data", "hidden", "contact_edges", "pretrained", "contact_law"):
            if key in (root.table if key == "data" else net.table) and \
                    (key != "contact_edges" or net.boolean(key)):
                raise (root if key == "data" else net).error(
                    key, "applies to a graph network with contact edges (contact_edges = "
                    "true, a model with contact spheres)")
        if not isinstance(model, TreeModel) or isinstance(model, MuscleModel) or \
                (isinstance(model, ContactModel) and model.contacts):
            raise model_reader.error("name", f"model '{model.name}' is not a torque-driven "
                                     f"tree without contacts; a graph network replaces the "
                                     f"dynamics of one ([network] contact_edges = true adds "
                                     f"an edge per contact sphere)")
        try:  # now, not after the training, which exports the network onto this tree
            tree_of_model(model.tree)
        except ProblemError as exc:
            raise model_reader.error("name", f"model '{model.name}': {exc.message}") from None
        tr.only({"epochs", "learning_rate", "lbfgs_steps", "forward_steps", "threads",
                 "ensemble", "laplace"})
        spec = StructuredSpec(path, component, out_path, architecture, target, channels,
                              tuple(segments), chains.integer("samples", 1000, minimum=10),
                              chains.integer("seed", 0, minimum=0), model,
                              dict(model_reader.table))
        spec.forward_steps = tr.integer("forward_steps", 6, minimum=0)
        spec.lbfgs_steps = tr.integer("lbfgs_steps", 25, minimum=0)
        spec.epochs = tr.integer("epochs", 400, minimum=0)
    elif component == MULTIBODY_PINN:
        spec = _pinn_spec(root, net, tr, path, out_path)
    else:
        root.only({"component", "out", "network", "data", "training", "description", "title"})
        net.only({"architecture", "hidden", "init"})
        architecture = net.string("architecture", None, choices=list(KINDS))
        if architecture is None:
            raise net.error("architecture", f"required: one of {', '.join(KINDS)}")
        hidden = net.integers("hidden", [16], minimum=1, length=1,
                              expected="one layer width (a recurrent network has one "
                              "layer), e.g. [16]")
        d = root.sub("data")
        d.only({"task", "sequences", "duration", "rate", "noise", "seed"})
        spec = StructuredSpec(path, component, out_path, architecture, hidden=hidden[0])
        spec.init = net.string("init", "default", choices=list(INITS))
        spec.task = d.string("task", "bursts", choices=list(TASKS))
        spec.sequences = d.integer("sequences", 24, minimum=1)
        spec.duration_s = d.number("duration", 3.0, unit="s", minimum=0.1)
        spec.rate_hz = d.number("rate", 100.0, unit="Hz", minimum=1.0)
        spec.noise = d.number("noise", 0.02, minimum=0.0)
        spec.seed = d.integer("seed", 0, minimum=0)
        tr.only({"epochs", "learning_rate", "threads", "ensemble", "laplace"})
        spec.epochs = tr.integer("epochs", 300, minimum=1)
        spec.lbfgs_steps = spec.forward_steps = 0
    spec.learning_rate = tr.number("learning_rate", 1e-2, minimum=0.0)
    spec.threads = tr.integer("threads", 1, minimum=1)
    if spec.epochs + spec.lbfgs_steps == 0:
        raise tr.error(None, "nothing to train: set epochs (Adam) and/or lbfgs_steps")
    if spec.component != MULTIBODY_PINN:
        spec.ensemble = ensemble_members(tr)
        spec.laplace = tr.boolean("laplace", False)
        if spec.laplace and spec.ensemble:
            raise tr.error("laplace", "choose one uncertainty method: ensemble = N or "
                           "laplace = true")
    return spec


def ensemble_members(tr: TableReader) -> int:
    """``[training] ensemble``: 0 (one network) or the number of members, at least 2."""
    members = tr.integer("ensemble", 0, minimum=0)
    if members == 1:
        raise tr.error("ensemble", "an ensemble needs at least 2 members (0: no ensemble)")
    return members


def _pinn_spec(root, net, tr, path, out_path) -> StructuredSpec:
    """``component = "multibody_pinn"``: [network] architecture ("pinn": the tanh
    network, hidden, weight, collocation; "spline": the B-spline network at the
    equations' constrained limit, intervals), [data] samples, duration (s), noise
    (rad), seed; [training] epochs, lbfgs_steps, learning_rate, threads, data_only
    (also fit the data-only comparison, a tanh network)."""
    root.only({"component", "out", "network", "data", "training", "description", "title"})
    net.only({"architecture", "hidden", "weight", "collocation", "intervals"})
    spec = StructuredSpec(path, MULTIBODY_PINN, out_path,
                          net.string("architecture", "pinn", choices=["pinn", "spline"]))
    d = root.sub("data")
    d.only({"samples", "duration", "noise", "seed"})
    tr.only({"epochs", "learning_rate", "lbfgs_steps", "threads", "data_only"})
    spec.pinn = {"hidden": tuple(net.integers("hidden", [48, 48], minimum=1,
                                              expected="layer widths, e.g. [48, 48]")),
                 "weight": net.number("weight", 1.0, minimum=0.0),
                 "collocation": net.integer("collocation", 300, minimum=10),
                 "intervals": net.integer("intervals", 100, minimum=4),
                 "samples": d.integer("samples", 100, minimum=10),
                 "noise_rad": d.number("noise", 0.005, unit="rad", minimum=0.0),
                 "data_only": tr.boolean("data_only", True)}
    spec.duration_s = d.number("duration", 4.0, unit="s", minimum=0.1)
    spec.seed = d.integer("seed", 0, minimum=0)
    spec.epochs = tr.integer("epochs", 3000, minimum=0)
    spec.lbfgs_steps = tr.integer("lbfgs_steps", 500, minimum=0)
    return spec


def _walker_spec(root, net, tr, path, out_path, model, model_reader) -> StructuredSpec:
    """A torque-driven tree with contact spheres (gait2d_torque): the graph network with
    contact edges (contact_graph.py). [data] air, ground, walk (samples of each kind),
    around (a CSV of the walk's states and accelerations, for the walk samples), path
    and path_states (samples around the iterates of a solve's path, a CSV alike), seed;
    walk_weight (the walk samples' weight in the loss);
    [network] hidden (the edge perceptron's width), contact_law (contact_graph.CONTACT_LAWS),
    the channels and pretrained (the
    .pt checkpoint of a graph network trained on chains, whose tree weights transfer);
    [training] epochs,
    lbfgs_steps, learning_rate, threads. Inverse dynamics only."""
    from learned_components.contact_graph import CONTACT_LAWS, walker_layout
    if "chains" in root.table:
        raise root.error("chains", "a walker's network is trained on its own states "
                         "([data]), not on chains")
    target = net.string("target", INVERSE_DYNAMICS, choices=[INVERSE_DYNAMICS])
    try:
        walker_layout(model)
    except ProblemError as exc:
        raise model_reader.error("name", exc.message) from None
    d = root.sub("data")
    d.only({"air", "ground", "walk", "around", "path", "path_states", "seed", "walk_weight"})
    walk = d.integer("walk", 2000, minimum=0)
    around = d.path("around", path.parent) if "around" in d.table else None
    if walk and around is None:
        raise d.error("around", "required for walk samples: a CSV of the walk's states and "
                      "accelerations (or walk = 0)")
    path_samples = d.integer("path", 0, minimum=0)
    path_states = d.path("path_states", path.parent) if "path_states" in d.table else None
    if path_samples and path_states is None:
        raise d.error("path_states", "required for path samples: a CSV of the states and "
                      "accelerations a solve visits (or path = 0)")
    if "laplace" in tr.table:
        raise tr.error("laplace", "not for a walker's network with contact edges (use "
                       "ensemble = N); laplace = true is for graph networks without contact "
                       "edges and recurrent networks")
    tr.only({"epochs", "learning_rate", "lbfgs_steps", "threads", "ensemble"})
    spec = StructuredSpec(path, TREE_DYNAMICS, out_path, "graph", target,
                          {c: net.integer(c, v, minimum=1)
                           for c, v in zip(CHANNELS, (4, 2, 2, 4, 4))},
                          (), 0, d.integer("seed", 0, minimum=0), model,
                          dict(model_reader.table))
    spec.walker = {"air": d.integer("air", 1000, minimum=0),
                   "ground": d.integer("ground", 2000, minimum=0), "walk": walk,
                   "around": around, "path": path_samples, "path_states": path_states,
                   "hidden": net.integer("hidden", 16, minimum=1),
                   "walk_weight": d.number("walk_weight", 1.0, minimum=0.0),
                   "contact_law": net.string("contact_law", "gate", choices=list(CONTACT_LAWS)),
                   "pretrained": net.path("pretrained", path.parent)
                   if "pretrained" in net.table else None}
    spec.epochs = tr.integer("epochs", 600, minimum=0)
    spec.lbfgs_steps = tr.integer("lbfgs_steps", 20, minimum=0)
    spec.forward_steps = 0
    if spec.epochs + spec.lbfgs_steps == 0:
        raise tr.error(None, "nothing to train: set epochs (Adam) and/or lbfgs_steps")
    spec.ensemble = ensemble_members(tr)
    return spec
