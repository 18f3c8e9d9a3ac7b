"""Graph networks over the kinematic tree: inverse and forward dynamics that transfer.

One node per segment (mass, inertia, centre of mass, its joint's location in
the parent, angle, speed, and the joint acceleration as input), one edge per
joint, and two passes of messages along the edges, root to leaves then leaves
to root, as in the recursive Newton-Euler algorithm (Featherstone 2008,
ch. 5): the shape of the computation is the tree's, the content of the
messages is learned. The weights are shared by every node and edge, so a
network trained on chains of 2 to 4 segments applies to any tree.

Physics-shaped messages (the inductive bias, stated plainly):

- every vector is a set of 2-D channels in its segment's own frame; a message
  crossing a joint is rotated by the joint angle (a change of frame, exact);
  a learned map between vector channels is ``a v + b J v`` per channel pair
  (J: a quarter turn), the general linear map that commutes with rotations;
- velocity channels ``w`` (scalars) pass down linearly; acceleration channels
  (scalars ``s`` and vectors ``V``) pass down linearly, plus the joint
  location times the parent's acceleration and quadratic velocity features;
- force channels ``F`` (vectors) and moment channels ``N`` (scalars) pass up,
  the segment's own contributions scaled by its mass, its centre of mass and
  its inertia; the torque is a learned read-out of the moment channels.

Nothing but the pattern is given: which channels carry what, with which
weights, is fitted to samples of the analytic dynamics. The network is linear
in the accelerations (and gravity) and quadratic in the speeds, as the true
dynamics are, so ``tau = M(q) q'' + b(q, q')`` holds by construction and the
forward dynamics is ``q'' = M^-1 (tau - b)`` with ``M`` and ``b`` from n + 1
passes of the same network (the "mass matrix and bias per tree" option).

The same code runs on torch tensors (batches, training) and on CasADi
expressions (one fixed tree unrolled into one Function with exact
derivatives): see the two backends below.
"""
from __future__ import annotations

import casadi as ca
import numpy as np

from learned_components._torch import require_torch

torch = require_torch()
nn = torch.nn

INVERSE_DYNAMICS, FORWARD_DYNAMICS = "inverse_dynamics", "forward_dynamics"
TARGETS = (INVERSE_DYNAMICS, FORWARD_DYNAMICS)
CHANNELS = ("vectors", "accelerations", "velocities", "forces", "moments")


class _Torch:
    """Batched operations: vectors (B, C, 2), scalars (B, C), per-node values (B,)."""

    @staticmethod
    def lin(W, s):
        return s @ W.T

    @staticmethod
    def mixv(W, U):
        return torch.einsum("jk,bkd->bjd", W, U)

    @staticmethod
    def rotv(theta, U):
        c, s = torch.cos(theta)[:, None], torch.sin(theta)[:, None]
        return torch.stack([c * U[..., 0] - s * U[..., 1], s * U[..., 0] + c * U[..., 1]], -1)

    @staticmethod
    def perp(U):
        return torch.stack([-U[..., 1], U[..., 0]], -1)

    @staticmethod
    def catv(parts):
        return torch.cat(parts, 1)

    cats = catv

    @staticmethod
    def outer(s, r):
        """Scalars s (B, C) times one vector r (B, 2): (B, C, 2)."""
        return s[:, :, None] * r[:, None, :]

    @staticmethod
    def cross(r, U):
        return r[:, 0, None] * U[..., 1] - r[:, 1, None] * U[..., 0]

    @staticmethod
    def scale(m, X):
        return m.reshape(-1, *([1] * (X.dim() - 1))) * X

    @staticmethod
    def col(x):
        return x[:, None]

    @staticmethod
    def zeros_v(like, C):
        return torch.zeros(like.shape[0], C, 2, dtype=like.dtype)

    @staticmethod
    def zeros_s(like, C):
        return torch.zeros(like.shape[0], C, dtype=like.dtype)

    @staticmethod
    def gravity(like, C, g):
        V = torch.zeros(like.shape[0], C, 2, dtype=like.dtype)
        V[:, 0, 1] = g
        return V

    @staticmethod
    def base(like, C, g, ax, ay):
        """Gravity plus a translating root's acceleration (ax, ay), world frame."""
        first = torch.stack([ax, ay + g], -1)[:, None, :]
        return torch.cat([first, torch.zeros(like.shape[0], C - 1, 2, dtype=like.dtype)], 1)


