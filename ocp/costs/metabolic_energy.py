"""Metabolic energy of the muscles: Bhargava 2004, Umberger 2010 or Uchida 2016."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import casadi as ca

from ocp.costs.base import CostContext, CostTerm
from ocp.errors import suggestion
from ocp.io.declarations import option, read_options
from ocp.models.muscle_driven import MuscleDrivenTree
from ocp.models.muscles.curves import active_force_length
from ocp.models.muscles.metabolics import (
    DEFAULT_SPECIFIC_TENSION_PA,
    METABOLIC_MODELS,
    TANH_SMOOTHING,
    FiberState,
    MetabolicMuscle,
)
from ocp.models.muscles.predsim_defaults import predsim_properties
from ocp.models.spatial.reduced import ReducedTree
from ocp.models.spatial.tree import SpatialTree

#: Keys of a ``[costs.NAME.muscles.MUSCLE]`` table.
MUSCLE_KEYS = ("slow_twitch_fraction", "specific_tension", "mass")


def model_mass_kg(model) -> float:
    """Total mass (kg) of the bodies of a muscle-driven model's tree."""
    tree = model.tree.tree if isinstance(model.tree, ReducedTree) else model.tree
    if isinstance(tree, SpatialTree):
        return float(sum(b.mass_kg for b in tree.bodies))
    return float(sum(s.mass_kg for s in tree.segments))


