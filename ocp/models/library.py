"""Built-in models, each built from a frozen dataclass of named parameters.

A problem file names a model (``[model] name = "acrobot"``) and may override
any parameter in ``[model.parameters]``; ``ocp models`` lists them all.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ocp.models.multibody import (PRISMATIC, STANDARD_GRAVITY_M_S2, Joint, KinematicTree,
                        Marker, Segment)
from ocp.models.torque_driven import TorqueDrivenTree


@dataclass(frozen=True)
class PendulumParameters:
    """A point mass on a massless rod, pinned to the ground.

    ``q = 0`` hangs straight down; positive angles are counter-clockwise.
    """

    mass_kg: float = 1.0
    length_m: float = 1.0
    inertia_kg_m2: float = 0.0  # about the centre of mass; 0 for a point mass
    gravity_m_s2: float = STANDARD_GRAVITY_M_S2
    max_torque_Nm: float = 20.0


def pendulum(p: PendulumParameters) -> TorqueDrivenTree:
    tree = KinematicTree(
        segments=(Segment("rod", None, Joint("pendulum"), p.mass_kg,
                          (0.0, -p.length_m), p.inertia_kg_m2, end_m=(0.0, -p.length_m)),),
        gravity_m_s2=p.gravity_m_s2,
        markers=(Marker("tip", "rod", (0.0, -p.length_m)),))
    return TorqueDrivenTree("pendulum", tree, ("pendulum",),
                            {"pendulum": p.max_torque_Nm}, dataclasses.asdict(p))


@dataclass(frozen=True)
class DoublePendulumParameters:
    """Two uniform rods in series (Spong's acrobot, IEEE Control Systems 1995).

    ``q1`` is the angle of the first link from hanging down, ``q2`` the angle
    of the second link relative to the first.
    """

    mass1_kg: float = 1.0
    mass2_kg: float = 1.0
    length1_m: float = 1.0
    length2_m: float = 1.0
    com1_m: float = 0.5  # distance of the centre of mass from the proximal joint
    com2_m: float = 0.5
    inertia1_kg_m2: float = 1.0 / 12.0  # uniform rod of 1 kg, 1 m
    inertia2_kg_m2: float = 1.0 / 12.0
    gravity_m_s2: float = STANDARD_GRAVITY_M_S2
    max_torque_Nm: float = 20.0


def _two_rods(p: DoublePendulumParameters, first: str, second: str) -> KinematicTree:
    return KinematicTree(
        segments=(
            Segment("link1", None, Joint(first), p.mass1_kg, (0.0, -p.com1_m),
                    p.inertia1_kg_m2, end_m=(0.0, -p.length1_m)),
            Segment("link2", "link1", Joint(second, location_m=(0.0, -p.length1_m)),
                    p.mass2_kg, (0.0, -p.com2_m), p.inertia2_kg_m2,
                    end_m=(0.0, -p.length2_m)),
        ),
        gravity_m_s2=p.gravity_m_s2,
        markers=(Marker("tip", "link2", (0.0, -p.length2_m)),))


def double_pendulum(p: DoublePendulumParameters) -> TorqueDrivenTree:
    """Both joints (``shoulder``, ``elbow``) actuated."""
    return TorqueDrivenTree("double_pendulum", _two_rods(p, "shoulder", "elbow"),
                            ("shoulder", "elbow"),
                            {"shoulder": p.max_torque_Nm, "elbow": p.max_torque_Nm},
                            dataclasses.asdict(p))


def acrobot(p: DoublePendulumParameters) -> TorqueDrivenTree:
    """A gymnast on a high bar: passive ``bar`` joint, actuated ``hip``."""
    return TorqueDrivenTree("acrobot", _two_rods(p, "bar", "hip"), ("hip",),
                            {"hip": p.max_torque_Nm}, dataclasses.asdict(p))


@dataclass(frozen=True)
class TwoLinkArmParameters:
    """A planar shoulder-elbow arm moving in the horizontal plane.

    Segment parameters of Li and Todorov (2004), "Iterative linear quadratic
    regulator design for nonlinear biological movement systems", ICINCO,
    Table 1 (after Todorov and Li's arm model). The shoulder angle is measured
    from the +x axis (pointing to the side), the elbow angle relative to the
    upper arm; gravity is zero because the arm is supported in the plane.
    """

    upper_arm_mass_kg: float = 1.4
    forearm_mass_kg: float = 1.0
    upper_arm_length_m: float = 0.30
    forearm_length_m: float = 0.33
    upper_arm_com_m: float = 0.11
    forearm_com_m: float = 0.16
    upper_arm_inertia_kg_m2: float = 0.025
    forearm_inertia_kg_m2: float = 0.045
    gravity_m_s2: float = 0.0
    max_torque_Nm: float = 50.0


def two_link_arm(p: TwoLinkArmParameters) -> TorqueDrivenTree:
    tree = KinematicTree(
        segments=(
            Segment("upper_arm", None, Joint("shoulder"), p.upper_arm_mass_kg,
                    (p.upper_arm_com_m, 0.0), p.upper_arm_inertia_kg_m2,
                    end_m=(p.upper_arm_length_m, 0.0)),
            Segment("forearm", "upper_arm",
                    Joint("elbow", location_m=(p.upper_arm_length_m, 0.0)),
                    p.forearm_mass_kg, (p.forearm_com_m, 0.0), p.forearm_inertia_kg_m2,
                    end_m=(p.forearm_length_m, 0.0)),
        ),
        gravity_m_s2=p.gravity_m_s2,
        markers=(Marker("hand", "forearm", (p.forearm_length_m, 0.0)),))
    return TorqueDrivenTree("two_link_arm", tree, ("shoulder", "elbow"),
                            {"shoulder": p.max_torque_Nm, "elbow": p.max_torque_Nm},
                            dataclasses.asdict(p))


@dataclass(frozen=True)
class SlidingMassParameters:
    """A block sliding without friction along x, pushed by a bounded force."""

    mass_kg: float = 1.0
    max_force_N: float = 1.0


def sliding_mass(p: SlidingMassParameters) -> TorqueDrivenTree:
    tree = KinematicTree(
        segments=(Segment("block", None, Joint("position", kind=PRISMATIC),
                          p.mass_kg, (0.0, 0.0), 0.0),),
        gravity_m_s2=0.0,
        markers=(Marker("block", "block", (0.0, 0.0)),))
    return TorqueDrivenTree("sliding_mass", tree, ("position",),
                            {"position": p.max_force_N}, dataclasses.asdict(p))


from ocp.models.gait2d import Gait2DParameters, gait2d_torque  # noqa: E402

#: name -> (builder, parameter dataclass)
BUILT_IN_MODELS = {
    "gait2d_torque": (gait2d_torque, Gait2DParameters),
    "pendulum": (pendulum, PendulumParameters),
    "double_pendulum": (double_pendulum, DoublePendulumParameters),
    "acrobot": (acrobot, DoublePendulumParameters),
    "two_link_arm": (two_link_arm, TwoLinkArmParameters),
    "sliding_mass": (sliding_mass, SlidingMassParameters),
}


def _muscle_models():
    """name -> (builder(params, muscles, **options), parameter class, default muscles(params))."""
    from ocp.models.six_muscle_arm import SixMuscleArmParameters, muscles_of_the_arm, six_muscle_arm
    return {"six_muscle_arm": (six_muscle_arm, SixMuscleArmParameters, muscles_of_the_arm)}


def is_muscle_model(name: str) -> bool:
    return name in _muscle_models()


def model_names() -> list[str]:
    return list(BUILT_IN_MODELS) + list(_muscle_models())


def default_muscles(name: str, parameters: dict | None = None) -> dict:
    """The muscles a built-in muscle model has before user changes: name -> Muscle."""
    _, params_cls, muscles = _muscle_models()[name]
    return muscles(params_cls(**(parameters or {})))


def build_model(name: str, parameters: dict | None = None, muscles=None, **options):
    """Build a built-in model by name with parameter overrides.

    For muscle-driven models, ``muscles`` (a list of Muscle, default the
    model's own) and ``options`` (tendon, activation_dynamics, reserves,
    curves, activation_smoothing) are passed on. Raises KeyError for an unknown
    model and TypeError for an unknown parameter; the problem-file loader turns
    both into messages that name the file and key.
    """
    muscle_models = _muscle_models()
    if name in muscle_models:
        builder, params_cls, _ = muscle_models[name]
        return builder(params_cls(**(parameters or {})), muscles, **options)
    builder, params_cls = BUILT_IN_MODELS[name]
    return builder(params_cls(**(parameters or {})), **options)


def parameter_names(name: str) -> list[str]:
    cls = _muscle_models()[name][1] if is_muscle_model(name) else BUILT_IN_MODELS[name][1]
    return [f.name for f in dataclasses.fields(cls)]