class _Casadi:
    """The same operations on one tree: vectors (C, 2), scalars (C, 1) SX; weights DM."""

    @staticmethod
    def lin(W, s):
        return ca.mtimes(W, s)

    mixv = lin

    @staticmethod
    def rotv(theta, U):
        c, s = ca.cos(theta), ca.sin(theta)
        return ca.horzcat(c * U[:, 0] - s * U[:, 1], s * U[:, 0] + c * U[:, 1])

    @staticmethod
    def perp(U):
        return ca.horzcat(-U[:, 1], U[:, 0])

    @staticmethod
    def catv(parts):
        return ca.vertcat(*parts)

    cats = catv

    @staticmethod
    def outer(s, r):
        return ca.mtimes(s, ca.reshape(r, 1, 2))

    @staticmethod
    def cross(r, U):
        return r[0] * U[:, 1] - r[1] * U[:, 0]

    @staticmethod
    def scale(m, X):
        return m * X

    @staticmethod
    def col(x):
        return x

    @staticmethod
    def zeros_v(like, C):
        return ca.SX.zeros(C, 2)

    @staticmethod
    def zeros_s(like, C):
        return ca.SX.zeros(C, 1)

    @staticmethod
    def gravity(like, C, g):
        V = ca.SX.zeros(C, 2)
        V[0, 1] = g
        return V

    @staticmethod
    def base(like, C, g, ax, ay):
        return ca.vertcat(ca.horzcat(ax, ay + g), ca.SX.zeros(C - 1, 2))


#: The two backends by public name (learned_components.contact_graph runs both)
TORCH_OPS, CASADI_OPS = _Torch, _Casadi


def _quadratic(be, w, pairs):
    """Products w_a w_b of velocity channels, a <= b (the centripetal features)."""
    return be.cats([w[:, a:a + 1] * w[:, b:b + 1] if be is _Torch else w[a] * w[b]
                    for a, b in pairs])


