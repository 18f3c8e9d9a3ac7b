"""A walker's learned dynamics with contact edges: the network's own ground reactions.

A tree-dynamics surrogate exported for a model with contact spheres
(``learned_components.contact_graph``: a graph network whose contact edges
carry the ground's forces into the feet) maps (q, q', q'') to the
generalised forces, contacts included, and to the contact forces (F_x, F_y
per sphere, world frame). ``[model] dynamics = "surrogates/x.casadi"`` on a
model with contacts (``gait2d_torque``) uses it for the equations of motion,
and :class:`LearnedGround` for everything else the ground gives (reactions,
outputs, the power a ``contact_dissipation`` cost integrates), so the walk's
costs and reports see the forces the dynamics use. The spheres still give
the geometry: where the contact points are and how fast they move.
"""
from __future__ import annotations

import math

import casadi as ca
import numpy as np

from ocp.models.contact import sphere_kinematics
from ocp.models.multibody import PointForce, inverse_dynamics
from ocp.models.surrogate import TREE_DYNAMICS_TOLERANCE, Surrogate, SurrogateMismatch

#: Relative RMS of the learned contact forces against the model's own, at the check's
#: standing postures (heels and toes 0 to 2 cm deep), above which the surrogate is taken
#: to have been trained on other contact parameters.
CONTACT_TOLERANCE = 0.15


def has_contact_edges(surrogate: Surrogate) -> bool:
    """Whether a tree-dynamics surrogate carries contact edges (and their forces)."""
    return bool(surrogate.metadata.get("contacts"))


class LearnedGround:
    """The ground of a model whose contact forces come from a learned network.

    ``base``: the model's own ground (PLANAR_GROUND), which still gives the
    checks, outputs and reachability; ``forces``: (q, qd) -> (F_x, F_y) per
    sphere, in the spheres' order.
    """

    def __init__(self, base, forces: ca.Function):
        self.base, self.forces = base, forces

    def check(self, tree, spheres):
        self.base.check(tree, spheres)

    def reactions(self, tree, q, qd, spheres, normal_force_model=None):
        """Per sphere (PointForce, (F_x, F_y), contact point), the forces learned."""
        f = self.forces(q, qd)
        out = []
        for k, (s, (_, _, point, _)) in enumerate(zip(spheres,
                                                      sphere_kinematics(tree, q, qd, spheres))):
            force = f[2 * k:2 * k + 2]
            out.append((PointForce(s.segment, point, force), force, point))
        return out

    def external_forces(self, spheres, reactions) -> tuple:
        return self.base.external_forces(spheres, reactions)

    def outputs(self, spheres, reactions) -> dict:
        return self.base.outputs(spheres, reactions)

    def output_units(self, spheres) -> dict:
        return self.base.output_units(spheres)

    def power(self, tree, q, qd, spheres, normal_force_model=None):
        """Sum of F . v over the contact points (ocp.models.contact.ground_reaction_power)."""
        f = self.forces(q, qd)
        total = 0
        for k, (_, _, _, v) in enumerate(sphere_kinematics(tree, q, qd, spheres)):
            total = total + f[2 * k] * v[0] + f[2 * k + 1] * v[1]
        return total

    def lowest_bottom(self, tree, spheres, bounds: dict) -> float:
        return self.base.lowest_bottom(tree, spheres, bounds)


