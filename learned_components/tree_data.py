"""Samples of the rigid-body dynamics of planar kinematic trees, for graph networks.

A batch of trees shares one topology (``parents``: index of each segment's
parent, -1 for the ground, parents before children) and has its own
proportions per sample. The torques come from the recursive Newton-Euler
algorithm written here in numpy for whole batches, with the conventions of
``ocp.models.multibody`` (world frame, x right, y up, angles counter-clockwise,
gravity as an upward acceleration of the ground; Featherstone 2008, ch. 5);
``tests/test_learned_graph.py`` checks it against ``multibody.inverse_dynamics``.

Proportions: a reference segment (a uniform rod of ``REFERENCE``) scaled per
segment and per property (mass, length, centre of mass, inertia) by factors
drawn from a band around 1: ``(0.85, 1.15)`` for training; the
out-of-range tests use factors 25 % beyond either edge of that band
(0.85 x 0.75 and 1.15 x 1.25).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ocp.errors import ProblemError
from ocp.models.multibody import REVOLUTE, STANDARD_GRAVITY_M_S2

#: The reference segment: a uniform rod of 1 kg and 1 m, as the double pendulum's links.
REFERENCE = {"mass_kg": 1.0, "length_m": 1.0, "com_m": 0.5, "inertia_kg_m2": 1.0 / 12.0}
#: Sampled state ranges: |q| <= pi rad, |q'| <= 3 rad/s, |q''| <= 15 rad/s^2.
STATE_RANGES = {"q": np.pi, "qd": 3.0, "qdd": 15.0}


@dataclass(frozen=True)
class TreeBatch:
    """B trees of one topology with n segments; arrays (B, n) or (B, n, 2).

    Segment i's joint sits at ``joint_m[:, i]`` in its parent's frame (zero
    for a root), its centre of mass at ``com_m[:, i]`` in its own frame;
    ``offset_rad`` is the joint's fixed rotation. ``tau`` holds the joint
    torques (N m) of the accelerations ``qdd`` (rad/s^2).
    """

    parents: tuple
    mass_kg: np.ndarray
    inertia_kg_m2: np.ndarray
    joint_m: np.ndarray
    com_m: np.ndarray
    offset_rad: np.ndarray
    q: np.ndarray
    qd: np.ndarray
    qdd: np.ndarray
    tau: np.ndarray
    gravity_m_s2: float = STANDARD_GRAVITY_M_S2

    @property
    def n(self) -> int:
        return len(self.parents)

    def __len__(self) -> int:
        return self.q.shape[0]


def _rot(theta, v):
    c, s = np.cos(theta), np.sin(theta)
    return np.stack([c * v[..., 0] - s * v[..., 1], s * v[..., 0] + c * v[..., 1]], -1)


def _perp(w, r):
    """w x r for w about z: (-w r_y, w r_x)."""
    return np.stack([-w * r[..., 1], w * r[..., 0]], -1)


def rnea(parents, mass_kg, inertia_kg_m2, joint_m, com_m, offset_rad, q, qd, qdd,
         gravity_m_s2=STANDARD_GRAVITY_M_S2) -> np.ndarray:
    """Joint torques (B, n), N m, of revolute planar trees by Newton-Euler (batched)."""
    B, n = q.shape
    angle, omega, alpha = np.zeros((B, n)), np.zeros((B, n)), np.zeros((B, n))
    origin_acc = np.zeros((B, n, 2))
    base = np.broadcast_to(np.array([0.0, gravity_m_s2]), (B, 2))
    for i, p in enumerate(parents):
        if p < 0:
            pa, pw, pal, pacc = np.zeros(B), np.zeros(B), np.zeros(B), base
        else:
            pa, pw, pal, pacc = angle[:, p], omega[:, p], alpha[:, p], origin_acc[:, p]
        r = _rot(pa, joint_m[:, i])
        origin_acc[:, i] = pacc + _perp(pal, r) - (pw ** 2)[:, None] * r
        angle[:, i] = pa + offset_rad[:, i] + q[:, i]
        omega[:, i] = pw + qd[:, i]
        alpha[:, i] = pal + qdd[:, i]
    force, moment = np.zeros((B, n, 2)), np.zeros((B, n))
    for i in reversed(range(n)):
        c = _rot(angle[:, i], com_m[:, i])
        a_com = origin_acc[:, i] + _perp(alpha[:, i], c) - (omega[:, i] ** 2)[:, None] * c
        f = mass_kg[:, i, None] * a_com
        m = inertia_kg_m2[:, i] * alpha[:, i] + c[:, 0] * f[:, 1] - c[:, 1] * f[:, 0]
        for k, p in enumerate(parents):
            if p == i:
                r = _rot(angle[:, i], joint_m[:, k])
                f = f + force[:, k]
                m = m + moment[:, k] + r[:, 0] * force[:, k, 1] - r[:, 1] * force[:, k, 0]
        force[:, i], moment[:, i] = f, m
    return moment


def chain_parents(n: int) -> tuple:
    return tuple(range(-1, n - 1))


def proportion_factors(rng, shape, band: str, beyond: float = 0.25) -> np.ndarray:
    """Scale factors: 'train' U(0.85, 1.15); 'outside' 0.85 (1 - beyond) or 1.15 (1 +
    beyond) (by default 0.6375 or 1.4375, 25 % beyond)."""
    if band == "train":
        return rng.uniform(0.85, 1.15, shape)
    if band == "outside":
        return np.where(rng.random(shape) < 0.5, 0.85 * (1 - beyond), 1.15 * (1 + beyond))
    raise ValueError(f"unknown proportion band '{band}' (train or outside)")


def chain_batch(n: int, samples: int, band: str = "train", seed: int = 0,
                reference: dict = REFERENCE, beyond: float = 0.25) -> TreeBatch:
    """Random chains of ``n`` segments hanging along their own -y axes, and random states."""
    rng = np.random.default_rng(seed)
    f = proportion_factors(rng, (4, samples, n), band, beyond)
    mass = reference["mass_kg"] * f[0]
    length = reference["length_m"] * f[1]
    com = reference["com_m"] * f[2] * (length / reference["length_m"])
    inertia = reference["inertia_kg_m2"] * f[3] * (mass / reference["mass_kg"]) \
        * (length / reference["length_m"]) ** 2
    joint = np.zeros((samples, n, 2))
    joint[:, 1:, 1] = -length[:, :-1]
    com_v = np.zeros((samples, n, 2))
    com_v[:, :, 1] = -com
    q = rng.uniform(-1, 1, (samples, n)) * STATE_RANGES["q"]
    qd = rng.uniform(-1, 1, (samples, n)) * STATE_RANGES["qd"]
    qdd = rng.uniform(-1, 1, (samples, n)) * STATE_RANGES["qdd"]
    parents = chain_parents(n)
    offset = np.zeros((samples, n))
    tau = rnea(parents, mass, inertia, joint, com_v, offset, q, qd, qdd)
    return TreeBatch(parents, mass, inertia, joint, com_v, offset, q, qd, qdd, tau)


def tree_of_model(tree) -> dict:
    """The fixed features of an ``ocp.models.multibody.KinematicTree`` (revolute joints);
    ProblemError for a tree with another joint (bad input, not a bug)."""
    names = [s.name for s in tree.segments]
    for s in tree.segments:
        if s.joint.kind != REVOLUTE or s.joint.moving_location is not None:
            raise ProblemError(f"segment '{s.name}': graph networks take revolute joints "
                               f"with fixed centres only, not a {s.joint.kind} joint"
                               + (" with a moving centre" if s.joint.kind == REVOLUTE else ""))
    return {"parents": tuple(names.index(s.parent) if s.parent else -1 for s in tree.segments),
            "mass_kg": [s.mass_kg for s in tree.segments],
            "inertia_kg_m2": [s.inertia_kg_m2 for s in tree.segments],
            "joint_m": [list(s.joint.location_m) for s in tree.segments],
            "com_m": [list(s.com_m) for s in tree.segments],
            "offset_rad": [s.joint.offset_rad for s in tree.segments],
            "gravity_m_s2": tree.gravity_m_s2}
