"""Study files: a problem file and a sweep of its keys, expanded into runs.

A study file names one problem file and the keys to vary::

    title = "Reach: effort against movement time"
    problem = "../arm_reach_torque_free_time.toml"   # relative to this file
    mode = "grid"          # grid: every combination | zip: i-th values together

    [fixed]                # overrides applied to every run (optional)
    "transcription.intervals" = 30

    [backend]              # where the runs execute (optional; --workers, --scheduler win)
    name = "pool"          # inline (default), pool or dask: ocp.study.backends.BACKENDS
    workers = 2

    [sweep]                # dotted key of the problem file -> values
    "costs.effort.weight" = {logspace = [0.1, 10, 4]}    # 0.1, 0.464, 2.15, 10
    "costs.time.weight" = [1, 2, 5, 10]
    "time.final" = {linspace = ["0.4 s", "0.8 s", 3]}    # quantities keep their unit

``linspace = [start, stop, count]`` gives ``count`` evenly spaced values from
``start`` to ``stop`` inclusive; ``logspace = [start, stop, count]`` gives
``count`` values evenly spaced on a log scale *between the values* ``start``
and ``stop`` (like ``numpy.geomspace``, not exponents). Keys may be written
quoted (``"costs.effort.weight" = ...``) or bare (``costs.effort.weight = ...``,
which TOML reads as nested tables; both are accepted).

Every run is the problem file with overrides (the ``[fixed]`` ones and one
value of each swept key), so ``ocp solve PROBLEM --set KEY=VALUE ...``
reproduces any run alone. All runs are validated by :func:`ocp.load_problem`
before any is solved.
"""
from __future__ import annotations

import difflib
import hashlib
import itertools
import json
import math
import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ocp.errors import ProblemError, suggestion
from ocp.io.tables import TableReader, read_toml
from ocp.study.backends import BackendChoice, read_backend

STUDY_KEYS = {"title", "description", "problem", "mode", "sweep", "fixed", "backend"}
MODES = ("grid", "zip")
RANGES = ("linspace", "logspace")
#: A value-range of a swept key spanning at least this ratio is normalised on a
#: log scale for the nearest-neighbour search (weights usually are).
LOG_SCALE_RATIO = 10.0
#: Bump when the meaning of a stored study changes (the hash covers it).
FORMAT_VERSION = 1
_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(\S+)?\s*$")


@dataclass(frozen=True)
class Axis:
    """One swept key: its values in study-file order and how to normalise them.

    ``scale`` is ``"linear"``, ``"log"`` (values spanning a decade or more, or
    a ``logspace``) or ``"ordinal"`` (non-numbers: position in the list);
    ``unit`` is the unit the values were written in (``"s"`` for
    ``"0.5 s"``), or ``""`` for plain numbers.
    """

    key: str
    values: tuple
    scale: str
    unit: str = ""

    def numbers(self) -> np.ndarray | None:
        """The values as floats (in their written unit), or None if not numeric."""
        out = [numeric(v) for v in self.values]
        return None if any(x is None for x in out) else np.array(out, float)

    def normalise(self, value) -> float:
        """``value`` mapped to [0, 1] across this axis (0 if the axis has one value)."""
        x = self.numbers()
        if x is None or self.scale == "ordinal":
            i = self.values.index(value)
            return i / (len(self.values) - 1) if len(self.values) > 1 else 0.0
        v = numeric(value)
        if self.scale == "log":
            x, v = np.log(x), math.log(v)
        span = float(x.max() - x.min())
        return (v - float(x.min())) / span if span > 0 else 0.0


@dataclass(frozen=True)
class Run:
    """One solve of a study: the problem file with ``overrides``.

    ``sweep`` holds the swept keys only (a subset of ``overrides``);
    ``coordinates`` places the run in the normalised sweep space [0, 1]^k.
    """

    run_id: int
    overrides: dict
    sweep: dict
    coordinates: tuple


@dataclass(frozen=True)
class Study:
    """A validated study: the problem, the swept axes and every run."""

    path: Path
    problem_path: Path
    title: str
    mode: str
    axes: tuple
    fixed: dict
    runs: tuple
    spec_hash: str
    backend: BackendChoice | None = None   # the file's [backend]; command-line flags win

    @property
    def keys(self) -> list[str]:
        return [a.key for a in self.axes]

    def coordinates(self) -> np.ndarray:
        """(n_runs, n_axes) normalised coordinates of all runs."""
        return np.array([r.coordinates for r in self.runs], float).reshape(
            len(self.runs), len(self.axes))

    def command(self, run: Run) -> str:
        """The ``ocp solve`` command that reproduces ``run`` alone (cold start),
        with the problem file's absolute path: it works from any directory."""
        return solve_command(str(Path(self.problem_path).resolve()), run.overrides)


