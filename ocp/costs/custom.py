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
        """Refuses a function without calling it: one that names a state, control or
        output the model does not have (``v.state("elbw")``) is found in its source."""
        if self.integrand_fn is None and self.endpoint_fn is None:
            raise ValueError("a custom cost needs an integrand or an endpoint function")
        for fn in (self.integrand_fn, self.endpoint_fn):
            if fn is not None:
                check_names(fn, model, self.file)

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


#: what each lookup of PointVariables / EndpointVariables takes: method -> (kinds)
LOOKUPS = {"state": ("state",), "control": ("control",), "output": ("output",),
           "value": ("state", "control", "output"), "initial_state": ("state",),
           "final_state": ("state",)}


def named_variables(fn) -> list[tuple[str, str, int]]:
    """(method, name, line) of each ``v.state("name")``-like call on ``fn``'s first
    argument with a literal name, read from its source without running it; empty
    when the source cannot be read (a lambda, a function made at run time)."""
    import ast
    import inspect
    import textwrap
    try:
        lines, first = inspect.getsourcelines(fn)
        tree = ast.parse(textwrap.dedent("".join(lines)))
        arg = next(iter(inspect.signature(fn).parameters))
    except (OSError, TypeError, SyntaxError, StopIteration):
        return []
    if not (tree.body and isinstance(tree.body[0], ast.FunctionDef)
            and tree.body[0].name == fn.__name__):
        return []
    found = []
    for node in ast.walk(tree.body[0]):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in LOOKUPS and isinstance(node.func.value, ast.Name)
                and node.func.value.id == arg and len(node.args) == 1
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)):
            found.append((node.func.attr, node.args[0].value, first + node.lineno - 1))
    return sorted(found, key=lambda item: item[2])


def check_names(fn, model, file=None) -> None:
    """ValueError naming ``fn``'s file and line, the unknown name and the known ones
    for the first name in :func:`named_variables` that ``model`` does not have."""
    from ocp.errors import suggestion
    calls = named_variables(fn)
    if not calls:
        return
    names = {"state": list(model.state_names), "control": list(model.control_names)}
    if any("output" in LOOKUPS[method] for method, _, _ in calls):
        names["output"] = list(model.output_units())
    for method, name, line in calls:
        kinds = LOOKUPS[method]
        known = [n for kind in kinds for n in names[kind]]
        if name in known:
            continue
        what, label = " or ".join(kinds), ", ".join(f"{kind}s" for kind in kinds)
        shown = ", ".join(repr(n) for n in known[:12])
        more = f" and {len(known) - 12} more" if len(known) > 12 else ""
        close = suggestion(name, known) if "did you mean" in suggestion(name, known) else ""
        raise ValueError(f"{fn.__name__}() in '{file or fn.__code__.co_filename}', line "
                         f"{line}: {method}('{name}'): '{name}' is not a {what} of model "
                         f"'{model.name}'{close}; {label}: {shown or 'none'}{more}")
