"""Hermite-Simpson collocation in separated form: fourth order."""
from dataclasses import dataclass

import casadi as ca
import numpy as np

from ocp.io.declarations import option
from ocp.transcriptions.base import Transcription, per_interval


class HermiteSimpson(Transcription):
    """States and controls at mesh points and interval midpoints.

    Defects (Betts 2010, sec. 4.6.5; Kelly 2017, SIAM Review, eq. 6.3-6.4):
    ``x_m = (x_k + x_{k+1})/2 + h/8 (f_k - f_{k+1})`` (Hermite interpolation) and
    ``x_{k+1} - x_k = h/6 (f_k + 4 f_m + f_{k+1})`` (Simpson quadrature).
    Costs are integrated with Simpson's rule. ``control_midpoints``:
    ``"free"`` (default) makes the midpoint control a free variable, so the
    control is quadratic inside each interval; ``"linear"`` constrains it to
    the mean of the interval's end controls, so the control is piecewise
    linear (OpenSim Moco's default, ``interpolate_control_midpoints``).
    """

    name = toml_name = "hermite-simpson"
    order = 4
    points = np.array([0.0, 0.5, 1.0])
    quadrature_weights = np.array([1.0, 4.0, 1.0]) / 6.0
    control_points = np.array([0, 1, 2])
    MIDPOINT_CHOICES = ("free", "linear")

    @dataclass(frozen=True)
    class Options(Transcription.Options):
        """The [transcription] keys of Hermite-Simpson."""

        control_midpoints: str = option(
            "free", choices=("free", "linear"),
            doc="free: a control variable at each midpoint; linear: the mean of its neighbours")

    def __init__(self, intervals: int, control_midpoints: str = "free", mesh=None):
        super().__init__(intervals, mesh)
        if control_midpoints not in self.MIDPOINT_CHOICES:
            raise ValueError(f"control_midpoints must be one of {self.MIDPOINT_CHOICES}, "
                             f"got {control_midpoints!r}")
        self.control_midpoints = control_midpoints
        if control_midpoints == "linear":
            self.control_points = np.array([0, 2])

    def control_defects(self, U):
        if self.control_midpoints == "linear":
            return U[1] - (U[0] + U[2]) / 2
        return None

    def describe(self) -> str:
        linear = ", linear controls" if self.control_midpoints == "linear" else ""
        return f"{self.name}, {self.mesh_phrase()}{linear}"

    def defects(self, h, X, F):
        h = per_interval(h, X[0])
        hermite = X[1] - (X[0] + X[2]) / 2 - h / 8 * (F[0] - F[2])
        simpson = X[2] - X[0] - h / 6 * (F[0] + 4 * F[1] + F[2])
        return ca.vertcat(hermite, simpson)
