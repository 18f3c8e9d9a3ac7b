"""Contact as temporary edges of the kinematic graph: a graph network of the planar walker.

The walker (``gait2d_torque``) is a tree of seven segments (trunk, thighs,
shanks, feet) whose root translates on two massless sliders (``pelvis_tx``,
``pelvis_ty``), with heel and toe spheres under each foot. Its graph network
is the tree's (graph.py: one node per segment, messages down and up the
joints, weights shared by every node and edge) with two additions:

- the root's sliders: their accelerations join gravity's at the root (a
  change of frame, exact), and the force they carry is read out of the
  root's force channels turned to the world frame (learned weights);
- one **contact edge** per sphere, between the ground and its foot. The
  edge's features are the contact point's depth below the ground, its
  downward speed and its slip speed (and the sphere's radius); its message
  is a force on the foot, world frame, gated by
  ``sigmoid(depth / GATE_WIDTH_M)``: the edge is there when the point is
  near the ground and gone (smoothly, so the network stays differentiable)
  when it is up. The message is a small perceptron shared by all edges:
  normal force ``F_N = FORCE_SCALE_N * gate * softplus(o_1)`` (the ground
  only pushes) and friction ``F_T = F_N * o_2`` (a friction coefficient
  learned as a function of the features, so there is no friction without
  load). The force enters the foot's node, turned into its frame, with its
  moment about the ankle (the contact point's lever, from the kinematics);
  how it enters the force and moment channels is learned.

The inductive bias, stated plainly: which features an edge sees (the
kinematics of a point fixed in the foot), that contact forces act there and
push, and Coulomb's proportionality; the force law itself (Hertz, Hunt-
Crossley, tanh friction in the model) is not given. The whole network is
trained on the walker's inverse dynamics (states and accelerations ->
generalised forces, contacts included): states with the feet high in the
air, random postures with a foot in or near the ground, and states around
the analytic walk. Torques are linear in the accelerations (the contact
edges see positions and speeds only), so ``M q'' + b`` still holds.
"""
from __future__ import annotations

import math
import time

import casadi as ca
import numpy as np

from learned_components._torch import require_torch
from learned_components.graph import CASADI_OPS as _Casadi
from learned_components.graph import CHANNELS, casadi_nodes, message_passing
from learned_components.graph import TORCH_OPS as _Torch
from ocp.errors import ProblemError
from ocp.models.contact import PLANAR_GROUND, sphere_kinematics
from ocp.models.multibody import PRISMATIC, REVOLUTE, body_velocities

torch = require_torch()
nn = torch.nn

#: Width (m) of the contact edge's gate sigmoid(depth / width): 0.5 at the surface,
#: 2e-9 10 cm above it.
GATE_WIDTH_M = 2e-3
#: Scale (N) of the normal force of a contact edge (softplus of the network output).
FORCE_SCALE_N = 100.0
#: Edge features (depth m, downward speed m/s, slip speed m/s, radius m), centred and
#: scaled before the perceptron.
FEATURE_CENTRES = (0.0, 0.0, 0.0, 0.025)
FEATURE_SCALES = (0.01, 0.5, 1.0, 0.01)
#: Values per contact from edge_geometry: the 4 features, the lever (2) from the
#: foot's joint to the contact point (world frame), the foot's angle.
GEOMETRY = 7