def walker_dynamics(surrogate: Surrogate, model, base_ground):
    """((tau function, "inverse_dynamics"), LearnedGround) of a surrogate with contact edges.

    Checked against ``model``: its coordinates and contact spheres, the
    signature, the generalised forces with the feet far above the ground (the
    tree's own inverse dynamics, relative RMS at most TREE_DYNAMICS_TOLERANCE)
    and the contact forces in standing postures (the model's own contact law,
    at most CONTACT_TOLERANCE). Raises SurrogateMismatch.
    """
    name, f, meta = surrogate.path.name, surrogate.function, surrogate.metadata
    tree = model.tree
    coords = list(tree.coordinates)
    if list(meta.get("coordinates", [])) != coords:
        raise SurrogateMismatch(f"surrogate '{name}' was exported for coordinates "
                                f"{meta.get('coordinates')}; the model has {coords}")
    spheres = [s.name for s in model.contacts]
    if list(meta["contacts"]) != spheres:
        raise SurrogateMismatch(f"surrogate '{name}' has contact edges {meta['contacts']}; "
                                f"model '{model.name}' has contact spheres {spheres}")
    if model.contact_normal_force is not None:
        raise SurrogateMismatch(f"surrogate '{name}' learned the contact forces with the "
                                f"dynamics; leave [model] contact out")
    n, nc = len(coords), len(spheres)
    if [list(f.size_in(i)) for i in range(f.n_in())] != [[n, 1]] * 3 or \
            [list(f.size_out(i)) for i in range(f.n_out())] != [[n, 1], [2 * nc, 1]]:
        raise SurrogateMismatch(f"surrogate '{name}' does not map (q, qd, qdd) of {n} "
                                f"coordinates to generalised forces and {nc} contact forces")
    q, qd, qdd = (ca.SX.sym(s, n) for s in ("q", "qd", "qdd"))
    tau, forces = f(q, qd, qdd)
    tau_function = ca.Function("walker_tau", [q, qd, qdd], [tau], ["q", "qd", "qdd"], ["tau"])
    force_function = ca.Function("walker_contact_forces", [q, qd],
                                 [ca.substitute(forces, qdd, ca.DM.zeros(n))], ["q", "qd"],
                                 ["contact_forces"])
    ground = LearnedGround(base_ground, force_function)
    rng = np.random.default_rng(0)
    m = 200
    states = [rng.uniform(-1, 1, (n, m)) * s for s in (math.pi, 3.0, 15.0)]
    states[0][1] += 100.0   # the feet far above the ground: the tree's dynamics alone
    analytic = ca.Function("analytic", [q, qd, qdd], [inverse_dynamics(tree, q, qd, qdd)])
    truth, learned = (np.array(g.map(m)(*states)) for g in (analytic, tau_function))
    error = float(np.sqrt(np.mean((learned - truth) ** 2)) / np.sqrt(np.mean(truth ** 2)))
    if not error <= TREE_DYNAMICS_TOLERANCE:
        raise SurrogateMismatch(
            f"surrogate '{name}' differs from the model's own dynamics by {100 * error:.3g} % "
            f"(relative RMS, feet in the air; tolerance {100 * TREE_DYNAMICS_TOLERANCE:.3g} %): "
            f"it was exported for another tree ({meta.get('model', '?')}) or trained too little")
    error = contact_error(model, base_ground, force_function)
    if not error <= CONTACT_TOLERANCE:
        raise SurrogateMismatch(
            f"surrogate '{name}' gives contact forces {100 * error:.3g} % (relative RMS) off "
            f"the model's own in standing postures (tolerance {100 * CONTACT_TOLERANCE:.3g} "
            f"%): it was trained on other contact parameters")
    return (tau_function, "inverse_dynamics"), ground


def contact_error(model, base_ground, force_function, samples: int = 50) -> float:
    """Relative RMS of learned against analytic contact forces, standing with both feet
    0 to 2 cm in the ground and small random speeds."""
    tree = model.tree
    n = tree.n
    q, qd = ca.SX.sym("q", n), ca.SX.sym("qd", n)
    reactions = base_ground.reactions(tree, q, qd, model.contacts, None)
    analytic = ca.Function("analytic", [q, qd], [ca.vertcat(*[f for _, f, _ in reactions])])
    bottoms = ca.Function("bottom", [q], [ca.mmin(ca.vertcat(*[
        -d for d, _, _, _ in sphere_kinematics(tree, q, ca.DM.zeros(n), model.contacts)]))])
    rng = np.random.default_rng(1)
    Q = np.zeros((n, samples))
    Q[1] = -float(bottoms(Q[:, 0])) - rng.uniform(0.0, 0.02, samples)
    QD = rng.uniform(-0.1, 0.1, (n, samples))
    truth, learned = (np.array(g.map(samples)(Q, QD)) for g in (analytic, force_function))
    return float(np.sqrt(np.mean((learned - truth) ** 2)) / np.sqrt(np.mean(truth ** 2)))
