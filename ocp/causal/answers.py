"""The two answers to a what-if question, each reported against the original solution.

- **open-loop**: the intervened model is simulated forward from the original
  initial state with every other input (control) held at its original
  trajectory: what happens to the motion if only this cause changes. The
  effect is measured against a replay of the *original* model with the same
  integrator and the same inputs, so integration and collocation error do not
  count as an effect (the replay's own distance from the collocated solution
  is reported as ``replay_error``).
- **re-optimised**: the optimal-control problem solved again on the
  intervened model, warm-started from the original solution: how the
  movement adapts.

Both come back as :class:`~ocp.solution.Solution` objects (the open-loop one
with status ``"simulated"``) and a :class:`Comparison`: joint-angle
differences, cost terms, changes of each muscle's activation integral (which
muscles take over) and of the joint moments.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import casadi as ca
import numpy as np
from scipy.integrate import solve_ivp

from ocp.causal.interventions import CLOCK, SetSignal, intervene, is_trajectory
from ocp.engine.mesh_refinement import transcription_of
from ocp.engine.nlp import transcribe
from ocp.problem import Problem, as_range
from ocp.solution import Solution

OPEN_LOOP, REOPTIMISED = "open-loop", "re-optimised"
#: scipy solve_ivp tolerances of the open-loop simulation (LSODA: activation
#: dynamics with 15 ms time constants make the muscle models mildly stiff)
RTOL, ATOL = 1e-8, 1e-10
#: a muscle "takes over" when its activation integral grows by more than this (s)
TAKE_OVER_THRESHOLD_S = 1e-6


def _column(solution: Solution, name: str, time=None):
    """A state, control or output of a solution by name (None if absent), at ``time``."""
    for names, values in ((solution.state_names, solution.states),
                          (solution.control_names, solution.controls),
                          (solution.output_names, solution.outputs)):
        if values is not None and name in names:
            column = np.asarray(values)[:, list(names).index(name)]
            return column if time is None else np.interp(time, solution.time, column)
    return None


def simulator(model):
    """``run(time, x0, controls) -> states (len(time), nx)`` of ``x' = f(x, controls(t))``.

    scipy's LSODA with the CasADi Jacobian; the functions are built once, so
    one simulator serves many runs of the same model.
    """
    x, u = ca.SX.sym("x", model.nx), ca.SX.sym("u", model.nu)
    xdot = model.dynamics(x, u)
    f = ca.Function("f", [x, u], [xdot])
    jac = ca.Function("dfdx", [x, u], [ca.jacobian(xdot, x)])

    def run(time, x0, controls):
        time = np.asarray(time, float)
        result = solve_ivp(lambda t, s: np.array(f(s, controls(t))).ravel(),
                           (time[0], time[-1]), x0, t_eval=time, method="LSODA",
                           jac=lambda t, s: np.array(jac(s, controls(t))),
                           rtol=RTOL, atol=ATOL)
        states = np.full((time.size, model.nx), np.nan)
        states[:result.y.shape[1]] = result.y.T  # a failed integration leaves NaN at the end
        return states
    return run


def simulate(model, time: np.ndarray, x0: np.ndarray, controls) -> np.ndarray:
    """States (len(time), nx) of ``x' = f(x, controls(t))`` from ``x0`` (scipy LSODA)."""
    return simulator(model)(time, x0, controls)


def _held_controls(model, original: Solution, signals=(), transcription=None):
    """u(t): the original controls by name, set signals replaced.

    Inside each mesh interval the original controls follow the transcription's
    own interpolant (linear, quadratic or the Radau polynomial), as the
    solver's dynamic-consistency check does; linear in time when the
    solution's grid does not fit the transcription.
    """
    scheme = None
    if transcription is not None and len(original.time) == transcription.n_points:
        scheme = transcription.control_function(original.time, original.controls)
    columns = []
    for name in model.control_names:
        value = next((s.value for s in signals if s.node == name), None)
        if value is not None:
            times, values = value if is_trajectory(value) else ([0.0], [value])
            # the arrays bound as defaults: each column keeps its own samples
            columns.append(lambda t, a=np.asarray(times, float), b=np.asarray(values, float):  # noqa: B008
                           np.interp(t, a, b))
        elif scheme is not None and name in original.control_names:
            j = list(original.control_names).index(name)
            columns.append(lambda t, j=j: scheme(t)[j])
        else:
            column = _column(original, name)
            column = np.zeros_like(original.time) if column is None else column
            columns.append(lambda t, c=column: np.interp(t, original.time, c))
    return lambda t: np.array([c(t) for c in columns])


