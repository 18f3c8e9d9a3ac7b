"""A planar shoulder-elbow arm driven by six Hill-type muscles.

The skeleton is the ``two_link_arm`` (Li and Todorov 2004 segment parameters,
horizontal plane). The six muscles are the classic set of planar arm models
(e.g. Li and Todorov 2004, Fig. 1): a single-joint flexor and extensor at the
shoulder and at the elbow, and a two-joint flexor and extensor crossing both.

Muscle parameters (max isometric force, optimal fibre length, tendon slack
length, pennation) of the elbow and two-joint muscles are those of OpenSim's
arm26 model (Holzbaur, Murray and Delp 2005, Ann Biomed Eng 33:829-840):
brachialis (BRA), triceps lateral head (TRIlat), biceps long head (BIClong),
triceps long head (TRIlong). arm26 has no single-joint shoulder muscles; the
anterior and posterior deltoid here (DELTant, DELTpost) are given parameters
of the same order, chosen for this model and not taken from a table.

Geometry: the single-joint elbow muscles run along straight paths between
points on the upper arm and forearm (moment arms vary with the elbow angle,
about 3 cm at 90 degrees); the shoulder and two-joint muscles use polynomial
length functions (moment arms that vary smoothly with the joint angles), as
fitted geometries are commonly used for planar models. Path points and
polynomial coefficients are chosen so that every fibre is at its optimal
length at the reference posture (shoulder 45 deg, elbow 90 deg).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from ocp.io.declarations import option
from ocp.models.library import ModelKind, TwoLinkArmParameters, two_link_arm
from ocp.models.muscle_driven import Muscle, MuscleDrivenTree
from ocp.models.muscles.geometry import PathGeometry, PolynomialGeometry
from ocp.models.muscles.hill import MuscleParameters

REFERENCE_SHOULDER_RAD = math.radians(45.0)
REFERENCE_ELBOW_RAD = math.radians(90.0)

#: name -> (F_max N, l_opt m, l_slack m, pennation rad); arm26 / Holzbaur et al. 2005
#: except the two deltoids (see module docstring).
MUSCLE_TABLE = {
    "DELTant": (800.0, 0.100, 0.090, 0.0),
    "DELTpost": (600.0, 0.120, 0.060, 0.0),
    "BRA": (987.26, 0.0858, 0.0535, 0.0),
    "TRIlat": (624.3, 0.1138, 0.098, 0.15707963),
    "BIClong": (624.3, 0.1157, 0.2723, 0.0),
    "TRIlong": (798.52, 0.134, 0.143, 0.20943951),
}

#: Polynomial muscles: moment arm (m) about shoulder and elbow as r0 + r1 (q - q_ref).
POLYNOMIAL_ARMS = {
    "DELTant": {"shoulder": (0.030, -0.005)},
    "DELTpost": {"shoulder": (-0.030, -0.005)},
    "BIClong": {"shoulder": (0.025, 0.0), "elbow": (0.035, -0.008)},
    "TRIlong": {"shoulder": (-0.025, 0.0), "elbow": (-0.020, 0.004)},
}


def _optimal_mt_length(p: MuscleParameters) -> float:
    return p.optimal_fiber_length_m * math.cos(p.pennation_angle_at_optimal_rad) \
        + p.tendon_slack_length_m


def _polynomial(p: MuscleParameters, arms: dict) -> PolynomialGeometry:
    """l(q) = l_ref - sum_j integral of r_j from q_ref, with r_j = r0 + r1 (q - q_ref)."""
    reference = {"shoulder": REFERENCE_SHOULDER_RAD, "elbow": REFERENCE_ELBOW_RAD}
    # expand -(r0 (q - c) + r1 (q - c)^2 / 2) into powers of q
    terms = [(_optimal_mt_length(p), {})]
    for coordinate, (r0, r1) in arms.items():
        c = reference[coordinate]
        terms += [(-r0 + r1 * c, {coordinate: 1}), (-r1 / 2, {coordinate: 2}),
                  (r0 * c - r1 * c * c / 2, {})]
    return PolynomialGeometry(tuple(terms))


def _elbow_path(p: MuscleParameters, humerus_length: float, insertion, origin_offset_y: float):
    """Straight path from the upper arm to the forearm, optimal at the reference posture.

    The origin lies ``origin_offset_y`` to the side of the upper arm, at the
    distance from the elbow that makes the path length optimal at 90 degrees.
    """
    ix, iy = insertion
    c, s = math.cos(REFERENCE_ELBOW_RAD), math.sin(REFERENCE_ELBOW_RAD)
    insertion_ref = (c * ix - s * iy, s * ix + c * iy)  # in the upper-arm frame, elbow at 0
    target = _optimal_mt_length(p)
    dy = origin_offset_y - insertion_ref[1]
    dx = math.sqrt(target ** 2 - dy ** 2)
    origin_x = insertion_ref[0] - dx  # proximal of the insertion
    return PathGeometry(((  "upper_arm", (humerus_length + origin_x, origin_offset_y)),
                         ("forearm", insertion)))


@dataclass(frozen=True)
class SixMuscleArmParameters(TwoLinkArmParameters):
    """Skeleton parameters of ``two_link_arm``; muscles are set in [model.muscles]."""

    max_torque_Nm: float = option(0.0, unit="N*m",
                                  doc="no torque motors: muscles (and reserves) only")


def muscles_of_the_arm(p: SixMuscleArmParameters) -> dict[str, Muscle]:
    """The six muscles by name, before any user changes."""
    out = {}
    for name, (force, l_opt, l_slack, pennation) in MUSCLE_TABLE.items():
        params = MuscleParameters(force, l_opt, l_slack, pennation)
        if name == "BRA":
            geometry = _elbow_path(params, p.upper_arm_length_m, (0.03, 0.0), 0.02)
        elif name == "TRIlat":
            geometry = _elbow_path(params, p.upper_arm_length_m, (-0.02, -0.005), -0.02)
        else:
            geometry = _polynomial(params, POLYNOMIAL_ARMS[name])
        out[name] = Muscle(name, params, geometry)
    return out


def six_muscle_arm(p: SixMuscleArmParameters, muscles=None, **options) -> MuscleDrivenTree:
    """The arm with ``muscles`` (default: the six above) and muscle-model options."""
    skeleton = two_link_arm(p).tree
    chosen = list(muscles_of_the_arm(p).values()) if muscles is None else list(muscles)
    from dataclasses import asdict
    return MuscleDrivenTree("six_muscle_arm", skeleton, chosen, parameters=asdict(p), **options)


@dataclass(frozen=True)
class SixMuscleArm(SixMuscleArmParameters, ModelKind):
    """The two-link arm driven by six Hill-type muscles (arm26 parameters, Holzbaur et al. 2005)."""

    toml_name: ClassVar[str] = "six_muscle_arm"
    muscle_driven: ClassVar[bool] = True

    def build(self, muscles=None, **options) -> MuscleDrivenTree:
        """``muscles``: list of Muscle (default the six); ``options``: of MuscleDrivenTree."""
        return six_muscle_arm(self, muscles, **options)

    def default_muscles(self) -> dict[str, Muscle]:
        return muscles_of_the_arm(self)