def walker_layout(model) -> dict:
    """Root sliders, the revolute tree (graph.tree_of_model's form) and the contacts.

    ProblemError for a model that is not a planar tree whose root translates
    on an x and a y slider under revolute segments with contact spheres.
    """
    tree, name = model.tree, model.name
    segs = tree.segments
    sliders = segs[:2]
    if len(segs) < 3 or [s.joint.kind for s in sliders] != [PRISMATIC] * 2 or \
            [tuple(s.joint.axis) for s in sliders] != [(1.0, 0.0), (0.0, 1.0)] or \
            any(s.mass_kg for s in sliders) or sliders[1].parent != sliders[0].name:
        raise ProblemError(f"model '{name}': contact edges need a root that slides along x "
                           f"and then y on two massless segments (as gait2d_torque's pelvis)")
    nodes = segs[2:]
    names = [s.name for s in nodes]
    for s in nodes:
        if s.joint.kind != REVOLUTE or s.joint.moving_location is not None:
            raise ProblemError(f"segment '{s.name}': graph networks take revolute joints "
                               f"with fixed centres only")
    if not model.contacts:
        raise ProblemError(f"model '{name}' has no contact spheres for contact edges")
    return {"root": list(tree.coordinates[:2]), "coordinates": list(tree.coordinates),
            "tree": {"parents": tuple(names.index(s.parent) if s.parent in names else -1
                                      for s in nodes),
                     "mass_kg": [s.mass_kg for s in nodes],
                     "inertia_kg_m2": [s.inertia_kg_m2 for s in nodes],
                     "joint_m": [list(s.joint.location_m) for s in nodes],
                     "com_m": [list(s.com_m) for s in nodes],
                     "offset_rad": [s.joint.offset_rad for s in nodes],
                     "gravity_m_s2": tree.gravity_m_s2},
            "contacts": [{"name": c.name, "segment": c.segment, "node": names.index(c.segment),
                          "radius_m": c.radius_m} for c in model.contacts]}


def edge_geometry(model) -> ca.Function:
    """(q, qd) -> per contact [depth, downward speed, slip speed, radius, lever x, lever y,
    foot angle] (7 values each): the edges' features, from the model's kinematics."""
    tree = model.tree
    q, qd = ca.SX.sym("q", tree.n), ca.SX.sym("qd", tree.n)
    bodies = body_velocities(tree, q, qd)
    out = []
    for s, (depth, speed, point, velocity) in zip(model.contacts,
                                                  sphere_kinematics(tree, q, qd, model.contacts)):
        body = bodies[s.segment]
        lever = point - body.origin
        out += [depth, speed, velocity[0], s.radius_m, lever[0], lever[1], body.angle]
    return ca.Function("edge_geometry", [q, qd], [ca.vertcat(*out)], ["q", "qd"], ["edges"])


#: Contact laws of an edge: "gate" (the normal force gated by sigmoid(depth / width),
#: bounded deep down) and "depth_power" (gated by (w softplus(depth / w) / DEPTH_REF_M)^p,
#: p learned: it vanishes above the ground as the gate does and grows as a power of
#: the depth below it, so a foot deeper than any sample is pushed harder, as by a sphere).
CONTACT_LAWS = ("gate", "depth_power")
#: Depth (m) at which the depth_power envelope is 1.
DEPTH_REF_M = 0.01


def _edge_force(be, W, depth, speed, slip, radius):
    """(friction, normal) force (N, world frame) of one contact edge."""
    feats = [depth, speed, slip, radius]
    power = "edge_power" in W      # the depth_power law (CONTACT_LAWS)
    z = [(f - c) / s for f, c, s in zip(feats, FEATURE_CENTRES, FEATURE_SCALES)]
    if be is _Torch:
        h = torch.tanh(torch.stack(z, -1) @ W["edge_hidden"].T + W["edge_hidden_bias"])
        o = h @ W["edge_out"].T + W["edge_out_bias"]
        o1, o2 = o[:, 0], o[:, 1]
        if power:
            depth_part = GATE_WIDTH_M * torch.nn.functional.softplus(depth / GATE_WIDTH_M)
            gate = (depth_part / DEPTH_REF_M) ** W["edge_power"].reshape(())
        else:
            gate = torch.sigmoid(depth / GATE_WIDTH_M)
        normal = FORCE_SCALE_N * W["edge_scale"].reshape(()) * gate * \
            torch.nn.functional.softplus(o1)
    else:
        h = ca.tanh(ca.mtimes(W["edge_hidden"], ca.vertcat(*z)) + W["edge_hidden_bias"].T)
        o = ca.mtimes(W["edge_out"], h) + W["edge_out_bias"].T
        o1, o2 = o[0], o[1]
        if power:
            depth_part = GATE_WIDTH_M * ca.log1p(ca.exp(depth / GATE_WIDTH_M))
            gate = (depth_part / DEPTH_REF_M) ** W["edge_power"]
        else:
            gate = 1 / (1 + ca.exp(-depth / GATE_WIDTH_M))
        normal = FORCE_SCALE_N * W["edge_scale"] * gate * ca.log1p(ca.exp(o1))
    return normal * o2, normal


