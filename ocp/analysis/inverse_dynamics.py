"""Inverse dynamics of measured motion: net joint moments from sampled angles.

``tau(t) = M(q) q'' + C(q, q') q' + g(q) - J(q)^T f_ext(t)``, evaluated with
the model's own recursive Newton-Euler algorithm
(:func:`ocp.models.multibody.inverse_dynamics`) at every sample, after the
velocities and accelerations are obtained from the angles by one of the
strategies of :mod:`ocp.data.derivatives`. The equations are the same CasADi
expressions the optimal-control problems use, so a moment computed here and
a torque found by a tracking problem are directly comparable.

Differentiating noisy angles twice amplifies the noise by about ``1/h^2``
(see :mod:`ocp.data.derivatives`): choose a low-pass cut-off
(:class:`~ocp.data.derivatives.LowpassSpline`) for measured data. Winter
(2009, section 3.4.4.4) recommends the same cut-off for kinematics and
external forces.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import casadi as ca
import numpy as np

from ocp.data.derivatives import InterpolatingSpline, LowpassSpline
from ocp.data.errors import DataError
from ocp.data.tables import Table
from ocp.errors import ProblemError, suggestion
from ocp.models.multibody import REVOLUTE, PointForce, inverse_dynamics
from ocp.models.protocols import TreeModel


@dataclass(frozen=True, eq=False)
class ExternalLoad:
    """A measured force on a segment: ``force_N`` (n, 2) in the world frame,
    applied at ``point_m`` (n, 2) in world coordinates, sampled at the same
    times as the angles (resample force-plate data first); ``moment_N_m``
    (n,) an optional free moment about z (a force plate's free torque)."""

    segment: str
    force_N: np.ndarray
    point_m: np.ndarray
    moment_N_m: np.ndarray | None = None


@dataclass(frozen=True, eq=False)
class JointMoments:
    """Result of :func:`joint_moments`: kinematics used and generalised forces.

    ``q``, ``qd``, ``qdd`` (n, m) in rad, rad/s, rad/s^2 (m for prismatic
    joints), ``moments`` (n, m) in N m (N for prismatic joints), columns in
    the order of ``coordinates``.
    """

    time_s: np.ndarray
    coordinates: tuple[str, ...]
    q: np.ndarray
    qd: np.ndarray
    qdd: np.ndarray
    moments: np.ndarray
    units: tuple[str, ...] = field(default_factory=tuple)

    def moment(self, coordinate: str) -> np.ndarray:
        if coordinate not in self.coordinates:
            raise KeyError(f"no coordinate '{coordinate}'; coordinates: "
                           f"{list(self.coordinates)}")
        return self.moments[:, self.coordinates.index(coordinate)]

    def to_table(self) -> Table:
        """Moments as a table, columns ``<coordinate>_moment`` (OpenSim's naming;
        ``<coordinate>_force`` for a prismatic joint)."""
        names = tuple(f"{c}_{'moment' if u == 'N*m' else 'force'}"
                      for c, u in zip(self.coordinates, self.units))
        return Table(self.time_s, self.moments, names, self.units)


def _tree(model):
    if not isinstance(model, TreeModel):
        raise ProblemError(f"model '{getattr(model, 'name', model)}' has no kinematic tree; "
                           f"inverse dynamics needs a multibody model")
    return model.tree


def rnea_function(tree, segments_with_loads=()) -> ca.Function:
    """CasADi Function ``(q, qd, qdd, F, P, M) -> tau`` for one time point.

    ``F`` and ``P`` (2k,) stack the force (N) and point (m) of the k
    external loads on ``segments_with_loads``, in the world frame, ``M``
    (k,) their free moments about z (N m).
    """
    n, k = tree.n, len(segments_with_loads)
    q, qd, qdd = (ca.SX.sym(s, n) for s in ("q", "qd", "qdd"))
    F, P, M = ca.SX.sym("F", 2 * k), ca.SX.sym("P", 2 * k), ca.SX.sym("M", k)
    loads = tuple(PointForce(seg, P[2 * i:2 * i + 2], F[2 * i:2 * i + 2], M[i])
                  for i, seg in enumerate(segments_with_loads))
    tau = inverse_dynamics(tree, q, qd, qdd, external_forces=loads)
    return ca.Function("inverse_dynamics", [q, qd, qdd, F, P, M], [tau],
                       ["q", "qd", "qdd", "F", "P", "M"], ["tau"])


def joint_moments(model, time_s, q, *, qd=None, qdd=None,
                  derivatives=InterpolatingSpline(),
                  external_loads: tuple[ExternalLoad, ...] = ()) -> JointMoments:
    """Generalised forces that produce the sampled motion ``q`` (n, m).

    ``q`` has one column per coordinate of the model's tree, in its order
    (rad or m). ``qd``/``qdd`` may be given (from a simulation, say); a
    missing ``qdd`` is then the derivative of ``qd``, and otherwise both come
    from ``q`` by ``derivatives`` (an
    :mod:`ocp.data.derivatives` strategy; the default interpolating quintic
    spline suits noise-free data only, use ``LowpassSpline(cutoff_hz)`` for
    measurements). When the strategy smooths, the smoothed ``q`` is used.
    """
    tree = _tree(model)
    t = np.asarray(time_s, float)
    q = np.asarray(q, float).reshape(t.size, -1)
    if q.shape[1] != tree.n:
        raise ProblemError(f"q has {q.shape[1]} columns; model "
                           f"'{getattr(model, 'name', '')}' has {tree.n} coordinates "
                           f"{list(tree.coordinates)}")
    if qd is None:
        q_used, qd, qdd_est = derivatives.derivatives(t, q)
        q = np.asarray(q_used).reshape(t.size, -1)
        qdd = qdd_est if qdd is None else qdd
    elif qdd is None:  # velocities measured or simulated: differentiate them once
        qd, qdd, _ = derivatives.derivatives(t, np.asarray(qd, float).reshape(t.size, -1))
    qd = np.asarray(qd, float).reshape(t.size, -1)
    qdd = np.asarray(qdd, float).reshape(t.size, -1)
    segments = [s.name for s in tree.segments]
    for load in external_loads:
        if load.segment not in segments:
            raise ProblemError(f"external load on unknown segment '{load.segment}'"
                               + suggestion(load.segment, segments))
        for name, arr in (("force_N", load.force_N), ("point_m", load.point_m)):
            if np.shape(arr) != (t.size, 2):
                raise ProblemError(f"external load on '{load.segment}': {name} must have "
                                   f"shape ({t.size}, 2), got {np.shape(arr)}")
    fn = rnea_function(tree, tuple(ld.segment for ld in external_loads))
    F = (np.hstack([np.asarray(ld.force_N, float) for ld in external_loads])
         if external_loads else np.zeros((t.size, 0)))
    P = (np.hstack([np.asarray(ld.point_m, float) for ld in external_loads])
         if external_loads else np.zeros((t.size, 0)))
    M = np.column_stack([np.zeros(t.size) if ld.moment_N_m is None
                         else np.asarray(ld.moment_N_m, float).reshape(t.size)
                         for ld in external_loads]) if external_loads else np.zeros((t.size, 0))
    tau = np.array(fn.map(t.size)(q.T, qd.T, qdd.T, F.T, P.T, M.T)).T
    units = tuple("N*m" if s.joint.kind == REVOLUTE else "N" for s in tree.segments)
    return JointMoments(t, tuple(tree.coordinates), q, qd, qdd, tau, units)


def joint_moments_from_table(model, table: Table, columns: dict | None = None, *,
                             cutoff_hz: float | None = None,
                             derivatives=None,
                             external_loads: tuple[ExternalLoad, ...] = ()) -> JointMoments:
    """Inverse dynamics of the angles in a data table (a ``.mot`` from inverse kinematics).

    ``columns`` maps each coordinate of the model to a column of the table
    (default: columns named like the coordinates). Angles in degrees
    (``deg`` units, ``inDegrees=yes``) are converted to radians. Give
    ``cutoff_hz`` for the usual low-pass-then-spline differentiation, or any
    ``derivatives`` strategy; without either the data are differentiated
    unfiltered (noise-free data only).
    """
    tree = _tree(model)
    columns = dict(columns or {c: c for c in tree.coordinates})
    missing = [c for c in tree.coordinates if c not in columns]
    if missing:
        raise ProblemError(f"no data column given for coordinates {missing}")
    q = np.column_stack([
        coordinate_values(table, columns[seg.joint.coordinate],
                           "rad" if seg.joint.kind == REVOLUTE else "m")
        for seg in tree.segments])
    if derivatives is None:
        derivatives = LowpassSpline(cutoff_hz) if cutoff_hz else InterpolatingSpline()
    return joint_moments(model, table.time_s, q, derivatives=derivatives,
                         external_loads=external_loads)


def coordinate_values(table: Table, column: str, unit: str) -> np.ndarray:
    values = table.column_in(column, unit)
    if unit == "rad" and table.unit(column) == "" and table.metadata.get("in_degrees"):
        values = np.radians(values)
    if np.isnan(values).any():
        raise DataError("has missing samples (NaN)", table.source or None, column)
    return values