@dataclass
class MetabolicEnergy(CostTerm):
    """``integral of sum_m Edot_m dt / M``: metabolic energy of the muscles per kg of body (J/kg).

    ``Edot_m`` (W) is muscle m's metabolic rate by ``model``: Bhargava et
    al. 2004 as PredSim smooths it (``bhargava2004``), Umberger 2003 with
    Umberger 2010's changes (``umberger2010``) or Uchida et al. 2016
    (``uchida2016``), formulas in :mod:`ocp.models.muscles.metabolics`; ``M``
    the model's mass (``per_body_mass``). ``exponent`` p and ``reduction``
    make PredSim's cost, the mean over muscles of ``Edot_m^p`` per kg (its
    default p = 2: ``exponent = 2, reduction = "mean"``); with
    ``divide_by_displacement = "pelvis_tx"`` the term is per metre walked,
    as PredSim's (which divides its whole objective by the distance). Each
    muscle needs its fraction of slow-twitch fibres (``slow_twitch_fraction``)
    and specific tension, from ``[costs.NAME.muscles.MUSCLE]``, the table's
    defaults or ``properties = "predsim"`` (PredSim's defaults for the
    gait2392 / Falisse 2022 muscles, ``ocp.models.muscles.predsim_defaults``);
    a muscle left without a fraction is an error naming it. Needs a
    muscle-driven model.
    """

    toml_name: ClassVar[str] = "metabolic_energy"

    rate_model: str = option("bhargava2004", key="model", choices=tuple(METABOLIC_MODELS),
                             doc="bhargava2004, umberger2010 or uchida2016")
    properties: str | None = option(None, choices=("predsim",),
                                    doc="muscle properties preset: 'predsim' (fibre types, "
                                        "specific tensions of the gait2392 muscles)")
    slow_twitch_fraction: float | None = option(
        None, doc="fraction of slow-twitch fibres of every muscle not given otherwise (0-1)")
    specific_tension: float = option(DEFAULT_SPECIFIC_TENSION_PA, unit="Pa", minimum=0.0,
                                     doc="specific tension of every muscle not given "
                                         "otherwise (muscle mass = F_max / it x density x l_opt)")
    smoothing: float = option(TANH_SMOOTHING, minimum=0.0,
                              doc="sharpness b of the tanh switches (PredSim's tanh_b)")
    exponent: float = option(1.0, minimum=1.0, doc="p of Edot_m^p (PredSim: 2)")
    reduction: str = option("sum", choices=("sum", "mean"),
                            doc="sum or mean over the muscles (PredSim: mean)")
    per_body_mass: bool = option(True, doc="divide by the model's mass")
    use_excitation: bool = option(
        False, doc="excitation (true) or activation (false, as PredSim) recruits the fibres")
    #: muscle -> MetabolicMuscle keyword values (slow_twitch_fraction, specific_tension_Pa,
    #: mass_kg), from the file's tables and preset
    muscle_properties: dict = option(default_factory=dict, in_file=False)

    @classmethod
    def from_table(cls, name, reader, context: CostContext):
        reader.only(cls.file_keys() | {"muscles"})
        values = read_options(cls, reader)
        model = context.model
        if not isinstance(model, MuscleDrivenTree):
            raise reader.error("type", f"model '{model.name}' has no muscles whose metabolic "
                               f"energy this could add up")
        names = [m.name for m in model.muscles]
        table = reader.sub("muscles")
        for muscle in table.table:
            if muscle not in names:
                raise table.error(muscle, f"unknown muscle '{muscle}'" + suggestion(muscle, names))
        props = {}
        for m in names:
            entry = {}
            preset = predsim_properties(m) if values.get("properties") == "predsim" else None
            if preset is not None:
                entry["slow_twitch_fraction"], entry["specific_tension_Pa"] = preset
            if values.get("slow_twitch_fraction") is not None:
                entry.setdefault("slow_twitch_fraction", values["slow_twitch_fraction"])
            entry.setdefault("specific_tension_Pa", values.get("specific_tension",
                                                                DEFAULT_SPECIFIC_TENSION_PA))
            if m in table.table:
                sub = table.sub(m)
                sub.only(MUSCLE_KEYS)
                fraction = sub.number("slow_twitch_fraction", minimum=0.0)
                if fraction is not None:
                    if fraction > 1:
                        raise sub.error("slow_twitch_fraction", f"a fraction is in [0, 1], "
                                        f"got {fraction}")
                    entry["slow_twitch_fraction"] = fraction
                tension = sub.number("specific_tension", unit="Pa", minimum=0.0)
                if tension is not None:
                    entry["specific_tension_Pa"] = tension
                mass = sub.number("mass", unit="kg", minimum=0.0)
                if mass is not None:
                    entry["mass_kg"] = mass
            if "slow_twitch_fraction" not in entry:
                key = f"{reader.key('muscles')}.{m}.slow_twitch_fraction"
                hint = ("it is not in PredSim's table (properties = \"predsim\")"
                        if values.get("properties") else
                        "or properties = \"predsim\" for the gait2392 muscles")
                raise table.error(None, f"muscle '{m}' has no fraction of slow-twitch fibres "
                                  f"for the {values.get('rate_model', 'bhargava2004')} model: "
                                  f"give {key} (0-1) or slow_twitch_fraction for all "
                                  f"muscles; {hint}")
            props[m] = entry
        term = cls(name, muscle_properties=props, **values)
        try:
            term.check(model)
        except ValueError as exc:
            raise reader.error("muscles", str(exc)) from None
        return term

    def metabolic_muscles(self, model) -> list[MetabolicMuscle]:
        """The model's muscles with their metabolic properties."""
        out = []
        for m in model.muscles:
            if m.name not in self.muscle_properties:
                raise ValueError(f"muscle '{m.name}' has no slow_twitch_fraction for the "
                                 f"metabolic energy term '{self.name}'")
            p = m.parameters
            out.append(MetabolicMuscle(m.name, p.max_isometric_force_N, p.optimal_fiber_length_m,
                                       p.max_contraction_velocity_lopt_per_s,
                                       **self.muscle_properties[m.name]))
        return out

    def check(self, model):
        if not isinstance(model, MuscleDrivenTree):
            raise ValueError(f"model '{model.name}' has no muscles")
        for m in self.metabolic_muscles(model):
            m.check()

    def value_unit(self, model):
        if self.exponent != 1 or self.reduction != "sum":
            return "-"
        return "J/kg" if self.per_body_mass else "J"

    def muscle_rates(self, model, x, u, excitations=None):
        """Per muscle, the HeatRates (W) at state x and control u; ``excitations``
        (a list, one per muscle) replace the activations when ``use_excitation``."""
        rate = METABOLIC_MODELS[self.rate_model]
        activations = model.activations(x, u)
        out = []
        for i, (m, (s, _)) in enumerate(zip(self.metabolic_muscles(model),
                                            model.muscle_states(x, u))):
            a = activations[i]
            e = excitations[i] if excitations is not None else a
            fiber = FiberState(
                excitation=e, activation=a, fiber_length_norm=s.fiber_length_norm,
                fiber_velocity_m_s=s.fiber_velocity_norm * m.max_contraction_velocity_lopt_per_s
                * m.optimal_fiber_length_m,
                active_fiber_force_N=s.active_fiber_force_N,
                passive_fiber_force_N=s.passive_fiber_force_N,
                force_length_multiplier=active_force_length(s.fiber_length_norm, model.curves))
            out.append(rate(m, fiber, self.smoothing))
        return out

    def integrand(self, v):
        model = v.model
        excitations = None
        if self.use_excitation and model.activation_dynamics:
            excitations = [v.control(f"{m.name}_excitation") for m in model.muscles]
        rates = ca.vertcat(*[r.total_W for r in self.muscle_rates(model, v.x, v.u,
                                                                   excitations)])
        total = ca.sum1(rates if self.exponent == 1 else rates ** self.exponent)
        if self.reduction == "mean":
            total = total / rates.shape[0]
        return total / model_mass_kg(model) if self.per_body_mass else total
