"""Treadmill trials: contact spheres on a belt moving under the subject.

``[model] treadmill_speed = "1.2 m/s"``: the ground's surface moves at -b
along x (the walking direction is +x), so every contact sphere's slip
velocity, its friction and the power of its reaction are taken relative to
the belt (``ContactSphere.belt_speed_m_s``, ocp.models.contact). A walk on
the belt is then the same walk overground seen from a frame moving at -b:
the same forces and the same objective, with the pelvis' forward position
shifted by b t and its forward speed by b (Galilean invariance, which
tests/test_treadmill.py checks). Data recorded on a treadmill (the pelvis
nearly still in x) are tracked as they are; the solution's summary states the
belt speed (``treadmill_speed_m_s``).
"""
from __future__ import annotations

import dataclasses

from ocp.engine.reports import register_reporter
from ocp.models.contact import ContactSphere
from ocp.models.protocols import ContactModel, WrapperModel


def on_belt(contact, speed_m_s: float):
    """A ContactSphere (or a 3D SpatialContact's sphere) on a belt at ``speed_m_s``."""
    if isinstance(contact, ContactSphere):
        return dataclasses.replace(contact, belt_speed_m_s=float(speed_m_s))
    return dataclasses.replace(contact, sphere=on_belt(contact.sphere, speed_m_s))


def on_treadmill(model, speed_m_s: float):
    """``model`` with every contact sphere on a treadmill belt at ``speed_m_s`` (m/s);
    a ValueError if it has no contact spheres."""
    if isinstance(model, WrapperModel):
        return model.replace(base=on_treadmill(model.base, speed_m_s))
    if not isinstance(model, ContactModel) or not model.contacts:
        raise ValueError(f"model '{model.name}' has no contact spheres to put on a belt")
    return model.replace(contacts=tuple(on_belt(c, speed_m_s) for c in model.contacts))


def belt_speed(model) -> float:
    """The belt speed (m/s) under ``model``'s contact spheres (0: overground)."""
    if isinstance(model, WrapperModel):
        return belt_speed(model.base)
    if not isinstance(model, ContactModel):
        return 0.0
    speeds = [(c if isinstance(c, ContactSphere) else c.sphere).belt_speed_m_s
              for c in model.contacts]
    return float(max(speeds, key=abs)) if speeds else 0.0


def treadmill_reporter(problem, model, solution, context) -> dict:
    """Reporter (ocp.engine.reports): ``treadmill_speed_m_s`` when the contacts are on a belt."""
    speed = belt_speed(model)
    return {"treadmill_speed_m_s": speed} if speed else {}


register_reporter(treadmill_reporter, order=28)
