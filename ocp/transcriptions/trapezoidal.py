"""Trapezoidal collocation: second order, controls linear in each interval."""
import numpy as np

from ocp.transcriptions.base import Transcription, per_interval


class Trapezoidal(Transcription):
    """``x_{k+1} - x_k = h/2 (f_k + f_{k+1})`` (Betts 2010, sec. 4.6)."""

    name = toml_name = "trapezoidal"
    order = 2
    points = np.array([0.0, 1.0])
    quadrature_weights = np.array([0.5, 0.5])
    control_points = np.array([0, 1])

    def defects(self, h, X, F):
        h = per_interval(h, X[0])
        return X[1] - X[0] - h / 2 * (F[0] + F[1])
