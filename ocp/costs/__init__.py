"""Cost terms: what a movement minimises.

One module per cost type; each class carries its name in problem files, its
declared keys (with units and docs), its reader and its formula, and is
registered in :data:`COST_TYPES` by being defined. ``COST_TYPES.markdown_table()``
is the table of the documentation.
"""
from ocp.costs.base import COST_TYPES, CostContext, CostTerm, EndpointVariables, PointVariables
from ocp.costs.contact_dissipation import ContactDissipation
from ocp.costs.custom import CustomCost
from ocp.costs.emg_tracking import EmgScale, EmgTracking
from ocp.costs.final_time import FinalTime
from ocp.costs.metabolic_energy import MetabolicEnergy
from ocp.costs.squared_accelerations import SquaredAccelerations
from ocp.costs.squared_activations import SquaredActivations
from ocp.costs.squared_controls import SquaredControls
from ocp.costs.squared_passive_moments import SquaredPassiveMoments
from ocp.costs.squared_torque import SquaredTorque
from ocp.costs.tracking import Tracking

__all__ = ["COST_TYPES", "CostContext", "CostTerm", "EndpointVariables", "PointVariables",
           "ContactDissipation", "CustomCost", "EmgScale", "EmgTracking",
           "FinalTime", "MetabolicEnergy",
           "SquaredAccelerations", "SquaredActivations", "SquaredControls",
           "SquaredPassiveMoments", "SquaredTorque", "Tracking"]