def _initial_state(problem: Problem, original: Solution) -> np.ndarray:
    """The original initial state by name; intervened states from the problem's conditions."""
    x0 = []
    for name in problem.model.state_names:
        if name in problem.initial and not isinstance(problem.initial[name], (tuple, list)):
            x0.append(float(problem.initial[name]))
        elif name == CLOCK:
            x0.append(problem.start_time)
        else:
            lo, hi = problem.merged_bounds().get(name, (-math.inf, math.inf))
            value = _column(original, name)
            value = 0.0 if value is None else float(value[0])
            x0.append(lo if lo == hi else value)
    return np.array(x0)


def _as_solution(problem: Problem, time, states, control_fn, name: str) -> Solution:
    """A Solution of a simulated trajectory, with outputs and cost terms of ``problem``.

    Cost terms are evaluated by the problem's own NLP functions on its mesh
    (states interpolated linearly there when the times differ).
    """
    model = problem.model
    tp = transcribe(problem)
    U = np.column_stack([control_fn(t) for t in time]).reshape(model.nu, time.size)
    grid_time = time[0] + tp.grid * (time[-1] - time[0])
    Xg = np.array([np.interp(grid_time, time, row) for row in states.T]).reshape(
        model.nx, grid_time.size)
    Ug = np.column_stack([control_fn(t) for t in grid_time]).reshape(model.nu, grid_time.size)
    Zg = np.zeros((tp.nz, grid_time.size))
    if tp.nz:
        f = model.dynamics_function()
        Zg = np.column_stack([np.array(f(Xg[:, k], Ug[:, k]))[tp.nz:2 * tp.nz, 0]
                              for k in range(grid_time.size)])
    w = tp.pack(Xg, Ug, Zg, time[-1])
    terms = np.array(tp.cost_terms(w)).ravel()
    x, u = ca.SX.sym("x", model.nx), ca.SX.sym("u", model.nu)
    named = model.outputs(x, u)
    outputs = ca.Function("outputs", [x, u], [ca.vertcat(*named.values()) if named
                                              else ca.SX(0, 1)])
    values = np.array(outputs.map(time.size)(states.T, U)).T if named else np.zeros((time.size, 0))
    units = model.units()
    return Solution(
        time=np.asarray(time), states=states, controls=U.T,
        state_names=list(model.state_names), control_names=list(model.control_names),
        state_units=list(model.state_units), control_units=list(model.control_units),
        outputs=values, output_names=list(named),
        output_units=[units.get(n, "-") for n in named],
        status="simulated" if np.all(np.isfinite(states)) else "simulation_failed",
        message=name, objective=float(terms.sum()),
        cost_terms=dict(zip(tp.cost_names, map(float, terms))),
        final_time=float(time[-1]), iterations=0, solve_time_s=0.0,
        problem_name=problem.name, model_name=model.name)


def open_loop(problem: Problem, original: Solution, interventions, keys=None
              ) -> tuple[Solution, Solution]:
    """Forward simulation of the intervened model, other inputs held at ``original``.

    Returns ``(answer, replay)``: the replay is the same simulation of the
    original model (the baseline the effect is measured against).
    """
    intervened = intervene(problem, interventions, keys)
    intervened.interventions = []
    signals = [i for i in interventions if isinstance(i, SetSignal)]
    time = np.asarray(original.time)
    base_problem = _without_interventions(problem)
    scheme = transcription_of(original, problem.transcription)
    held = _held_controls(base_problem.model, original, transcription=scheme)
    replay_states = simulate(base_problem.model, time, _initial_state(base_problem, original),
                             held)
    replay = _as_solution(base_problem, time, replay_states, held, "replay")
    controls = _held_controls(intervened.model, original, signals, transcription=scheme)
    states = simulate(intervened.model, time, _initial_state(intervened, original), controls)
    answer = _as_solution(intervened, time, states, controls, OPEN_LOOP)
    answer.final_misses = final_misses(intervened, answer)
    return answer, replay


