"""What every cost term is: variables by name, the base class and its registry.

Each term is a small object with a name and a weight that builds the CasADi
expression of its integrand (a Lagrange term, integrated with the
transcription's quadrature) and/or of its endpoint value (a Mayer term). The
objective is ``J = sum_i weight_i * term_i``; the solution reports every
weighted term by name.

A cost type is one subclass of :class:`CostTerm` in one module: its name in
problem files (``toml_name``), its keys (dataclass fields made with
:func:`ocp.io.declarations.option`, with unit and doc), its reader
(:meth:`CostTerm.from_table`, generic unless the type needs more) and its
formula. Defining the subclass registers it in :data:`COST_TYPES`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from ocp.errors import suggestion
from ocp.io.declarations import Registry, option, option_keys, read_options

#: Cost types by their name in problem files (``[costs.NAME] type = ...``).
COST_TYPES = Registry("cost type")


class PointVariables:
    """The variables at one time point, by name, for building expressions.

    ``t``, ``x``, ``u``, ``z`` are CasADi symbols; ``t`` is the real time in s
    (``start + s (final - start)`` at the normalised time s of the point, not s
    itself), so a term may depend on time. ``state('elbow')``,
    ``control('tau_elbow')`` and ``output('hand_x')`` look up by name.
    ``state_derivative()`` is the model's dynamics at the point: where the
    engine gives ``xdot``, a symbol for the dynamics it evaluates anyway (a
    term built on it reuses their derivative blocks instead of
    differentiating the dynamics again, ocp/engine/nlp.py).
    ``parameter('emg_scale.soleus_r')``: a time-invariant decision variable of
    the problem (``Problem.parameters``) by name, in SI units.
    """

    def __init__(self, model, t, x, u, z, xdot=None, parameters=None):
        self.model, self.t, self.x, self.u, self.z = model, t, x, u, z
        self.xdot = xdot
        self.parameters = dict(parameters or {})
        self._outputs = None

    def parameter(self, name):
        if name not in self.parameters:
            raise ValueError(f"'{name}' is not a parameter of the problem" +
                             suggestion(name, list(self.parameters)))
        return self.parameters[name]

    def state_derivative(self):
        """dx/dt at this point: the engine's symbol ``xdot``, else the model's dynamics."""
        if self.xdot is not None:
            return self.xdot
        return self.model.dynamics_at(self.x, self.u, self.t)

    def state(self, name):
        return self.x[index_of(name, self.model.state_names, "state")]

    def control(self, name):
        return self.u[index_of(name, self.model.control_names, "control")]

    def output(self, name):
        if self._outputs is None:
            self._outputs = self.model.outputs_at(self.x, self.u, self.t)
        return self._outputs[name]

    def value(self, name):
        """A state, control or output by name."""
        if name in self.model.state_names:
            return self.state(name)
        if name in self.model.control_names:
            return self.control(name)
        return self.output(name)


def index_of(name, names, what: str) -> int:
    """The position of ``name`` among the model's ``names``; an unknown name is a
    ValueError naming the closest one (not ``tuple.index(x): x not in tuple``)."""
    names = list(names)
    if name not in names:
        raise ValueError(f"'{name}' is not a {what} of the model" + suggestion(name, names))
    return names.index(name)


@dataclass
class EndpointVariables:
    """Initial and final time (s) and states, for endpoint (Mayer) terms."""

    model: object
    t0: object
    tf: object
    x0: object
    xf: object

    def initial_state(self, name):
        return self.x0[index_of(name, self.model.state_names, "state")]

    def final_state(self, name):
        return self.xf[index_of(name, self.model.state_names, "state")]


@dataclass(frozen=True)
class CostContext:
    """What a cost type's reader may need besides its table.

    ``model`` the problem's model (names, units, body weight), ``base`` the
    folder that relative file names in the problem file start from, ``file``
    the problem file's name (for messages), ``horizon`` the problem's
    ``(start_time, final_time)`` in s (final: a number, or ``(lower, upper)``
    when free), or None when not known.
    """

    model: object
    base: Path
    file: str
    horizon: tuple | None = None


@dataclass
class CostTerm:
    """Base of all cost terms; ``weight`` multiplies the term in J.

    ``divide_by_displacement`` names a coordinate (``pelvis_tx``): the term is
    divided by that coordinate's change over the motion, e.g. effort per
    metre walked, the cost of transport (Moco's MocoControlGoal option).
    """

    #: The name in problem files (``type = "..."``); subclasses that set it are registered.
    toml_name: ClassVar[str] = ""
    #: Other names the type is known by in problem files.
    aliases: ClassVar[tuple[str, ...]] = ()
    #: Keys every cost table takes besides the declared options.
    common_keys: ClassVar[tuple[str, ...]] = ("type",)

    name: str
    weight: float = option(1.0, minimum=0.0, doc="multiplies the term in the objective J")
    divide_by_displacement: str | None = option(
        None, doc="a coordinate whose change over the motion divides the term "
                  "(e.g. pelvis_tx: per metre walked)")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("toml_name"):
            COST_TYPES.register(cls, aliases=cls.aliases)

    @classmethod
    def file_keys(cls) -> set[str]:
        """Every key a ``[costs.NAME]`` table of this type accepts."""
        return set(cls.common_keys) | set(option_keys(cls))

    @classmethod
    def from_table(cls, name: str, reader, context: CostContext) -> CostTerm:
        """The term a ``[costs.NAME]`` table describes (``reader``: a TableReader).

        Reads the declared options by their types and units; a type that needs
        more (files, names checked against the model) overrides this.
        """
        reader.only(cls.file_keys())
        return cls(name, **read_options(cls, reader))

    def integrand(self, v: PointVariables):
        """Expression integrated over time, or None."""
        return None

    def endpoint(self, e: EndpointVariables):
        """Expression evaluated once at the endpoints, or None."""
        return None

    def check(self, model) -> None:
        """Raise ValueError with a clear message if the term does not fit the model."""

    def value_unit(self, model) -> str:
        """Unit of the term's unweighted value (``"-"`` when unknown), for reports."""
        return "-"


def squared_integral_unit(names, model) -> str:
    """Unit of ``integral of sum_i y_i^2 dt`` over the named quantities: ``(unit)^2*s``
    when they share one unit, ``s`` when it is dimensionless, else ``"-"``."""
    units = model.units()
    found = {units.get(n, "-") for n in names}
    if len(found) != 1:
        return "-"
    unit = found.pop()
    if unit in ("-", ""):
        return "s"  # dimensionless quantities (excitations, activations) squared, over time
    return f"({unit})^2*s" if any(c in unit for c in "*/^") else f"{unit}^2*s"
