"""Measured external loads as the forces of a model's equations, at a pose.

:func:`spatial_loads` gives the :class:`~ocp.models.spatial.tree.SpatialForce`
list of a 3D (spatial) tree, :func:`planar_loads` the
:class:`~ocp.models.multibody.PointForce` list of a planar tree read from an
``.osim`` file, whose reader merged welded bodies into their parents
(``calcn_r`` into ``talus_r``): the load goes to the surviving segment, and a
point or direction given in the merged body is carried through the fixed pose
between them (:func:`ocp.data.external_loads.body_in_tree`). ``F``, ``P``,
``T`` (3k,) stack the k forces, points and torques of one time in the frames
the ExternalLoads file names (numbers or CasADi expressions: inside an NLP
they are parameters of the time point). The pose ``q`` may be symbolic.
"""
from __future__ import annotations

import casadi as ca

from ocp.data.external_loads import GROUND, ExternalLoads, body_in_tree
from ocp.models.multibody import PointForce, body_velocities, fixed_point
from ocp.models.spatial.tree import SpatialForce

__all__ = ["planar_loads", "spatial_loads"]


def spatial_loads(loads: ExternalLoads, states: dict, F, P, T) -> list:
    """SpatialForce list (world) of every force of ``loads`` at one time.

    ``states``: {body: BodyState} of the tree at q (only the bodies that
    express a force or point are used); ``F``, ``P``, ``T`` (3k,) the
    forces, points and torques in the frames the file names (points of
    forces without one: unused, the body's origin is taken)."""
    out = []
    for i, f in enumerate(loads.forces):
        force, point, torque = (X[3 * i:3 * i + 3] for X in (F, P, T))
        if f.force_expressed_in_body != GROUND:
            R = states[f.force_expressed_in_body].R
            force, torque = ca.mtimes(R, force), ca.mtimes(R, torque)
        if not f.has_point:
            point = states[f.applied_to_body].p
        elif f.point_expressed_in_body != GROUND:
            s = states[f.point_expressed_in_body]
            point = s.p + ca.mtimes(s.R, point)
        out.append(SpatialForce(f.applied_to_body, point,
                                force if f.force_identifier else ca.DM.zeros(3, 1),
                                torque if f.torque_identifier else None))
    return out


def planar_loads(loads: ExternalLoads, skeleton, q, F, P, T) -> list:
    """PointForce list (world x-y, moment about z) of every force of ``loads`` at ``q``.

    ``skeleton``: the planar reader's :class:`ocp.osim.tree.Skeleton` (its
    ``tree``, ``merged`` and ``body_pose``). Only the in-plane parts act on a
    planar tree: force x, y, point x, y, torque z (a rotation about z leaves
    it unchanged)."""
    bodies = body_velocities(skeleton.tree, q, ca.DM.zeros(skeleton.tree.n, 1))

    def in_world(body):
        """(angle, function local (3,) -> world (2, 1)) of a body's frame."""
        segment, pose = body_in_tree(body, skeleton.merged, skeleton.body_pose)
        if segment == GROUND:
            return pose.angle, lambda p: ca.vertcat(*pose.apply((p[0], p[1], 0.0))[:2])
        state = bodies[segment]
        return (state.angle + pose.angle,
                lambda p: fixed_point(state, ca.vertcat(*pose.apply((p[0], p[1], 0.0))[:2])))

    out = []
    for i, f in enumerate(loads.forces):
        force, point, torque = (X[3 * i:3 * i + 3] for X in (F, P, T))
        force_xy = ca.vertcat(force[0], force[1])
        if f.force_expressed_in_body != GROUND:
            angle, _ = in_world(f.force_expressed_in_body)
            c, s = ca.cos(angle), ca.sin(angle)
            force_xy = ca.vertcat(c * force[0] - s * force[1], s * force[0] + c * force[1])
        if not f.has_point:
            point_xy = in_world(f.applied_to_body)[1]((0.0, 0.0, 0.0))
        elif f.point_expressed_in_body != GROUND:
            point_xy = in_world(f.point_expressed_in_body)[1](point)
        else:
            point_xy = ca.vertcat(point[0], point[1])
        segment, _ = body_in_tree(f.applied_to_body, skeleton.merged, skeleton.body_pose)
        out.append(PointForce(segment, point_xy,
                              force_xy if f.force_identifier else ca.DM.zeros(2, 1),
                              torque[2] if f.torque_identifier else 0.0))
    return out
