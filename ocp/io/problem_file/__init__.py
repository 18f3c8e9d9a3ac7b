"""Problem files: a movement task in TOML, validated once into a Problem.

Every value is checked here, at the boundary: an unknown key (with the
closest valid one suggested), a wrong type, a wrong unit, a missing file or
contradicting bounds raise :class:`ProblemError` naming the file and the
dotted key. Behind this package, the engine trusts its inputs. One module per
section: :mod:`.model`, :mod:`.costs`, :mod:`.transcription`, :mod:`.solver`,
:mod:`.guess`, :mod:`.kinematics`, :mod:`.constraints`; this module reads the
rest (time, bounds, periodicity) and assembles the Problem.

The sections (see README.md and ``problems/`` for complete examples)::

    title, description
    sense            "minimize" (default) | "maximize": the objective's sense
    units            "si" (default) | "none": a dimensionless problem, reported without units
    [model]          name = built-in model | file = "my_model.py"; [model.parameters]
                     passive_joint_moments = "none" | "anderson1999" (gait2d_torque)
                     contact_stiffness = N/m^2 (.osim files: every contact sphere)
                     treadmill_speed = m/s: the contact spheres on a moving belt
    [time]           start, final (value: fixed; [lo, hi]: free), guess
    [kinematics]     file (CSV, .mot, .sto of joint angles), columns, start, final: the
                     muscle redundancy problem
    [external_loads] file (OpenSim ExternalLoads .xml): measured forces in its dynamics
    [emg]            file (EMG envelopes), columns, signal, weight, scale_bounds: tracked
                     with a scale per muscle estimated in the NLP (ocp.costs.emg_tracking)
    [model.reserves] [model.residuals]  (.osim) reserve and residual actuators
    [bounds]         name = [lo, hi] for states, controls and outputs
    [initial] [final]  name = value or [lo, hi]
    [periodic]       states = [...], controls = [...], mirror = [[a, b], ...],
                     negated = [...] (a half cycle: y(t_f) = -y(t_0))
    [average_speed]  coordinate, value (m/s)
    [costs.NAME]     type = a registered cost type, and that type's keys: the list
                     and its keys are ocp.costs.COST_TYPES (COST_TYPES.markdown_table())
    [constraints.NAME]  file, function, lower, upper  (path constraints in Python);
                     type = "distance", bodies, plane, lower, upper (m): body origins apart
    [transcription]  method = a registered scheme (ocp.transcriptions.TRANSCRIPTIONS),
                     intervals, mesh (graded: fractions of the horizon) and the scheme's
                     own keys (degree, control_midpoints), dynamics, accuracy (a fraction
                     of each state's range); [transcription.refinement] tolerance (state units),
                     passes: cut the intervals whose re-simulation is off and solve again
    [solver]         tolerance, constraint_tolerance, max_iterations, hessian,
                     linear_solver, graph, compile, threads; [solver.ipopt] any IPOPT
                     option
    [guess]          solution = folder or solution.npz of an earlier solve;
                     reference = data file of states (and lowpass_hz, lowpass_filter);
                     values;
                     half_cycle_of = the mirrored problem a --guess solution solved
    [intervention.NAME]  do = set | scale_max_isometric_force | remove_muscle |
                     lock_joint | external_load | segment_load (what-if questions, ocp.causal)
    [parameters]     "segment.forearm.mass" = [lo, hi], ...: model numbers estimated
                     with the trajectory (ocp.estimation)
"""
from __future__ import annotations

import math
from pathlib import Path