def _pass(be, W, channels, layout, q, qd, qdd, edges):
    """Generalised forces (coordinate order) and the contact forces (Fx, Fy per contact).

    ``q``, ``qd``, ``qdd``: lists per coordinate; ``edges``: per contact the 7
    values of edge_geometry.
    """
    tree = layout["tree"]
    loads, forces = {}, []
    for c, e in zip(layout["contacts"], edges):
        depth, speed, slip, radius, lx, ly, angle = e
        ft, fn = _edge_force(be, W, depth, speed, slip, radius)
        forces += [ft, fn]
        if be is _Torch:
            world = torch.stack([ft, fn], -1)[:, None, :]
        else:
            world = ca.horzcat(ft, fn)
        turning = lx * fn - ly * ft
        loads.setdefault(c["node"], []).append((be.rotv(-angle, world),
                                                turning[:, None] if be is _Torch else turning))
    out = message_passing(be, W, channels, tree, q[2:], qd[2:], qdd[2:],
                          tree["gravity_m_s2"], base=(qdd[0], qdd[1]), loads=loads)
    return out[-2:] + out[:-2], forces


class WalkerGraphNetwork(nn.Module):
    """The tree's graph network with slider read-out and contact edges (module docstring).

    ``channels``: as GraphNetwork's; ``hidden``: width of the edge perceptron;
    ``contact_law``: one of CONTACT_LAWS (depth_power adds the learned exponent
    ``edge_power``, starting at 1). Weights float64, one ParameterDict (``weights_``).
    """

    kind = "graph_contact"

    def __init__(self, layout: dict, vectors: int = 4, accelerations: int = 2,
                 velocities: int = 2, forces: int = 4, moments: int = 4, hidden: int = 16,
                 seed: int = 0, contact_law: str = "gate"):
        super().__init__()
        from learned_components.graph import GraphNetwork
        self.layout = layout
        self.channels = {"vectors": vectors, "accelerations": accelerations,
                         "velocities": velocities, "forces": forces, "moments": moments}
        base = GraphNetwork(**self.channels, seed=seed)
        generator = torch.Generator().manual_seed(seed + 1)
        shapes = {"root_readout": (1, 2 * forces), "up_load_force": (forces, 2),
                  "up_load_moment": (moments, 1), "edge_hidden": (hidden, 4),
                  "edge_out": (2, hidden)}
        extra = {k: nn.Parameter(torch.randn(*s, generator=generator, dtype=torch.float64)
                                 / np.sqrt(s[1])) for k, s in shapes.items()}
        extra["edge_hidden_bias"] = nn.Parameter(torch.zeros(1, hidden, dtype=torch.float64))
        extra["edge_out_bias"] = nn.Parameter(torch.tensor([[-3.0, 0.0]], dtype=torch.float64))
        # the edges' force unit, set by calibrate_edges (not by the optimiser)
        extra["edge_scale"] = nn.Parameter(torch.ones(1, 1, dtype=torch.float64),
                                           requires_grad=False)
        if contact_law == "depth_power":
            extra["edge_power"] = nn.Parameter(torch.ones(1, 1, dtype=torch.float64))
        elif contact_law != "gate":
            raise ValueError(f"contact_law '{contact_law}': one of {', '.join(CONTACT_LAWS)}")
        self.contact_law = contact_law
        self.weights_ = nn.ParameterDict({**dict(base.weights_.items()), **extra})
        self.hidden = hidden
        tree = layout["tree"]
        t = lambda a: torch.as_tensor(np.asarray(a, float), dtype=torch.float64)  # noqa: E731
        self._tree = {"parents": tuple(tree["parents"]), "gravity_m_s2": tree["gravity_m_s2"],
                      **{k: [t(v) for v in tree[k]] for k in
                         ("mass_kg", "inertia_kg_m2", "joint_m", "com_m", "offset_rad")}}

    def _batch_tree(self, B: int) -> dict:
        """The fixed node features as per-node batches ((B,) or (B, 2) tensors)."""
        return {"parents": self._tree["parents"], "gravity_m_s2": self._tree["gravity_m_s2"],
                **{k: [v.expand(B, *v.shape) if v.dim() else v.expand(B)
                       for v in self._tree[k]]
                   for k in ("mass_kg", "inertia_kg_m2", "joint_m", "com_m", "offset_rad")}}

    def forward(self, q, qd, qdd, edges):
        """Generalised forces (B, n) and contact forces (B, 2 contacts); ``edges`` (B,
        contacts, 7) from edge_geometry."""
        B, n = q.shape
        cols = lambda x: [x[:, i] for i in range(n)]  # noqa: E731
        layout = {**self.layout, "tree": self._batch_tree(B)}
        e = [[edges[:, k, j] for j in range(GEOMETRY)] for k in range(edges.shape[1])]
        tau, forces = _pass(_Torch, self.weights_, self.channels, layout, cols(q), cols(qd),
                            cols(qdd), e)
        tau = torch.cat([t.reshape(B, 1) for t in tau], 1)
        return tau, torch.stack(forces, 1)

    def architecture(self) -> dict:
        return {"kind": self.kind, **self.channels, "hidden": self.hidden,
                "contact_law": self.contact_law,
                "contact_edges": len(self.layout["contacts"]), "layout": self.layout,
                "parameters": sum(p.numel() for p in self.parameters())}

    def weights(self) -> dict:
        return {"kind": self.kind, "channels": dict(self.channels),
                "weights": {k: v.detach().numpy().copy() for k, v in self.weights_.items()}}


