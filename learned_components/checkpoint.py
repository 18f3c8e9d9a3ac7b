"""Checkpoints: the trained weights and the metadata that says what they compute.

One file (``torch.save``) holding a format tag, the metadata (component,
model, inputs with units and training ranges, outputs, training options and
errors) and one or more networks (architecture plus state dict; an ensemble
has several). It is read back with ``torch.load(weights_only=True)``, which
never runs code from the file, and checked: a file that is not a checkpoint,
is truncated or corrupt, holds weights that do not fit their architecture, or
describes another component than the caller expects gives a ProblemError
naming the file, never a traceback.
"""
from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

from learned_components._torch import require_torch
from learned_components.export import jsonable
from learned_components.networks import MLP, MeanVarianceMLP
from ocp.errors import ProblemError
from ocp.solution import atomic_write

torch = require_torch()

CHECKPOINT_FORMAT, CHECKPOINT_VERSION = "ocp-learned-checkpoint", 1


@dataclass
class Checkpoint:
    """Networks (torch modules, in evaluation mode) and their metadata."""

    path: Path
    networks: list
    metadata: dict

    @property
    def component(self) -> str:
        return self.metadata.get("component", "?")

    @property
    def input_names(self) -> list:
        return [i["name"] for i in self.metadata.get("inputs", [])]

    @property
    def output_names(self) -> list:
        return [o["name"] for o in self.metadata.get("outputs", [])]


def save_checkpoint(path, networks, metadata: dict) -> Path:
    """Write networks (a module or a list of modules) and metadata atomically."""
    networks = networks if isinstance(networks, (list, tuple)) else [networks]
    payload = {
        "format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION,
        "metadata": jsonable(metadata),
        "networks": [{"architecture": net.architecture(),
                      "state_dict": {k: v.detach().clone() for k, v in
                                     net.state_dict().items()}} for net in networks],
    }
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    path = Path(path)
    atomic_write(path, lambda f: f.write(buffer.getvalue()))
    os.chmod(path, 0o644)
    return path


def load_checkpoint(path, component: str | None = None, inputs=None,
                    outputs=None) -> Checkpoint:
    """Read and check a checkpoint.

    ``component``, ``inputs`` and ``outputs`` (lists of names), when given,
    must match those recorded in the file: a checkpoint trained for another
    model or muscle set cannot be used in its place.
    """
    path = Path(path)

    def error(message):
        return ProblemError(message, file=str(path))

    if not path.exists():
        raise error("checkpoint does not exist")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many kinds for a damaged file
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise error(f"not a readable checkpoint, the file is corrupt or truncated "
                    f"({type(exc).__name__}: {detail[:160]})") from None
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise error(f"not an ocp checkpoint (no \"format\": \"{CHECKPOINT_FORMAT}\"); "
                    f"checkpoints are written by ocp train")
    if payload.get("version") != CHECKPOINT_VERSION:
        raise error(f"checkpoint version {payload.get('version')!r}; this version reads "
                    f"version {CHECKPOINT_VERSION}")
    metadata = payload.get("metadata")
    entries = payload.get("networks")
    if not isinstance(metadata, dict) or not isinstance(entries, list) or not entries:
        raise error("checkpoint lacks its metadata or networks; the file is incomplete")
    networks = []
    for k, entry in enumerate(entries):
        try:
            net = build(entry["architecture"])
            net.load_state_dict(entry["state_dict"])
        except Exception as exc:
            first = str(exc).strip().splitlines()[0]
            raise error(f"network {k}: the weights do not fit the recorded architecture "
                        f"({first[:200]})") from None
        net.eval()
        networks.append(net)
    checkpoint = Checkpoint(path, networks, metadata)
    if component is not None and checkpoint.component != component:
        raise error(f"checkpoint of a '{checkpoint.component}' component; expected "
                    f"'{component}'")
    for what, expected, got in (("inputs", inputs, checkpoint.input_names),
                                ("outputs", outputs, checkpoint.output_names)):
        if expected is not None and list(expected) != got:
            raise error(f"checkpoint {what} {got} do not match the {what} of the component "
                        f"it should replace, {list(expected)}")
    return checkpoint


def build(architecture: dict):
    """An untrained module of the given architecture (see :meth:`MLP.architecture`).

    Graph networks (graph.py) and recurrent networks (recurrent.py) too.
    """
    # graph and recurrent networks depend on networks.py, so they are reached from
    # here, the module that restores every kind, and networks.py reaches none of them
    kind = architecture["kind"]
    if kind == "graph":
        from learned_components.graph import CHANNELS, GraphNetwork
        return GraphNetwork(**{c: architecture[c] for c in CHANNELS})
    if kind == "graph_contact":
        from learned_components.contact_graph import WalkerGraphNetwork
        from learned_components.graph import CHANNELS
        return WalkerGraphNetwork(architecture["layout"], hidden=architecture["hidden"],
                                  contact_law=architecture.get("contact_law", "gate"),
                                  **{c: architecture[c] for c in CHANNELS})
    if kind in ("rnn", "gru", "lstm"):
        from learned_components.recurrent import SequenceNet
        return SequenceNet(kind, architecture["hidden"])
    cls = {MLP.kind: MLP, MeanVarianceMLP.kind: MeanVarianceMLP}[architecture["kind"]]
    extra = {"input_range": architecture["input_range"]} \
        if architecture.get("input_range") is not None else {}
    return cls(architecture["n_in"], architecture["n_out"], architecture["hidden"],
               architecture["activation"], **extra)