def _without_interventions(problem: Problem) -> Problem:
    import dataclasses
    return dataclasses.replace(problem, interventions=[], guess=None) \
        if hasattr(problem, "interventions") else problem


def reoptimised(problem: Problem, original: Solution, interventions, keys=None,
                verbose: bool = False) -> Solution:
    """The problem solved again on the intervened model, warm-started from ``original``."""
    from ocp.solve import solve
    intervened = intervene(problem, interventions, keys)
    intervened.interventions = []
    intervened.guess = original
    intervened.guess_half_cycle_of = None  # the original is already a solution of this problem
    return solve(intervened, verbose=verbose)


def final_misses(problem: Problem, solution: Solution) -> dict:
    """How far each final condition is from being met (0 when met), in its unit."""
    out = {}
    for name, target in problem.final.items():
        value = _column(solution, name)
        if value is None:
            continue
        lo, hi = as_range(target)
        end = float(value[-1])
        out[name] = max(lo - end, end - hi, 0.0)
    return out


# -- comparison with the original ---------------------------------------------

@dataclass
class Comparison:
    """One answer against the original solution."""

    kind: str
    status: str
    #: coordinate -> {"max_abs", "final", "rms"} of (answer - reference), in its unit
    angle_differences: dict = field(default_factory=dict)
    angle_units: dict = field(default_factory=dict)
    cost_terms: dict = field(default_factory=dict)          # name -> (original, answer)
    activation_integrals: dict = field(default_factory=dict)  # muscle -> (original, answer) s
    takes_over: list = field(default_factory=list)          # muscles whose integral grew
    moments: dict = field(default_factory=dict)             # coordinate -> {peak/mean (orig, new)}
    final_misses: dict = field(default_factory=dict)
    replay_error: float | None = None

    def to_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v)
                for k, v in self.__dict__.items()}


def _coordinates(solution: Solution) -> list[str]:
    return [n for n in solution.state_names if f"{n}_speed" in solution.state_names]


def _integral(time, values) -> float:
    return float(np.trapezoid(values, time)) if hasattr(np, "trapezoid") \
        else float(np.trapz(values, time))


def compare(original: Solution, answer: Solution, kind: str, reference: Solution | None = None,
            intervened_muscles=()) -> Comparison:
    """Differences of ``answer`` from ``reference`` (default ``original``).

    For an open-loop answer the reference is the replay of the original
    inputs through the original model, so that only the intervention's effect
    shows. Muscles named in ``intervened_muscles`` never "take over".
    """
    original = reference if reference is not None else original
    reference = original
    out = Comparison(kind=kind, status=answer.status)
    t = np.asarray(reference.time)
    units = dict(zip(reference.state_names, reference.state_units or
                     ["-"] * len(reference.state_names)))
    for c in _coordinates(reference):
        a = _column(answer, c, t)
        if a is None:
            continue
        d = a - _column(reference, c)
        out.angle_differences[c] = {"max_abs": float(np.max(np.abs(d))), "final": float(d[-1]),
                                    "rms": float(np.sqrt(np.mean(d ** 2)))}
        out.angle_units[c] = units.get(c, "-")
    for name in dict.fromkeys(list(original.cost_terms) + list(answer.cost_terms)):
        out.cost_terms[name] = (original.cost_terms.get(name), answer.cost_terms.get(name))
    muscles = [n[:-len("_activation")] for n in original.state_names + original.control_names
               if n.endswith("_activation")]
    for m in muscles:
        before = _integral(original.time, _column(original, f"{m}_activation"))
        after_values = _column(answer, f"{m}_activation")
        after = 0.0 if after_values is None else _integral(answer.time, after_values)
        out.activation_integrals[m] = (before, after)
    out.takes_over = sorted(
        (m for m, (b, a) in out.activation_integrals.items()
         if _column(answer, f"{m}_activation") is not None and a - b > TAKE_OVER_THRESHOLD_S),
        key=lambda m: -(out.activation_integrals[m][1] - out.activation_integrals[m][0]))
    out.takes_over = [m for m in out.takes_over if m not in intervened_muscles]
    for c in _coordinates(original):
        before, after = _column(original, f"{c}_moment"), _column(answer, f"{c}_moment")
        if before is None or after is None:
            continue
        out.moments[c] = {"peak": (float(np.max(np.abs(before))), float(np.max(np.abs(after)))),
                          "mean_abs": (_integral(original.time, np.abs(before)) /
                                       (original.time[-1] - original.time[0]),
                                       _integral(answer.time, np.abs(after)) /
                                       (answer.time[-1] - answer.time[0]))}
    out.final_misses = dict(answer.final_misses or {})
    return out


