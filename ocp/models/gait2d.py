"""A planar gait model: trunk, thighs, shanks and feet with heel and toe contact spheres.

Nine degrees of freedom with OpenSim's names and signs: ``pelvis_tx``,
``pelvis_ty`` (m), ``pelvis_tilt``, and for each side ``hip_flexion``
(forward swing positive), ``knee_angle`` (flexion negative) and
``ankle_angle`` (dorsiflexion positive). The head, arms, trunk and pelvis form
one segment (HAT) whose frame sits at the hip joint centre.

Segment masses, lengths, centres of mass and radii of gyration are fractions
of body mass and height from Winter (2009), *Biomechanics and Motor Control
of Human Movement*, 4th ed., Table 4.1 and Fig. 4.1 (after Dempster 1955 and
Drillis and Contini 1966):

=========  ======  ==================  ===========  ============
segment    mass    length              COM (prox.)  r_g / length
=========  ======  ==================  ===========  ============
HAT        0.678   0.288 H (hip-sh.)   0.626        0.496
thigh      0.100   0.245 H             0.433        0.323
shank      0.0465  0.246 H             0.433        0.302
foot       0.0145  0.152 H (length)    0.50         0.475
=========  ======  ==================  ===========  ============

The ankle joint centre is 0.039 H above the sole. Contact spheres (radii as
in OpenSim Moco's 2D walking model): heel, r = 3.5 cm, under the calcaneus;
toe, r = 1.5 cm, under the metatarsal heads.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

from ocp.io.declarations import option
from ocp.models.contact import ContactSphere
from ocp.models.library import ModelKind
from ocp.models.multibody import (
    PRISMATIC,
    STANDARD_GRAVITY_M_S2,
    Joint,
    KinematicTree,
    Marker,
    Segment,
)
from ocp.models.passive import ANDERSON_1999
from ocp.models.torque_driven import TorqueDrivenTree

SIDES = ("r", "l")
JOINTS = ("hip_flexion", "knee_angle", "ankle_angle")


@dataclass(frozen=True)
class Gait2DParameters:
    """Body size, actuator strength and contact properties of the gait model."""

    body_mass_kg: float = option(75.0, unit="kg", doc="total body mass (Winter 2009 fractions)")
    height_m: float = option(1.75, unit="m", doc="body height (Winter 2009 segment lengths)")
    gravity_m_s2: float = option(STANDARD_GRAVITY_M_S2, unit="m/s^2", doc="gravity, along -y")
    hip_optimal_torque_Nm: float = option(150.0, unit="N*m",
                                          doc="hip torque at control 1 (controls in [-1, 1])")
    knee_optimal_torque_Nm: float = option(150.0, unit="N*m", doc="knee torque at control 1")
    ankle_optimal_torque_Nm: float = option(150.0, unit="N*m", doc="ankle torque at control 1")
    contact_stiffness_N_m2: float = option(3067776.0, unit="N/m^2",
                                           doc="plane-strain modulus of the contact spheres")
    contact_dissipation_s_m: float = option(2.0, unit="s/m",
                                            doc="Hunt-Crossley dissipation of the spheres")
    friction_coefficient: float = option(0.8, unit="-", doc="dynamic friction coefficient")
    transition_velocity_m_s: float = option(0.2, unit="m/s",
                                            doc="slip speed at which friction saturates")

    def check(self):
        for f in dataclasses.fields(self):
            if f.name != "gravity_m_s2" and not getattr(self, f.name) > 0:
                raise ValueError(f"gait model: {f.name} must be positive, "
                                 f"got {getattr(self, f.name)}")


def segment_lengths(p: Gait2DParameters) -> dict[str, float]:
    """Thigh, shank, foot length and ankle height (m) from body height (Winter 2009)."""
    H = p.height_m
    return {"hat": 0.288 * H, "thigh": 0.245 * H, "shank": 0.246 * H,
            "foot": 0.152 * H, "ankle_height": 0.039 * H}


def gait_tree(p: Gait2DParameters) -> KinematicTree:
    p.check()
    M, L = p.body_mass_kg, segment_lengths(p)
    foot_ankle_to_heel = 0.25 * L["foot"]  # ankle above the back quarter of the foot

    def rod(mass_fraction, length, com_fraction, gyration):
        mass = mass_fraction * M
        return mass, com_fraction * length, mass * (gyration * length) ** 2

    segments = [
        Segment("pelvis_x", None, Joint("pelvis_tx", kind=PRISMATIC, axis=(1.0, 0.0)),
                0.0, (0.0, 0.0), 0.0),
        Segment("pelvis_y", "pelvis_x", Joint("pelvis_ty", kind=PRISMATIC, axis=(0.0, 1.0)),
                0.0, (0.0, 0.0), 0.0),
    ]
    m, c, i = rod(0.678, L["hat"], 0.626, 0.496)
    segments.append(Segment("hat", "pelvis_y", Joint("pelvis_tilt"), m, (0.0, c), i,
                            end_m=(0.0, L["hat"])))
    markers = []
    spheres = []
    for side in SIDES:
        m, c, i = rod(0.100, L["thigh"], 0.433, 0.323)
        segments.append(Segment(f"thigh_{side}", "hat", Joint(f"hip_flexion_{side}"), m,
                                (0.0, -c), i, end_m=(0.0, -L["thigh"])))
        m, c, i = rod(0.0465, L["shank"], 0.433, 0.302)
        segments.append(Segment(f"shank_{side}", f"thigh_{side}",
                                Joint(f"knee_angle_{side}", location_m=(0.0, -L["thigh"])),
                                m, (0.0, -c), i, end_m=(0.0, -L["shank"])))
        m, c, i = rod(0.0145, L["foot"], 0.50, 0.475)
        # foot frame at the ankle, x forward along the sole
        com_x = -foot_ankle_to_heel + c
        segments.append(Segment(f"foot_{side}", f"shank_{side}",
                                Joint(f"ankle_angle_{side}", location_m=(0.0, -L["shank"])),
                                m, (com_x, -0.5 * L["ankle_height"]), i,
                                end_m=(L["foot"] - foot_ankle_to_heel, -L["ankle_height"])))
        sole = -L["ankle_height"]
        for name, x, r in (("heel", -foot_ankle_to_heel + 0.035, 0.035),
                           ("toe", L["foot"] - foot_ankle_to_heel - 0.06, 0.015)):
            spheres.append(ContactSphere(
                f"{name}_{side}", f"foot_{side}", (x, sole + r), r,
                stiffness_N_m2=p.contact_stiffness_N_m2,
                dissipation_s_m=p.contact_dissipation_s_m,
                dynamic_friction=p.friction_coefficient,
                transition_velocity_m_s=p.transition_velocity_m_s))
            markers.append(Marker(f"{name}_{side}", f"foot_{side}", (x, sole)))
        markers.append(Marker(f"ankle_{side}", f"foot_{side}", (0.0, 0.0)))
        markers.append(Marker(f"knee_{side}", f"shank_{side}", (0.0, 0.0)))
    markers.append(Marker("hip", "hat", (0.0, 0.0)))
    markers.append(Marker("neck", "hat", (0.0, L["hat"])))
    return KinematicTree(tuple(segments), p.gravity_m_s2, tuple(markers)), tuple(spheres)


def gait2d_torque(p: Gait2DParameters, contact_normal_force=None,
                  passive_joint_moments: str = "none") -> TorqueDrivenTree:
    """Torque-driven: normalised torque controls at hips, knees and ankles, in [-1, 1].

    ``contact_normal_force`` replaces the analytic contact normal force (a
    learned surrogate, ``[model] contact = "....casadi"``).
    ``passive_joint_moments``: ``"none"`` (ideal joints) or ``"anderson1999"``
    (exponential soft stops and 0.1 N m s/rad damping at hips, knees and
    ankles, ocp.models.passive.ANDERSON_1999; ``[model] passive_joint_moments``).
    """
    if passive_joint_moments not in PASSIVE_JOINT_MOMENTS:
        raise ValueError(f"gait model: passive_joint_moments must be one of "
                         f"{sorted(PASSIVE_JOINT_MOMENTS)}, got '{passive_joint_moments}'")
    tree, spheres = gait_tree(p)
    optimal = {}
    for side in SIDES:
        optimal[f"hip_flexion_{side}"] = p.hip_optimal_torque_Nm
        optimal[f"knee_angle_{side}"] = p.knee_optimal_torque_Nm
        optimal[f"ankle_angle_{side}"] = p.ankle_optimal_torque_Nm
    return TorqueDrivenTree("gait2d_torque", tree, tuple(optimal),
                            max_torque=dict(optimal),  # |u| <= 1
                            parameters=dataclasses.asdict(p), contacts=spheres,
                            optimal_torque=optimal, contact_normal_force=contact_normal_force,
                            passive_moments=passive_joint_moment_elements(
                                passive_joint_moments))


#: ``[model] passive_joint_moments`` -> per-joint elements (joint name without side)
PASSIVE_JOINT_MOMENTS = {"none": {}, "anderson1999": ANDERSON_1999}


def passive_joint_moment_elements(kind: str) -> dict:
    """coordinate (both sides) -> PassiveJointMoment, for ``[model] passive_joint_moments``."""
    return {f"{joint}_{side}": element
            for joint, element in PASSIVE_JOINT_MOMENTS[kind].items() for side in SIDES}


@dataclass(frozen=True)
class Gait2DTorque(Gait2DParameters, ModelKind):
    """A planar 9-degree-of-freedom walker with heel and toe contacts, normalised joint torques."""

    toml_name: ClassVar[str] = "gait2d_torque"

    def build(self, contact_normal_force=None,
              passive_joint_moments: str = "none") -> TorqueDrivenTree:
        """See :func:`gait2d_torque` for the two options."""
        return gait2d_torque(self, contact_normal_force, passive_joint_moments)


def standing_height(p: Gait2DParameters) -> float:
    """pelvis_ty (m) of upright standing: hip height above the ground at zero angles."""
    L = segment_lengths(p)
    return L["thigh"] + L["shank"] + L["ankle_height"]
