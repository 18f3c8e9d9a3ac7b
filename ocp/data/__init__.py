"""Measured data: read, filter, resample and export time series.

    from ocp import data
    markers = data.read("walking.trc")                 # 60 Hz, mm
    grf = data.read("walking_grf.mot")                 # 600 Hz, N and m
    grf60 = data.resample(grf, markers.rate_hz)        # anti-aliased, 60 Hz
    ik = data.lowpass(data.read("walking_ik.mot"), 6.0)

Modules, one job each: :mod:`.tables` (the Table), :mod:`.opensim_text`
(``.trc``, ``.mot``, ``.sto``), :mod:`.csv_table`, :mod:`.c3d` (ezc3d),
:mod:`.files` (by extension), :mod:`.filters` (zero-phase Butterworth),
:mod:`.resample` (anti-aliased), :mod:`.emg` (envelopes),
:mod:`.derivatives` (velocities and accelerations), :mod:`.export`
(solutions as files), :mod:`.natural_spline` and :mod:`.opensim_filter`
(OpenSim's GCVSpline and TabOpLowPassFilter, as Moco uses them).
"""
from ocp.data.c3d import C3DData, read_c3d, write_c3d
from ocp.data.csv_table import read_csv, write_csv
from ocp.data.derivatives import (
                          FiniteDifferences,
                          InterpolatingSpline,
                          LowpassSpline,
                          SmoothingSpline,
                          acceleration_noise_gain,
)
from ocp.data.emg import emg_envelopes, linear_envelope, normalise
from ocp.data.errors import DataError
from ocp.data.export import export_solution, solution_table
from ocp.data.files import read, read_tables, write
from ocp.data.filters import highpass, lowpass, zero_phase
from ocp.data.natural_spline import NaturalSpline
from ocp.data.opensim_filter import opensim_lowpass
from ocp.data.opensim_text import read_storage, read_trc, write_storage, write_trc
from ocp.data.resample import antialias, resample, resample_at
from ocp.data.tables import Table, uniform_rate

__all__ = ["C3DData", "read_c3d", "write_c3d", "read_csv", "write_csv",
           "FiniteDifferences", "InterpolatingSpline", "LowpassSpline", "SmoothingSpline",
           "acceleration_noise_gain", "emg_envelopes", "linear_envelope", "normalise",
           "DataError", "export_solution", "solution_table", "read", "read_tables", "write",
           "highpass", "lowpass", "zero_phase", "NaturalSpline", "opensim_lowpass",
           "read_storage", "read_trc", "write_storage",
           "write_trc", "antialias", "resample", "resample_at", "Table", "uniform_rate"]
