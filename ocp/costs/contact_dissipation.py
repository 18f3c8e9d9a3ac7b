"""Energy lost to the ground through the contact model."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import casadi as ca

from ocp.costs.base import CostTerm


@dataclass
class ContactDissipation(CostTerm):
    """``integral of -P_ground dt``: the mechanical energy lost to the ground (J).

    ``P_ground`` is the power of the ground reaction forces on the body
    (:func:`ocp.models.contact.ground_reaction_power`). The elastic part of the
    contact returns what it stores, so over a periodic gait this is the energy
    taken by Hunt-Crossley damping at touchdown and by a slipping foot: the
    collision loss of the step-to-step transition, which a walker pays for
    with positive muscle work (Donelan, Kram and Kuo 2002, J Exp Biol
    205:3717; Kuo, Donelan and Ruina 2005, Exerc Sport Sci Rev 33:88). A
    torque or activation cost alone does not see it: a straight leg carries a
    heel-strike impact through the joint axes at no torque. Divided by the
    distance walked it is in J/m. Smooth wherever the contact model is.
    """

    toml_name: ClassVar[str] = "contact_dissipation"

    def check(self, model):
        x = ca.SX.sym("x", model.nx)
        if model.ground_reaction_power(x) is None:
            raise ValueError(f"model '{model.name}' has no contact with the ground")

    def integrand(self, v):
        return -v.model.ground_reaction_power(v.x)
