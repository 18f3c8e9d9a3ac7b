"""solve(): problem in, Solution out."""
from __future__ import annotations

import copy
import dataclasses
import time

import numpy as np

from ocp.engine.accuracy import INACCURATE, accuracy_report, inaccurate_warning
from ocp.engine.consistency import (
    dynamics_errors,
    interval_state_errors,
    largest_per_interval,
)
from ocp.engine.guess import interpolated_guess, warm_start_guess
from ocp.engine.mesh_refinement import REFINED_PASS_IPOPT, refine, resumed_transcription
from ocp.engine.parameters import with_values
from ocp.engine.reports import SolveContext, reporters
from ocp.engine.reuse import Fresh
from ocp.engine.solver import IPOPT_ACCEPTABLE, acceptable_note, converged
from ocp.problem import Problem
from ocp.solution import SUCCESS, MeshRefinementRecord, Solution


def solve(problem: Problem, *, verbose: bool = False, check_dynamics: bool = True,
          build=None) -> Solution:
    """Transcribe, solve with IPOPT and return the Solution (also when IPOPT fails).

    The returned solution holds IPOPT's last iterate when it did not converge;
    ``solution.status`` is ``"success"`` only when IPOPT converged, otherwise
    IPOPT's own return status (``"Infeasible_Problem_Detected"``, ...).
    ``check_dynamics`` re-simulates the controls to fill ``max_dynamics_error``;
    a converged solve whose re-simulation is off by more than the problem's
    accuracy is ``"inaccurate"`` instead of ``"success"``, with its
    ``accuracy`` report (:mod:`ocp.engine.accuracy`).

    With ``problem.mesh_refinement``, the intervals whose re-simulation is off by
    more than its tolerance are cut and the problem is solved again from the
    solution, up to its number of passes (:mod:`ocp.engine.mesh_refinement`). The
    solution on the last mesh is returned, with the iterations and times of
    all passes added up and each pass in ``solution.mesh_refinement``.

    After each solve the registered reporters (:mod:`ocp.engine.reports`) add
    their parts: tracking errors, surrogate range warnings, muscle-geometry
    fit errors, estimated parameters with standard errors.
    A warm start refined from the same transcription starts on its refined
    mesh (:func:`ocp.engine.mesh_refinement.resumed_transcription`).

    ``build``: where the NLP and its solver come from
    (:class:`ocp.engine.reuse.Keyed`: built once per structure and re-solved with
    this problem's weights and bounds, as a study's worker does); default, and
    always with mesh refinement: built for this solve.
    """
    refinement = problem.mesh_refinement
    started_on = problem.transcription.describe()
    if problem.guess_half_cycle_of is None:
        resumed = resumed_transcription(problem.transcription, problem.guess, refinement)
        if resumed is not problem.transcription:
            problem = dataclasses.replace(problem, transcription=resumed)
    solution, by_state = _solve_on_mesh(problem, verbose,
                                        check_dynamics or refinement is not None,
                                        build if refinement is None else None)
    if refinement is None:
        return judged(solution, by_state, problem)
    passes = [_pass_record(problem.transcription, solution)]
    current = problem
    while (len(passes) <= refinement.passes and solution.success
           and not solution.max_dynamics_error <= refinement.tolerance):
        current = copy.copy(current)
        current.transcription = refine(current.transcription, largest_per_interval(by_state),
                                       refinement.tolerance)
        current.guess, current.guess_half_cycle_of = solution, None
        current.solver = dataclasses.replace(
            problem.solver, ipopt={**problem.solver.ipopt, **REFINED_PASS_IPOPT})
        finer, by_state = _solve_on_mesh(current, verbose, True)
        passes.append(_pass_record(current.transcription, finer))
        solution = finer
    solution.iterations = sum(p["iterations"] for p in passes)
    solution.setup_time_s = sum(p["setup_time_s"] for p in passes)
    solution.solve_time_s = sum(p["solve_time_s"] for p in passes)
    solution.mesh_refinement = MeshRefinementRecord(
        tolerance=refinement.tolerance, started_on=started_on, passes=passes,
        mesh=current.transcription.mesh_points.tolist())
    if solution.success and not solution.max_dynamics_error <= refinement.tolerance:
        solution.warnings = solution.warnings + [
            f"mesh refinement stopped after {len(passes) - 1} passes on "
            f"{current.transcription.intervals} intervals with a re-simulation error of "
            f"{solution.max_dynamics_error:.3g}, above its tolerance "
            f"{refinement.tolerance:g}: allow more passes "
            f"(transcription.refinement.passes) or start from more intervals"]
    return judged(solution, by_state, problem, warn=False)


def judged(solution: Solution, by_state, problem: Problem, warn: bool = True) -> Solution:
    """``solution`` with its ``accuracy`` report; a converged solve whose re-simulation
    is off by more than the problem's tolerance becomes ``inaccurate``
    (:mod:`ocp.engine.accuracy`), with a warning saying what to do unless ``warn``
    is False (a refinement that stopped short has said it already)."""
    if not solution.success:
        return solution
    bounds = problem.merged_bounds()
    widths = [np.subtract(*bounds[n][::-1]) if n in bounds else np.inf
              for n in solution.state_names]
    solution.accuracy = accuracy_report(by_state, solution.states, solution.state_names,
                                        widths, solution.max_dynamics_error,
                                        problem.mesh_refinement, problem.accuracy)
    if solution.accuracy is not None and not solution.accuracy["accurate"]:
        solution.status = INACCURATE
        if warn:
            solution.warnings = solution.warnings + [inaccurate_warning(solution.accuracy)]
    return solution


