"""OpenSim muscles' parameters as ocp's (planar and 3D models alike).

DeGrooteFregly2016Muscle parameters are taken as they are; Millard2012EquilibriumMuscle
and Thelen2003Muscle are converted (see ``ocp.osim.model``), each conversion
noted. Also the errors within which a fitted muscle path is trusted.
"""
from __future__ import annotations

import math

from ocp.models.muscles.hill import MuscleParameters

#: A fitted muscle path (polynomial or neural) is trusted within these errors against
#: the exact path, on validation samples (docs/models.md): RMS of the length and of
#: the moment arms, m. The worst moment arm is not held to a target: at a conditional
#: point's switch it is millimetres off for any smooth fit.
FIT_LENGTH_RMS_M, FIT_MOMENT_ARM_RMS_M = 0.5e-3, 2e-3


class OsimConversionNote(UserWarning):
    """A muscle or contact parameter that OpenSim and ocp model differently."""


class FromOsimFile:
    """Keeps the .osim file's bounds (coordinate ranges, control limits), notes and fit.

    A mixin of planar and 3D models read from a file. Satisfies
    ocp.models.protocols.OsimModel: ``osim`` (the Skeleton or SpatialDocument),
    ``file_bounds``, ``notes``, ``geometry_fit`` and ``geometry_method``.
    """

    def __init__(self, *args, bounds=None, osim=None, notes=(), geometry_fit=(),
                 geometry_method: str = "exact", **kwargs):
        super().__init__(*args, **kwargs)
        self.file_bounds = dict(bounds or {})
        self.osim, self.notes = osim, tuple(notes)
        self.geometry_fit, self.geometry_method = tuple(geometry_fit), geometry_method

    def arguments(self) -> dict:
        """The constructor's arguments (Model.replace)."""
        return {**super().arguments(), "bounds": self.file_bounds, "osim": self.osim,
                "notes": self.notes, "geometry_fit": self.geometry_fit,
                "geometry_method": self.geometry_method}

    def default_bounds(self):
        bounds = super().default_bounds()
        bounds.update(self.file_bounds)
        return bounds


# -- muscles -----------------------------------------------------------------

def _float(doc, m, key, default):
    text = m.properties.get(key)
    if text is None:
        return default
    try:
        return float(text)
    except ValueError:
        raise doc.error(f"<{key}> must be a number, got '{text}'",
                        f"{m.kind} '{m.name}'", m.line) from None


def _bool(m, key, default):
    return m.properties.get(key, str(default)).lower() == "true"


def muscle_parameters(doc, m, notes: list, millard_min_control: bool = False
                      ) -> tuple[MuscleParameters, dict]:
    """(MuscleParameters, flags) of an OpenSim muscle element (converted if not DGF);
    ``doc`` (an OsimDocument or SpatialDocument) names the file in errors.

    ``millard_min_control``: a Millard2012EquilibriumMuscle without ``<min_control>``
    gets its ``minimum_activation`` (default 0.01) as the lower bound of its
    excitation and activation, as OpenSim's Millard constructor sets it and
    replaceMuscles copies it to the DeGroote muscle (Moco then bounds the
    activation by it: ``bound_activation_from_excitation``). The planar reader
    asks for it; the 3D reader keeps 0 until its problems are solved again.
    """
    where = f"{m.kind} '{m.name}'"
    if m.kind == "DeGrooteFregly2016Muscle":
        width = _float(doc, m, "active_force_width_scale", 1.0)
        if width != 1.0:
            raise doc.error(f"active_force_width_scale = {width} is not supported (1 only)",
                            where, m.line)
        strain = _float(doc, m, "tendon_strain_at_one_norm_force", 0.049)
        damping = _float(doc, m, "fiber_damping", 0.0)
        tau_a = _float(doc, m, "activation_time_constant", 0.015)
        tau_d = _float(doc, m, "deactivation_time_constant", 0.060)
    else:
        if m.kind == "Thelen2003Muscle":
            strain = _float(doc, m, "FmaxTendonStrain", 0.033)
        else:
            # Millard's TendonForceLengthCurve default strain_at_one_norm_force
            strain = _float(doc, m, "TendonForceLengthCurve.strain_at_one_norm_force", 0.049)
        # OpenSim's replaceMuscles keeps a Millard muscle's fiber_damping (its default
        # 0.1) and sets a Thelen muscle's to zero
        damping = (_float(doc, m, "fiber_damping", 0.1)
                   if m.kind == "Millard2012EquilibriumMuscle" else 0.0)
        tau_a = _float(doc, m, "activation_time_constant", 0.015)
        tau_d = _float(doc, m, "deactivation_time_constant", 0.060)
        notes.append(f"muscle '{m.name}' ({m.kind}, line {m.line}) converted to "
                     f"DeGrooteFregly2016Muscle: same F_max, l_opt, l_s, pennation, v_max, "
                     f"time constants, tendon strain {strain:g} at F_max; De Groote curves, "
                     f"fibre damping {damping:g}")
    params = MuscleParameters(
        max_isometric_force_N=_float(doc, m, "max_isometric_force", math.nan),
        optimal_fiber_length_m=_float(doc, m, "optimal_fiber_length", math.nan),
        tendon_slack_length_m=_float(doc, m, "tendon_slack_length", math.nan),
        pennation_angle_at_optimal_rad=_float(doc, m, "pennation_angle_at_optimal", 0.0),
        max_contraction_velocity_lopt_per_s=_float(doc, m, "max_contraction_velocity", 10.0),
        tendon_strain_at_one_norm_force=strain,
        activation_time_constant_s=tau_a, deactivation_time_constant_s=tau_d,
        fiber_damping=damping)
    try:
        params.check(m.name)
    except ValueError as exc:
        raise doc.error(str(exc), where, m.line) from None
    flags = {
        "rigid": _bool(m, "ignore_tendon_compliance", False),
        "no_activation_dynamics": _bool(m, "ignore_activation_dynamics", False),
        "no_passive": _bool(m, "ignore_passive_fiber_force", False),
        # OpenSim's DeGrooteFregly2016Muscle default (also for converted muscles):
        # b = 0.1 blends the activation and deactivation rates (see activation.py)
        "activation_smoothing": _float(doc, m, "activation_dynamics_smoothing", 0.1),
        "min_control": _float(doc, m, "min_control",
                              _float(doc, m, "minimum_activation", 0.01)
                              if millard_min_control and m.kind == "Millard2012EquilibriumMuscle"
                              else 0.0),
        "max_control": _float(doc, m, "max_control", 1.0),
    }
    return params, flags


__all__ = ["FIT_LENGTH_RMS_M", "FIT_MOMENT_ARM_RMS_M", "FromOsimFile", "OsimConversionNote",
           "muscle_parameters"]
