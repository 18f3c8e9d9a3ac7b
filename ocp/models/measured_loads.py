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


class SpatialMeasuredLoads(MeasuredLoads):
    """``base`` (a torque-driven model on a spatial tree) with the forces of an OpenSim
    ExternalLoads file (:class:`ocp.data.external_loads.ExternalLoads`).

    Each ExternalForce acts on its body at its point, force, point and free
    torque expressed in ground or in a body as the file says
    (:func:`ocp.analysis.external_forces.spatial_loads`, the forces of ``ocp
    id``), so the generalised forces ``G(q, t) = J(q)^T F(t) + ...`` follow the
    model's pose:

        M(q) q'' + bias(q, q') = tau + G(q, t)

    The explicit form solves with M; the implicit one (``dynamics =
    "implicit"``) subtracts G from the base's inverse-dynamics residual. The
    samples (600 Hz force plates) are interpolated linearly in time. Outputs
    add each force's ``<name>_force_x|y|z`` (N), ``_point_x|y|z`` (m) and
    ``_torque_x|y|z`` (N m) as the file gives them, for plots.
    """

    def __init__(self, base: Model, loads=None):
        self.base, self.loads = base, loads
        self.name = base.name
        self.state_names, self.state_units = base.state_names, base.state_units
        self.control_names, self.control_units = base.control_names, base.control_units
        self.algebraic_names, self.algebraic_units = base.algebraic_names, base.algebraic_units
        loads.check_bodies(base.tree.body_names(), f"model '{base.name}'")
        self._signals = []
        for f in loads.forces:
            s = loads.samples(f)
            columns = [v if v is not None else np.zeros((s.time_s.size, 3))
                       for v in (s.force, s.point, s.torque)]
            self._signals.append(ca.interpolant(f"load_{f.name}", "linear",
                                                [np.asarray(s.time_s, float)],
                                                np.hstack(columns).ravel(order="C")))

    def arguments(self) -> dict:
        """The constructor's arguments (Model.replace)."""
        return {"base": self.base, "loads": self.loads}

    def stacked(self, t):
        """(F, P, T) (3k, 1) of the k forces at time t, in the file's frames."""
        values = [self._signals[k](t) for k in range(len(self.loads.forces))]
        return tuple(ca.vertcat(*[v[3 * j:3 * j + 3] for v in values]) for j in range(3))

    def _load(self, q, t):
        """Generalised forces G (n, 1) of the loads at the pose q and time t."""
        from ocp.analysis.external_forces import spatial_loads
        tree, n = self.tree, self.tree.n
        forces = spatial_loads(self.loads, tree.body_states(q), *self.stacked(t))
        zero = ca.DM.zeros(n, 1)
        # inverse dynamics at rest without gravity is -G
        return -tree.inverse_dynamics(q, zero, zero, gravity=False, external_forces=forces)

    def dynamics_at(self, x, u, t):
        f = self.base.dynamics_at(x, u, t)
        n = self.tree.n
        qdd = f[n:2 * n] + ca.solve(self.tree.mass_matrix(x[:n]), self._load(x[:n], t))
        return ca.vertcat(x[n:2 * n], qdd, f[2 * n:])

    def implicit_dynamics(self, x, u, z):
        raise NotImplementedError(f"model '{self.name}' with measured loads depends on time: "
                                  f"the engine calls implicit_dynamics_at")

    def implicit_dynamics_at(self, x, u, z, t):
        xdot, residual = self.base.implicit_dynamics_at(x, u, z, t)
        n = self.tree.n
        return xdot, ca.vertcat(residual[:n] - self._load(x[:n], t), residual[n:])

    def outputs_at(self, x, u, t):
        out = dict(self.base.outputs_at(x, u, t))
        F, P, T = self.stacked(t)
        for k, f in enumerate(self.loads.forces):
            for what, values in (("force", F), ("point", P), ("torque", T)):
                out.update({f"{f.name}_{what}_{a}": values[3 * k + i]
                            for i, a in enumerate("xyz")})
        return out

    def output_units(self):
        out = dict(self.base.output_units())
        for f in self.loads.forces:
            for what, unit in (("force", "N"), ("point", "m"), ("torque", "N*m")):
                out.update({f"{f.name}_{what}_{a}": unit for a in "xyz"})
        return out

    def parameters(self):
        out = dict(self.base.parameters())
        out["measured loads"] = ", ".join(f"{f.name} on {f.applied_to_body}"
                                          for f in self.loads.forces)
        return out