def walker_function(weights: dict, layout: dict, model) -> ca.Function:
    """The trained network as one CasADi Function (q, qd, qdd) -> (tau, contact forces)."""
    W = {k: ca.DM(np.atleast_2d(np.asarray(v))) for k, v in weights["weights"].items()}
    tree = layout["tree"]
    nodes = {**casadi_nodes(tree), "gravity_m_s2": tree["gravity_m_s2"]}
    n = len(layout["coordinates"])
    q, qd, qdd = ca.SX.sym("q", n), ca.SX.sym("qd", n), ca.SX.sym("qdd", n)
    g = edge_geometry(model)(q, qd)
    edges = [[g[GEOMETRY * k + j] for j in range(GEOMETRY)]
             for k in range(len(layout["contacts"]))]
    tau, forces = _pass(_Casadi, W, weights["channels"], {**layout, "tree": nodes},
                        [q[i] for i in range(n)], [qd[i] for i in range(n)],
                        [qdd[i] for i in range(n)], edges)
    return ca.Function("walker_dynamics", [q, qd, qdd], [ca.vertcat(*tau), ca.vertcat(*forces)],
                       ["q", "qd", "qdd"], ["tau", "contact_forces"])


# -- data: the walker's own inverse dynamics, contacts included -----------------

def truth_function(model) -> ca.Function:
    """(q, qd, qdd) -> (generalised forces, contact forces (Fx, Fy) per sphere, edge values)
    of the analytic model (Newton-Euler with the smooth Hunt-Crossley contacts)."""
    tree = model.tree
    q, qd, qdd = (ca.SX.sym(s, tree.n) for s in ("q", "qd", "qdd"))
    reactions = PLANAR_GROUND.reactions(tree, q, qd, model.contacts,
                                        model.contact_normal_force)
    tau = tree.inverse_dynamics(q, qd, qdd,
                                external_forces=PLANAR_GROUND.external_forces(model.contacts,
                                                                              reactions))
    return ca.Function("truth", [q, qd, qdd],
                       [tau, ca.vertcat(*[f for _, f, _ in reactions]),
                        edge_geometry(model)(q, qd)])


def _bottoms(model) -> ca.Function:
    tree = model.tree
    q = ca.SX.sym("q", tree.n)
    kin = sphere_kinematics(tree, q, ca.SX.zeros(tree.n), model.contacts)
    return ca.Function("bottoms", [q], [ca.vertcat(*[-d for d, _, _, _ in kin])])