from ocp.errors import ProblemError, suggestion
from ocp.io.problem_file.checks import check_model_file_at_guess, check_nlp_size
from ocp.io.problem_file.constraints import read_constraint
from ocp.io.problem_file.costs import read_cost
from ocp.io.problem_file.guess import read_guess
from ocp.io.problem_file.kinematics import measured_loads, read_kinematics
from ocp.io.problem_file.model import fit_ranges, read_model, treadmill
from ocp.io.problem_file.reserves import actuator_costs
from ocp.io.problem_file.solver import LINEAR_SOLVERS, read_solver
from ocp.io.problem_file.transcription import read_transcription
from ocp.io.tables import TableReader, apply_overrides, read_toml
from ocp.models.protocols import RestConditionsModel
from ocp.problem import MAXIMIZE, MINIMIZE, NO_UNITS, Problem

__all__ = ["load_problem", "problem_from_dict", "read_model", "fit_ranges", "SECTIONS",
           "LINEAR_SOLVERS"]

SECTIONS = {"title", "description", "model", "time", "bounds", "initial", "final",
            "periodic", "costs", "constraints", "transcription", "solver", "guess", "kinematics",
            "average_speed", "intervention", "parameters", "sense", "units", "external_loads",
            "emg"}


def load_problem(path, overrides: dict | None = None) -> Problem:
    """Read, validate and build a Problem from a TOML file.

    ``overrides`` maps dotted keys to values, applied before validation (the
    same mechanism studies and ``ocp solve --set`` use).
    """
    path = Path(path)
    data = apply_overrides(read_toml(path), overrides, str(path))
    return problem_from_dict(data, path)


def problem_from_dict(data: dict, path: Path) -> Problem:
    """The Problem the TOML ``data`` of the file ``path`` describes (relative file
    names start from ``path``'s folder)."""
    file = str(path)
    base = path.parent
    root = TableReader(data, "", file)
    root.only(SECTIONS)
    if isinstance(data.get("model"), str):  # model = "data/2D_gait.osim"
        data = {**data, "model": {"file": data["model"]}}
        root = TableReader(data, "", file)
    model = read_model(root.sub("model", required=True), base, data.get("bounds", {}))
    model = treadmill(root.sub("model"), model)   # [model] treadmill_speed
    redundancy = None
    if "kinematics" in data:
        redundancy = read_kinematics(root.sub("kinematics"), model, base,
                                     root.sub("external_loads"))
        if "time" in data:
            raise root.error("time", "with [kinematics] the time span comes from the "
                             "kinematics file; remove [time]")
        model = redundancy.model
        start, final_time, final_guess = redundancy.start_time, redundancy.final_time, None
    else:
        start, final_time, final_guess = read_time(root.sub("time", required=True))
        if "external_loads" in data:   # applied in the model's dynamics
            model = measured_loads(root.sub("external_loads"), model, base,
                                   (start, final_time))
    units = model.units()
    known = set(units)

    def named(section: str) -> dict:
        reader = root.sub(section)
        out = {}
        for name in reader.table:
            if name not in known:
                raise reader.error(name, f"'{name}' is not a state, control or output of "
                                   f"model '{model.name}'" + suggestion(name, sorted(known)))
            out[name] = reader.quantity_or_range(name, units[name])
        return out

    periodic, mirror, negated = read_periodic(root.sub("periodic"))
    average_speed = read_average_speed(root.sub("average_speed"))
    transcription, dynamics, mesh_refinement, accuracy = read_transcription(
        root.sub("transcription"))

    problem = Problem(
        model=model, final_time=final_time, start_time=start, final_time_guess=final_guess,
        bounds=named("bounds"), initial=named("initial"), final=named("final"),
        periodic=periodic, mirror=mirror, negated=negated,
        average_speed=average_speed,
        transcription=transcription, dynamics=dynamics, mesh_refinement=mesh_refinement,
        accuracy=accuracy,
        solver=read_solver(root.sub("solver")),
        name=root.string("title") or path.stem,
        sense=root.string("sense", MINIMIZE, choices=(MINIMIZE, MAXIMIZE)),
        units=root.string("units", "si", choices=("si", NO_UNITS)))
    if redundancy is not None:
        problem.path_constraints.extend(redundancy.path_constraints)
        problem.initial_equal.extend(redundancy.initial_equal)
    if isinstance(model, RestConditionsModel):  # a learned activation step starts at rest
        problem.initial.update(model.rest_conditions(problem.initial))
    costs = root.sub("costs", required=True)
    for name in costs.table:
        problem.minimize(read_cost(name, costs.sub(name), model, base, (start, final_time)))
    for cost in actuator_costs(root.sub("model"), model):   # [model.reserves] weight
        problem.minimize(cost)
    constraints = root.sub("constraints")
    for name in constraints.table:
        problem.subject_to(read_constraint(name, constraints.sub(name), base, model))
    read_guess(root.sub("guess"), problem, base, load_problem)
    if "parameters" in data:  # model numbers to estimate (ocp.estimation)
        from ocp.estimation.problem_table import read_parameters
        problem.parameters = read_parameters(root.sub("parameters"), model, problem.costs)
    if "emg" in data:  # EMG envelopes and their scales, decision variables too
        from ocp.io.problem_file.emg import read_emg
        if "parameters" in data:
            raise root.error("emg", "[emg] with [parameters]: estimating model numbers and "
                             "EMG scales in one problem is not supported yet")
        term, problem.parameters = read_emg(root.sub("emg"), model, base, (start, final_time))
        problem.minimize(term)
    try:
        problem.validate()
        check_nlp_size(problem)
        if "file" in data["model"]:  # a Python model file: finite where IPOPT starts
            check_model_file_at_guess(problem, root.sub("model").path("file", base))
    except ProblemError as exc:
        exc.file = file
        raise
    if "intervention" in data:  # do() operations (ocp.causal), checked against the problem
        from ocp.causal.problem_table import read_interventions
        problem.interventions = read_interventions(root.sub("intervention"), problem)
    return problem


