"""Sensors of a gait lab on a model: marker inverse kinematics (as OpenSim's
InverseKinematicsTool)."""
