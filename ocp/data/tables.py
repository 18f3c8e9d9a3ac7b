"""A table of sampled signals: one time column, named columns, units, a rate.

Every file reader returns :class:`Table` objects, one per sampling rate (a C3D
file holds markers at one rate and analog channels at another), and every
processing step (filtering, resampling, EMG envelopes) takes a table and
returns a new one: nothing is changed in place, and each signal keeps its own
sampling rate and units until the user moves it onto another time base.

Sampling: ``rate_hz`` is the uniform sampling rate, or ``None`` for
irregular samples. Files often print time with few decimals (OpenSim's
``.trc`` writes 60 Hz as 0.017, 0.033, ...), so a time column counts as
uniform at rate ``r`` when every sample lies within a quarter of a period of
the grid ``t_0 + k / r``: rounding passes, a wrong rate or a dropped frame
does not (both move some sample by a whole period or more).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from ocp.data.errors import DataError
from ocp.errors import suggestion
from ocp.units import CONVERSIONS

#: A time column is uniform if no sample is further than this fraction of a
#: period from the uniform grid (see the module docstring).
UNIFORM_TOLERANCE_PERIODS = 0.25

#: Units that are angles (or their rates), to recognise degrees.
ANGLE_UNITS = {"rad": "rad", "deg": "rad", "rad/s": "rad/s", "deg/s": "rad/s",
               "rad/s^2": "rad/s^2", "deg/s^2": "rad/s^2"}


def uniform_rate(time_s) -> float | None:
    """The sampling rate (Hz) of a strictly increasing time column, or None.

    The rate is ``(n - 1) / (t_last - t_first)``; None when fewer than two
    samples or when a sample is more than a quarter period off the uniform
    grid (irregular sampling, gaps).
    """
    t = np.asarray(time_s, float)
    if t.size < 2 or not t[-1] > t[0]:
        return None
    rate = (t.size - 1) / (t[-1] - t[0])
    grid = t[0] + np.arange(t.size) / rate
    if np.max(np.abs(t - grid)) > UNIFORM_TOLERANCE_PERIODS / rate:
        return None
    return float(rate)


def check_time(time_s, file=None) -> np.ndarray:
    """The time column as a float array; DataError if not finite and strictly increasing."""
    t = np.asarray(time_s, dtype=float)
    if t.ndim != 1:
        raise DataError(f"the time column must be one-dimensional, got shape {t.shape}",
                        file, "time")
    if t.size == 0:
        raise DataError("no samples", file, "time")
    bad = np.flatnonzero(~np.isfinite(t))
    if bad.size:
        raise DataError(f"time is not a number at sample {bad[0] + 1}", file, "time")
    steps = np.diff(t)
    bad = np.flatnonzero(steps <= 0)
    if bad.size:
        k = bad[0]
        raise DataError(f"time must be strictly increasing; sample {k + 2} "
                        f"(t = {t[k + 1]:.9g} s) follows t = {t[k]:.9g} s", file, "time")
    return t


def check_rate(time_s, rate_hz: float, file=None) -> None:
    """DataError if a stated rate (a file header's) disagrees with the time column."""
    t = np.asarray(time_s, float)
    if not (np.isfinite(rate_hz) and rate_hz > 0):
        raise DataError(f"the sampling rate must be a positive number, got {rate_hz}", file,
                        "time")
    if t.size < 2:
        return
    grid = t[0] + np.arange(t.size) / rate_hz
    off = np.abs(t - grid)
    k = int(np.argmax(off))
    if off[k] > UNIFORM_TOLERANCE_PERIODS / rate_hz:
        measured = (t.size - 1) / (t[-1] - t[0])
        raise DataError(
            f"the rate {rate_hz:g} Hz of the header disagrees with the time column: "
            f"{t.size} samples over {t[-1] - t[0]:.6g} s ({measured:.6g} Hz on average); "
            f"sample {k + 1} is at t = {t[k]:.9g} s, not {grid[k]:.9g} s", file, "time")


def unit_factor(from_unit: str, to_unit: str) -> float | None:
    """Factor from ``from_unit`` to ``to_unit``; None if they are not convertible.

    Uses the conversions of :mod:`ocp.units` (deg -> rad, mm -> m, kN -> N ...);
    an empty unit is unknown and converts to anything with factor 1.
    """
    if not from_unit or not to_unit or from_unit == to_unit:
        return 1.0
    for si, accepted in CONVERSIONS.items():
        if from_unit in accepted and (to_unit in accepted or to_unit == si):
            target = accepted.get(to_unit, 1.0)
            return accepted[from_unit] / target
    return None


@dataclass(frozen=True, eq=False)
class Table:
    """Samples of named signals at common times.

    ``time_s`` (n,) strictly increasing (s); ``values`` (n, m), column ``j``
    is ``columns[j]`` in ``units[j]`` (``""``: unknown, taken as SI);
    ``rate_hz`` the uniform sampling rate (Hz) or None for irregular
    samples: when None it is measured from ``time_s``, when given it is
    checked against it. ``source`` names the file read (for messages);
    ``metadata`` keeps the file header (``in_degrees``, marker names ...).
    Missing samples (gaps in marker data) are NaN.
    """

    time_s: np.ndarray
    values: np.ndarray
    columns: tuple[str, ...]
    units: tuple[str, ...] = ()
    rate_hz: float | None = None
    source: str = ""
    metadata: dict = field(default_factory=dict)

    def __post_init__(self):
        file = self.source or None
        time = check_time(self.time_s, file)
        values = np.asarray(self.values, dtype=float)
        if values.ndim == 1:
            values = values.reshape(-1, 1)
        columns = tuple(str(c) for c in self.columns)
        if values.shape != (time.size, len(columns)):
            raise DataError(f"values have shape {values.shape}, expected "
                            f"({time.size}, {len(columns)}): one row per time, one "
                            f"column per name", file)
        seen = set()
        for c in columns:
            if c in seen:
                raise DataError("column name appears twice", file, c)
            seen.add(c)
        units = tuple(self.units) if self.units else ("",) * len(columns)
        if len(units) != len(columns):
            raise DataError(f"{len(units)} units for {len(columns)} columns", file)
        if self.rate_hz is None:
            rate = uniform_rate(time)
        else:
            rate = float(self.rate_hz)
            check_rate(time, rate, file)
        object.__setattr__(self, "time_s", time)
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "columns", columns)
        object.__setattr__(self, "units", units)
        object.__setattr__(self, "rate_hz", rate)

    # -- shape ---------------------------------------------------------------
    @property
    def n_samples(self) -> int:
        return self.time_s.size

    @property
    def duration_s(self) -> float:
        return float(self.time_s[-1] - self.time_s[0])

    @property
    def is_uniform(self) -> bool:
        return self.rate_hz is not None

    def uniform_time(self) -> np.ndarray:
        """The exact sample times ``t_0 + k / rate`` (s) of a uniformly sampled table."""
        self.require_uniform("uniform sample times")
        return self.time_s[0] + np.arange(self.n_samples) / self.rate_hz

    def require_uniform(self, what: str) -> float:
        if self.rate_hz is None:
            raise DataError(f"{what} needs uniformly sampled data; this time column is "
                            f"irregular (resample it onto a uniform time base first)",
                            self.source or None, "time")
        return self.rate_hz

    # -- columns -------------------------------------------------------------
    def __contains__(self, name) -> bool:
        return name in self.columns

    def index(self, name: str) -> int:
        if name not in self.columns:
            raise DataError(f"no column '{name}'" + suggestion(name, self.columns),
                            self.source or None, name)
        return self.columns.index(name)

    def column(self, name: str) -> np.ndarray:
        """The samples of one column, (n,), in :meth:`unit` ``(name)``."""
        return self.values[:, self.index(name)]

    def unit(self, name: str) -> str:
        return self.units[self.index(name)]

    def column_in(self, name: str, unit: str) -> np.ndarray:
        """One column converted to ``unit`` (``"rad"``, ``"m"`` ...).

        A column of unknown unit is returned as is (taken as SI); a unit of
        another kind (newtons asked in radians) is a DataError.
        """
        have = self.unit(name)
        factor = unit_factor(have, unit)
        if factor is None:
            raise DataError(f"is in '{have}', which does not convert to '{unit}'",
                            self.source or None, name)
        return self.column(name) * factor

    def select(self, names) -> Table:
        """A table of the listed columns only, in that order."""
        idx = [self.index(n) for n in names]
        return self.replace(values=self.values[:, idx], columns=tuple(names),
                            units=tuple(self.units[i] for i in idx))

    def window(self, start_s: float, end_s: float) -> Table:
        """Samples with ``start_s <= t <= end_s``."""
        keep = (self.time_s >= start_s) & (self.time_s <= end_s)
        if keep.sum() < 1:
            raise DataError(f"no samples between {start_s} s and {end_s} s (the data "
                            f"cover {self.time_s[0]:g} to {self.time_s[-1]:g} s)",
                            self.source or None, "time")
        return self.replace(time_s=self.time_s[keep], values=self.values[keep])

    def replace(self, **changes) -> Table:
        """A copy with some fields changed (the rate is re-measured unless given)."""
        if "time_s" in changes and "rate_hz" not in changes:
            changes["rate_hz"] = None
        return dataclasses.replace(self, **changes)

    def describe(self) -> str:
        rate = f"{self.rate_hz:g} Hz" if self.rate_hz else "irregular"
        head = (f"{self.source or 'table'}: {self.n_samples} samples, {rate}, "
                f"t = {self.time_s[0]:g} to {self.time_s[-1]:g} s, "
                f"{len(self.columns)} columns")
        cols = [f"  {c} [{u or '?'}]" for c, u in zip(self.columns, self.units)]
        return "\n".join([head] + cols)