def read_time(reader: TableReader) -> tuple:
    """``[time]``: start (s), final (s, or a (lo, hi) range when free) and its guess (s)."""
    reader.only({"start", "final", "guess"})
    start = reader.number("start", 0.0, unit="s")
    if "final" not in reader.table:
        raise reader.error("final", "the final time is required: a value (fixed) "
                           "or [lower, upper] (free)")
    final = reader.quantity_or_range("final", "s")
    if not isinstance(final, tuple | list) and not math.isfinite(final):
        raise reader.error("final", f"a fixed final time must be finite, got {final}; "
                           f"for a free one give [lower, upper]")
    if not math.isfinite(start):
        raise reader.error("start", f"expected a finite time, got {start}")
    return start, final, reader.number("guess", unit="s")


def read_periodic(reader: TableReader) -> tuple[list, list, list]:
    """``[periodic]``: the names equal at both ends, the mirrored pairs and the names
    whose sign flips over the half cycle."""
    reader.only({"states", "controls", "mirror", "negated"})
    mirror = reader.table.get("mirror", [])
    if not (isinstance(mirror, list) and all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(n, str) for n in p)
            for p in mirror)):
        raise reader.error("mirror", 'expected pairs of state names, e.g. '
                           '[["hip_flexion_r", "hip_flexion_l"]]')
    names = reader.strings("states", []) + reader.strings("controls", [])
    return names, [tuple(p) for p in mirror], reader.strings("negated", [])


def read_average_speed(reader: TableReader):
    """``[average_speed]``: (coordinate, speed in m/s), or None."""
    reader.only({"coordinate", "value"})
    if not reader.table:
        return None
    coordinate = reader.string("coordinate")
    if coordinate is None or "value" not in reader.table:
        raise reader.error(None, "give 'coordinate' (e.g. 'pelvis_tx') and 'value' "
                           "(e.g. '1.2 m/s')")
    speed = reader.number("value", unit="m/s")
    if not math.isfinite(speed):
        raise reader.error("value", f"expected a finite speed, got {speed}")
    return (coordinate, speed)

