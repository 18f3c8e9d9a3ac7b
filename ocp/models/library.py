"""Built-in model kinds: each a frozen dataclass of declared parameters, registered by name.

A problem file names a model kind (``[model] name = "acrobot"``) and may
override any of its parameters in ``[model.parameters]``; ``ocp models``
lists them all. Each kind is one class: its name in problem files
(``toml_name``), a docstring whose first line says what it is, its
parameters declared with :func:`ocp.io.declarations.option` (unit, default,
doc) and ``build()``, which makes the Model. Defining a subclass of
:class:`ModelKind` with a ``toml_name`` registers it in :data:`MODEL_KINDS`,
whose ``markdown_table()`` is the documentation's table of models.

This module holds the planar torque-driven kinds; ``gait2d_torque`` is in
ocp.models.gait2d and ``six_muscle_arm`` in ocp.models.six_muscle_arm
(ocp.models imports both, so the registry is complete whenever ocp.models is).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

from ocp.io.declarations import Registry, declared_options, option
from ocp.models.base import Model
from ocp.models.multibody import (
    PRISMATIC,
    STANDARD_GRAVITY_M_S2,
    Joint,
    KinematicTree,
    Marker,
    Segment,
)
from ocp.models.passive import PassiveJointMoment
from ocp.models.torque_driven import TorqueDrivenTree

#: Every built-in model kind by its name in problem files.
MODEL_KINDS = Registry("model")


class ModelKind:
    """A model kind: its name in problem files, its declared parameters, how it is built.

    Subclasses are frozen dataclasses whose fields (made with ``option()``)
    are the parameters of ``[model.parameters]``; defining one with a
    ``toml_name`` registers it in MODEL_KINDS.
    """

    toml_name: ClassVar[str]
    #: True for a muscle-driven kind: build() takes ``muscles`` and the muscle options
    #: (tendon, activation_dynamics, reserves, curves, activation_smoothing, ...)
    muscle_driven: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "toml_name" in cls.__dict__:
            MODEL_KINDS.register(cls)

    def build(self, **options) -> Model:
        """The model with these parameters (and the kind's own ``options``)."""
        raise NotImplementedError(f"model kind '{self.toml_name}' has no build()")

    def default_muscles(self) -> dict:
        """Muscle name -> Muscle before user changes (muscle-driven kinds only)."""
        return {}


@dataclass(frozen=True)
class PendulumParameters:
    """A point mass on a massless rod, pinned to the ground.

    ``q = 0`` hangs straight down; positive angles are counter-clockwise.
    """

    mass_kg: float = option(1.0, unit="kg", doc="mass at the end of the rod")
    length_m: float = option(1.0, unit="m", doc="length of the rod")
    inertia_kg_m2: float = option(0.0, unit="kg*m^2",
                                  doc="inertia about the centre of mass; 0 for a point mass")
    gravity_m_s2: float = option(STANDARD_GRAVITY_M_S2, unit="m/s^2", doc="gravity, along -y")
    max_torque_Nm: float = option(20.0, unit="N*m", doc="bound on the pivot torque")


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

    mass1_kg: float = option(1.0, unit="kg", doc="mass of the first link")
    mass2_kg: float = option(1.0, unit="kg", doc="mass of the second link")
    length1_m: float = option(1.0, unit="m", doc="length of the first link")
    length2_m: float = option(1.0, unit="m", doc="length of the second link")
    com1_m: float = option(0.5, unit="m", doc="centre of mass of link 1 from its proximal joint")
    com2_m: float = option(0.5, unit="m", doc="centre of mass of link 2 from its proximal joint")
    inertia1_kg_m2: float = option(1.0 / 12.0, unit="kg*m^2",
                                   doc="inertia of link 1 about its centre of mass")
    inertia2_kg_m2: float = option(1.0 / 12.0, unit="kg*m^2",
                                   doc="inertia of link 2 about its centre of mass")
    gravity_m_s2: float = option(STANDARD_GRAVITY_M_S2, unit="m/s^2", doc="gravity, along -y")
    max_torque_Nm: float = option(20.0, unit="N*m", doc="bound on each actuated joint's torque")


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

    upper_arm_mass_kg: float = option(1.4, unit="kg", doc="mass of the upper arm")
    forearm_mass_kg: float = option(1.0, unit="kg", doc="mass of the forearm and hand")
    upper_arm_length_m: float = option(0.30, unit="m", doc="shoulder to elbow")
    forearm_length_m: float = option(0.33, unit="m", doc="elbow to hand")
    upper_arm_com_m: float = option(0.11, unit="m", doc="upper arm's centre of mass from the "
                                    "shoulder")
    forearm_com_m: float = option(0.16, unit="m", doc="forearm's centre of mass from the elbow")
    upper_arm_inertia_kg_m2: float = option(0.025, unit="kg*m^2",
                                            doc="upper arm's inertia about its centre of mass")
    forearm_inertia_kg_m2: float = option(0.045, unit="kg*m^2",
                                          doc="forearm's inertia about its centre of mass")
    gravity_m_s2: float = option(0.0, unit="m/s^2",
                                 doc="gravity, along -y; 0: the arm is supported in the plane")
    max_torque_Nm: float = option(50.0, unit="N*m", doc="bound on each joint torque")


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

    mass_kg: float = option(1.0, unit="kg", doc="mass of the block")
    max_force_N: float = option(1.0, unit="N", doc="bound on the pushing force")


def sliding_mass(p: SlidingMassParameters) -> TorqueDrivenTree:
    tree = KinematicTree(
        segments=(Segment("block", None, Joint("position", kind=PRISMATIC),
                          p.mass_kg, (0.0, 0.0), 0.0),),
        gravity_m_s2=0.0,
        markers=(Marker("block", "block", (0.0, 0.0)),))
    return TorqueDrivenTree("sliding_mass", tree, ("position",),
                            {"position": p.max_force_N}, dataclasses.asdict(p))


# -- the kinds ---------------------------------------------------------------

@dataclass(frozen=True)
class Pendulum(PendulumParameters, ModelKind):
    """A point mass on a massless rod pinned to the ground, with a torque at the pivot."""

    toml_name: ClassVar[str] = "pendulum"

    def build(self) -> TorqueDrivenTree:
        return pendulum(self)


@dataclass(frozen=True)
class DoublePendulum(DoublePendulumParameters, ModelKind):
    """Two uniform rods in series, torques at both joints (``shoulder``, ``elbow``)."""

    toml_name: ClassVar[str] = "double_pendulum"

    def build(self) -> TorqueDrivenTree:
        return double_pendulum(self)


@dataclass(frozen=True)
class Acrobot(DoublePendulumParameters, ModelKind):
    """Spong's acrobot: two rods on a passive ``bar`` joint, torque at the ``hip``."""

    toml_name: ClassVar[str] = "acrobot"

    def build(self) -> TorqueDrivenTree:
        return acrobot(self)


@dataclass(frozen=True)
class TwoLinkArm(TwoLinkArmParameters, ModelKind):
    """A planar shoulder-elbow arm in the horizontal plane (Li and Todorov 2004), joint torques."""

    toml_name: ClassVar[str] = "two_link_arm"

    def build(self) -> TorqueDrivenTree:
        return two_link_arm(self)


@dataclass(frozen=True)
class SlidingMass(SlidingMassParameters, ModelKind):
    """A block sliding without friction along x, pushed by a bounded force."""

    toml_name: ClassVar[str] = "sliding_mass"

    def build(self) -> TorqueDrivenTree:
        return sliding_mass(self)


# -- views of the registry (used by the problem-file reader and the CLI) --------

@dataclass(frozen=True)
class TriplePendulum(ModelKind):
    """Three rods in series hanging along -y (an arm-like chain), torques and damping at each joint.

    Joints ``shoulder``, ``elbow``, ``wrist`` (angles relative to the
    previous link, 0 hanging straight down); each joint has viscous damping
    ``-d q'`` (a passive moment without stops, ``joint.<joint>.damping`` in
    ``[parameters]``). The defaults are the chain of the multibody PINN
    (``learned_components.pinn_multibody.Chain``).
    """

    toml_name: ClassVar[str] = "triple_pendulum"
    mass1_kg: float = option(2.0, unit="kg", doc="mass of link 1")
    mass2_kg: float = option(1.5, unit="kg", doc="mass of link 2")
    mass3_kg: float = option(0.6, unit="kg", doc="mass of link 3")
    length1_m: float = option(0.30, unit="m", doc="length of link 1")
    length2_m: float = option(0.28, unit="m", doc="length of link 2")
    length3_m: float = option(0.20, unit="m", doc="length of link 3")
    com1_m: float = option(0.13, unit="m", doc="centre of mass of link 1 from its joint")
    com2_m: float = option(0.12, unit="m", doc="centre of mass of link 2 from its joint")
    com3_m: float = option(0.08, unit="m", doc="centre of mass of link 3 from its joint")
    inertia1_kg_m2: float = option(0.020, unit="kg*m^2", doc="link 1 about its centre of mass")
    inertia2_kg_m2: float = option(0.012, unit="kg*m^2", doc="link 2 about its centre of mass")
    inertia3_kg_m2: float = option(0.003, unit="kg*m^2", doc="link 3 about its centre of mass")
    damping1_Nm_s_rad: float = option(0.30, unit="N*m*s/rad", doc="damping at the shoulder")
    damping2_Nm_s_rad: float = option(0.20, unit="N*m*s/rad", doc="damping at the elbow")
    damping3_Nm_s_rad: float = option(0.05, unit="N*m*s/rad", doc="damping at the wrist")
    gravity_m_s2: float = option(STANDARD_GRAVITY_M_S2, unit="m/s^2", doc="gravity, along -y")
    max_torque_Nm: float = option(20.0, unit="N*m", doc="bound on each joint torque")

    def build(self) -> TorqueDrivenTree:
        joints = ("shoulder", "elbow", "wrist")
        segments, parent, location = [], None, (0.0, 0.0)
        for k, joint in enumerate(joints, start=1):
            length = getattr(self, f"length{k}_m")
            segments.append(Segment(f"link{k}", parent, Joint(joint, location_m=location),
                                    getattr(self, f"mass{k}_kg"),
                                    (0.0, -getattr(self, f"com{k}_m")),
                                    getattr(self, f"inertia{k}_kg_m2"), end_m=(0.0, -length)))
            parent, location = f"link{k}", (0.0, -length)
        tree = KinematicTree(segments=tuple(segments), gravity_m_s2=self.gravity_m_s2,
                             markers=(Marker("tip", "link3", (0.0, -self.length3_m)),))
        damping = {j: PassiveJointMoment(0.0, 0.0, 0.0, 0.0, -10.0, 10.0,
                                         getattr(self, f"damping{k}_Nm_s_rad"))
                   for k, j in enumerate(joints, start=1)}
        return TorqueDrivenTree("triple_pendulum", tree, joints,
                                dict.fromkeys(joints, self.max_torque_Nm),
                                dataclasses.asdict(self), passive_moments=damping)


def model_names() -> list[str]:
    """Names of every built-in model kind, in registration order."""
    return MODEL_KINDS.names()


def is_muscle_model(name: str) -> bool:
    return name in MODEL_KINDS and MODEL_KINDS[name].muscle_driven


def parameter_names(name: str) -> list[str]:
    """The keys of ``[model.parameters]`` of model kind ``name`` (KeyError if unknown)."""
    return [o.key for o in declared_options(MODEL_KINDS[name])]


def default_muscles(name: str, parameters: dict | None = None) -> dict:
    """The muscles a built-in muscle model has before user changes: name -> Muscle."""
    return MODEL_KINDS[name](**(parameters or {})).default_muscles()


def build_model(name: str, parameters: dict | None = None, muscles=None, **options):
    """Build a built-in model by name with parameter overrides.

    For muscle-driven models, ``muscles`` (a list of Muscle, default the
    model's own) and ``options`` (tendon, activation_dynamics, reserves,
    curves, activation_smoothing) are passed on. Raises KeyError for an unknown
    model and TypeError for an unknown parameter; the problem-file loader turns
    both into messages that name the file and key.
    """
    kind = MODEL_KINDS[name](**(parameters or {}))
    if kind.muscle_driven:
        return kind.build(muscles, **options)
    return kind.build(**options)
