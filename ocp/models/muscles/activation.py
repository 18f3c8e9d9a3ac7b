"""Excitation to activation: first-order dynamics, smooth (De Groote et al. 2016, eq. 1-2).

da/dt = [ f / (tau_a (0.5 + 1.5 a)) + (1 - f)(0.5 + 1.5 a) / tau_d ] (e - a),
f = 0.5 tanh(b (e - a)) + 0.5.

``f`` blends the activation and deactivation rates without a branch. The
paper uses b = 0.1, which blends them so much that rising and falling
activation have nearly the same speed; b = 10 (the value OpenSim's
documentation recommends) keeps the two time constants distinct and is our
default.
"""
import casadi as ca

#: Activation and deactivation time constants of De Groote et al. (2016), s.
ACTIVATION_TIME_CONSTANT_S = 0.015
DEACTIVATION_TIME_CONSTANT_S = 0.060
#: Smoothing of the switch between the two: paper 0.1, recommended 10.
DEFAULT_SMOOTHING = 10.0


def activation_rate(excitation, activation,
                    activation_time_constant_s=ACTIVATION_TIME_CONSTANT_S,
                    deactivation_time_constant_s=DEACTIVATION_TIME_CONSTANT_S,
                    smoothing=DEFAULT_SMOOTHING):
    """da/dt (1/s) for excitation e and activation a (both dimensionless, 0..1)."""
    f = 0.5 * ca.tanh(smoothing * (excitation - activation)) + 0.5
    scale = 0.5 + 1.5 * activation
    rate = f / (activation_time_constant_s * scale) + (1 - f) * scale / deactivation_time_constant_s
    return rate * (excitation - activation)
