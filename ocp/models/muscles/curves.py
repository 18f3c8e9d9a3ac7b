"""The smooth Hill-type muscle curves of De Groote et al. (2016).

De Groote F, Kinney AL, Rao AV, Fregly BJ (2016). Evaluation of direct
collocation optimal control problem formulations for solving the muscle
redundancy problem. Annals of Biomedical Engineering 44(10):2922-2936,
supplementary material, eqs. S1-S5.

Every function takes and returns numbers or CasADi expressions (no branches),
so it is infinitely differentiable. Two parameter sets are provided:

- ``DE_GROOTE_2016``: the constants as printed in the paper's supplement;
- ``OPENSIM_2016`` (default): the constants of OpenSim's
  ``DeGrooteFregly2016Muscle`` (OpenSim 4.x, Apache 2.0), refitted so the
  curves pass exactly through their key points: active force-length through
  (1, 1), force-velocity through (-1, 0) and (0, 1), tendon force zero at slack
  length, passive force zero at the minimum fibre length 0.2.
"""
from __future__ import annotations

from dataclasses import dataclass

import casadi as ca


@dataclass(frozen=True)
class CurveParameters:
    """Constants of the four curves (names as in the paper's supplement)."""

    # active force-length: three Gaussian-like terms (b1i, b2i, b3i, b4i)
    b1: tuple[float, float, float]
    b2: tuple[float, float, float]
    b3: tuple[float, float, float]
    b4: tuple[float, float, float]
    # passive force-length: shape kPE, strain at one normalised force e0, and the
    # normalised length at which the curve is zero (1.0 in the paper, 0.2 in OpenSim)
    kPE: float
    passive_strain_at_one_norm_force: float
    passive_zero_length: float
    # tendon force-length f_T = c1 exp(kT (l - c2)) - c3
    c1: float
    c2: float
    c3: float
    # force-velocity f_V = d1 log(d2 v + d3 + sqrt((d2 v + d3)^2 + 1)) + d4
    d1: float
    d2: float
    d3: float
    d4: float
    # OpenSim's active_force_width_scale (>= 1): the active force-length curve
    # stretched about its peak, f_L((l~ - 1) / scale + 1) (DeGrooteFregly2016Muscle)
    active_width_scale: float = 1.0


DE_GROOTE_2016 = CurveParameters(
    b1=(0.815, 0.433, 0.100), b2=(1.055, 0.717, 1.000),
    b3=(0.162, -0.030, 0.354), b4=(0.063, 0.200, 0.000),
    kPE=4.0, passive_strain_at_one_norm_force=0.6, passive_zero_length=1.0,
    c1=0.200, c2=0.995, c3=0.250,
    d1=-0.318, d2=-8.149, d3=-0.374, d4=0.886)

OPENSIM_2016 = CurveParameters(
    b1=(0.8150671134243542, 0.433004984392647, 0.1),
    b2=(1.055033428970575, 0.716775413397760, 1.0),
    b3=(0.162384573599574, -0.029947116970696, 0.353553390593274),
    b4=(0.063303448465465, 0.200356847296188, 0.0),
    kPE=4.0, passive_strain_at_one_norm_force=0.6, passive_zero_length=0.2,
    c1=0.200, c2=1.0, c3=0.200,
    d1=-0.3211346127989808, d2=-8.149, d3=-0.374, d4=0.8825327733249912)

CURVE_SETS = {"opensim": OPENSIM_2016, "de_groote_2016": DE_GROOTE_2016}


def active_force_length(l_norm, p: CurveParameters = OPENSIM_2016):
    """f_L(l~): active force multiplier at normalised fibre length l~ = l_M / l_opt."""
    l_norm = (l_norm - 1.0) / p.active_width_scale + 1.0
    total = 0
    for b1, b2, b3, b4 in zip(p.b1, p.b2, p.b3, p.b4):
        total = total + b1 * ca.exp(-0.5 * (l_norm - b2) ** 2 / (b3 + b4 * l_norm) ** 2)
    return total


def passive_force_length(l_norm, p: CurveParameters = OPENSIM_2016):
    """f_PE(l~): passive fibre force, 1 at strain e0, zero at ``passive_zero_length``."""
    e0 = p.passive_strain_at_one_norm_force
    offset = ca.exp(p.kPE * (p.passive_zero_length - 1.0) / e0)
    return (ca.exp(p.kPE * (l_norm - 1.0) / e0) - offset) / (ca.exp(p.kPE) - offset)


def force_velocity(v_norm, p: CurveParameters = OPENSIM_2016):
    """f_V(v~): force multiplier at normalised fibre velocity v~ = v_M / v_max (lengthening > 0)."""
    arg = p.d2 * v_norm + p.d3
    return p.d1 * ca.log(arg + ca.sqrt(arg ** 2 + 1.0)) + p.d4


def tendon_stiffness_shape(strain_at_one_norm_force: float, p: CurveParameters = OPENSIM_2016):
    """kT such that f_T(1 + strain) = 1."""
    return float(ca.log((1.0 + p.c3) / p.c1)) / (1.0 + strain_at_one_norm_force - p.c2)


def tendon_force_length(l_norm, kT, p: CurveParameters = OPENSIM_2016):
    """f_T(l~T): normalised tendon force at normalised tendon length l~T = l_T / l_s."""
    return p.c1 * ca.exp(kT * (l_norm - p.c2)) - p.c3


def tendon_length_from_force(force_norm, kT, p: CurveParameters = OPENSIM_2016):
    """Inverse of f_T: normalised tendon length at normalised tendon force."""
    return ca.log((force_norm + p.c3) / p.c1) / kT + p.c2