def numeric(value) -> float | None:
    """A number, or the number of a quantity string (``"0.5 s"`` -> 0.5); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        m = _QUANTITY.match(value)
        if m:
            return float(m.group(1))
    return None


def short(value) -> str:
    """A swept value for a progress line: floats to 4 significant digits."""
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def unit_of(value) -> str:
    """The unit written in a quantity string (``"0.5 s"`` -> ``"s"``), else ``""``."""
    if isinstance(value, str):
        m = _QUANTITY.match(value)
        if m and m.group(2):
            return m.group(2)
    return ""


# -- TOML values for ``--set KEY=VALUE`` ------------------------------------
def toml_value(value) -> str:
    """``value`` written as a TOML value, read back identically by ``--set``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string: same escapes as JSON
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} {value!r} as a TOML value")


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def solve_command(problem_path: str, overrides: dict) -> str:
    """``ocp solve PROBLEM --set k=v ...``, quoted for a POSIX shell."""
    parts = ["ocp", "solve", shlex.quote(str(problem_path))]
    for key, value in overrides.items():
        parts += ["--set", shlex.quote(f"{key}={toml_value(value)}")]
    return " ".join(parts)


# -- reading ------------------------------------------------------------------
def _flatten_sweep(table: dict, prefix: str = "") -> dict:
    """``{"costs": {"effort": {"weight": [...]}}}`` -> ``{"costs.effort.weight": [...]}``."""
    out = {}
    for name, value in table.items():
        key = f"{prefix}.{name}" if prefix else name
        if isinstance(value, dict) and not _is_range(value):  # a dotted key
            out.update(_flatten_sweep(value, key))
        else:
            out[key] = value
    return out


def _is_range(table: dict) -> bool:
    """A {linspace = ...} / {logspace = ...} table (or a misspelling of one)."""
    return any(r in table for r in RANGES) or any(
        difflib.get_close_matches(str(k), RANGES, n=1, cutoff=0.75) for k in table)


def range_values(reader: TableReader) -> tuple[list, str]:
    """Values and scale of a ``{linspace = [a, b, n]}`` / ``{logspace = ...}`` table.

    ``reader`` holds the range table; its errors name the swept key
    (``sweep.costs.effort.weight``).
    """
    spec = reader.table

    def error(message):
        return reader.error(None, message)

    kinds = [r for r in RANGES if r in spec]
    extra = sorted(set(spec) - set(RANGES))
    if len(kinds) != 1 or extra:
        raise error("a range is {linspace = [start, stop, count]} or "
                    "{logspace = [start, stop, count]}" +
                    (f"; unknown key '{extra[0]}'" + suggestion(extra[0], RANGES) if extra else ""))
    kind = kinds[0]
    triple = spec[kind]
    if not (isinstance(triple, list) and len(triple) == 3):
        raise error(f"{kind} expects [start, stop, count], got {triple!r}")
    start, stop, count = triple
    if isinstance(count, bool) or not isinstance(count, int):
        raise error(f"{kind}: the count must be an integer, got {count!r}")
    if count < 1:
        raise error(f"empty range: {kind} with count {count} gives no values")
    a, b = numeric(start), numeric(stop)
    if a is None or b is None or isinstance(start, bool) or isinstance(stop, bool):
        raise error(f"{kind}: start and stop must be numbers or quantities "
                    f"like \"0.5 s\", got {start!r} and {stop!r}")
    unit_a, unit_b = unit_of(start), unit_of(stop)
    if unit_a != unit_b:
        raise error(f"{kind}: start and stop must have the same unit, got "
                    f"'{unit_a or 'none'}' and '{unit_b or 'none'}'")
    if count == 1 and a != b:
        raise error(f"{kind} with count 1 would drop the stop value {stop!r}; "
                    "use count >= 2 or a list")
    if kind == "logspace":
        if a <= 0 or b <= 0:
            raise error(f"logspace needs positive start and stop (the values themselves, "
                        f"not exponents: [0.01, 10, 4] gives 0.01, 0.1, 1, 10), got {start!r} "
                        f"and {stop!r}")
        numbers = np.geomspace(a, b, count)
    else:
        numbers = np.linspace(a, b, count)
    numbers = [float(x) for x in numbers]
    numbers[0], numbers[-1] = a, b  # exact endpoints, as written
    if unit_a:
        values = [f"{x:.12g} {unit_a}" for x in numbers]
    elif all(isinstance(v, int) for v in (start, stop)) and all(x.is_integer() for x in numbers):
        values = [int(x) for x in numbers]  # mesh sizes and other integers stay integers
    else:
        values = numbers
    return values, ("log" if kind == "logspace" else "linear")


