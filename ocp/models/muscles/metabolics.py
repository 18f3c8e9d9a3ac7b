"""Metabolic energy rate of a muscle: Bhargava et al. 2004, Umberger 2010, Uchida et al. 2016.

Each model gives the rate of metabolic energy (W) one muscle liberates, as
heat (activation and maintenance, shortening and lengthening) plus
mechanical work on the fibre, from its excitation, activation, fibre length
and velocity and fibre forces. The switches of the published models (fibre
shortening or lengthening, fibre longer than optimal, a heat rate at its
floor) are made smooth with ``H(x) = (1 + tanh(b x)) / 2`` so that an NLP can
differentiate them, as Falisse et al. 2019 (J R Soc Interface 16:20190402)
and PredSim (KU Leuven, ``getMetabolicEnergySmooth2004all``) do; ``b`` is
``TANH_SMOOTHING`` by default, PredSim's ``S.metabolicE.tanh_b``.

- :func:`bhargava2004`: Bhargava, Pandy and Anderson 2004 (J Biomech
  37:81), as PredSim smooths it: excitations recruit slow-twitch fibres as
  ``sin(pi e / 2)`` and fast-twitch ones as ``1 - cos(pi e / 2)``;
  activation heat 40 and 133 W/kg, maintenance heat 74 and 111 W/kg (slow,
  fast) times the normalised fibre length (PredSim's stand-in for the
  piecewise-linear length dependence); shortening heat ``-alpha v`` with
  ``alpha = 0.16 F_iso + 0.18 F`` (shortening) or ``0.157 F`` (lengthening);
  positive work only; the total rate kept non-negative by raising the
  shortening heat; the heat rate at least 1 W/kg of muscle (OpenSim's
  ``Bhargava2004MuscleMetabolicsProbe`` does the same two clamps).
- :func:`umberger2010`: Umberger, Gerritsen and Martin 2003 (Comput Methods
  Biomech Biomed Engin 6:99) with Umberger 2010's changes (J R Soc Interface
  7:1329): lengthening heat 0.3 (not 4) times the slow-twitch shortening
  coefficient, and no negative work. Activation-maintenance heat
  ``(1.28 %FT + 25) A^0.6 S`` W/kg, shortening heat ``(alpha_ST f_ST +
  alpha_FT f_FT) |v| A^2 S`` (v in optimal lengths per second), ``S = 1.5``
  (aerobic); above optimal length the heat scales with the active
  force-length multiplier (0.4 + 0.6 F_iso for activation-maintenance).
- :func:`uchida2016`: Uchida, Hicks, Dembia and Delp 2016 (PLoS ONE
  11:e0150378): Umberger 2003's coefficients (lengthening 4 alpha_ST,
  negative work included, the total kept non-negative) with orderly
  recruitment: the share of active fibres that are slow twitch is
  ``f_ST sin(pi e/2) / (f_ST sin(pi e/2) + f_FT (1 - cos(pi e/2)))``.

Muscle mass (kg) = PCSA x density x optimal fibre length, PCSA = F_max /
specific tension (OpenSim's metabolic probes; density 1059.7 kg/m^3, Mendez
and Keys 1960). Velocities are positive in lengthening. Every function
takes numbers or CasADi expressions (one muscle) and returns
:class:`HeatRates` in W.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import casadi as ca

#: Density of muscle tissue (kg/m^3), Mendez and Keys 1960; OpenSim's probes and PredSim.
MUSCLE_DENSITY_KG_M3 = 1059.7
#: Specific tension (Pa) when none is given: OpenSim's metabolic probes' default.
DEFAULT_SPECIFIC_TENSION_PA = 0.25e6
#: Sharpness b of the tanh switches (PredSim's default S.metabolicE.tanh_b).
TANH_SMOOTHING = 10.0
#: Floor of a muscle's heat rate (W/kg of muscle), Bhargava 2004 and Umberger 2003.
MIN_HEAT_RATE_W_KG = 1.0
#: Bhargava et al. 2004: activation and maintenance heat constants (W/kg), slow and fast.
BHARGAVA_ACTIVATION_W_KG = (40.0, 133.0)
BHARGAVA_MAINTENANCE_W_KG = (74.0, 111.0)
#: Bhargava et al. 2004: shortening heat coefficients (of F_iso and F, shortening; of F,
#: lengthening).
BHARGAVA_ALPHA = (0.16, 0.18, 0.157)
#: Umberger et al. 2003: aerobic scaling S, activation-maintenance (W/kg) = 1.28 %FT + 25.
UMBERGER_AEROBIC_SCALE = 1.5
UMBERGER_AM_SLOPE_W_KG, UMBERGER_AM_OFFSET_W_KG = 128.0, 25.0
#: Umberger et al. 2003: shortening heat, alpha_FT = 153 / v_max,FT and
#: alpha_ST = 4 x 25 / v_max,ST (W/kg per l_opt/s), v_max,ST = v_max,FT / 2.5.
UMBERGER_FAST_SHORTENING, UMBERGER_SLOW_SHORTENING, UMBERGER_SLOW_SPEED_RATIO = 153.0, 100.0, 2.5
#: Lengthening heat over alpha_ST: 4 (Umberger 2003, Uchida 2016), 0.3 (Umberger 2010).
UMBERGER_2003_LENGTHENING, UMBERGER_2010_LENGTHENING = 4.0, 0.3
#: A^0.6 is computed as (A^2 + eps^2)^0.3: finite slope at A = 0 (off by eps^0.6 there).
ACTIVATION_POWER_EPS = 1e-4


@dataclass(frozen=True)
class MetabolicMuscle:
    """The numbers a metabolic model needs of one muscle (SI units)."""

    name: str
    max_isometric_force_N: float
    optimal_fiber_length_m: float
    max_contraction_velocity_lopt_per_s: float
    slow_twitch_fraction: float
    specific_tension_Pa: float = DEFAULT_SPECIFIC_TENSION_PA
    mass_kg: float | None = None   # None: PCSA x density x optimal fibre length

    def check(self) -> None:
        if not 0 <= self.slow_twitch_fraction <= 1:
            raise ValueError(f"muscle '{self.name}': slow_twitch_fraction must be in [0, 1], "
                             f"got {self.slow_twitch_fraction}")
        if not 0 < self.specific_tension_Pa < math.inf:
            raise ValueError(f"muscle '{self.name}': specific_tension must be positive, got "
                             f"{self.specific_tension_Pa} Pa")
        if self.mass_kg is not None and not 0 < self.mass_kg < math.inf:
            raise ValueError(f"muscle '{self.name}': mass must be positive, got {self.mass_kg}")

    @property
    def muscle_mass_kg(self) -> float:
        """Given mass, or F_max / specific tension x density x l_opt (kg)."""
        if self.mass_kg is not None:
            return self.mass_kg
        return (self.max_isometric_force_N / self.specific_tension_Pa * MUSCLE_DENSITY_KG_M3
                * self.optimal_fiber_length_m)


@dataclass(frozen=True)
class FiberState:
    """One muscle at one instant: excitation e and activation a (-), fibre length
    over optimal (-), fibre velocity (m/s, lengthening > 0), active fibre force
    a F_max f_L f_V (N), passive fibre force (N), active force-length multiplier f_L (-)."""

    excitation: object
    activation: object
    fiber_length_norm: object
    fiber_velocity_m_s: object
    active_fiber_force_N: object
    passive_fiber_force_N: object
    force_length_multiplier: object


@dataclass(frozen=True)
class HeatRates:
    """Rates (W) of one muscle: activation (+ maintenance) heat, maintenance heat
    (Bhargava only, else 0), shortening/lengthening heat, mechanical work, and
    the total after the clamps (which is not always the sum of the parts)."""

    activation_W: object
    maintenance_W: object
    shortening_W: object
    work_W: object
    total_W: object


def step(x, b: float):
    """Smooth Heaviside (1 + tanh(b x)) / 2."""
    return 0.5 + 0.5 * ca.tanh(b * x)


def clamped_total(heat_W_kg, work_W_kg, mass_kg, b: float):
    """Total (W): the heat rate raised to MIN_HEAT_RATE_W_KG when below, plus work."""
    floor = MIN_HEAT_RATE_W_KG
    heat = heat_W_kg + (floor - heat_W_kg) * step(floor - heat_W_kg, b)
    return (heat + work_W_kg) * mass_kg


def bhargava2004(m: MetabolicMuscle, s: FiberState, b: float = TANH_SMOOTHING) -> HeatRates:
    """Bhargava et al. 2004 as PredSim smooths it (module docstring)."""
    mass = m.muscle_mass_kg
    slow = m.slow_twitch_fraction * ca.sin(0.5 * math.pi * s.excitation)
    fast = (1 - m.slow_twitch_fraction) * (1 - ca.cos(0.5 * math.pi * s.excitation))
    activation = mass * (BHARGAVA_ACTIVATION_W_KG[0] * slow + BHARGAVA_ACTIVATION_W_KG[1] * fast)
    maintenance = mass * s.fiber_length_norm * (BHARGAVA_MAINTENANCE_W_KG[0] * slow
                                                + BHARGAVA_MAINTENANCE_W_KG[1] * fast)
    f_iso = s.activation * s.force_length_multiplier * m.max_isometric_force_N
    force = s.active_fiber_force_N + s.passive_fiber_force_N
    v = s.fiber_velocity_m_s
    lengthening = step(v, b)
    alpha = ((BHARGAVA_ALPHA[0] * f_iso + BHARGAVA_ALPHA[1] * force) * (1 - lengthening)
             + BHARGAVA_ALPHA[2] * force * lengthening)
    shortening = -alpha * v
    work = -s.active_fiber_force_N * v * (1 - lengthening)
    total = activation + maintenance + shortening + work
    shortening = shortening - total * step(-total, b)
    heat = (activation + maintenance + shortening) / mass
    return HeatRates(activation, maintenance, shortening, work,
                     clamped_total(heat, work / mass, mass, b))


def umberger_family(m: MetabolicMuscle, s: FiberState, b: float, *, slow_share,
                    lengthening_ratio: float, negative_work: bool) -> HeatRates:
    """Umberger et al. 2003's heat rates with a given slow-twitch share of the active
    fibres, lengthening coefficient and work (module docstring)."""
    mass = m.muscle_mass_kg
    fast_share = 1 - slow_share
    e, a = s.excitation, s.activation
    # A = e while activating, (e + a)/2 while deactivating
    big_a = e + 0.5 * (a - e) * step(a - e, b)
    power_06 = (big_a ** 2 + ACTIVATION_POWER_EPS ** 2) ** 0.3
    beyond_optimal = step(s.fiber_length_norm - 1, b)
    length_scale = 1 - beyond_optimal + beyond_optimal * s.force_length_multiplier
    h_am = UMBERGER_AM_SLOPE_W_KG * fast_share + UMBERGER_AM_OFFSET_W_KG
    am = h_am * (1 - 0.6 * beyond_optimal + 0.6 * beyond_optimal * s.force_length_multiplier) \
        * power_06 * UMBERGER_AEROBIC_SCALE
    vmax = m.max_contraction_velocity_lopt_per_s
    alpha_fast = UMBERGER_FAST_SHORTENING / vmax
    alpha_slow = UMBERGER_SLOW_SHORTENING / (vmax / UMBERGER_SLOW_SPEED_RATIO)
    v = s.fiber_velocity_m_s / m.optimal_fiber_length_m
    lengthening = step(v, b)
    shortening_heat = -(alpha_slow * slow_share + alpha_fast * fast_share) * v * big_a ** 2
    lengthening_heat = lengthening_ratio * alpha_slow * v * big_a
    sl = (shortening_heat * (1 - lengthening) + lengthening_heat * lengthening) \
        * length_scale * UMBERGER_AEROBIC_SCALE
    work = -s.active_fiber_force_N * s.fiber_velocity_m_s / mass
    if not negative_work:
        work = work * (1 - lengthening)
    else:
        total = am + sl + work
        sl = sl - total * step(-total, b)
    return HeatRates(am * mass, 0, sl * mass, work * mass, clamped_total(am + sl, work, mass, b))


def umberger2010(m: MetabolicMuscle, s: FiberState, b: float = TANH_SMOOTHING) -> HeatRates:
    """Umberger et al. 2003 with Umberger 2010's lengthening heat and positive work only."""
    return umberger_family(m, s, b, slow_share=m.slow_twitch_fraction,
                           lengthening_ratio=UMBERGER_2010_LENGTHENING, negative_work=False)