def message_passing(be, W: dict, channels: dict, nodes: dict, q, qd, qdd, gravity,
                    base=None, loads=None):
    """Joint torques of one batch of trees (torch) or one tree (CasADi), a list per node.

    ``W``: the weights by name (see GraphNetwork); ``nodes``: ``parents``
    (tuple), ``mass_kg``, ``inertia_kg_m2`` (per node), ``joint_m``,
    ``com_m`` (per node, 2-vectors), ``offset_rad``. ``q``, ``qd``, ``qdd``:
    lists per node. Returns the torque of each node.

    A root that translates (a walker's pelvis on two sliders): ``base`` = its
    accelerations (ax, ay) in the world frame, added to gravity's; then the
    force its sliders carry, read out from the root's force channels turned
    to the world frame (weights ``root_readout``), follows the torques: n + 2
    values. ``loads``: node -> list of (force (1 vector channel, the node's
    frame), moment about the node's joint) entering the node's force and
    moment channels through ``up_load_force`` and ``up_load_moment`` (the
    messages of contact edges, learned_components.contact_graph).
    """
    K, Ka, Kw = channels["vectors"], channels["accelerations"], channels["velocities"]
    pairs = [(a, b) for a in range(Kw) for b in range(a, Kw)]
    parents = nodes["parents"]
    n = len(parents)
    like = q[0]
    w, s, V, angle = [None] * n, [None] * n, [None] * n, [None] * n
    for i, p in enumerate(parents):
        if p < 0:
            wp, sp, Vp = be.zeros_s(like, Kw), be.zeros_s(like, Ka), \
                be.gravity(like, K, gravity) if base is None else \
                be.base(like, K, gravity, base[0], base[1])
        else:
            wp, sp, Vp = w[p], s[p], V[p]
        r = nodes["joint_m"][i]
        angle[i] = q[i] + nodes["offset_rad"][i]
        w[i] = be.lin(W["down_velocity"], be.cats([wp, be.col(qd[i])]))
        s[i] = be.lin(W["down_acceleration"], be.cats([sp, be.col(qdd[i])]))
        U = be.catv([Vp, be.perp(Vp), be.perp(be.outer(sp, r)),
                     be.outer(_quadratic(be, wp, pairs), r)])
        V[i] = be.rotv(-angle[i], be.mixv(W["down_vector"], U))
    F, N = [None] * n, [None] * n
    for i in reversed(range(n)):
        c, m, inertia = nodes["com_m"][i], nodes["mass_kg"][i], nodes["inertia_kg_m2"][i]
        A = be.catv([V[i], be.perp(be.outer(s[i], c)), be.outer(_quadratic(be, w[i], pairs), c)])
        A = be.catv([A, be.perp(A)])
        f = be.scale(m, be.mixv(W["up_own_force"], A))
        moment = be.lin(W["up_inertia"], be.scale(inertia, s[i])) \
            + be.lin(W["up_own_moment"], be.scale(m, be.cross(c, A)))
        for k, p in enumerate(parents):
            if p != i:
                continue
            Fk = be.rotv(angle[k], F[k])
            Fk = be.catv([Fk, be.perp(Fk)])
            f = f + be.mixv(W["up_child_force"], Fk)
            moment = moment + be.lin(W["up_child_moment"], N[k]) \
                + be.lin(W["up_child_lever"], be.cross(nodes["joint_m"][k], Fk))
        for load, turning in (loads or {}).get(i, ()):
            f = f + be.mixv(W["up_load_force"], be.catv([load, be.perp(load)]))
            moment = moment + be.lin(W["up_load_moment"], turning)
        F[i], N[i] = f, moment
    tau = [be.lin(W["readout"], N[i]) for i in range(n)]
    if base is None:
        return tau
    root = parents.index(-1)
    Fw = be.rotv(angle[root], F[root])
    slider = be.mixv(W["root_readout"], be.catv([Fw, be.perp(Fw)]))
    if be is _Torch:
        return tau + [slider[:, :, 0], slider[:, :, 1]]
    return tau + [slider[:, 0], slider[:, 1]]


