"""A cost term written in Python, in the problem or in a user's file."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from ocp.costs.base import CostContext, CostTerm
from ocp.errors import ProblemError
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

    def integrand(self, v):
        return self.called(self.integrand_fn, v) if self.integrand_fn else None

    def endpoint(self, e):
        return self.called(self.endpoint_fn, e) if self.endpoint_fn else None

    def called(self, fn, variables):
        """``fn(variables)``; an error in the user's Python (an unknown name, say) is a
        ProblemError on the cost's key naming the function's file and line, not a
        traceback. (Not tried at load time: the function may end the process, and a
        study must lose only that run.)"""
        try:
            return fn(variables)
        except ProblemError:
            raise
        except Exception as exc:
            raise ProblemError(f"{fn.__name__}() in '{self.file or fn.__code__.co_filename}'"
                               f"{line_in(exc, fn)} raised {type(exc).__name__}: {exc}",
                               f"costs.{self.name}") from None


def line_in(exc: BaseException, fn) -> str:
    """', line N' of the innermost frame of ``exc``'s traceback in ``fn``'s file."""
    import traceback
    lines = [frame.lineno for frame in traceback.extract_tb(exc.__traceback__)
             if frame.filename == fn.__code__.co_filename]
    return f", line {lines[-1]}" if lines else ""