#: Sampled ranges. Air: any angle, moderate speeds, the feet 1.5 m up at least.
#: Near the ground: the walk's joint ranges (rad), the lowest sphere between 3 cm deep
#: and 6 cm up, walking speeds. Accelerations (rad/s^2 or m/s^2) uniform.
AIR = {"angle": math.pi, "speed": 3.0, "root_speed": 2.0, "acceleration": 15.0}
GROUND = {"tilt": (-0.5, 0.5), "hip": (-0.7, 1.2), "knee": (-1.75, 0.0), "ankle": (-0.7, 0.5),
          "lowest_m": (-0.03, 0.06), "tilt_speed": 3.0, "joint_speed": 10.0,
          "tx_speed": (0.0, 2.5), "ty_speed": 1.0, "acceleration": 15.0}


def sample_states(model, kind: str, samples: int, seed: int, around=None) -> dict:
    """States, accelerations and the analytic answers: 'air', 'ground', 'walk' or 'path'.

    ``around`` (for 'walk' and 'path'): (q, qd, qdd) arrays (points, n) of a
    walk, or of the iterates an optimiser visits on its way to one (a cold
    start's feet deep in the ground); the samples are its points with noise
    (0.03 rad, 1 cm, 0.3 rad/s or m/s, 5 rad/s^2). Only draws whose contact
    forces stay within MAX_CONTACT_FORCE_N (PATH_CONTACT_FORCE_N for 'path')
    are kept (a fast foot driven deep into the ground is no state a walk
    visits).
    """
    rng = np.random.default_rng(seed)
    cap = PATH_CONTACT_FORCE_N if kind == "path" else MAX_CONTACT_FORCE_N
    kept, count = [], 0
    while count < samples:
        m = samples if kind == "air" else 3 * samples
        q, qd, qdd = _draw(model, kind, m, rng, around)
        tau, forces, edges = (np.array(a).T for a in truth_function(model).map(m)(
            q.T, qd.T, qdd.T))
        keep = np.max(np.abs(forces), 1) <= cap
        kept.append([a[keep] for a in (q, qd, qdd, tau, forces, edges)])
        count += int(keep.sum())
    q, qd, qdd, tau, forces, edges = (np.concatenate(parts)[:samples] for parts in zip(*kept))
    return {"q": q, "qd": qd, "qdd": qdd, "tau": tau, "forces": forces,
            "edges": edges.reshape(samples, -1, GEOMETRY)}


#: Largest contact force component (N) of a sample (4 body weights of 75 kg).
MAX_CONTACT_FORCE_N = 3000.0
#: The same for samples around an optimiser's path: a cold start's first iterates
#: stand with the feet up to 7 cm deep (4.2 kN on a sphere for the torque walk's guess).
PATH_CONTACT_FORCE_N = 6000.0