def read_axis(sweep: TableReader, key: str, mode: str) -> Axis:
    """The swept key ``key`` (dotted) of the ``[sweep]`` table: a list or a range."""
    spec = sweep.table[key]
    if isinstance(spec, dict):
        values, scale = range_values(TableReader(spec, sweep.key(key), sweep.file))
    elif isinstance(spec, list):
        values = spec
        if not values:
            raise sweep.error(key, "empty range: the list of values is empty")
        scale = _list_scale(values)
    else:
        raise sweep.error(key, f"expected a list of values or {{linspace = [start, stop, count]}}"
                          f" / {{logspace = [start, stop, count]}}, got {spec!r}")
    if mode == "grid" and len({json.dumps(v, sort_keys=True) for v in values}) != len(values):
        raise sweep.error(key, f"repeated values in {values!r}: every run would be solved twice")
    units = {unit_of(v) for v in values}
    return Axis(key, tuple(values), scale, units.pop() if len(units) == 1 else "")


def _list_scale(values: list) -> str:
    x = [numeric(v) for v in values]
    if any(v is None for v in x) or len({unit_of(v) for v in values}) > 1:
        return "ordinal"
    lo, hi = min(x), max(x)
    if lo > 0 and hi / lo >= LOG_SCALE_RATIO:
        return "log"
    return "linear"


def read_study(path) -> dict:
    """The TOML data of a study file; a missing file or bad TOML is a ProblemError."""
    return read_toml(Path(path), "study file")


def load_study(path, validate: bool = True) -> Study:
    """Read a study file, expand its runs and (by default) validate every one.

    Raises :class:`ProblemError` naming the study file and the key for an
    unknown key, an empty or malformed range, zipped lists of different
    lengths, or a value the problem file rejects (with the run it belongs to).
    """
    path = Path(path)
    reader = TableReader(read_study(path), "", str(path))
    reader.only(STUDY_KEYS)
    if not isinstance(reader.table.get("problem"), str):
        raise reader.error("problem", "the problem file to sweep is required: "
                           "problem = \"path/to/problem.toml\" (relative to the study file)")
    problem_path = Path(reader.string("problem"))
    if not problem_path.is_absolute():
        problem_path = Path(os.path.normpath(path.parent / problem_path))
    if not problem_path.exists():
        raise reader.error("problem", f"problem file '{problem_path}' does not exist")
    mode = reader.string("mode", "grid", choices=MODES)
    title = reader.string("title", path.stem)
    reader.string("description")
    if not isinstance(reader.table.get("sweep"), dict) or not reader.table["sweep"]:
        raise reader.error("sweep", "a [sweep] table of at least one problem-file key -> values "
                           "is required")
    if not isinstance(reader.table.get("fixed", {}), dict):
        raise reader.error("fixed", "expected a table of problem-file key -> value")
    fixed = _flatten_fixed(reader.sub("fixed").table)
    backend = read_backend(reader.sub("backend"))
    sweep = reader.sub("sweep")
    sweep = TableReader(_flatten_sweep(sweep.table), sweep.prefix, sweep.file)
    flat = sweep.table
    axes = tuple(read_axis(sweep, key, mode) for key in flat)
    for key in flat:
        if key in fixed:
            raise reader.error(f"fixed.{key}", f"'{key}' is both swept and fixed")
    _check_overlap(sweep)

    if mode == "zip":
        lengths = {a.key: len(a.values) for a in axes}
        if len(set(lengths.values())) > 1:
            raise reader.error("sweep", "zip mode pairs the i-th values of every key, but the "
                               "lists differ in length: "
                               + ", ".join(f"{k}: {n}" for k, n in lengths.items()))
        combos = list(zip(*(a.values for a in axes)))
        seen: dict = {}
        for i, combo in enumerate(combos):
            text = json.dumps(combo, sort_keys=True)
            if text in seen:
                raise reader.error("sweep", f"runs {seen[text]} and {i} set the same values: "
                                   "every such run would be solved twice")
            seen[text] = i
    else:
        combos = list(itertools.product(*(a.values for a in axes)))
    runs = []
    for i, combo in enumerate(combos):
        swept = dict(zip((a.key for a in axes), combo))
        runs.append(Run(i, {**fixed, **swept}, swept,
                        tuple(a.normalise(v) for a, v in zip(axes, combo))))
    problem_data = _problem_data(problem_path)
    _check_named_tables(problem_data, {**{k: "fixed" for k in fixed}, **{k: "sweep" for k in flat}},
                        reader, problem_path)
    spec_hash = _hash(problem_data, runs)
    study = Study(path, problem_path, title, mode, axes, fixed, tuple(runs), spec_hash, backend)
    if validate:
        validate_runs(study)
    return study


