"""An optimal-control problem: model, horizon, bounds, boundary conditions, costs.

Built from a problem file by :func:`ocp.load_problem`, or in Python::

    problem = Problem(model=build_model("pendulum"), final_time=2.0)
    problem.bounds["tau_pendulum"] = (-6, 6)
    problem.initial.update(pendulum=0.0, pendulum_speed=0.0)
    problem.final.update(pendulum=math.pi, pendulum_speed=0.0)
    problem.minimize(SquaredControls("effort", weight=1.0))

Bounds, initial and final conditions take the name of a state, a control or
a model output (``hand_x``) and either a value or a ``(lower, upper)`` pair in
SI units.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from ocp.costs import CostTerm, PointVariables
from ocp.engine.accuracy import DEFAULT_ACCURACY
from ocp.engine.parameters import check_parameters
from ocp.errors import ProblemError, suggestion
from ocp.models.base import Model
from ocp.models.protocols import ContactModel, DiscreteStepModel
from ocp.transcriptions import HermiteSimpson, Transcription

EXPLICIT, IMPLICIT = "explicit", "implicit"
#: the sense of the objective J: minimised (default) or maximised
MINIMIZE, MAXIMIZE = "minimize", "maximize"
#: ``units = "none"``: a dimensionless problem, reported without units
NO_UNITS = "none"


@dataclass
class PathConstraint:
    """``lower <= function(v) <= upper`` at every point of the trajectory.

    ``function(v: PointVariables)`` returns a CasADi expression (scalar or
    column); ``lower``/``upper`` are scalars or lists of the same length.
    ``data``: measured numbers along the trajectory, a function of the points'
    times (P,) in s returning (k, P); ``function(v, d)`` then gets each point's
    k numbers as an SX column ``d``, which the NLP holds as constants (the
    per-point function, and its compiled blocks, do not depend on the data).
    Needs a fixed final time.
    """

    name: str
    function: Callable[[PointVariables], object]
    lower: object = -math.inf
    upper: object = math.inf
    data: Callable | None = None


@dataclass
class SolverOptions:
    """IPOPT settings. ``ipopt`` passes any other IPOPT option through as is.

    ``graph`` chooses how the NLP is built: ``"sx"`` (default) expands every
    expression into one scalar graph, fastest per IPOPT iteration; ``"mx"``
    keeps the per-point functions as mapped calls, much quicker to build for
    large meshes but about 2 to 3 times slower per iteration; ``"lifted"``
    builds like ``"mx"`` and assembles the NLP's Jacobian and Hessian from
    per-point derivative blocks differentiated once (ocp/engine/lifted.py).
    """

    tolerance: float = 1e-8
    constraint_tolerance: float | None = None
    max_iterations: int = 3000
    hessian: str = "exact"  # or "limited-memory"
    linear_solver: str = "mumps"
    graph: str = "sx"
    #: with graph = "lifted": compile the per-point derivative blocks (ocp/engine/compiled.py)
    compile: bool = False
    threads: int = 1
    ipopt: dict = field(default_factory=dict)
    #: each trajectory variable divided by its bounds' magnitude (ocp/engine/scaling.py)
    scale_variables: bool = False

    def check(self):
        if self.hessian not in ("exact", "limited-memory"):
            raise ProblemError(f"'{self.hessian}' is not a Hessian choice; expected "
                               f"'exact' or 'limited-memory'", "solver.hessian")
        if not self.tolerance > 0:
            raise ProblemError(f"must be positive, got {self.tolerance}", "solver.tolerance")
        if self.graph not in ("sx", "mx", "lifted"):
            raise ProblemError(f"'{self.graph}' is not a graph type; expected 'sx', 'mx' "
                               f"or 'lifted'",
                               "solver.graph")
        if self.compile and self.graph != "lifted":
            raise ProblemError(f"compiling applies to the per-point derivative blocks of "
                               f"graph = \"lifted\", not graph = \"{self.graph}\"",
                               "solver.compile")
        if int(self.threads) != self.threads or self.threads < 1:
            raise ProblemError(f"must be a positive integer, got {self.threads}",
                               "solver.threads")
        if int(self.max_iterations) != self.max_iterations or self.max_iterations < 0:
            raise ProblemError(f"must be a non-negative integer, got {self.max_iterations}",
                               "solver.max_iterations")


def as_range(value) -> tuple[float, float]:
    if isinstance(value, (tuple, list)):
        lo, hi = value
        return float(lo), float(hi)
    return float(value), float(value)


@dataclass
class Problem:
    """A movement task to solve by direct collocation.

    ``final_time`` is a number (fixed, s) or a ``(lower, upper)`` pair (free);
    the upper bound may be ``math.inf`` (see :mod:`ocp.engine.guess` for the
    guess then). ``sense`` is ``"minimize"`` (default) or ``"maximize"``: the
    objective ``J = sum_i weight_i * term_i`` (weights >= 0) is minimised or
    maximised, and reported with its true sign either way. ``units = "none"``
    marks a dimensionless problem (times and quantities reported without units).
    """

    model: Model
    final_time: float | tuple[float, float]
    start_time: float = 0.0
    final_time_guess: float | None = None
    bounds: dict = field(default_factory=dict)
    initial: dict = field(default_factory=dict)
    final: dict = field(default_factory=dict)
    periodic: list = field(default_factory=list)
    #: left-right symmetry over a half cycle: pairs (a, b) with a(t_f) = b(t_0) and
    #: b(t_f) = a(t_0); their speeds (``a_speed``, ``b_speed``) are paired too
    mirror: list = field(default_factory=list)
    #: over the same half cycle, names whose sign flips with the side (a 3D pelvis's list,
    #: rotation and lateral position): y(t_f) = -y(t_0), their speeds too
    negated: list = field(default_factory=list)
    #: (coordinate, m/s): (q(t_f) - q(t_0)) / (t_f - t_0) = speed
    average_speed: tuple | None = None
    #: pairs (a, b) of states or controls with a(t_0) = b(t_0), e.g. an activation and
    #: its excitation (Moco's MocoInitialActivationGoal)
    initial_equal: list = field(default_factory=list)
    #: constant guesses by name (the default guess elsewhere)
    guess_values: dict = field(default_factory=dict)
    #: guesses from data by name: (times_s, values), e.g. the reference kinematics of
    #: a tracking problem (Moco's apply_tracked_states_to_guess)
    guess_references: dict = field(default_factory=dict)
    costs: list = field(default_factory=list)
    path_constraints: list = field(default_factory=list)
    transcription: Transcription = field(default_factory=lambda: HermiteSimpson(50))
    dynamics: str = EXPLICIT
    #: re-solve on finer meshes until every interval re-simulates within a tolerance
    #: (ocp.engine.mesh_refinement.MeshRefinement, the file's [transcription.refinement]);
    #: None: one mesh
    mesh_refinement: object = None
    #: the largest re-simulation error of a state, as a fraction of its range, for a
    #: converged solve to be a success rather than "inaccurate" (ocp.engine.accuracy);
    #: with mesh_refinement, its tolerance is the accuracy asked for instead
    accuracy: float = DEFAULT_ACCURACY
    solver: SolverOptions = field(default_factory=SolverOptions)
    guess: object = None  # a Solution to warm-start from, or None
    #: if set, ``guess`` is a half cycle of this (mirrored) problem: it is turned
    #: into a whole stride before use (ocp.analysis.stride.full_stride)
    guess_half_cycle_of: object = None
    name: str = "problem"
    #: do() operations of the problem file's [intervention] table (ocp.causal);
    #: ``ocp solve`` answers them after solving the problem as written
    interventions: list = field(default_factory=list)
    #: model numbers to estimate with the trajectory: time-invariant decision variables,
    #: each an ocp.engine.parameters.ModelParameter (ocp.estimation.UnknownParameter for
    #: the problem file's [parameters] table)
    parameters: list = field(default_factory=list)
    sense: str = MINIMIZE
    #: "si" (default) or "none": a dimensionless problem, whose report has no units
    units: str = "si"

    def _check_sample_time(self) -> None:
        """A discrete map (e.g. a GRU step at 100 Hz) needs mesh intervals of its time step."""
        dt = self.model.sample_time_s
        origin = self.model.discrete_origin if isinstance(self.model, DiscreteStepModel) \
            else f"model '{self.model.name}'"
        if self.free_final_time:
            raise ProblemError(f"{origin} advances its states every {dt:g} s, so the mesh "
                               f"interval is fixed and the final time must be too; give a "
                               f"value, not a range", "time.final")
        N = self.transcription.intervals
        duration = float(self.final_time) - self.start_time
        if not math.isclose(duration / N, dt, rel_tol=1e-9):
            steps = duration / dt
            fix = (f"set intervals = {round(steps)}" if math.isclose(steps, round(steps),
                                                                     rel_tol=1e-9)
                   else f"make the duration a multiple of {dt:g} s")
            raise ProblemError(f"mesh intervals of {duration:g} s / {N} = {duration / N:.6g} s, "
                               f"but {origin} advances its states every {dt:g} s: {fix}",
                               "transcription.intervals")

    # -- reading like the methods section of a paper ----------------------
    def minimize(self, *terms: CostTerm) -> Problem:
        self.costs.extend(terms)
        return self

    def subject_to(self, *constraints: PathConstraint) -> Problem:
        self.path_constraints.extend(constraints)
        return self

    # -- derived -------------------------------------------------------------
    @property
    def free_final_time(self) -> bool:
        return isinstance(self.final_time, (tuple, list))

    def final_time_range(self) -> tuple[float, float]:
        return as_range(self.final_time)

    def names(self) -> dict[str, str]:
        """Every name usable in bounds and conditions -> its kind."""
        kinds = {n: "state" for n in self.model.state_names}
        kinds.update({n: "control" for n in self.model.control_names})
        kinds.update({n: "algebraic" for n in self.model.algebraic_names})
        kinds.update({n: "output" for n in self.model.output_units()})
        return kinds

    def merged_bounds(self) -> dict[str, tuple[float, float]]:
        """The model's default bounds overridden by the problem's."""
        out = dict(self.model.default_bounds())
        out.update({k: as_range(v) for k, v in self.bounds.items()})
        return out

    def validate(self) -> None:
        """Check names and contradictions; raise ProblemError naming the key."""
        names = self.names()
        check_parameters(self.model, self.parameters)
        for section in ("bounds", "initial", "final"):
            for key, value in getattr(self, section).items():
                if key not in names:
                    raise ProblemError(f"'{key}' is not a state, control or output of model "
                                       f"'{self.model.name}'" + suggestion(key, names),
                                       f"{section}.{key}")
                if section != "bounds" and names[key] == "control":
                    raise ProblemError(f"'{key}' is a control; initial and final conditions "
                                       f"take states or outputs", f"{section}.{key}")
                lo, hi = as_range(value)
                if math.isnan(lo) or math.isnan(hi) or lo > hi:
                    raise ProblemError(f"lower bound {lo} is above upper bound {hi}",
                                       f"{section}.{key}")
        bounds = self.merged_bounds()
        for section in ("initial", "final"):
            for key, value in getattr(self, section).items():
                lo, hi = as_range(value)
                blo, bhi = bounds.get(key, (-math.inf, math.inf))
                if max(lo, blo) > min(hi, bhi):
                    raise ProblemError(
                        f"{section} value {value} lies outside the bounds "
                        f"[{blo}, {bhi}] of '{key}'", f"{section}.{key}")
        periodic_names = list(self.model.state_names) + list(self.model.control_names)
        for key in self.periodic:
            if key not in periodic_names:
                raise ProblemError(f"'{key}' is not a state or control" +
                                   suggestion(key, periodic_names), "periodic.states")
        for pair in self.mirror:
            for key in pair:
                if key not in periodic_names:
                    raise ProblemError(f"'{key}' is not a state or control" +
                                       suggestion(key, periodic_names), "periodic.mirror")
            if set(pair) & set(self.periodic):
                raise ProblemError(f"{list(pair)} is both mirrored and periodic", "periodic")
        for key in (k for pair in self.initial_equal for k in pair):
            if key not in periodic_names:
                raise ProblemError(f"'{key}' is not a state or control" +
                                   suggestion(key, periodic_names), "initial")
        mirrored = {n for pair in self.mirror for n in pair}
        for key in self.negated:
            if key not in periodic_names:
                raise ProblemError(f"'{key}' is not a state or control" +
                                   suggestion(key, periodic_names), "periodic.negated")
            if key in mirrored or key in self.periodic:
                raise ProblemError(f"'{key}' is negated and also periodic or mirrored",
                                   "periodic.negated")
        if self.average_speed is not None:
            coordinate, speed = self.average_speed
            if coordinate not in self.model.state_names:
                raise ProblemError(f"'{coordinate}' is not a state" +
                                   suggestion(coordinate, self.model.state_names),
                                   "average_speed.coordinate")
            if coordinate in self.periodic:
                raise ProblemError(f"'{coordinate}' cannot be periodic and move at "
                                   f"{speed} m/s", "periodic.states")
            lo, hi = self.merged_bounds().get(coordinate, (-math.inf, math.inf))
            shortest = speed * (self.final_time_range()[0] - self.start_time)
            if abs(shortest) > hi - lo:
                raise ProblemError(
                    f"at {speed} m/s for at least {self.final_time_range()[0]} s, "
                    f"'{coordinate}' must travel {abs(shortest):.3g} m, but its bounds "
                    f"[{lo}, {hi}] allow {hi - lo:.3g} m", "average_speed.value")
        spheres = self.model.contacts if isinstance(self.model, ContactModel) else ()
        if spheres:
            lowest = self.model.ground.lowest_bottom(self.model.tree, spheres,
                                                     self.merged_bounds())
            if lowest > 0.0:
                raise ProblemError(
                    f"the feet cannot reach the ground: within the bounds the contact spheres "
                    f"stay at least {lowest:.3g} m above y = 0; widen the bounds of the "
                    f"root's height or of the joints", "bounds")
        for key in self.guess_values:
            if key not in names:
                raise ProblemError(f"'{key}' is not a state or control" + suggestion(key, names),
                                   f"guess.values.{key}")
        t_lo, t_hi = self.final_time_range()
        if not t_lo <= t_hi:
            raise ProblemError(f"lower bound {t_lo} is above upper bound {t_hi}", "time.final")
        if not math.isfinite(t_lo):
            raise ProblemError(f"the final time needs a finite lower bound, got {t_lo}",
                               "time.final")
        if t_lo <= self.start_time:
            raise ProblemError(f"final time {self.final_time} must be later than the start "
                               f"time {self.start_time} s", "time.final")
        if self.final_time_guess is not None and not t_lo <= self.final_time_guess <= t_hi:
            raise ProblemError(f"guess {self.final_time_guess} s is outside "
                               f"[{t_lo}, {t_hi}] s", "time.guess")
        if self.model.discrete_state_names:
            self._check_sample_time()
            if self.mesh_refinement is not None or self.transcription.mesh is not None:
                origin = self.model.discrete_origin \
                    if isinstance(self.model, DiscreteStepModel) else "the model"
                raise ProblemError(f"{origin} "
                                   f"advances its states once per mesh interval, so the "
                                   f"intervals must stay equal: remove the refinement",
                                   "transcription.refinement")
        if self.dynamics not in (EXPLICIT, IMPLICIT):
            raise ProblemError(f"'{self.dynamics}' is not a dynamics form; expected "
                               f"'{EXPLICIT}' or '{IMPLICIT}'", "transcription.dynamics")
        if self.dynamics == IMPLICIT and not self.model.has_implicit_form:
            raise ProblemError(f"model '{self.model.name}' has no implicit form; use "
                               f"dynamics = '{EXPLICIT}'", "transcription.dynamics")
        if self.sense not in (MINIMIZE, MAXIMIZE):
            raise ProblemError(f"'{self.sense}' is not a sense; expected '{MINIMIZE}' or "
                               f"'{MAXIMIZE}'", "sense")
        if self.units not in ("si", NO_UNITS):
            raise ProblemError(f"'{self.units}' is not a choice of units; expected 'si' or "
                               f"'{NO_UNITS}' (a dimensionless problem)", "units")
        seen = set()
        for term in self.costs:
            if isinstance(term.weight, (int, float)) and term.weight < 0:
                raise ProblemError(f"must be at least 0, got {term.weight}; to maximise the "
                                   f"objective set sense = \"maximize\" (a top-level key of "
                                   f"the problem file, Problem.sense) and keep the weights "
                                   f"positive", f"costs.{term.name}.weight")
            if term.name in seen:
                raise ProblemError(f"cost term '{term.name}' is defined twice", "costs")
            seen.add(term.name)
            try:
                term.check(self.model)
            except ValueError as exc:
                raise ProblemError(str(exc), f"costs.{term.name}") from None
            d = term.divide_by_displacement
            if d is not None and d not in self.model.state_names:
                raise ProblemError(f"'{d}' is not a state" + suggestion(d, self.model.state_names),
                                   f"costs.{term.name}.divide_by_displacement")
        if not self.costs:
            raise ProblemError("the problem has no cost term; add at least one "
                               "(for example type = 'squared_controls')", "costs")
        self.solver.check()