def _draw(model, kind, samples, rng, around):
    n = model.tree.n
    u = lambda lo, hi, size=samples: rng.uniform(lo, hi, size)  # noqa: E731
    if kind == "air":
        q = u(-AIR["angle"], AIR["angle"], (samples, n))
        qd = u(-AIR["speed"], AIR["speed"], (samples, n))
        qd[:, :2] = u(-AIR["root_speed"], AIR["root_speed"], (samples, 2))
        qdd = u(-AIR["acceleration"], AIR["acceleration"], (samples, n))
        q[:, 1] = 0.0
        q[:, 1] = 1.5 - np.array(_bottoms(model).map(samples)(q.T)).min(0)
    elif kind == "ground":
        q = np.zeros((samples, n))
        q[:, 0] = u(0, 2)
        q[:, 2] = u(*GROUND["tilt"])
        for k, c in enumerate(model.tree.coordinates[3:], 3):
            q[:, k] = u(*GROUND[c.split("_")[0]])
        q[:, 1] = u(*GROUND["lowest_m"]) - np.array(_bottoms(model).map(samples)(q.T)).min(0)
        qd = u(-GROUND["joint_speed"], GROUND["joint_speed"], (samples, n))
        qd[:, 0] = u(*GROUND["tx_speed"])
        qd[:, 1] = u(-GROUND["ty_speed"], GROUND["ty_speed"])
        qd[:, 2] = u(-GROUND["tilt_speed"], GROUND["tilt_speed"])
        qdd = u(-GROUND["acceleration"], GROUND["acceleration"], (samples, n))
    elif kind in ("walk", "path"):
        if around is None:
            raise ValueError(f"{kind} samples need the states of a walk or path (around)")
        wq, wqd, wqdd = (np.asarray(a, float) for a in around)
        pick = rng.integers(0, len(wq), samples)
        q = wq[pick] + rng.normal(0, 0.03, (samples, n))
        q[:, 1] = wq[pick, 1] + rng.normal(0, 0.01, samples)
        qd = wqd[pick] + rng.normal(0, 0.3, (samples, n))
        qdd = wqdd[pick] + rng.normal(0, 5.0, (samples, n))
    else:
        raise ValueError(f"unknown sample kind '{kind}' (air, ground, walk or path)")
    return q, qd, qdd


def _t(a):
    return torch.as_tensor(np.ascontiguousarray(a), dtype=torch.float64)


#: The weights of the tree's own message passing (graph.GraphNetwork's), which a
#: network trained on chains brings (``pretrained``); the rest are the walker's own.
TREE_WEIGHTS = ("down_velocity", "down_acceleration", "down_vector", "up_own_force",
                "up_inertia", "up_own_moment", "up_child_force", "up_child_moment",
                "up_child_lever", "readout")


