"""Models that users bring: dynamics written as a Python function."""
from __future__ import annotations

import importlib.util
import inspect
import sys
from collections.abc import Callable
from pathlib import Path

from ocp.errors import ProblemError, suggestion
from ocp.models.base import Model


class CustomModel(Model):
    """A model from a function ``dynamics(x, u, parameters) -> x'``.

    ``x`` and ``u`` are CasADi column vectors ordered as ``state_names`` and
    ``control_names``; the function must return an expression of shape
    (len(state_names), 1) built from CasADi operations (``casadi.sin``, not
    ``math.sin``) so that exact derivatives exist.

    A non-autonomous model takes the time as a fourth argument,
    ``dynamics(x, u, parameters, t)`` (and likewise ``outputs(x, u,
    parameters, t)``): ``t`` is the real time in s, a CasADi scalar. The
    signature is read with :func:`inspect.signature`; such a model is
    ``time_dependent``.
    """

    def __init__(self, name: str, state_names, control_names,
                 dynamics: Callable, *, state_units=None, control_units=None,
                 bounds: dict | None = None, parameters: dict | None = None,
                 outputs: Callable | None = None):
        self.name = name
        self.state_names = tuple(state_names)
        self.control_names = tuple(control_names)
        self.state_units = tuple(state_units or ["-"] * len(self.state_names))
        self.control_units = tuple(control_units or ["-"] * len(self.control_names))
        if len(self.state_units) != len(self.state_names) or \
                len(self.control_units) != len(self.control_names):
            raise ValueError(f"model '{name}': one unit per state and per control is needed")
        self._dynamics = dynamics
        self._bounds = dict(bounds or {})
        self._parameters = dict(parameters or {})
        self._outputs = outputs
        self.time_dependent = takes_time(dynamics) or (outputs is not None
                                                       and takes_time(outputs))

    def arguments(self) -> dict:
        """The constructor's arguments (Model.replace)."""
        return dict(name=self.name, state_names=self.state_names,
                    control_names=self.control_names, dynamics=self._dynamics,
                    state_units=self.state_units, control_units=self.control_units,
                    bounds=self._bounds, parameters=self._parameters, outputs=self._outputs)

    def dynamics(self, x, u):
        if takes_time(self._dynamics):
            raise ProblemError(f"model '{self.name}' depends on time (dynamics(x, u, p, t)): "
                               f"this use evaluates it without a time", "model")
        return self.dynamics_at(x, u, None)

    def dynamics_at(self, x, u, t):
        if takes_time(self._dynamics):
            xdot = self._dynamics(x, u, self._parameters, t)
        else:
            xdot = self._dynamics(x, u, self._parameters)
        import casadi as ca
        if isinstance(xdot, (list, tuple)):
            try:
                xdot = ca.vertcat(*xdot)
            except (NotImplementedError, TypeError, RuntimeError):
                raise ValueError(f"model '{self.name}': dynamics returned a list that is not "
                                 f"{self.nx} scalar expressions") from None
        if not isinstance(xdot, (ca.SX, ca.MX, ca.DM)):
            raise ValueError(f"model '{self.name}': dynamics returned {type(xdot).__name__}, "
                             f"expected a CasADi column of {self.nx} derivatives "
                             f"(casadi.vertcat(...))")
        if xdot.shape != (self.nx, 1):
            raise ValueError(f"model '{self.name}': dynamics returned shape {xdot.shape}, "
                             f"expected ({self.nx}, 1)")
        return xdot

    def outputs(self, x, u):
        if self._outputs is not None and takes_time(self._outputs):
            raise ProblemError(f"model '{self.name}': its outputs depend on time "
                               f"(outputs(x, u, p, t)): this use evaluates them without a "
                               f"time", "model")
        return self.outputs_at(x, u, None)

    def outputs_at(self, x, u, t):
        if not self._outputs:
            return {}
        if takes_time(self._outputs):
            return dict(self._outputs(x, u, self._parameters, t))
        return dict(self._outputs(x, u, self._parameters))

    def output_units(self):
        if not self._outputs:
            return {}
        import casadi as ca
        names = self.outputs_at(ca.SX.sym("x", self.nx), ca.SX.sym("u", self.nu),
                                ca.SX.sym("t")).keys()
        return {n: "-" for n in names}

    def default_bounds(self):
        return dict(self._bounds)

    def parameters(self):
        return dict(self._parameters)


