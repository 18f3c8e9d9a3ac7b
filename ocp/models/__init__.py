"""Dynamic models: the base interface, capabilities, kinematic trees, built-ins, user models."""
from ocp.models import gait2d, six_muscle_arm  # noqa: F401  (they register their model kinds)
from ocp.models.base import Model
from ocp.models.custom import CustomModel, load_model_file
from ocp.models.library import MODEL_KINDS, ModelKind, build_model
from ocp.models.multibody import Joint, KinematicTree, Marker, PointForce, Segment
from ocp.models.protocols import (
                                  ContactModel,
                                  DiscreteStepModel,
                                  LearnableDynamicsModel,
                                  MuscleModel,
                                  OsimModel,
                                  RestConditionsModel,
                                  SurrogateModel,
                                  TreeModel,
                                  WrapperModel,
)
from ocp.models.torque_driven import TorqueDrivenTree

__all__ = ["Model", "CustomModel", "load_model_file", "MODEL_KINDS", "ModelKind", "build_model",
           "Joint", "KinematicTree", "Marker", "PointForce", "Segment", "TorqueDrivenTree",
           "ContactModel", "DiscreteStepModel", "LearnableDynamicsModel", "MuscleModel",
           "OsimModel", "RestConditionsModel", "SurrogateModel", "TreeModel", "WrapperModel"]
