"""Surface EMG to a normalised linear envelope (an excitation-like signal, 0 to 1).

The usual chain (De Luca, "The use of surface electromyography in
biomechanics", J Appl Biomech 1997; SENIAM recommendations, Hermens et al.
2000; Winter 2009, ch. 10):

1. band-pass, zero-phase Butterworth, 20 to 450 Hz by default: the high-pass
   removes the DC offset and movement artefacts (below about 10 to 20 Hz),
   the low-pass noise above the EMG band;
2. full-wave rectification, ``|e(t)|``;
3. low-pass, zero-phase Butterworth at a few hertz (6 Hz by default): the
   linear envelope, whose low-frequency content follows muscle force;
4. normalisation by a reference: the peak envelope of a maximum voluntary
   contraction trial, or of the trial itself.

For white EMG-like noise of standard deviation ``s(t)`` that varies slowly,
the envelope is ``s(t) sqrt(2/pi)``, the mean of a rectified Gaussian: the
test of this module checks exactly that.
"""
from __future__ import annotations

import numpy as np

from ocp.data.errors import DataError
from ocp.data.filters import DEFAULT_ORDER, zero_phase
from ocp.data.tables import Table

#: Default band of surface EMG (Hz), SENIAM / De Luca 1997.
EMG_BAND_HZ = (20.0, 450.0)
#: Default cut-off of the linear envelope (Hz).
ENVELOPE_CUTOFF_HZ = 6.0


def linear_envelope(values, rate_hz: float, *, band_hz=EMG_BAND_HZ,
                    envelope_cutoff_hz: float = ENVELOPE_CUTOFF_HZ,
                    order: int = DEFAULT_ORDER, file=None, column=None) -> np.ndarray:
    """Band-pass, rectify and low-pass raw EMG, (n,) or (n, m), sampled at ``rate_hz``.

    ``band_hz = (low, high)``; ``high = None`` skips the upper edge (data
    sampled too slowly for 450 Hz). Returns the envelope in the units of the
    input (V, mV), clipped at zero (the low-pass can undershoot slightly).
    """
    low, high = band_hz
    if high is None:
        filtered = zero_phase(values, rate_hz, low, "highpass", order, file=file,
                              column=column)
    else:
        if not low < high:
            raise DataError(f"band {band_hz} Hz: the lower edge must be below the upper",
                            file, column if isinstance(column, str) else None)
        filtered = zero_phase(values, rate_hz, (low, high), "bandpass", order, file=file,
                              column=column)
    envelope = zero_phase(np.abs(filtered), rate_hz, envelope_cutoff_hz, "lowpass", order,
                          file=file, column=column)
    return np.maximum(envelope, 0.0)


def normalise(envelope, reference=None) -> np.ndarray:
    """``envelope / peak`` per column; the peak of ``reference`` (an MVC trial's
    envelope, same columns) or, without one, of ``envelope`` itself."""
    envelope = np.asarray(envelope, float)
    peak = np.max(np.asarray(envelope if reference is None else reference, float), axis=0)
    if np.any(peak <= 0):
        raise ValueError("a normalisation reference must have a positive peak in every column")
    return envelope / peak


def emg_envelopes(table: Table, columns=None, *, band_hz=EMG_BAND_HZ,
                  envelope_cutoff_hz: float = ENVELOPE_CUTOFF_HZ,
                  mvc: Table | None = None, order: int = DEFAULT_ORDER) -> Table:
    """Normalised linear envelopes (unit ``"-"``, 0 to 1) of EMG columns of a table.

    ``mvc`` is a table of maximum voluntary contraction trials with the same
    column names, processed the same way; without it each column is divided
    by its own peak. Returns a table of the listed columns at the same times.
    """
    rate = table.require_uniform("EMG processing")
    names = list(table.columns if columns is None else columns)
    emg = table.select(names)
    kwargs = dict(band_hz=band_hz, envelope_cutoff_hz=envelope_cutoff_hz, order=order)
    envelope = linear_envelope(emg.values, rate, file=table.source or None, column=names,
                               **kwargs)
    reference = None
    if mvc is not None:
        ref = mvc.select(names)
        reference = linear_envelope(ref.values, mvc.require_uniform("EMG processing"),
                                    file=mvc.source or None, column=names, **kwargs)
    return emg.replace(values=normalise(envelope, reference), units=("-",) * len(names),
                       rate_hz=table.rate_hz,
                       metadata=dict(table.metadata, emg_band_hz=band_hz,
                                     envelope_cutoff_hz=envelope_cutoff_hz))