def intervened_muscles(interventions) -> list[str]:
    """Muscles whose own node an intervention sets, scales or removes."""
    out = []
    for i in interventions:
        if hasattr(i, "muscle"):
            out.append(i.muscle)
        elif isinstance(i, SetSignal):
            for suffix in ("_excitation", "_activation"):
                if i.node.endswith(suffix):
                    out.append(i.node[:-len(suffix)])
    return out


@dataclass
class WhatIf:
    """The question (interventions) and both answers with their comparisons."""

    interventions: list
    open_loop: Solution | None
    reoptimised: Solution | None
    comparisons: list  # of Comparison

    def to_dict(self) -> dict:
        return {"interventions": [i.describe() for i in self.interventions],
                "answers": [c.to_dict() for c in self.comparisons]}


def what_if(problem: Problem, original: Solution, interventions, keys=None, *,
            answers=(OPEN_LOOP, REOPTIMISED), verbose: bool = False) -> WhatIf:
    """Both answers to ``do(interventions)`` and their comparison with ``original``."""
    ol = ro = None
    comparisons = []
    touched = set(intervened_muscles(interventions))
    if OPEN_LOOP in answers:
        ol, replay = open_loop(problem, original, interventions, keys)
        c = compare(original, ol, OPEN_LOOP, reference=replay, intervened_muscles=touched)
        c.replay_error = float(np.nanmax(np.abs(replay.states - np.asarray(original.states))))
        comparisons.append(c)
    if REOPTIMISED in answers:
        ro = reoptimised(problem, original, interventions, keys, verbose=verbose)
        ro.final_misses = final_misses(problem, ro)
        comparisons.append(compare(original, ro, REOPTIMISED, intervened_muscles=touched))
    return WhatIf(list(interventions), ol, ro, comparisons)


def _number(v) -> str:
    return "-" if v is None else f"{v:.6g}"


def report_text(result: WhatIf) -> str:
    """Lines for ``ocp solve``: each answer against the original."""
    lines = ["what-if      " + "; ".join(i.describe() for i in result.interventions)]
    for c in result.comparisons:
        what = ("forward simulation, other inputs held at the original trajectories"
                if c.kind == OPEN_LOOP else "problem solved again on the intervened model")
        lines.append(f"{c.kind + ' answer':<22} ({what}): status {c.status}")
        if c.replay_error is not None:
            lines.append(f"  replay       original inputs through the original model: "
                         f"{c.replay_error:.2e} from the collocated states (baseline)")
        for name, d in c.angle_differences.items():
            unit = c.angle_units.get(name, "-")
            scale, shown = (180 / math.pi, "deg") if unit == "rad" else (1.0, unit)
            lines.append(f"  {name:<12} max |change| {d['max_abs'] * scale:.3g} {shown}, "
                         f"final {d['final'] * scale:+.3g} {shown}")
        for name, (a, b) in c.cost_terms.items():
            lines.append(f"  cost         {name}: {_number(a)} -> {_number(b)}")
        for name, miss in c.final_misses.items():
            if miss > 0:
                lines.append(f"  final        misses {name} by {miss:.3g}")
        for c_name, m in c.moments.items():
            (p0, p1), (a0, a1) = m["peak"], m["mean_abs"]
            lines.append(f"  moment       {c_name}: peak {p0:.3g} -> {p1:.3g}, mean |.| "
                         f"{a0:.3g} -> {a1:.3g}")
        changes = [f"{m} {b:.3g} -> {a:.3g} s" for m, (b, a) in c.activation_integrals.items()]
        if changes:
            lines.append("  activation integrals  " + ", ".join(changes))
        if c.kind == REOPTIMISED or c.takes_over:
            lines.append("  takes over   " + (", ".join(
                f"{m} (+{100 * (after / max(before, 1e-12) - 1):.0f} %)"
                for m, (before, after) in ((m, c.activation_integrals[m])
                                           for m in c.takes_over)) or "none"))
    return "\n".join(lines)
