"""Dynamic models: the base interface, kinematic trees, built-ins, user models."""
from .base import Model
from .custom import CustomModel, load_model_file
from .library import BUILT_IN_MODELS, build_model
from .multibody import Joint, KinematicTree, Marker, PointForce, Segment
from .torque_driven import TorqueDrivenTree

__all__ = ["Model", "CustomModel", "load_model_file", "BUILT_IN_MODELS", "build_model",
           "Joint", "KinematicTree", "Marker", "PointForce", "Segment", "TorqueDrivenTree"]
