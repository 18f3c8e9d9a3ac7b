"""OpenSim models (.osim, OpenSim 4) read without OpenSim: ``build_osim_model(path)``."""
from ocp.osim.elements import OsimError
from ocp.osim.model import (
                    OsimConversionNote,
                    OsimMuscleModel,
                    OsimTorqueModel,
                    build_osim_model,
                    describe_osim,
)
from ocp.osim.reader import read_osim
from ocp.osim.tree import build_skeleton

__all__ = ["OsimConversionNote", "OsimError", "OsimMuscleModel", "OsimTorqueModel",
           "build_osim_model", "build_skeleton", "describe_osim", "read_osim"]
