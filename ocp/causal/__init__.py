"""What-if questions: the causal graph of a model, do() interventions on it, the
open-loop and re-optimised answers, and person-specific parameters from data."""
from ocp.causal.answers import open_loop, reoptimised, what_if
from ocp.causal.graph import CausalGraph, causal_graph, draw
from ocp.causal.interventions import (
                            ExternalLoad,
                            LockJoint,
                            RemoveMuscle,
                            ScaleMaxForce,
                            SetSignal,
                            intervene,
)

__all__ = ["CausalGraph", "causal_graph", "draw", "intervene", "open_loop", "reoptimised",
           "what_if", "ExternalLoad", "LockJoint", "RemoveMuscle", "ScaleMaxForce", "SetSignal"]