def train_walker(layout: dict, sets: list, channels: dict | None = None, hidden: int = 16,
                 epochs: int = 1500, learning_rate: float = 1e-2, lbfgs_steps: int = 30,
                 seed: int = 0, threads: int = 1, pretrained: dict | None = None,
                 contact_weight: float = 0.0, contact_law: str = "gate",
                 set_weights: list | None = None):
    """(network, seconds): fitted to the generalised forces of ``sets`` (sample_states
    dicts; kinds 'air' first), each coordinate's error in units of its RMS, plus
    ``contact_weight`` times the contact forces' error in units of theirs.

    The generalised forces alone fix only the product of an edge's force and
    the learned map that brings it into the foot (a network whose edges say
    0.1 kN where the ground pushes 1 kN can have exact dynamics); the walk's
    outputs and its dissipation cost read the edges' forces, so that one
    unit is set afterwards (calibrate_edges), or the forces are fitted with
    the dynamics (``contact_weight`` > 0).

    From scratch: Adam then L-BFGS on everything. With ``pretrained`` (the
    weights of a graph network of the same channels trained on chains, by
    name): its tree weights are taken as they are (they transfer: graph.py)
    and three stages follow: L-BFGS on the root's read-out alone with the feet
    in the air (the first set), Adam then L-BFGS on the contact edges and
    their entry into the feet, and ``lbfgs_steps // 2`` L-BFGS steps on all
    weights together. Every L-BFGS stage is guarded (guarded_lbfgs): a step
    that makes the loss non-finite or larger is undone and the stage ends.

    ``set_weights``: a loss weight per set (default 1 each), for example to
    keep the walk's accuracy when samples of other regions are added.
    """
    from learned_components.graph_training import adam, guarded_lbfgs
    torch.set_num_threads(max(1, threads))
    channels = channels or dict(zip(CHANNELS, (4, 2, 2, 4, 4)))
    net = WalkerGraphNetwork(layout, **channels, hidden=hidden, seed=seed,
                             contact_law=contact_law)
    keys = ("q", "qd", "qdd", "tau", "forces", "edges")
    data = {k: _t(np.concatenate([s[k] for s in sets])) for k in keys}
    weight = np.concatenate([np.full(len(s["q"]), w) for s, w in
                             zip(sets, set_weights or [1.0] * len(sets))])
    data["weight"] = _t(weight / weight.mean())[:, None]
    air = {**{k: _t(sets[0][k]) for k in keys},
           "weight": torch.ones(len(sets[0]["q"]), 1, dtype=torch.float64)}
    scale = torch.sqrt(torch.mean(data["tau"] ** 2, 0))
    started = time.perf_counter()

    force_scale = torch.sqrt(torch.mean(data["forces"] ** 2, 0)).clamp(min=1.0)
    lbfgs = guarded_lbfgs

    def loss_on(d):
        def loss():
            tau, forces = net(d["q"], d["qd"], d["qdd"], d["edges"])
            value = torch.mean(d["weight"] * ((tau - d["tau"]) / scale) ** 2)
            if contact_weight:
                value = value + contact_weight * torch.mean(((forces - d["forces"])
                                                             / force_scale) ** 2)
            return value
        return loss

    if pretrained is None:
        adam(net.parameters(), loss_on(data), epochs, learning_rate)
        lbfgs(net.parameters(), loss_on(data), lbfgs_steps)
        calibrate_edges(net, sets)
        return net, time.perf_counter() - started
    with torch.no_grad():
        for k in TREE_WEIGHTS:
            net.weights_[k].copy_(torch.as_tensor(np.asarray(pretrained[k])))
    W = net.weights_
    lbfgs([W["root_readout"]], loss_on(air), 5)
    edges = [W[k] for k in W if k.startswith("edge") or k.startswith("up_load")]
    adam(edges, loss_on(data), epochs, learning_rate)
    lbfgs(edges, loss_on(data), lbfgs_steps)
    lbfgs(net.parameters(), loss_on(data), lbfgs_steps // 2)
    calibrate_edges(net, sets)
    return net, time.perf_counter() - started


def calibrate_edges(net: WalkerGraphNetwork, sets: list) -> float:
    """Set the unit of the edges' forces to the newton; returns the factor found.

    The least-squares factor s of the edges' forces against the analytic
    contact forces of ``sets`` (F_edge = s F); the edges are divided by s and
    the maps that bring them into the feet (``up_load_force``,
    ``up_load_moment``, linear in the force) multiplied by s, so the
    generalised forces stay exactly as trained.
    """
    d = {k: _t(np.concatenate([s[k] for s in sets])) for k in ("q", "qd", "qdd", "edges",
                                                                "forces")}
    with torch.no_grad():
        forces = net(d["q"], d["qd"], d["qdd"], d["edges"])[1]
        s = float(torch.sum(forces * d["forces"]) / torch.sum(d["forces"] ** 2))
        W = net.weights_
        W["edge_scale"].div_(s)
        W["up_load_force"].mul_(s)
        W["up_load_moment"].mul_(s)
    return s


def accuracy(net: WalkerGraphNetwork, data: dict) -> dict:
    """Held-out errors: relative RMS of the generalised forces, RMS of the contact forces
    (N) and that RMS over the largest contact force of the set."""
    with torch.no_grad():
        tau, forces = (a.numpy() for a in net(_t(data["q"]), _t(data["qd"]), _t(data["qdd"]),
                                              _t(data["edges"])))
    rel = float(np.sqrt(np.mean((tau - data["tau"]) ** 2)) / np.sqrt(np.mean(data["tau"] ** 2)))
    rms = float(np.sqrt(np.mean((forces - data["forces"]) ** 2)))
    peak = float(np.max(np.abs(data["forces"])))
    feet = sorted({c["segment"] for c in net.layout["contacts"]})
    per_foot = [np.stack([sum(f[:, 2 * k + j] for k, c in enumerate(net.layout["contacts"])
                              if c["segment"] == foot) for foot in feet for j in (0, 1)], 1)
                for f in (forces, data["forces"])]
    foot_rms = float(np.sqrt(np.mean((per_foot[0] - per_foot[1]) ** 2)))
    foot_peak = float(np.max(np.abs(per_foot[1])))
    return {"tau_relative_rms": rel, "contact_force_rms_N": rms,
            "contact_force_peak_N": peak, "contact_force_rms_of_peak": rms / max(peak, 1e-9),
            "foot_force_rms_N": foot_rms, "foot_force_peak_N": foot_peak}
