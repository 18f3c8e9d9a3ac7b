"""A cost term written in Python, in the problem or in a user's file."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from ocp.costs.base import CostContext, CostTerm
from ocp.io.declarations import option, read_options


@dataclass
class CustomCost(CostTerm):
    """A term written in Python.

    ``integrand(v: PointVariables) -> expression`` and/or
    ``endpoint(e: EndpointVariables) -> expression``, built from CasADi
    operations so that exact derivatives exist. In a problem file, ``file``
    is a Python file and ``integrand`` / ``endpoint`` name its functions.
    """

    toml_name: ClassVar[str] = "custom"

    integrand_fn: Callable | None = None
    endpoint_fn: Callable | None = None
    file: str | None = option(None, doc="the Python file defining the functions "
                                        "(relative to the problem file)")
    integrand_name: str | None = option(None, key="integrand",
                                        doc="name of the function v -> integrand expression")
    endpoint_name: str | None = option(None, key="endpoint",
                                       doc="name of the function e -> endpoint expression")

    @classmethod
    def from_table(cls, name, reader, context: CostContext):
        from ocp.io.python_functions import python_function
        reader.only(cls.file_keys())
        values = read_options(cls, reader)
        integrand = python_function(reader, context.base, "integrand")
        endpoint = python_function(reader, context.base, "endpoint")
        if integrand is None and endpoint is None:
            raise reader.error(None, "a custom cost needs 'integrand' and/or 'endpoint': "
                               "names of functions in its 'file'")
        return cls(name, integrand_fn=integrand, endpoint_fn=endpoint, **values)

    def check(self, model):
        if self.integrand_fn is None and self.endpoint_fn is None:
            raise ValueError("a custom cost needs an integrand or an endpoint function")
        # built once on symbols, so that an error in the user's Python (an unknown
        # name, say) is reported at load time with its file and line
        import casadi as ca

        from ocp.costs.base import EndpointVariables, PointVariables
        x, u, z = (ca.SX.sym(n, k) for n, k in (("x", model.nx), ("u", model.nu),
                                                 ("z", model.nz)))
        t, t0, tf = ca.SX.sym("t"), ca.SX.sym("t0"), ca.SX.sym("tf")
        for fn, variables in ((self.integrand_fn, lambda: PointVariables(model, t, x, u, z)),
                              (self.endpoint_fn, lambda: EndpointVariables(
                                  model, t0, tf, ca.SX.sym("x0", model.nx),
                                  ca.SX.sym("xf", model.nx)))):
            if fn is None:
                continue
            try:
                fn(variables())
            except Exception as exc:  # the user's code: its file and line, no traceback
                raise ValueError(f"{fn.__name__}() in '{self.file or fn.__code__.co_filename}'"
                                 f"{line_in(exc, fn)} raised {type(exc).__name__}: {exc}"
                                 ) from None

    def integrand(self, v):
        return self.integrand_fn(v) if self.integrand_fn else None

    def endpoint(self, e):
        return self.endpoint_fn(e) if self.endpoint_fn else None


def line_in(exc: BaseException, fn) -> str:
    """', line N' of the innermost frame of ``exc``'s traceback in ``fn``'s file."""
    import traceback
    lines = [frame.lineno for frame in traceback.extract_tb(exc.__traceback__)
             if frame.filename == fn.__code__.co_filename]
    return f", line {lines[-1]}" if lines else ""
