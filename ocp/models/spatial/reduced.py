"""A spatial tree over its free coordinates: coupled coordinates substituted, locked ones held.

OpenSim's CoordinateCouplerConstraint makes a dependent coordinate a function of
independent ones (Rajagopal's patellae follow the knee). Substituting it keeps
the NLP an ODE: with the free coordinates q, the tree's coordinates are
q_full = map(q), q'_full = G q', q''_full = G q'' + G' q' (G = d map / dq), and
the generalised forces on the free coordinates are tau = G^T tau_full (virtual
work). A locked coordinate is held at its value (a constant in map).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import casadi as ca

from ocp.models.spatial.tree import BodyState, SpatialTree

__all__ = ["Coupling", "ReducedTree"]


@dataclass(frozen=True)
class Coupling:
    """dependent = scale * function(independent...): ``function`` is one of
    ``ocp.osim.functions`` (x -> (value, slope, curvature)) for one independent
    coordinate, or has ``value(list)`` for several."""

    dependent: str
    independent: tuple
    function: object
    scale: float = 1.0

    def value(self, args: list):
        if len(self.independent) == 1:
            return self.scale * self.function(args[0])[0]
        return self.scale * self.function.value(args)


@dataclass(frozen=True)
class ReducedTree:
    """The interface of :class:`SpatialTree` over the free coordinates of ``tree``.

    ``couplings``: dependent coordinates; ``locked``: {coordinate: held value}.
    """

    tree: SpatialTree
    couplings: tuple = ()
    locked: dict = field(default_factory=dict)
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self):
        dependent = [c.dependent for c in self.couplings]
        for name in dependent + list(self.locked):
            if name not in self.tree.coordinates:
                raise ValueError(f"coordinate '{name}' is not in the tree")
        if len(set(dependent)) != len(dependent) or set(dependent) & set(self.locked):
            raise ValueError("a coordinate is coupled twice, or both coupled and locked")

    def __hash__(self):
        return id(self)

    @property
    def coordinates(self) -> tuple:
        held = {c.dependent for c in self.couplings} | set(self.locked)
        return tuple(c for c in self.tree.coordinates if c not in held)

    @property
    def n(self) -> int:
        return len(self.coordinates)

    @property
    def bodies(self) -> tuple:
        return self.tree.bodies

    @property
    def markers(self) -> tuple:
        return self.tree.markers

    @property
    def gravity_m_s2(self) -> tuple:
        return self.tree.gravity_m_s2

    def full_map(self, q):
        """q_full (n_full, 1) from the free coordinates q (CasADi or numbers)."""
        values = {c: q[i] for i, c in enumerate(self.coordinates)}
        values.update({c: float(v) for c, v in self.locked.items()})
        pending = list(self.couplings)
        while pending:
            ready = [c for c in pending if all(i in values for i in c.independent)]
            if not ready:
                raise ValueError(f"coupled coordinates depend on each other in a loop: "
                                 f"{[c.dependent for c in pending]}")
            for c in ready:
                values[c.dependent] = c.value([values[i] for i in c.independent])
                pending.remove(c)
        return ca.vertcat(*[values[c] for c in self.tree.coordinates])

    def _expansion(self) -> ca.Function:
        if "expand" not in self._cache:
            q, qd, qdd = (ca.SX.sym(s, self.n) for s in ("q", "qd", "qdd"))
            full = self.full_map(q)
            g = ca.jacobian(full, q)
            qd_full = ca.mtimes(g, qd)
            qdd_full = ca.mtimes(g, qdd) + ca.jtimes(qd_full, q, qd)
            self._cache["expand"] = ca.Function("expand", [q, qd, qdd],
                                                [full, qd_full, qdd_full, g])
        return self._cache["expand"]

    def expand(self, q, qd=None, qdd=None):
        """(q_full, q'_full, q''_full, G) from the free coordinates' values."""
        zero = ca.DM.zeros(self.n, 1)
        return self._expansion()(q, zero if qd is None else qd, zero if qdd is None else qdd)

    def body_states(self, q, qd=None, qdd=None) -> dict:
        full, qd_full, qdd_full, _ = self.expand(q, qd, qdd)
        return self.tree.body_states(full, qd_full, qdd_full)

    @staticmethod
    def point_kinematics(state: BodyState, local) -> tuple:
        return SpatialTree.point_kinematics(state, local)

    def inverse_dynamics(self, q, qd, qdd, *, gravity=True, external_forces=()):
        """G^T ID_full(q_full, q'_full, q''_full): (n, 1) over the free coordinates."""
        full, qd_full, qdd_full, g = self.expand(q, qd, qdd)
        tau = self.tree.inverse_dynamics(full, qd_full, qdd_full, gravity=gravity,
                                         external_forces=external_forces)
        return ca.mtimes(g.T, tau)

    def mass_matrix(self, q):
        """G^T M_full G (n, n)."""
        full, _, _, g = self.expand(q)
        return ca.mtimes([g.T, self.tree.mass_matrix(full), g])

    def forward_dynamics(self, q, qd, tau, *, external_forces=()):
        bias = self.inverse_dynamics(q, qd, ca.DM.zeros(self.n, 1),
                                     external_forces=external_forces)
        return ca.solve(self.mass_matrix(q), tau - bias)

    def marker_positions(self, q) -> dict:
        return self.tree.marker_positions(self.expand(q)[0])

    @property
    def translational(self) -> tuple:
        return tuple(c for c in self.tree.translational if c in self.coordinates)

    def coordinate_kinds(self) -> dict:
        kinds = self.tree.coordinate_kinds()
        return {c: kinds[c] for c in self.coordinates}

    def body_names(self) -> tuple:
        return self.tree.body_names()

    def marker_outputs(self, q, qd) -> dict:
        full, qd_full, _, _ = self.expand(q, qd)
        return self.tree.marker_outputs(full, qd_full)

    def marker_output_units(self) -> dict:
        return self.tree.marker_output_units()

    def mechanical_energy(self, q, qd):
        full, qd_full, _, _ = self.expand(q, qd)
        return self.tree.mechanical_energy(full, qd_full)