def takes_time(function: Callable) -> bool:
    """Whether a model file's ``dynamics`` or ``outputs`` takes the time: a fourth
    positional argument, ``(x, u, parameters, t)``."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):  # a callable without a signature: the 3-argument form
        return False
    positional = [p for p in parameters
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 4


class ModelFileError(ProblemError):
    """A user's model file could not be loaded; the message says why.

    A :class:`ocp.errors.ProblemError` whose ``file`` is the model file; the
    message names the file already, so it is shown as is.
    """

    def __init__(self, message: str, file=None):
        super().__init__(message, None, str(file) if file else None)

    def __str__(self):
        return self.message


def load_model_file(path: Path, parameters: dict) -> Model:
    """Import ``path`` and call its ``model(parameters)`` function.

    The file must define ``def model(parameters: dict) -> ocp.Model``.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"model file '{path}' does not exist", path)
    module_name = f"_ocp_user_model_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # the user's code: report, don't crash
        raise ModelFileError(f"model file '{path}' failed to import: "
                             f"{type(exc).__name__}: {exc}", path) from exc
    factory = getattr(module, "model", None)
    if not callable(factory):
        raise ModelFileError(f"model file '{path}' must define a function "
                             f"'model(parameters) -> ocp.Model'", path)
    try:
        given = ReadKeys(parameters)
        built = factory(given)
    except Exception as exc:  # the user's code: the line in their file, not a traceback
        raise ModelFileError(f"model file '{path}'{where(exc, path)}: model() raised "
                             f"{type(exc).__name__}: {exc}", path) from None
    if not isinstance(built, Model):
        raise ModelFileError(f"model file '{path}': model() returned "
                             f"{type(built).__name__}, expected an ocp.Model", path)
    if isinstance(built, CustomModel):
        check_dynamics(built, path)
        traced = ReadKeys(built.parameters())
        probe = built.replace()  # a copy whose dynamics read from ``traced``
        object.__setattr__(probe, "_parameters", traced)
        try:
            check_dynamics(probe, path)
            probe.output_units()
        except Exception:  # noqa: BLE001 - the outputs' own errors are reported where used
            pass
        for key in parameters:
            if key not in given.read and key not in traced.read:
                known = set(built.parameters()) - set(parameters) | given.read | traced.read
                raise UnusedParameter(key, sorted(known))
        check_default_bounds(built, path)
    return built


def check_default_bounds(model: CustomModel, path: Path) -> None:
    """A model file's ``bounds`` name its states, controls or outputs, each as a
    (lower, upper) pair of numbers with lower <= upper: a misspelled name used to
    bound nothing, and a reversed pair made an infeasible problem."""
    import math
    names = list(model.state_names) + list(model.control_names)
    for name, value in model.default_bounds().items():
        if name not in names and name not in model.output_units():
            raise ModelFileError(f"model file '{path}': default bounds name '{name}', which "
                                 f"is not a state or control of model '{model.name}'"
                                 + suggestion(name, names), path)
        try:
            lo, hi = (float(v) for v in value)
        except (TypeError, ValueError):
            raise ModelFileError(f"model file '{path}': default bounds of '{name}': expected "
                                 f"(lower, upper), got {value!r}", path) from None
        if math.isnan(lo) or math.isnan(hi) or lo > hi:
            raise ModelFileError(f"model file '{path}': default bounds of '{name}': lower "
                                 f"{lo} is above upper {hi}", path)


class ReadKeys(dict):
    """A dict that notes the keys read from it (``[]``, ``get``, or every key when
    it is iterated through ``keys``, ``items`` or ``values``); copying it with
    ``{**d}`` or ``dict(d)`` reads nothing."""

    def __init__(self, *args):
        super().__init__(*args)
        self.read = set()

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)

    def __contains__(self, key):
        self.read.add(key)
        return super().__contains__(key)

    def keys(self):
        self.read.update(dict.keys(self))
        return super().keys()

    def items(self):
        self.read.update(dict.keys(self))
        return super().items()

    def values(self):
        self.read.update(dict.keys(self))
        return super().values()


class UnusedParameter(ModelFileError):
    """A key of ``[model.parameters]`` that a model file never reads (a misspelling
    that would otherwise change nothing); ``known`` are the names it does use."""

    def __init__(self, key: str, known: list[str]):
        super().__init__(f"the model file does not use parameter '{key}'")
        self.key, self.known = key, known