def _pass_record(transcription, solution: Solution) -> dict:
    """One solve of a refinement, as summary.json holds it."""
    error = solution.max_dynamics_error
    return {"intervals": transcription.intervals, "status": solution.status,
            "objective": solution.objective, "iterations": solution.iterations,
            "setup_time_s": solution.setup_time_s, "solve_time_s": solution.solve_time_s,
            "max_dynamics_error": error if np.isfinite(error) else None}


def _solve_on_mesh(problem: Problem, verbose: bool, check_dynamics: bool, build=None):
    """One transcription and IPOPT solve: (Solution, re-simulation errors (nx, N) of each
    state in each interval, NaN when not re-simulated)."""
    started = time.perf_counter()
    build = build or Fresh()
    tp = build.transcribe(problem)
    previous = problem.guess
    if previous is not None and problem.guess_half_cycle_of is not None:
        from ocp.analysis.stride import full_stride
        previous = full_stride(previous, problem.guess_half_cycle_of)
    if previous is not None:
        guess = warm_start_guess(problem, tp.grid, previous)
    else:
        guess = interpolated_guess(problem, tp.grid)
    arguments = dict(x0=tp.pack(*guess), lbx=tp.lbx, ubx=tp.ubx, lbg=tp.lbg, ubg=tp.ubg)
    if tp.weights.size:  # the cost weights are the NLP's parameters
        arguments["p"] = tp.weights
    # The multipliers of an earlier solve of the same NLP layout (same model and
    # mesh, other weights or bounds) let IPOPT start close to the central path.
    warm = (previous is not None and previous.multipliers_x is not None
            and previous.multipliers_x.size == tp.lbx.size
            and previous.multipliers_g is not None
            and previous.multipliers_g.size == tp.lbg.size)
    if warm:
        arguments.update(lam_x0=previous.multipliers_x, lam_g0=previous.multipliers_g)
    solver = build.solver(problem, tp, verbose, warm)
    setup_time = time.perf_counter() - started

    started = time.perf_counter()
    result = solver(**arguments)
    solve_time = time.perf_counter() - started
    stats = solver.stats()
    return_status = stats.get("return_status", "unknown")

    w = result["x"]
    X, U, Z, tf = (np.array(a) for a in tp.unpack(w))
    tf = float(np.asarray(tf).item())
    t0 = problem.start_time
    model = problem.model
    if problem.parameters:  # the model with the estimated numbers, for the replay and report
        model = with_values(model, problem.parameters, np.array(tp.parameters(w)).ravel())
    local_err = open_loop_err = float("nan")
    by_state = np.full((X.shape[0], problem.transcription.intervals), np.nan)
    if check_dynamics and np.all(np.isfinite(X)) and np.all(np.isfinite(U)):
        simulators = {}  # each CVODES simulator built once for both replays
        by_state = interval_state_errors(model, problem.transcription, X, U, t0, tf, simulators)
        local_err, open_loop_err = dynamics_errors(model, problem.transcription, X, U, t0, tf,
                                                   local=largest_per_interval(by_state),
                                                   simulators=simulators)
    terms = np.array(tp.cost_terms(w)).ravel()
    units = model.units()
    solution = Solution(
        time=t0 + tp.grid * (tf - t0),
        states=X.T, controls=U.T,
        state_names=list(model.state_names), control_names=list(model.control_names),
        state_units=list(model.state_units), control_units=list(model.control_units),
        algebraics=Z.T, algebraic_names=list(model.algebraic_names) if tp.nz else [],
        outputs=np.array(tp.outputs(w)).T, output_names=tp.output_names,
        output_units=[units.get(n, "-") for n in tp.output_names],
        cost_integrands=np.array(tp.integrands(w)).T,
        status=SUCCESS if converged(return_status) else return_status,
        message=return_status,
        objective=tp.objective_sign * float(result["f"]),  # J, also when maximised
        sense=problem.sense, units=problem.units,
        cost_terms=dict(zip(tp.cost_names, map(float, terms))),
        final_time=tf,
        iterations=_iterations(stats),
        solve_time_s=solve_time,
        setup_time_s=setup_time,
        max_dynamics_error=local_err,
        max_dynamics_error_open_loop=open_loop_err,
        problem_name=problem.name, model_name=model.name,
        transcription=problem.transcription.describe(),
        multipliers_x=np.array(result["lam_x"]).ravel(),
        multipliers_g=np.array(result["lam_g"]).ravel(),
    )
    if return_status == IPOPT_ACCEPTABLE:  # converged, with a note of how loosely
        solution.warnings = [acceptable_note(problem.solver)]
    context = SolveContext(transcribed=tp, w=w, lam_g=result["lam_g"], lam_x=result["lam_x"],
                           final_time=tf, solver=solver)
    for reporter in reporters():
        add_report(solution, reporter(problem, model, solution, context))
    return solution, by_state


def _iterations(stats: dict) -> int:
    """IPOPT's iteration count; IPOPT leaves it unset (garbage) when it never started."""
    count = int(stats.get("iter_count", 0) or 0)
    return count if 0 <= count < 10 ** 7 else 0


def add_report(solution: Solution, report: dict) -> None:
    """Set the Solution fields of a reporter's partial report; ``warnings`` are appended."""
    for name, value in report.items():
        if name == "warnings":
            solution.warnings = solution.warnings + list(value)
        elif name in Solution.__dataclass_fields__:
            setattr(solution, name, value)
        else:
            raise KeyError(f"a reporter returned '{name}', which is not a field of Solution")
