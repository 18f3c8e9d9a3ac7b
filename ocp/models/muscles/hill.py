"""A Hill-type muscle-tendon unit: parameters and forces, rigid or compliant tendon.

Fibres of constant width (thickness) and a pennation angle that changes with
fibre length: l_M sin(alpha) = l_opt sin(alpha_opt). Forces follow De Groote
et al. (2016); all functions build CasADi expressions without branches.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import casadi as ca

from ocp.models.muscles.curves import (
    OPENSIM_2016,
    CurveParameters,
    active_force_length,
    force_velocity,
    passive_force_length,
    tendon_length_from_force,
    tendon_stiffness_shape,
)

#: Scale of the tendon-force derivative control (De Groote et al. 2016): the
#: control u is dF~T/dt / 10, which keeps it of order one.
TENDON_FORCE_RATE_SCALE = 10.0


@dataclass(frozen=True)
class MuscleParameters:
    """The five parameters of a Hill-type muscle, plus its time constants."""

    max_isometric_force_N: float
    optimal_fiber_length_m: float
    tendon_slack_length_m: float
    pennation_angle_at_optimal_rad: float = 0.0
    max_contraction_velocity_lopt_per_s: float = 10.0
    tendon_strain_at_one_norm_force: float = 0.049
    activation_time_constant_s: float = 0.015
    deactivation_time_constant_s: float = 0.060
    fiber_damping: float = 0.0

    def check(self, name: str) -> None:
        """Raise ValueError naming the muscle if a parameter is not physical."""
        positive = {
            "max_isometric_force_N": self.max_isometric_force_N,
            "optimal_fiber_length_m": self.optimal_fiber_length_m,
            "tendon_slack_length_m": self.tendon_slack_length_m,
            "max_contraction_velocity_lopt_per_s": self.max_contraction_velocity_lopt_per_s,
            "tendon_strain_at_one_norm_force": self.tendon_strain_at_one_norm_force,
            "activation_time_constant_s": self.activation_time_constant_s,
            "deactivation_time_constant_s": self.deactivation_time_constant_s,
        }
        for key, value in positive.items():
            if isinstance(value, (ca.SX, ca.MX)):  # an estimated parameter: bounded in the NLP
                continue
            if not 0 < value < math.inf:
                raise ValueError(f"muscle '{name}': {key} must be positive and finite, "
                                 f"got {value}")
        if not 0 <= self.pennation_angle_at_optimal_rad < math.pi / 2:
            raise ValueError(f"muscle '{name}': pennation_angle_at_optimal_rad must be in "
                             f"[0, pi/2), got {self.pennation_angle_at_optimal_rad}")
        if self.fiber_damping < 0:
            raise ValueError(f"muscle '{name}': fiber_damping must be >= 0")

    @property
    def fiber_width_m(self) -> float:
        return self.optimal_fiber_length_m * math.sin(self.pennation_angle_at_optimal_rad)

    @property
    def max_contraction_velocity_m_s(self) -> float:
        return self.max_contraction_velocity_lopt_per_s * self.optimal_fiber_length_m


@dataclass
class MuscleState:
    """Everything computed for one muscle at one instant (CasADi expressions)."""

    tendon_force_N: object
    fiber_length_norm: object
    fiber_velocity_norm: object
    cos_pennation: object
    active_fiber_force_N: object
    passive_fiber_force_N: object
    equilibrium_residual: object = 0  # compliant tendon only


def _fiber_from_projection(p: MuscleParameters, projected_fiber_length):
    """Fibre length and cos(pennation) from the fibre length along the tendon."""
    length = ca.sqrt(p.fiber_width_m ** 2 + projected_fiber_length ** 2)
    return length, projected_fiber_length / length


def rigid_tendon(p: MuscleParameters, activation, mt_length_m, mt_velocity_m_s,
                 curves: CurveParameters = OPENSIM_2016, passive: bool = True) -> MuscleState:
    """Tendon force of a muscle whose tendon keeps its slack length.

    ``passive = False`` leaves out the passive elastic fibre force (as
    OpenSim's ``ignore_passive_fiber_force``).
    """
    fiber_len, cos_a = _fiber_from_projection(p, mt_length_m - p.tendon_slack_length_m)
    fiber_vel = mt_velocity_m_s * cos_a
    l_norm = fiber_len / p.optimal_fiber_length_m
    v_norm = fiber_vel / p.max_contraction_velocity_m_s
    return _forces(p, activation, l_norm, v_norm, cos_a, curves, passive)


def compliant_tendon(p: MuscleParameters, activation, mt_length_m, mt_velocity_m_s,
                     tendon_force_norm, tendon_force_rate_control,
                     curves: CurveParameters = OPENSIM_2016, passive: bool = True) -> MuscleState:
    """Implicit compliant tendon (De Groote et al. 2016, formulation 3).

    The normalised tendon force F~T is a state; ``tendon_force_rate_control``
    = (dF~T/dt) / 10. The returned ``equilibrium_residual`` = F~T - fibre force
    along the tendon / F_max must vanish (a path constraint).
    """
    kT = tendon_stiffness_shape(p.tendon_strain_at_one_norm_force, curves)
    tendon_len_norm = tendon_length_from_force(tendon_force_norm, kT, curves)
    tendon_len = tendon_len_norm * p.tendon_slack_length_m
    fiber_len, cos_a = _fiber_from_projection(p, mt_length_m - tendon_len)
    # d(l~T)/dt from differentiating f_T(l~T) = F~T in time
    tendon_force_rate = TENDON_FORCE_RATE_SCALE * tendon_force_rate_control
    tendon_len_rate_norm = tendon_force_rate / (
        curves.c1 * kT * ca.exp(kT * (tendon_len_norm - curves.c2)))
    tendon_vel = tendon_len_rate_norm * p.tendon_slack_length_m
    fiber_vel = (mt_velocity_m_s - tendon_vel) * cos_a
    l_norm = fiber_len / p.optimal_fiber_length_m
    v_norm = fiber_vel / p.max_contraction_velocity_m_s
    state = _forces(p, activation, l_norm, v_norm, cos_a, curves, passive)
    fiber_along_tendon = state.tendon_force_N / p.max_isometric_force_N
    state.equilibrium_residual = tendon_force_norm - fiber_along_tendon
    state.tendon_force_N = tendon_force_norm * p.max_isometric_force_N
    return state


def _forces(p, activation, l_norm, v_norm, cos_a, curves, with_passive=True) -> MuscleState:
    active = p.max_isometric_force_N * activation * active_force_length(l_norm, curves) \
        * force_velocity(v_norm, curves)
    elastic = passive_force_length(l_norm, curves) if with_passive else 0
    passive = p.max_isometric_force_N * (elastic + p.fiber_damping * v_norm)
    return MuscleState(tendon_force_N=(active + passive) * cos_a, fiber_length_norm=l_norm,
                       fiber_velocity_norm=v_norm, cos_pennation=cos_a,
                       active_fiber_force_N=active, passive_fiber_force_N=passive)


def tendon_force_norm_at_rest(p: MuscleParameters, mt_length_m: float, activation: float,
                              curves: CurveParameters = OPENSIM_2016) -> float:
    """Static equilibrium F~T at zero velocity (for initial guesses), by bisection."""
    lo, hi = 0.0, 5.0
    kT = tendon_stiffness_shape(p.tendon_strain_at_one_norm_force, curves)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        tendon_len = float(tendon_length_from_force(mid, kT, curves)) * p.tendon_slack_length_m
        fiber_len, cos_a = _fiber_from_projection(p, mt_length_m - tendon_len)
        s = _forces(p, activation, float(fiber_len) / p.optimal_fiber_length_m, 0.0,
                    float(cos_a), curves)
        if float(s.tendon_force_N) / p.max_isometric_force_N > mid:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)
