"""The causal graph of one time step, derived from the model's own expressions.

A node is a named quantity of the model at time ``t`` or ``t+dt``: a control
(``BRA_excitation``), a state (``BRA_activation``, ``elbow``,
``elbow_speed``), a muscle force (``BRA_force``), a contact force, a joint
moment (``elbow_moment``) or an acceleration (``elbow_acceleration``). An
edge ``a -> b`` exists when the CasADi expression of ``b`` depends on the
symbol of ``a`` (``casadi.which_depends``), so it is read off the model and
never drawn by hand: a muscle whose moment arm about a joint is structurally
zero (its length does not depend on that coordinate) has no edge to that
joint's moment.

The state at ``t+dt`` is a separate node from the state at ``t``, so the
feedback of the body's state into muscle force and into the next motion is no
cycle: the graph of one step is acyclic (a structural causal model in the
sense of Pearl 2009, *Causality*, ch. 1 and 7, unrolled in time).

Layers (for the picture): controls(t), states(t), forces(t), moments(t),
accelerations(t), states(t+dt).
"""
from __future__ import annotations

from dataclasses import dataclass

import casadi as ca
import numpy as np

from ocp.models.protocols import TreeModel

CONTROL, STATE, FORCE, MOMENT, ACCELERATION, NEXT_STATE = range(6)
LAYER_NAMES = ("controls (t)", "states (t)", "forces (t)", "moments (t)",
               "accelerations (t)", "states (t+dt)")


@dataclass(frozen=True)
class Node:
    """One quantity of the model at one instant (``time`` is "t" or "t+dt")."""

    name: str
    time: str
    layer: int

    @property
    def label(self) -> str:
        return f"{self.name}({self.time})"


@dataclass(frozen=True)
class CausalGraph:
    """Nodes (in layer order) and directed edges (label -> label) of one time step."""

    model_name: str
    nodes: tuple[Node, ...]
    edges: tuple[tuple[str, str], ...]

    def labels(self) -> list[str]:
        return [n.label for n in self.nodes]

    def node(self, label: str) -> Node:
        for n in self.nodes:
            if n.label == label:
                return n
        raise KeyError(label)

    def parents(self, label: str) -> list[str]:
        return [a for a, b in self.edges if b == label]

    def children(self, label: str) -> list[str]:
        return [b for a, b in self.edges if a == label]

    def has_edge(self, a: str, b: str) -> bool:
        return (a, b) in set(self.edges)

    def topological_order(self) -> list[str] | None:
        """Kahn's algorithm; None when the graph has a cycle."""
        indegree = {n: 0 for n in self.labels()}
        for _, b in self.edges:
            indegree[b] += 1
        ready = [n for n, d in indegree.items() if d == 0]
        order = []
        children = {n: [] for n in indegree}
        for a, b in self.edges:
            children[a].append(b)
        while ready:
            n = ready.pop(0)
            order.append(n)
            for c in children[n]:
                indegree[c] -= 1
                if indegree[c] == 0:
                    ready.append(c)
        return order if len(order) == len(indegree) else None

    @property
    def is_acyclic(self) -> bool:
        return self.topological_order() is not None

    def descendants(self, label: str) -> set[str]:
        seen, stack = set(), [label]
        while stack:
            for c in self.children(stack.pop()):
                if c not in seen:
                    seen.add(c)
                    stack.append(c)
        return seen

    def has_path(self, a: str, b: str) -> bool:
        return b in self.descendants(a)

    def to_text(self) -> str:
        """Every node with its parents, layer by layer."""
        lines = [f"causal graph of one time step of model '{self.model_name}': "
                 f"{len(self.nodes)} nodes, {len(self.edges)} edges, "
                 f"{'acyclic' if self.is_acyclic else 'HAS A CYCLE'}"]
        for layer, title in enumerate(LAYER_NAMES):
            members = [n for n in self.nodes if n.layer == layer]
            if not members:
                continue
            lines.append(f"[{title}]")
            for n in members:
                parents = self.parents(n.label)
                lines.append(f"  {n.label}" + (f" <- {', '.join(parents)}" if parents else ""))
        return "\n".join(lines)


#: Postures and inputs at which a structural dependence is confirmed numerically.
SAMPLES = 16
#: |d expr / d symbol| below this at every sample counts as no dependence.
ZERO_DERIVATIVE = 1e-9