def _flatten_fixed(table: dict, prefix: str = "") -> dict:
    """Nested tables -> dotted keys; setting each leaf equals setting the table."""
    out = {}
    for name, value in table.items():
        key = f"{prefix}.{name}" if prefix else name
        if isinstance(value, dict):
            out.update(_flatten_fixed(value, key))
        else:
            out[key] = value
    return out


def _check_overlap(sweep: TableReader) -> None:
    """No swept key lies inside another swept key's table."""
    for a in sweep.table:
        for b in sweep.table:
            if a != b and b.startswith(a + "."):
                raise sweep.error(b, f"'{b}' lies inside the swept table '{a}'")


def _problem_data(problem_path: Path) -> dict:
    return read_toml(problem_path)


#: Sections whose tables are named by the user: an override that would create a
#: new one is almost always a typo of an existing name.
_NAMED_SECTIONS = ("costs", "constraints")


def _check_named_tables(problem_data: dict, keys: dict, reader: TableReader,
                        problem_path: Path) -> None:
    """A key under a cost or constraint name the problem file lacks is a typo.

    ``keys`` maps each dotted key to where it is written (``sweep`` or
    ``fixed``). A new named table is accepted when the overrides give its type.
    """
    for key, where in keys.items():
        parts = key.split(".")
        if len(parts) < 3 or parts[0] not in _NAMED_SECTIONS:
            continue
        existing = problem_data.get(parts[0], {})
        if not isinstance(existing, dict) or parts[1] in existing:
            continue
        if parts[0] == "costs" and f"costs.{parts[1]}.type" in keys:
            continue
        raise reader.error(f"{where}.{key}", f"the problem file '{problem_path}' has no "
                    f"[{parts[0]}.{parts[1]}]" + suggestion(parts[1], sorted(existing)))


def _hash(problem_data: dict, runs) -> str:
    """Identity of a study: the problem file's content and every run's overrides.

    Comments, the title and the order of keys in the problem file do not
    change it; files the problem names (model files, CSV data) are not read.
    """
    spec = {"format": FORMAT_VERSION, "problem": problem_data,
            "runs": [r.overrides for r in runs]}
    text = json.dumps(spec, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def validate_runs(study: Study) -> None:
    """Load every run's problem; the first rejected value raises ProblemError.

    The error names the study file, the swept (or fixed) key the problem file
    rejected, the run and the problem file's own message.
    """
    from ocp.io.problem_file import load_problem

    file = str(study.path)
    try:
        load_problem(study.problem_path, study.fixed)
    except ProblemError as exc:
        culprit = _culprit(exc.key, study.fixed)
        if culprit is None:
            raise  # the problem file itself is wrong: its own error names it
        raise ProblemError(f"{culprit} = {toml_value(study.fixed[culprit])} is rejected: "
                           f"{exc}", f"fixed.{culprit}", file,
                           value=study.fixed[culprit]) from None
    for run in study.runs:
        try:
            load_problem(study.problem_path, run.overrides)
        except ProblemError as exc:
            culprit = _culprit(exc.key, run.sweep)
            if culprit is not None:
                raise ProblemError(f"run {run.run_id} sets {culprit} = "
                                   f"{toml_value(run.sweep[culprit])}, rejected: {exc}",
                                   f"sweep.{culprit}", file, value=run.sweep[culprit]) from None
            setting = ", ".join(f"{k} = {toml_value(v)}" for k, v in run.sweep.items())
            raise ProblemError(f"run {run.run_id} ({setting}) is rejected: {exc}",
                               "sweep", file) from None


def _culprit(error_key: str | None, overrides: dict) -> str | None:
    """The override an error of the problem file is about, if any."""
    if not error_key:
        return None
    for key in overrides:
        if error_key == key or error_key.startswith(key + ".") or key.startswith(error_key + "."):
            return key
    return None
