"""The text ``ocp solve`` prints about a solution: its summary, and the advice
when IPOPT did not converge. Pure formatting of what the Solution holds."""
from __future__ import annotations

from pathlib import Path

__all__ = ["not_converged_advice", "solution_report"]


def solution_report(solution, out: Path | None = None) -> str:
    """The summary ``ocp solve`` prints: status, objective and its terms, times,
    dynamics error, mesh and refinement, warnings, tracking and EMG errors,
    per-member spread; with ``out``, the files written there."""
    lines = [
        f"problem      {solution.problem_name}" + (f" (treadmill belt at "
        f"{solution.treadmill_speed_m_s:g} m/s)" if solution.treadmill_speed_m_s else ""),
        f"status       {solution.status}" + (
            f" ({solution.message})"
            if solution.message and solution.message != "Solve_Succeeded" else ""),
        f"objective    {solution.objective:.8g}" + (
            " (maximized)" if solution.sense == "maximize" else ""),
    ]
    seconds, state_units = ("", "") if solution.units == "none" else (" s", " (state units)")
    for name, value in solution.cost_terms.items():
        lines.append(f"  {name:<10} {value:.8g}")
    lines += [
        f"final time   {solution.final_time:.6g}{seconds}", f"iterations   {solution.iterations}",
        f"wall time    {solution.solve_time_s:.3f} s in IPOPT, "
        f"{solution.setup_time_s:.3f} s to build",
        f"dynamics     max error {solution.max_dynamics_error:.2e} per interval, "
        f"{solution.max_dynamics_error_open_loop:.2e} open loop{state_units}",
        f"mesh         {solution.transcription}",
    ]
    refinement = solution.mesh_refinement
    if refinement is not None:
        steps = ", ".join(f"{p['intervals']} intervals {_error(p['max_dynamics_error'])}"
                          for p in refinement.passes)
        lines.append(f"refinement   {steps} (tolerance {refinement.tolerance:g})")
    if solution.parameters is not None:  # estimated model numbers: ParameterReport.lines()
        lines += solution.parameters.lines()
    for message in solution.warnings:
        lines.append(f"warning      {message}")
    for term, columns in (solution.tracking_error or {}).items():
        for name, err in columns.items():
            deg = f" ({err['rms_deg']:.3g} deg)" if "rms_deg" in err else ""
            if "worst_marker" in err:   # marker tracking (ocp.sensors.marker_tracking)
                deg = (f", max {err['max_abs']:.3g} m, worst {err['worst_marker']} "
                       f"{err['worst_marker_rms']:.3g} m RMS")
            lines.append(f"tracking     {term}: {name} RMS {err['rms']:.3g} "
                         f"{err['unit']}{deg}")
    for m, e in ((solution.emg or {}).get("muscles") or {}).items():
        lines.append(f"emg          {m}: scale {e['scale']:.4g}, RMS {e['rms']:.3g} off")
    lines += solution.members.lines() if solution.members is not None else []  # --members
    if out is not None:
        lines.append(f"written      {out / 'summary.json'}, {out / 'solution.npz'}")
    return "\n".join(lines)


def _error(value) -> str:
    return "not re-simulated" if value is None else f"{value:.2e}"


def not_converged_advice(solution, options, out: Path) -> str:
    """The one line ``ocp solve`` prints when IPOPT did not converge: what it
    stopped at, where the last iterate is, and what to try; after the iteration
    limit, the problem-file key of that limit and the value used first."""
    from ocp.engine.solver import IPOPT_MAX_ITERATIONS, setting

    tries = ("more mesh intervals (--set transcription.intervals=...), a warm start from "
             "a related solution (--guess DIR), the implicit form "
             "(--set transcription.dynamics=\"implicit\"), or a looser tolerance "
             "(solver.tolerance)")
    if solution.message == IPOPT_MAX_ITERATIONS:
        key, limit = setting(options, "max_iter")
        more = max(2 * limit, 100) if isinstance(limit, int) else "..."
        return (f"error: IPOPT stopped at its iteration limit, {key} = {limit} "
                f"({IPOPT_MAX_ITERATIONS}); the last iterate was written to {out}. To try: "
                f"more iterations (--set {key}={more}), and continuing from this last "
                f"iterate (--guess {out}); if it still does not converge, " + tries)
    return (f"error: IPOPT did not converge ({solution.message}); the last iterate was "
            f"written to {out}. To try: " + tries)