class _Builder:
    """Collects nodes and the edges read off the expressions.

    ``symbols`` are all free symbols the expressions may contain (states,
    controls, and the stand-in symbols of forces and moments); ``angles``
    those sampled in [-pi, pi] (joint coordinates), the others in [-1, 1].
    """

    def __init__(self, model_name):
        self.model_name, self.nodes, self.edges = model_name, [], []
        self.symbols, self.angles = [], set()

    def add(self, name, time, layer) -> str:
        node = Node(name, time, layer)
        self.nodes.append(node)
        return node.label

    def free(self, symbol, angle=False):
        """Register a free symbol (scalar or column) and return it."""
        for k in range(symbol.numel()):
            self.symbols.append(symbol[k])
            if angle:
                self.angles.add(len(self.symbols) - 1)
        return symbol

    def link(self, expr, sources: dict[str, object], target: str):
        """Edges from every source label whose symbol ``expr`` depends on.

        Structural dependence (``casadi.which_depends``) confirmed by a
        non-zero partial derivative at one of SAMPLES random points.
        """
        expr = ca.vec(ca.SX(expr))
        labels = list(sources)
        if expr.nnz() == 0 or not labels:
            return
        flat = [(label, sources[label][k]) for label in labels
                for k in range(sources[label].numel())]
        structural = ca.which_depends(expr, ca.vertcat(*[s for _, s in flat]), 1, False)
        candidates = [(label, s) for (label, s), flag in zip(flat, structural) if flag]
        if not candidates:
            return
        every = ca.vertcat(*self.symbols)
        chosen = ca.vertcat(*[s for _, s in candidates])
        jac = ca.Function("partials", [every], [ca.jacobian(expr, chosen)])
        rng = np.random.default_rng(0)
        points = rng.uniform(-1.0, 1.0, (SAMPLES, every.numel()))
        for i in self.angles:
            points[:, i] *= np.pi
        values = np.stack([np.abs(np.array(jac(p))) for p in points])  # (S, rows, cands)
        values = np.nan_to_num(values, nan=1.0)
        moving = values.max(axis=(0, 1)) > ZERO_DERIVATIVE
        for (label, _), flag in zip(candidates, moving):
            if flag:
                self.edges.append((label, target))

    def graph(self) -> CausalGraph:
        return CausalGraph(self.model_name, tuple(self.nodes), tuple(dict.fromkeys(self.edges)))


