"""A tree model with measured external loads (force plates) acting on its segments.

Moco's ``ModOpAddExternalLoads`` in a forward (tracking) problem: each load,
``ocp.analysis.planar_loads.PlanarLoad`` (force and free moment, point
expressed in ground), is applied to its segment at its world point, so its
generalised forces ``J(q)^T F`` follow the model's own pose as it moves:

    M(q) q'' = tau - bias(q, q') + J_p(q)^T F(t) + M_z(t) e_segment

The loads are linear interpolants of time (``ca.interpolant``, the force
plates' 600 Hz samples), so the model is non-autonomous (``time_dependent``).
Its outputs add the measured forces (``<load>_force_x``, ``_force_y`` N,
``_point_x`` m, ``_moment`` N m) for plots beside the base's.
"""
from __future__ import annotations

import casadi as ca
import numpy as np

from ocp.models.base import Model
from ocp.models.multibody import PointForce, inverse_dynamics, mass_matrix


class MeasuredLoads(Model):
    """``base`` (a tree model: states q, q' first) with measured loads (a WrapperModel)."""

    time_dependent = True

    def __init__(self, base: Model, loads=()):
        self.base, self.loads = base, tuple(loads)
        self.name = base.name
        self.state_names, self.state_units = base.state_names, base.state_units
        self.control_names, self.control_units = base.control_names, base.control_units
        self.algebraic_names, self.algebraic_units = base.algebraic_names, base.algebraic_units
        segments = {s.name for s in base.tree.segments}
        for load in self.loads:
            if load.segment not in segments:
                raise ValueError(f"load '{load.name}' on segment '{load.segment}', which "
                                 f"model '{base.name}' lacks")
        self._signals = []
        for load in self.loads:
            values = np.column_stack([load.force_N, load.point_m, load.torque_N_m])
            self._signals.append(ca.interpolant(f"load_{load.name}", "linear",
                                                [np.asarray(load.time_s, float)],
                                                values.ravel(order="C")))

    @property
    def tree(self):
        return self.base.tree

    def arguments(self) -> dict:
        """The constructor's arguments (Model.replace)."""
        return {"base": self.base, "loads": self.loads}

    def _signal(self, k, t):
        return self._signals[k](t)   # (5, 1): Fx, Fy, px, py, Mz

    def _load(self, q, t):
        """Generalised forces (n, 1) of the loads at the pose q and time t."""
        n = self.tree.n
        forces = []
        for k, load in enumerate(self.loads):
            s = self._signal(k, t)
            forces.append(PointForce(load.segment, s[2:4], s[0:2], s[4]))
        zero = ca.DM.zeros(n, 1)
        # RNEA at rest without gravity returns -(J^T F + moment terms)
        return -inverse_dynamics(self.tree, q, zero, zero, gravity=False,
                                 external_forces=tuple(forces))

    def dynamics(self, x, u):
        raise NotImplementedError(f"model '{self.name}' with measured loads depends on time: "
                                  f"the engine calls dynamics_at")

    def dynamics_at(self, x, u, t):
        f = self.base.dynamics_at(x, u, t)
        n = self.tree.n
        M = mass_matrix(self.tree, x[:n])
        h = ca.mtimes(M, f[n:2 * n]) + self._load(x[:n], t)
        return ca.vertcat(x[n:2 * n], ca.solve(M, h), f[2 * n:])

    def outputs(self, x, u):
        return self.base.outputs(x, u)

    def outputs_at(self, x, u, t):
        out = dict(self.base.outputs_at(x, u, t))
        for k, load in enumerate(self.loads):
            s = self._signal(k, t)
            out.update({f"{load.name}_force_x": s[0], f"{load.name}_force_y": s[1],
                        f"{load.name}_point_x": s[2], f"{load.name}_moment": s[4]})
        return out

    def output_units(self):
        out = dict(self.base.output_units())
        for load in self.loads:
            out.update({f"{load.name}_force_x": "N", f"{load.name}_force_y": "N",
                        f"{load.name}_point_x": "m", f"{load.name}_moment": "N*m"})
        return out

    def joint_torques(self, x, u):
        return self.base.joint_torques(x, u)

    def default_bounds(self):
        return self.base.default_bounds()

    def parameters(self):
        out = dict(self.base.parameters())
        out["measured loads"] = ", ".join(f"{ld.name} on {ld.segment}" for ld in self.loads)
        return out
