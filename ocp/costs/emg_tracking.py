"""Tracking of EMG envelopes with a scale per muscle estimated in the NLP.

Moco's ``MocoControlTrackingGoal`` with scale factors (``addScaleFactor``,
opensim-core ``OpenSim/Moco/MocoGoal/MocoControlTrackingGoal.h``): EMG
envelopes are in arbitrary units (volts, or a fraction of a maximum
voluntary contraction that the task never reaches), so each muscle's
envelope is multiplied by an unknown scale ``s_m``, a time-invariant decision
variable with bounds, and the term is

    J_emg = integral of sum_m (y_m(t) - s_m e_m(t))^2 dt,

``y_m`` the muscle's excitation (or activation), ``e_m`` its envelope
interpolated linearly in time. The scales are :class:`EmgScale` objects, the
engine's :class:`ocp.engine.parameters.ModelParameter`: they change no number
of the model, the term reads them by name (``PointVariables.parameter``).
The problem file's ``[emg]`` section (ocp/io/problem_file/emg.py) builds both.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import casadi as ca
import numpy as np

from ocp.costs.base import CostTerm

#: the parameter name of muscle m's scale: ``emg_scale.<m>``
SCALE_PREFIX = "emg_scale."
#: what the envelopes are compared with: the muscle's control or its state
SIGNALS = ("excitation", "activation")


@dataclass(frozen=True)
class EmgScale:
    """The scale ``s_m`` of one muscle's EMG envelope, ``lower <= s_m <= upper``.

    Implements :class:`ocp.engine.parameters.ModelParameter`; the model is
    left as it is (the scale belongs to the EMG tracking term).
    """

    muscle: str
    lower: float
    upper: float
    guess: float = 1.0

    @property
    def name(self) -> str:
        return SCALE_PREFIX + self.muscle

    def check(self, model, key: str) -> None:
        """Nothing to check against the model (the [emg] reader checked the muscle)."""

    def start_value(self, model) -> float:
        return float(self.guess)

    def scale(self, model) -> float:
        return max(abs(float(self.guess)), 1e-3)

    def with_value(self, model, value):
        return model


@dataclass
class EmgTracking(CostTerm):
    """``integral of sum_m (y_m - s_m e_m(t))^2 dt``: excitations (or activations) against
    scaled EMG envelopes; ``s_m`` the parameter ``emg_scale.<m>``.

    ``time_s`` (n,) and ``envelopes`` (n, k): the envelopes of ``muscles`` (k
    names, the file's units); ``signal``: "excitation" or "activation";
    ``file``: the EMG file (for reports).
    """

    time_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    envelopes: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    muscles: tuple = ()
    signal: str = "excitation"
    file: str = ""

    def tracked(self, muscle: str) -> str:
        """The state or control compared with ``muscle``'s scaled envelope."""
        return f"{muscle}_{self.signal}"

    def envelope_at(self, time) -> np.ndarray:
        """The envelopes (unscaled) at ``time`` (n_t,), linear in time: (n_t, k)."""
        time = np.asarray(time, float)
        return np.column_stack([np.interp(time, self.time_s, self.envelopes[:, j])
                                for j in range(len(self.muscles))])

    def check(self, model):
        names = set(model.state_names) | set(model.control_names)
        for m in self.muscles:
            if self.tracked(m) not in names:
                raise ValueError(f"EMG of '{m}': the model has no '{self.tracked(m)}'")

    def value_unit(self, model):
        return "s"

    def integrand(self, v):
        if not self.muscles:
            return 0
        # CasADi's interpolant wants the output index to run fastest
        envelope = ca.interpolant(f"emg_{self.name}", "linear", [self.time_s],
                                  np.asarray(self.envelopes, float).ravel(order="C"))(v.t)
        residuals = [v.value(self.tracked(m)) - v.parameter(SCALE_PREFIX + m) * envelope[j]
                     for j, m in enumerate(self.muscles)]
        return ca.sumsqr(ca.vertcat(*residuals))