def causal_graph(model) -> CausalGraph:
    """The DAG of one time step of ``model``, from its CasADi expressions.

    Tree models (torque- or muscle-driven) get the intermediate force, moment
    and acceleration nodes; any other model (a user's CustomModel) gets
    controls(t), states(t) -> states(t+dt) from its dynamics.
    """
    from ocp.models.muscle_driven import MuscleDrivenTree
    from ocp.models.torque_driven import TorqueDrivenTree

    b = _Builder(model.name)
    tree = model.tree if isinstance(model, TreeModel) else None
    n_angles = tree.n if tree is not None else 0
    x = [b.free(ca.SX.sym(name), angle=i < n_angles) for i, name in enumerate(model.state_names)]
    u = [b.free(ca.SX.sym(name)) for name in model.control_names]
    X, U = ca.vertcat(*x) if x else ca.SX(0, 1), ca.vertcat(*u) if u else ca.SX(0, 1)
    controls = {b.add(n, "t", CONTROL): s for n, s in zip(model.control_names, u)}
    states = {b.add(n, "t", STATE): s for n, s in zip(model.state_names, x)}
    inputs = {**controls, **states}
    xdot = model.dynamics(X, U)

    if not isinstance(model, (MuscleDrivenTree, TorqueDrivenTree)):
        for i, name in enumerate(model.state_names):
            target = b.add(name, "t+dt", NEXT_STATE)
            b.edges.append((f"{name}(t)", target))
            b.link(xdot[i], inputs, target)
        return b.graph()

    n = tree.n
    coords = tree.coordinates
    q, qd = X[:n], X[n:2 * n]
    # forces: muscle tendon forces or contact forces, each a function of states/controls;
    # downstream they are replaced by stand-in symbols so each edge is one step
    forces = {}
    contact_forces = []
    if isinstance(model, MuscleDrivenTree):
        for m, (state, _) in zip(model.muscles, model.muscle_states(X, U)):
            label = b.add(f"{m.name}_force", "t", FORCE)
            b.link(state.tendon_force_N, inputs, label)
            forces[label] = b.free(ca.SX.sym(f"{m.name}_force"))
        _, arms = model.geometry(q)  # the model's own moment arms, (n, muscles)
        reserve = model._split(X, U)[-1]
        moments = ca.mtimes(arms, ca.vertcat(*forces.values())) if forces else ca.SX.zeros(n, 1)
        for k, (c, optimal) in enumerate(model.reserves.items()):
            moments[coords.index(c)] += optimal * reserve[k]
    else:
        moments = model.joint_torques(X, U)
        contact_forces = model.contact_forces(X)
        for sphere, (_, force, _) in zip(model.contacts, contact_forces):
            label = b.add(f"{sphere.name}_contact_force", "t", FORCE)
            b.link(force, inputs, label)
            forces[label] = b.free(ca.SX.sym(f"{sphere.name}_force", 2))
    moment_symbols = {}
    for i, c in enumerate(coords):
        if isinstance(model, TorqueDrivenTree) and c not in model.actuated:
            continue
        label = b.add(f"{c}_moment", "t", MOMENT)
        b.link(moments[i], {**inputs, **forces} if not contact_forces else inputs, label)
        moment_symbols[c] = (label, b.free(ca.SX.sym(f"{c}_moment")))
    # accelerations from the moment and contact-force stand-ins and the state
    from ocp.models.multibody import PointForce, forward_dynamics
    tau = ca.vertcat(*[moment_symbols[c][1] if c in moment_symbols else 0 for c in coords])
    external = tuple(PointForce(pf.segment, pf.point, forces[label])
                     for (pf, _, _), label in zip(contact_forces, forces))
    qdd = forward_dynamics(tree, q, qd, tau, external_forces=external)
    sources = {**states, **dict(moment_symbols.values())}
    if external:
        sources.update(forces)
    acc_labels = []
    for i, c in enumerate(coords):
        label = b.add(f"{c}_acceleration", "t", ACCELERATION)
        b.link(qdd[i], sources, label)
        acc_labels.append(label)
    # next states: q(t+dt) from q(t), q'(t); q'(t+dt) from q'(t), q''(t); others from xdot
    for i, name in enumerate(model.state_names):
        target = b.add(name, "t+dt", NEXT_STATE)
        b.edges.append((f"{name}(t)", target))
        if n <= i < 2 * n:
            b.edges.append((acc_labels[i - n], target))
        else:
            b.link(xdot[i], inputs, target)
    return b.graph()


def draw(graph: CausalGraph, path) -> None:
    """Draw the DAG in its layers (left to right) to a PNG with matplotlib."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    layers = {}
    for node in graph.nodes:
        layers.setdefault(node.layer, []).append(node.label)
    tallest = max(len(v) for v in layers.values())
    position = {}
    for layer, labels in layers.items():
        spacing = (tallest - 1) / (len(labels) - 1) if len(labels) > 1 else 0.0
        top = tallest - 1 if len(labels) > 1 else (tallest - 1) / 2
        for k, label in enumerate(labels):
            position[label] = (layer, top - k * spacing)
    fig, ax = plt.subplots(figsize=(3.2 * len(layers), max(4.0, 0.5 * tallest)))
    for a, b in graph.edges:
        (x0, y0), (x1, y1) = position[a], position[b]
        ax.annotate("", xy=(x1 - 0.12, y1), xytext=(x0 + 0.12, y0),
                    arrowprops=dict(arrowstyle="->", color="0.55", lw=0.6,
                                    connectionstyle="arc3,rad=0.05"))
    for label, (px, py) in position.items():
        ax.text(px, py, label, ha="center", va="center", fontsize=7,
                bbox=dict(boxstyle="round,pad=0.25", fc="white", ec="0.3", lw=0.6))
    for layer in layers:
        ax.text(layer, tallest - 0.2, LAYER_NAMES[layer], ha="center", fontsize=9,
                weight="bold")
    ax.set_xlim(-0.7, max(layers) + 0.7)
    ax.set_ylim(-1, tallest + 0.3)
    ax.axis("off")
    ax.set_title(f"one time step of '{graph.model_name}' "
                 f"({len(graph.nodes)} nodes, {len(graph.edges)} edges)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
