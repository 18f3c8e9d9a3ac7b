"""Person-specific parameters: model numbers estimated from data with the trajectory.

``names``: the estimable numbers of a model and the model rebuilt with new
ones (or with CasADi symbols); ``unknowns``: the problem's unknowns, checked;
``uncertainty``: standard errors from the reduced Hessian at the solution.
"""
from ocp.estimation.names import model_numbers, parametrised, with_values
from ocp.estimation.uncertainty import ParameterEstimate, ParameterReport, parameter_report
from ocp.estimation.unknowns import UnknownParameter, Unknowns, check_unknowns

__all__ = ["model_numbers", "parametrised", "with_values", "ParameterEstimate",
           "ParameterReport", "parameter_report", "UnknownParameter", "Unknowns",
           "check_unknowns"]
