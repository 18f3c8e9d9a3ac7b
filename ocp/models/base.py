"""What the engine needs from a dynamic model.

A model is a small object that names its states and controls (with units) and
builds CasADi expressions of its dynamics from CasADi symbols. It holds
parameters only; it never holds symbols or solver state.

Models are immutable: once built, none of their attributes can be set. A
changed model is a new one, ``model.replace(muscles=...)`` (as
``dataclasses.replace``), so a model shared by problems, studies and caches is
never modified behind their backs. What a model can do beyond this interface
(a kinematic tree, muscles, contacts ...) it declares by satisfying the
protocols of ocp.models.protocols.
"""
from __future__ import annotations

import dataclasses
from abc import ABC, ABCMeta, abstractmethod

import casadi as ca


class ImmutableAfterInit(ABCMeta):
    """Metaclass of Model: marks a model built once its ``__init__`` has returned."""

    def __call__(cls, *args, **kwargs):
        model = super().__call__(*args, **kwargs)
        object.__setattr__(model, "_built", True)
        return model


class Model(ABC, metaclass=ImmutableAfterInit):
    """Base class of every dynamic model, built-in or brought by a user.

    Subclasses define ``name``, ``state_names``, ``state_units``,
    ``control_names``, ``control_units`` and :meth:`dynamics`. Everything else
    has a default. Attributes are set in ``__init__`` only; :meth:`replace`
    makes changed copies (a subclass that is not a dataclass lists its
    constructor's arguments in :meth:`arguments`).
    """

    def __setattr__(self, name, value):
        if self.__dict__.get("_built"):
            raise AttributeError(f"model '{self.name}' is immutable: cannot set '{name}'; "
                                 f"use model.replace({name}=...) for a changed copy")
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        if self.__dict__.get("_built"):
            raise AttributeError(f"model '{self.name}' is immutable: cannot delete '{name}'")
        object.__delattr__(self, name)

    def arguments(self) -> dict:
        """The keyword arguments that build this model again: ``type(m)(**m.arguments())``.

        A dataclass model gets its init fields; other models override this.
        """
        if dataclasses.is_dataclass(self):
            return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.init}
        raise NotImplementedError(f"model '{self.name}' ({type(self).__name__}) does not list "
                                  f"its constructor's arguments (Model.arguments), so it "
                                  f"cannot be replace()d")

    def replace(self, **changes) -> Model:
        """A new model with the named constructor arguments changed; this one is unchanged.

        The new model is built by the constructor, so it is checked and its
        derived quantities (state names, path functions) follow the change.
        Raises TypeError for a name that is not an argument of :meth:`arguments`.
        """
        arguments = self.arguments()
        unknown = sorted(set(changes) - set(arguments))
        if unknown:
            raise TypeError(f"model '{self.name}': replace() takes {sorted(arguments)}, "
                            f"not {unknown}")
        return type(self)(**{**arguments, **changes})

    name: str = "model"
    state_names: tuple[str, ...] = ()
    state_units: tuple[str, ...] = ()
    control_names: tuple[str, ...] = ()
    control_units: tuple[str, ...] = ()
    #: Extra variables of the implicit form (for a multibody model, q'').
    algebraic_names: tuple[str, ...] = ()
    algebraic_units: tuple[str, ...] = ()
    #: States advanced once per mesh interval by a discrete map (a learned
    #: recurrent step, ocp.models.learned_activation) instead of an ODE; their
    #: rows of :meth:`dynamics` are zero and the transcription ties them with
    #: :meth:`discrete_step` (Transcription.discrete_defects).
    discrete_state_names: tuple[str, ...] = ()
    #: The time step (s) of that map: the mesh interval must equal it.
    sample_time_s: float | None = None

    @abstractmethod
    def dynamics(self, x, u):
        """Explicit dynamics ``x' = f(x, u)``: (nx, 1) expression from (nx,), (nu,)."""

    #: True for a non-autonomous model, whose dynamics and outputs depend on the
    #: time t itself (``x' = f(x, u, t)``): it overrides :meth:`dynamics_at` and
    #: :meth:`outputs_at`. The engine always calls those two with the real time.
    time_dependent: bool = False

    def dynamics_at(self, x, u, t):
        """Explicit dynamics at time ``t`` (s, the real time, not normalised):
        ``x' = f(x, u, t)``, (nx, 1). A time-invariant model keeps this default,
        :meth:`dynamics` with ``t`` ignored."""
        return self.dynamics(x, u)

    def outputs_at(self, x, u, t) -> dict:
        """Named outputs at time ``t`` (s); the default is :meth:`outputs`."""
        return self.outputs(x, u)

    def implicit_dynamics(self, x, u, z):
        """Implicit form: returns ``(x', residual)`` with ``residual == 0`` enforced.

        ``z`` holds the algebraic variables (``algebraic_names``). Models that
        have no implicit form keep this default.
        """
        raise NotImplementedError(f"model '{self.name}' has no implicit dynamics")

    def implicit_dynamics_at(self, x, u, z, t):
        """:meth:`implicit_dynamics` at time ``t`` (s, the real time); a time-invariant
        model keeps this default, ``t`` ignored. The engine calls this one."""
        return self.implicit_dynamics(x, u, z)

    @property
    def has_implicit_form(self) -> bool:
        return bool(self.algebraic_names)

    def discrete_step(self, x, u):
        """The discrete states at the end of a mesh interval, in the order of
        ``discrete_state_names``: (nd, 1) from the states ``x`` (nx,) at the
        interval's start and the controls ``u`` (nu,) at its end."""
        raise NotImplementedError(f"model '{self.name}' has no discrete states")

    def outputs(self, x, u) -> dict:
        """Named output expressions (marker positions, joint torques, energy)."""
        return {}

    def output_units(self) -> dict[str, str]:
        return {}

    def joint_torques(self, x, u):
        """Net joint torques (N m) produced by the controls, or None."""
        return None

    def ground_reaction_power(self, x):
        """Power (W) of the ground reaction forces on the body, or None without contacts.

        See :func:`ocp.models.contact.ground_reaction_power`.
        """
        return None

    def activations(self, x, u):
        """Muscle activations (column), or None for a model without muscles."""
        return None

    def path_residuals(self, x, u):
        """Algebraic equations that hold at every instant (residual == 0).

        For example the muscle-tendon equilibrium of compliant tendons. They
        are enforced wherever the dynamics are, in explicit and implicit form.
        """
        return ca.SX(0, 1)

    def default_bounds(self) -> dict[str, tuple[float, float]]:
        """Bounds the model imposes unless the problem says otherwise."""
        return {}

    def parameters(self) -> dict:
        """The model's parameters, for reports."""
        return {}

    # -- helpers used by the engine -------------------------------------
    @property
    def nx(self) -> int:
        return len(self.state_names)

    @property
    def nu(self) -> int:
        return len(self.control_names)

    @property
    def nz(self) -> int:
        return len(self.algebraic_names)

    def units(self) -> dict[str, str]:
        """Unit of every named quantity: states, controls, algebraics, outputs."""
        out = dict(zip(self.state_names, self.state_units))
        out.update(zip(self.control_names, self.control_units))
        out.update(zip(self.algebraic_names, self.algebraic_units))
        out.update(self.output_units())
        return out

    def dynamics_function(self) -> ca.Function:
        """``f(x, u) -> x'`` as a CasADi Function."""
        x = ca.SX.sym("x", self.nx)
        u = ca.SX.sym("u", self.nu)
        return ca.Function("f", [x, u], [self.dynamics(x, u)], ["x", "u"], ["xdot"])

    def describe(self) -> str:
        lines = [f"{self.name}"]
        lines.append("  states:   " + ", ".join(
            f"{n} [{u}]" for n, u in zip(self.state_names, self.state_units)))
        lines.append("  controls: " + ", ".join(
            f"{n} [{u}]" for n, u in zip(self.control_names, self.control_units)))
        outs = self.output_units()
        if outs:
            lines.append("  outputs:  " + ", ".join(f"{n} [{u}]" for n, u in outs.items()))
        params = self.parameters()
        if params:
            lines.append("  parameters: " + ", ".join(f"{k} = {v}" for k, v in params.items()))
        return "\n".join(lines)
