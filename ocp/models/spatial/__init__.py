"""Spatial (3D) kinematic trees: rotations, the tree and its Newton-Euler dynamics,
and the reduction over free coordinates (coupled and locked coordinates)."""
from ocp.models.spatial.reduced import Coupling, ReducedTree
from ocp.models.spatial.tree import (
                                     BodyState,
                                     SpatialBody,
                                     SpatialForce,
                                     SpatialJoint,
                                     SpatialMarker,
                                     SpatialTree,
)

__all__ = ["BodyState", "Coupling", "ReducedTree", "SpatialBody", "SpatialForce",
           "SpatialJoint", "SpatialMarker", "SpatialTree"]