class GraphNetwork(nn.Module):
    """Message passing over a planar kinematic tree: (q, q', q'') -> tau per joint.

    ``vectors``, ``accelerations``, ``velocities``, ``forces``, ``moments``:
    channel counts (see the module docstring). Inputs in SI units; torques in
    N m. Weights float64, shared across nodes and edges.
    """

    kind = "graph"

    def __init__(self, vectors: int = 4, accelerations: int = 2, velocities: int = 2,
                 forces: int = 4, moments: int = 4, seed: int = 0):
        super().__init__()
        self.channels = {"vectors": vectors, "accelerations": accelerations,
                         "velocities": velocities, "forces": forces, "moments": moments}
        Kq = velocities * (velocities + 1) // 2
        nA = 2 * (vectors + accelerations + Kq)
        shapes = {"down_velocity": (velocities, velocities + 1),
                  "down_acceleration": (accelerations, accelerations + 1),
                  "down_vector": (vectors, 2 * vectors + accelerations + Kq),
                  "up_own_force": (forces, nA),
                  "up_inertia": (moments, accelerations),
                  "up_own_moment": (moments, nA),
                  "up_child_force": (forces, 2 * forces),
                  "up_child_moment": (moments, moments),
                  "up_child_lever": (moments, 2 * forces),
                  "readout": (1, moments)}
        generator = torch.Generator().manual_seed(seed)
        self.weights_ = nn.ParameterDict({
            k: nn.Parameter(torch.randn(*shape, generator=generator, dtype=torch.float64)
                            / np.sqrt(shape[1])) for k, shape in shapes.items()})

    def _nodes(self, batch: dict) -> dict:
        return {"parents": batch["parents"],
                **{k: [batch[k][:, i] for i in range(len(batch["parents"]))]
                   for k in ("mass_kg", "inertia_kg_m2", "joint_m", "com_m", "offset_rad")}}

    def inverse_dynamics(self, batch: dict, q, qd, qdd, gravity: float):
        """Torques (B, n) for tensors q, q', q'' (B, n) of trees ``batch`` (see tensors_of)."""
        n = q.shape[1]
        cols = lambda x: [x[:, i] for i in range(n)]  # noqa: E731
        tau = message_passing(_Torch, self.weights_, self.channels, self._nodes(batch),
                              cols(q), cols(qd), cols(qdd), gravity)
        return torch.cat(tau, 1)

    def mass_matrix_and_bias(self, batch: dict, q, qd, gravity: float):
        """M (B, n, n) and b (B, n): tau = M q'' + b, from n + 1 passes."""
        B, n = q.shape
        eye = torch.eye(n, dtype=q.dtype)
        # one pass for the bias, n with q' = 0, g = 0 and q'' = e_j for the columns
        bias = self.inverse_dynamics(batch, q, qd, torch.zeros_like(q), gravity)
        big = {k: (v.repeat(n, *([1] * (v.dim() - 1))) if torch.is_tensor(v) else v)
               for k, v in batch.items()}
        qdd = eye.repeat_interleave(B, 0)
        cols = self.inverse_dynamics(big, q.repeat(n, 1), torch.zeros(B * n, n, dtype=q.dtype),
                                     qdd, 0.0)
        M = cols.reshape(n, B, n).permute(1, 2, 0)
        return M, bias

    def forward_dynamics(self, batch: dict, q, qd, tau, gravity: float):
        """q'' (B, n) = M^-1 (tau - b)."""
        M, bias = self.mass_matrix_and_bias(batch, q, qd, gravity)
        return torch.linalg.solve(M, (tau - bias)[:, :, None])[:, :, 0]

    def architecture(self) -> dict:
        return {"kind": self.kind, **self.channels,
                "parameters": sum(p.numel() for p in self.parameters())}

    def weights(self) -> dict:
        return {"kind": self.kind, "channels": dict(self.channels),
                "weights": {k: v.detach().numpy().copy() for k, v in self.weights_.items()}}


def tensors_of(tree) -> dict:
    """torch tensors of a TreeBatch's fixed features (B, n) / (B, n, 2)."""
    t = lambda a: torch.as_tensor(np.ascontiguousarray(a), dtype=torch.float64)  # noqa: E731
    return {"parents": tree.parents, "mass_kg": t(tree.mass_kg),
            "inertia_kg_m2": t(tree.inertia_kg_m2), "joint_m": t(tree.joint_m),
            "com_m": t(tree.com_m), "offset_rad": t(tree.offset_rad)}


def casadi_nodes(tree: dict) -> dict:
    """The node data of ``tree`` (``tree_data.tree_of_model``) as the CasADi message
    passing takes it: masses, inertias, joint and centre-of-mass offsets (CasADi
    columns) and angle offsets of each segment, and the parents."""
    return {"parents": tuple(tree["parents"]),
            "mass_kg": [float(m) for m in tree["mass_kg"]],
            "inertia_kg_m2": [float(v) for v in tree["inertia_kg_m2"]],
            "joint_m": [ca.DM(list(map(float, r))) for r in tree["joint_m"]],
            "com_m": [ca.DM(list(map(float, c))) for c in tree["com_m"]],
            "offset_rad": [float(o) for o in tree["offset_rad"]]}