def recruited_slow_share(excitation, slow_twitch_fraction: float):
    """Uchida et al. 2016: the share of recruited fibres that are slow twitch at
    excitation e (1 at e = 0, the muscle's fraction at e = 1)."""
    # f sin(pi e/2) / (f sin(pi e/2) + (1 - f)(1 - cos(pi e/2))), divided through by
    # 2 sin(pi e/4): the same ratio, smooth and equal to 1 at e = 0 (no 0/0)
    c, s = ca.cos(0.25 * math.pi * excitation), ca.sin(0.25 * math.pi * excitation)
    return slow_twitch_fraction * c / (slow_twitch_fraction * c + (1 - slow_twitch_fraction) * s)


def uchida2016(m: MetabolicMuscle, s: FiberState, b: float = TANH_SMOOTHING) -> HeatRates:
    """Uchida et al. 2016: Umberger 2003 with orderly recruitment of slow-twitch fibres."""
    return umberger_family(m, s, b, slow_share=recruited_slow_share(s.excitation,
                                                                    m.slow_twitch_fraction),
                           lengthening_ratio=UMBERGER_2003_LENGTHENING, negative_work=True)


#: The models by their name in problem files.
METABOLIC_MODELS = {"bhargava2004": bhargava2004, "umberger2010": umberger2010,
                    "uchida2016": uchida2016}
