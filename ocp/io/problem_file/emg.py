"""``[emg]``: EMG envelopes tracked with a scale per muscle, estimated in the NLP.

::

    [emg]
    file = "data/walk_emg.sto"     # .sto/.mot/.csv: time and one envelope column per muscle
    columns = { soleus_r = "SOL" } # muscle -> column, when the columns are not muscle names
    signal = "excitation"          # or "activation": what the scaled envelope is compared with
    weight = 10                    # of integral sum_m (y_m - s_m e_m(t))^2 dt
    scale_bounds = [0.01, 10]      # bounds of every scale s_m; or a table muscle -> [lo, hi]
    scale_guess = 1                # the scales' initial guess

Moco's ``MocoControlTrackingGoal`` with ``addScaleFactor`` per muscle
(ocp.costs.emg_tracking). Without ``columns`` every column but time must be
a muscle of the model. Envelopes must be finite, non-negative and cover the
problem's horizon; each muscle's scale is a decision variable
``emg_scale.<muscle>``, reported after the solve with the RMS of
``y_m - s_m e_m``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ocp.costs.emg_tracking import SIGNALS, EmgScale, EmgTracking
from ocp.errors import suggestion

EMG_KEYS = {"file", "columns", "signal", "weight", "scale_bounds", "scale_guess"}
#: default bounds of a scale: envelopes in any unit within four decades of the muscle's
DEFAULT_SCALE_BOUNDS = (0.01, 100.0)


def read_emg(reader, model, base: Path, horizon) -> tuple[EmgTracking, list[EmgScale]]:
    """The [emg] table's tracking term and its scales (ProblemError naming file and key)."""
    from ocp.data.errors import DataError
    from ocp.data.files import read
    reader.only(EMG_KEYS)
    signal = reader.string("signal", "excitation", choices=SIGNALS)
    names = model.control_names if signal == "excitation" else model.state_names
    suffix = f"_{signal}"
    muscles = [n[:-len(suffix)] for n in names if n.endswith(suffix)]
    if not muscles:
        raise reader.error("signal", f"model '{model.name}' has no muscle {signal}s "
                           f"(no '<muscle>{suffix}')")
    path = reader.path("file", base)
    if path is None:
        raise reader.error("file", "the EMG file is required (.sto, .mot or .csv: time and "
                           "one envelope column per muscle)")
    try:
        table = read(path)
    except DataError as exc:
        raise reader.error("file", str(exc)) from None
    mapping = reader.sub("columns").table
    if mapping:
        for muscle, column in mapping.items():
            if muscle not in muscles:
                raise reader.sub("columns").error(muscle, f"'{muscle}' is not a muscle of "
                                                  f"model '{model.name}'" +
                                                  suggestion(muscle, muscles))
            if not isinstance(column, str) or column not in table.columns:
                raise reader.sub("columns").error(muscle, f"'{path.name}' has no column "
                                                  f"{column!r}" +
                                                  suggestion(str(column), table.columns))
    else:
        for column in table.columns:
            if column not in muscles:
                raise reader.error("file", f"'{path.name}': column '{column}' is not a muscle "
                                   f"of model '{model.name}'" + suggestion(column, muscles) +
                                   " (map muscles to columns with [emg.columns])")
        mapping = {c: c for c in table.columns}
    tracked = tuple(mapping)
    values = np.column_stack([table.values[:, table.columns.index(mapping[m])]
                              for m in tracked])
    time = np.asarray(table.time_s, float)
    for j, m in enumerate(tracked):
        column = values[:, j]
        bad = np.nonzero(~np.isfinite(column) | (column < 0))[0]
        if bad.size:
            k = int(bad[0])
            raise reader.error("file", f"'{path.name}': column '{mapping[m]}' is "
                               f"{column[k]:g} at {time[k]:g} s; EMG envelopes must be "
                               f"finite and non-negative (rectified and low-pass filtered)")
    start, final = horizon
    final = max(final) if isinstance(final, tuple | list) else final
    if time[0] > start + 1e-9 or time[-1] < final - 1e-9:
        raise reader.error("file", f"'{path.name}' covers {time[0]:g} to {time[-1]:g} s, "
                           f"not the problem's {start:g} to {final:g} s")
    bounds = scale_bounds(reader, tracked)
    guess = reader.number("scale_guess", 1.0, minimum=0.0)
    scales = []
    for m in tracked:
        lo, hi = bounds[m]
        scales.append(EmgScale(m, lo, hi, float(np.clip(guess, lo, hi))))
    term = EmgTracking("emg", weight=reader.number("weight", 1.0, minimum=0.0),
                       time_s=time, envelopes=values, muscles=tracked, signal=signal,
                       file=str(path))
    return term, scales


def scale_bounds(reader, muscles) -> dict:
    """``scale_bounds``: one [lo, hi] for all muscles, or a table muscle -> [lo, hi]."""
    value = reader.table.get("scale_bounds", list(DEFAULT_SCALE_BOUNDS))
    if isinstance(value, dict):
        out = {m: DEFAULT_SCALE_BOUNDS for m in muscles}
        sub = reader.sub("scale_bounds")
        for m in value:
            if m not in muscles:
                raise sub.error(m, f"'{m}' has no EMG column" + suggestion(m, list(muscles)))
            out[m] = pair(sub, m, value[m])
        return out
    bounds = pair(reader, "scale_bounds", value)
    return {m: bounds for m in muscles}


def pair(reader, key: str, value) -> tuple:
    """Positive bounds ``lo <= hi`` of a scale."""
    ok = (isinstance(value, list) and len(value) == 2 and
          all(isinstance(v, int | float) and not isinstance(v, bool) for v in value))
    if not ok or not 0 < value[0] <= value[1] or not np.isfinite(value[1]):
        raise reader.error(key, f"expected scale bounds [lower, upper] with "
                           f"0 < lower <= upper, finite, got {value!r}")
    return float(value[0]), float(value[1])