def check_dynamics(model: CustomModel, path: Path) -> None:
    """Build the dynamics of a model file's model once on CasADi symbols, so that a
    Python error in them (a division by zero, an ``if`` on a symbol, a string
    parameter, a result of the wrong kind) is reported before any NLP is built,
    at its line in the file (a few milliseconds for a model file's size)."""
    import casadi as ca
    try:
        model.dynamics_at(ca.SX.sym("x", model.nx), ca.SX.sym("u", model.nu), ca.SX.sym("t"))
    except Exception as exc:
        hint = ""
        strings = [k for k, v in model.parameters().items() if isinstance(v, str)]
        if isinstance(exc, TypeError) and strings:
            hint = f" (parameters given as strings: {', '.join(strings)}; write numbers)"
        if "truth value" in str(exc):
            hint = " (a Python 'if' on a symbol: use casadi.if_else)"
        message = str(exc).strip().splitlines()[-1] if str(exc).strip() else ""
        line = where(exc, path) or defined_at(model._dynamics, path)
        raise ModelFileError(f"model file '{path}'{line}: the dynamics raised "
                             f"{type(exc).__name__}: {message}{hint}", path) from None
    check_outputs(model, path)


def check_outputs(model: CustomModel, path: Path) -> None:
    """The outputs of a model file's model, built once on symbols: each a scalar
    expression, an error in them reported at its line in the file."""
    import casadi as ca
    if model._outputs is None:
        return
    x, u, t = ca.SX.sym("x", model.nx), ca.SX.sym("u", model.nu), ca.SX.sym("t")
    try:
        outputs = model.outputs_at(x, u, t)
    except Exception as exc:
        line = where(exc, path) or defined_at(model._outputs, path)
        raise ModelFileError(f"model file '{path}'{line}: the outputs raised "
                             f"{type(exc).__name__}: {exc}", path) from None
    for name, value in outputs.items():
        shape = value.shape if isinstance(value, (ca.SX, ca.MX, ca.DM)) else ()  # a number
        if shape not in ((), (1, 1)):
            raise ModelFileError(f"model file '{path}'{defined_at(model._outputs, path)}: "
                                 f"output '{name}' has shape {shape}, expected a scalar "
                                 f"expression", path)


def defined_at(function, path: Path) -> str:
    """', line N' where ``function`` is defined, if it is in the file ``path``."""
    code = getattr(function, "__code__", None)  # a plain function (not a model probe)
    if code is None or Path(code.co_filename).resolve() != Path(path).resolve():
        return ""
    return f", line {code.co_firstlineno}"


def where(exc: BaseException, path: Path) -> str:
    """', line N' of the innermost frame of ``exc``'s traceback in the file ``path``."""
    import traceback
    target = Path(path).resolve()
    lines = [frame.lineno for frame in traceback.extract_tb(exc.__traceback__)
             if Path(frame.filename).resolve() == target]
    return f", line {lines[-1]}" if lines else ""


def check_finite_dynamics(model: CustomModel, path: Path, points) -> None:
    """The dynamics of a model file's model are finite at ``points``: pairs of a
    (state, control, time) tuple of numbers and the words that say where it is
    (points of the initial guess; the time matters to a model that depends on
    it). IPOPT starts there, and stops at once on a NaN or an infinity
    (``Invalid_Number_Detected``)."""
    import casadi as ca
    import numpy as np
    xs, us, ts = ca.SX.sym("x", model.nx), ca.SX.sym("u", model.nu), ca.SX.sym("t")
    expression = model.dynamics_at(xs, us, ts)
    f = ca.Function("f", [xs, us, ts], [expression])
    for (x, u, t), where_text in points:
        values = np.array(f(x, u, t)).ravel()
        bad = [i for i, v in enumerate(values) if not np.isfinite(v)]
        if not bad:
            continue
        names = ", ".join(f"d{model.state_names[i]}/dt = {values[i]}" for i in bad)
        hint = ""
        if "nan" in str(expression):  # a constant NaN: a symbol went through float()
            hint = ("; a NaN constant is in the expression: math.sin, math.sqrt, float() ... "
                    "of a CasADi symbol give NaN, use casadi.sin, casadi.sqrt ...")
        elif "inf" in str(expression):
            hint = "; an infinite constant is in the expression (a division by zero?)"
        raise ModelFileError(f"model file '{path}'{defined_at(model._dynamics, path)}: the "
                             f"dynamics give {names} at {where_text}{hint}", path)