def graph_function(weights: dict, tree: dict, target: str = INVERSE_DYNAMICS,
                   readout: ca.SX | None = None) -> ca.Function:
    """A trained graph network unrolled over one fixed tree, as one CasADi Function.

    ``tree``: ``tree_data.tree_of_model`` of the model. Inverse dynamics:
    (q, qd, qdd) -> tau; forward dynamics: (q, qd, tau) -> qdd = M^-1 (tau - b)
    with M and b from n + 1 unrolled passes (exact derivatives throughout). The
    weights of a randomized-prior member (graph_prior) add its prior's pass.
    ``readout``: a symbol (moments x 1) standing for the read-out's weights, then a
    fourth input ``w`` (the last-layer Laplace posterior, structured_laplace.py).
    """
    W = {k: ca.DM(np.asarray(v)) for k, v in weights["weights"].items()}
    if readout is not None:
        W["readout"] = readout.T
    n = len(tree["parents"])
    nodes = casadi_nodes(tree)
    g = float(tree["gravity_m_s2"])
    q, qd, x = ca.SX.sym("q", n), ca.SX.sym("qd", n), ca.SX.sym("x", n)
    prior = weights.get("prior")      # a randomized prior (graph_prior): scale * its pass
    terms = [(1.0, W)] + ([(float(prior["scale"]), {k: ca.DM(np.asarray(v)) for k, v in
                                                     prior["weights"].items()})] if prior else [])

    def tau_of(qq, vv, aa, gravity):
        return sum(c * ca.vertcat(*message_passing(_Casadi, Wt, weights["channels"], nodes,
                                                   [qq[i] for i in range(n)],
                                                   [vv[i] for i in range(n)],
                                                   [aa[i] for i in range(n)], gravity))
                   for c, Wt in terms)

    extra, names = ([readout], ["w"]) if readout is not None else ([], [])
    if target == INVERSE_DYNAMICS:
        return ca.Function("inverse_dynamics", [q, qd, x, *extra], [tau_of(q, qd, x, g)],
                           ["q", "qd", "qdd", *names], ["tau"])
    zero = ca.SX.zeros(n, 1)
    bias = tau_of(q, qd, zero, g)
    M = ca.horzcat(*[tau_of(q, zero, ca.DM.eye(n)[:, j], 0.0) for j in range(n)])
    return ca.Function("forward_dynamics", [q, qd, x, *extra], [ca.solve(M, x - bias)],
                       ["q", "qd", "tau", *names], ["qdd"])


# -- a multilayer perceptron on padded chains, for comparison -----------------

def padded_inputs(tree, slots: int) -> np.ndarray:
    """Per slot [m, I, joint y, com y, sin q, cos q, q', input, present]: (B, 9 slots).

    A perceptron has a fixed input size: chains of up to ``slots`` segments,
    the missing ones zero with ``present`` = 0. A longer chain does not fit.
    """
    n = tree.n
    if n > slots:
        raise ValueError(f"a perceptron built for chains of at most {slots} segments cannot "
                         f"take a chain of {n}")
    B = len(tree)
    feats = np.zeros((B, slots, 9))
    feats[:, :n] = np.stack([tree.mass_kg, tree.inertia_kg_m2, tree.joint_m[..., 1],
                             tree.com_m[..., 1], np.sin(tree.q), np.cos(tree.q), tree.qd,
                             tree.qdd, np.ones_like(tree.q)], -1)
    return feats.reshape(B, -1)


def relative_rms(prediction, truth) -> float:
    """sqrt(mean((p - t)^2)) / sqrt(mean(t^2)) over all samples and joints."""
    prediction, truth = np.asarray(prediction), np.asarray(truth)
    return float(np.sqrt(np.mean((prediction - truth) ** 2)) / np.sqrt(np.mean(truth ** 2)))
