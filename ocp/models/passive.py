"""Passive joint moments: ligaments, joint capsules and passive tissue at a joint.

Each actuated joint of a torque-driven model may carry a passive moment
that depends on its own angle and speed only: two exponential soft stops
at the ends of the range of motion and linear viscous damping,

    M_p(q, q') = k1 exp(k2 (q - theta_up)) + k3 exp(k4 (q - theta_low)) - d q'

and, where a joint has one (PredSim's mtp: 25 N m/rad, settings_Falisse_et_al_2022.m's
set_stiffness_coefficient_selected_dofs), a linear spring - k q about q = 0

(Anderson 1999, PhD thesis, Univ. Texas at Austin, eq. 4.4 and Table G.2;
Anderson and Pandy 2001, J Biomech Eng 123:381; used in this form, with
d = 0.1 N m s/rad, by Falisse et al. 2019, J R Soc Interface 16:20190402,
and their code PassiveMomentsData.m / createCasadi_PassTorq.m). With
k1 < 0 < k2 and k3 > 0 > k4, the first term resists motion past the upper
limit ``theta_up`` and the second past the lower limit ``theta_low``; both
are a few N m at the limit itself and grow by a factor e every 1/|k| rad
beyond it. Angles follow OpenSim's signs (hip flexion, knee extension,
ankle dorsiflexion positive), which are those of ``ocp.models.gait2d``.

The moment is smooth (C-infinity) in q and q', so it needs no smoothing.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import casadi as ca

from ocp.models.multibody import KinematicTree

#: Joint damping of Falisse et al. (2019), N m s/rad.
FALISSE_2019_DAMPING_NM_S_RAD = 0.1


@dataclass(frozen=True)
class PassiveJointMoment:
    """Exponential soft stops plus damping at one rotational joint.

    ``k1_Nm``, ``k3_Nm`` (N m): moments at the upper and lower limits;
    ``k2_1_rad``, ``k4_1_rad`` (1/rad): their exponential rates;
    ``theta_low_rad``, ``theta_up_rad`` (rad): the limits;
    ``damping_Nm_s_rad`` (N m s/rad): viscous damping;
    ``stiffness_Nm_rad`` (N m/rad): a linear spring about q = 0 (none by default).
    """

    k1_Nm: float
    k2_1_rad: float
    k3_Nm: float
    k4_1_rad: float
    theta_low_rad: float
    theta_up_rad: float
    damping_Nm_s_rad: float = FALISSE_2019_DAMPING_NM_S_RAD
    stiffness_Nm_rad: float = 0.0

    def check(self, coordinate: str = "joint") -> None:
        """Raise ValueError unless both terms resist motion out of the range.

        A symbolic damping (an estimated parameter, ocp.estimation) is not checked."""
        if not (self.k1_Nm <= 0 <= self.k2_1_rad and self.k3_Nm >= 0 >= self.k4_1_rad):
            raise ValueError(f"passive moment of '{coordinate}': expected k1 <= 0 <= k2 and "
                             f"k3 >= 0 >= k4 (stops that resist leaving the range), got "
                             f"k = ({self.k1_Nm}, {self.k2_1_rad}, {self.k3_Nm}, {self.k4_1_rad})")
        if not self.theta_low_rad < self.theta_up_rad:
            raise ValueError(f"passive moment of '{coordinate}': theta_low "
                             f"{self.theta_low_rad} rad must be below theta_up "
                             f"{self.theta_up_rad} rad")
        if isinstance(self.damping_Nm_s_rad, (int, float)) and not (
                self.damping_Nm_s_rad >= 0 and math.isfinite(self.damping_Nm_s_rad)):
            raise ValueError(f"passive moment of '{coordinate}': damping must be finite "
                             f"and >= 0, got {self.damping_Nm_s_rad} N m s/rad")
        if not (self.stiffness_Nm_rad >= 0 and math.isfinite(self.stiffness_Nm_rad)):
            raise ValueError(f"passive moment of '{coordinate}': stiffness must be finite "
                             f"and >= 0, got {self.stiffness_Nm_rad} N m/rad")

    def limit_moment(self, q):
        """The two soft stops alone (N m) at angle ``q`` (rad), without damping."""
        return (self.k1_Nm * ca.exp(self.k2_1_rad * (q - self.theta_up_rad))
                + self.k3_Nm * ca.exp(self.k4_1_rad * (q - self.theta_low_rad)))

    @property
    def has_limits(self) -> bool:
        """Whether it has soft stops (not damping alone)."""
        return self.k1_Nm != 0 or self.k3_Nm != 0

    def moment(self, q, qd):
        """M_p (N m) at angle ``q`` (rad) and speed ``qd`` (rad/s); scalars, numpy or CasADi."""
        moment = self.limit_moment(q) - self.damping_Nm_s_rad * qd
        return moment - self.stiffness_Nm_rad * q if self.stiffness_Nm_rad else moment


#: Anderson (1999) Table G.2 as tabulated by Falisse et al. (2019),
#: PassiveMomentsData.m: k1 (N m), k2 (1/rad), k3 (N m), k4 (1/rad),
#: theta_low, theta_up (rad).
ANDERSON_1999 = {
    "hip_flexion": PassiveJointMoment(-2.44, 5.05, 1.51, -21.88, -0.6981, 1.81),
    "knee_angle": PassiveJointMoment(-6.09, 33.94, 11.03, -11.33, -2.4, 0.13),
    "ankle_angle": PassiveJointMoment(-2.03, 38.11, 0.18, -12.12, -0.74, 0.52),
}


def passive_moments(coordinates, q, qd, elements: dict):
    """Generalised passive forces (n,) (N m) on ``coordinates`` from ``elements``.

    ``q`` (n,) rad and ``qd`` (n,) rad/s are in the order of ``coordinates``;
    a coordinate without an element gets zero.
    """
    return ca.vertcat(*[elements[c].moment(q[i], qd[i]) if c in elements else 0
                        for i, c in enumerate(coordinates)])


#: PredSim's default limit torques (KU Leuven, github.com/KULeuvenNeuromechanics/PredSim,
#: ``PreProcessing/default_coord_lim_torq_coeff.csv``; Anderson 1999's hip flexion, knee
#: and ankle as above, the others as Falisse et al. 2022 set them), by coordinate without
#: its side: (k1 N m, k2 1/rad, k3 N m, k4 1/rad, theta_low rad, theta_up rad).
PREDSIM_LIMIT_TORQUES = {
    "hip_flexion": (-2.44, 5.05, 1.51, -21.88, -0.6981, 1.81),
    "hip_adduction": (-0.03, 14.94, 0.03, -14.94, -0.5, 0.5),
    "hip_rotation": (-0.03, 14.94, 0.03, -14.94, -0.92, 0.92),
    "knee_angle": (-6.09, 33.94, 11.03, -11.33, -2.4, 0.13),
    "ankle_angle": (-2.03, 38.11, 0.18, -12.12, -0.74, 0.52),
    "subtalar_angle": (-60.21, 16.32, 60.21, -16.32, -0.65, 0.65),
    "mtp_angle": (-0.9, 14.87, 0.18, -70.08, 0.0, 1.13446401379631),
    "lumbar_extension": (-0.35, 30.72, 0.25, -20.36, -0.523598775598299, 0.17),
    "lumbar_bending": (-0.25, 20.36, 0.25, -20.36, -0.349065850398866, 0.349065850398866),
    "lumbar_rotation": (-0.25, 20.36, 0.25, -20.36, -0.349065850398866, 0.349065850398866),
}
#: PredSim's damping of every coordinate but the floating base (S.subject.
#: damping_coefficient_all_dofs), N m s/rad: Falisse et al. 2019's 0.1.
PREDSIM_DAMPING_NM_S_RAD = FALISSE_2019_DAMPING_NM_S_RAD


def damping_only(damping_Nm_s_rad: float) -> PassiveJointMoment:
    """A joint with viscous damping and no limit torques."""
    return PassiveJointMoment(0.0, 0.0, 0.0, 0.0, -math.pi, math.pi, damping_Nm_s_rad)


def predsim_passive_moments(coordinates, floating=(),
                            damping_Nm_s_rad: float = PREDSIM_DAMPING_NM_S_RAD) -> dict:
    """PredSim's passive moments on ``coordinates`` (rotations): its limit torques on
    the coordinates it lists (``knee_angle_r`` is ``knee_angle``) with
    ``damping_Nm_s_rad``, and that damping alone on every other coordinate except
    the ``floating`` base's (PredSim's ``get_passive_moment_info``)."""
    out = {}
    for c in coordinates:
        if c in floating:
            continue
        base = c[:-2] if c.endswith(("_r", "_l")) else c
        k = PREDSIM_LIMIT_TORQUES.get(base)
        out[c] = PassiveJointMoment(*k, damping_Nm_s_rad) if k else \
            damping_only(damping_Nm_s_rad)
    return out


def floating_base(tree) -> tuple:
    """Coordinates of the joints from the ground to the first body with mass (the
    pelvis's six of a gait model): no passive moment acts there."""
    planar = isinstance(tree, KinematicTree)
    out, parent = [], None
    for b in tree.segments if planar else tree.bodies:   # parents first
        if b.parent != parent:
            continue
        out += [b.joint.coordinate] if planar else list(b.joint.coordinates)
        parent = b.name
        if not isinstance(b.mass_kg, (int, float)) or b.mass_kg > 0:
            break
    return tuple(out)
