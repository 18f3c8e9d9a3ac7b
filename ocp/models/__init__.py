"""Dynamic models: the base interface, kinematic trees, built-ins, user models."""
from ocp.models.base import Model
from ocp.models.custom import CustomModel, load_model_file
from ocp.models.library import BUILT_IN_MODELS, build_model
from ocp.models.multibody import Joint, KinematicTree, Marker, PointForce, Segment
from ocp.models.torque_driven import TorqueDrivenTree

__all__ = ["Model", "CustomModel", "load_model_file", "BUILT_IN_MODELS", "build_model",
           "Joint", "KinematicTree", "Marker", "PointForce", "Segment", "TorqueDrivenTree"]
