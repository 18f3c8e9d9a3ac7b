"""Problem files: a movement task in TOML, validated once into a Problem.

Every value is checked here, at the boundary: an unknown key (with the
closest valid one suggested), a wrong type, a wrong unit, a missing file or
contradicting bounds raise :class:`ProblemError` naming the file and the
dotted key. Behind this module, the engine trusts its inputs.

The sections (see README.md and ``problems/`` for complete examples)::

    title, description
    [model]          name = built-in model | file = "my_model.py"; [model.parameters]
                     passive_joint_moments = "none" | "anderson1999" (gait2d_torque)
                     contact_stiffness = N/m^2 (.osim files: every contact sphere)
    [time]           start, final (value: fixed; [lo, hi]: free), guess
    [bounds]         name = [lo, hi] for states, controls and outputs
    [initial] [final]  name = value or [lo, hi]
    [periodic]       states = [...], controls = [...], mirror = [[a, b], ...]
    [costs.NAME]     type = squared_controls | squared_torque | contact_dissipation |
                     final_time | tracking | custom
                     (tracking: reference, lowpass_hz, lowpass_filter = "butterworth" |
                     "opensim", interpolation = "linear" | "quintic" | "gcv", speeds)
    [constraints.NAME]  file, function, lower, upper  (path constraints in Python)
    [transcription]  method, intervals, degree (radau), control_midpoints (hermite-simpson),
                     dynamics; [transcription.refinement] tolerance (state units),
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

import copy
import dataclasses
import importlib.util
import math
import sys
import tomllib
from pathlib import Path

import numpy as np

from ocp.costs import (COST_TYPES, ContactDissipation, CustomCost, FinalTime,
                    SquaredAccelerations, SquaredActivations, SquaredControls,
                    SquaredTorque, Tracking)
from ocp.errors import ProblemError, suggestion
from ocp.engine.mesh_refinement import MeshRefinement
from ocp.models.custom import ModelFileError, load_model_file
from ocp.models.gait2d import PASSIVE_JOINT_MOMENTS
from ocp.models.library import (build_model, default_muscles, is_muscle_model, model_names,
                             parameter_names)
from ocp.models.muscle_driven import Muscle
from ocp.models.muscles.curves import CURVE_SETS
from ocp.models.muscles.geometry import PathGeometry, PolynomialGeometry
from ocp.models.muscles.hill import MuscleParameters
from ocp.models.surrogate import MUSCLE_GEOMETRY, SurrogateMismatch, load_surrogate
from ocp.problem import EXPLICIT, PathConstraint, Problem, SolverOptions
from ocp.solution import Solution
from ocp.analysis.tracking import (body_weight_N, natural_spline_references, quintic_references,
                       reference_from_file, with_speed_references)
from ocp.transcriptions import TRANSCRIPTIONS, HermiteSimpson
from ocp.units import UnitError, to_si
from ocp.io.tables import TableReader, apply_overrides, kind, plain_number, read_toml

SECTIONS = {"title", "description", "model", "time", "bounds", "initial", "final",
            "periodic", "costs", "constraints", "transcription", "solver", "guess", "kinematics",
            "average_speed", "intervention", "parameters"}
#: IPOPT's linear solvers; CasADi's wheel ships MUMPS and SPRAL, the HSL ones
#: (ma27 ...) need the user's own HSL library.
LINEAR_SOLVERS = ("mumps", "spral", "ma27", "ma57", "ma77", "ma86", "ma97", "pardiso")
COST_KEYS = {
    "squared_controls": {"type", "weight", "controls", "divide_by_displacement"},
    "control_effort": {"type", "weight", "controls", "exponent", "divide_by_displacement"},
    "squared_torque": {"type", "weight", "divide_by_displacement"},
    "squared_activations": {"type", "weight", "divide_by_displacement"},
    "squared_accelerations": {"type", "weight", "divide_by_displacement"},
    "contact_dissipation": {"type", "weight", "divide_by_displacement"},
    "final_time": {"type", "weight", "divide_by_displacement"},
    "tracking": {"type", "weight", "target", "reference", "columns", "lowpass_hz",
                 "lowpass_filter", "speeds", "divide_by_body_weight", "interpolation"},
    "custom": {"type", "weight", "file", "integrand", "endpoint", "divide_by_displacement"},
}


def load_problem(path, overrides: dict | None = None) -> Problem:
    """Read, validate and build a Problem from a TOML file.

    ``overrides`` maps dotted keys to values, applied before validation (the
    same mechanism studies and ``ocp solve --set`` use).
    """
    path = Path(path)
    data = apply_overrides(read_toml(path), overrides, str(path))
    return problem_from_dict(data, path)


def problem_from_dict(data: dict, path: Path) -> Problem:
    file = str(path)
    base = path.parent
    root = TableReader(data, "", file)
    root.only(SECTIONS)
    if isinstance(data.get("model"), str):  # model = "data/2D_gait.osim"
        data = {**data, "model": {"file": data["model"]}}
        root = TableReader(data, "", file)
    model = read_model(root.sub("model", required=True), base, data.get("bounds", {}))
    redundancy = None
    if "kinematics" in data:
        redundancy = _kinematics(root.sub("kinematics"), model, base)
        if "time" in data:
            raise root.error("time", "with [kinematics] the time span comes from the "
                             "kinematics file; remove [time]")
        model = redundancy.model
        start, final_time, final_guess = redundancy.start_time, redundancy.final_time, None
    else:
        time = root.sub("time", required=True)
        time.only({"start", "final", "guess"})
        start = time.number("start", 0.0, unit="s")
        if "final" not in time.table:
            raise time.error("final", "the final time is required: a value (fixed) "
                             "or [lower, upper] (free)")
        final_time = time.quantity_or_range("final", "s")
        final_guess = time.number("guess", unit="s")
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

    periodic = root.sub("periodic")
    periodic.only({"states", "controls", "mirror"})
    mirror = periodic.table.get("mirror", [])
    if not (isinstance(mirror, list) and all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(n, str) for n in p)
            for p in mirror)):
        raise periodic.error("mirror", 'expected pairs of state names, e.g. '
                             '[["hip_flexion_r", "hip_flexion_l"]]')
    speed_reader = root.sub("average_speed")
    speed_reader.only({"coordinate", "value"})
    average_speed = None
    if speed_reader.table:
        coordinate = speed_reader.string("coordinate")
        if coordinate is None or "value" not in speed_reader.table:
            raise speed_reader.error(None, "give 'coordinate' (e.g. 'pelvis_tx') and 'value' "
                                     "(e.g. '1.2 m/s')")
        average_speed = (coordinate, speed_reader.number("value", unit="m/s"))
    tr_reader = root.sub("transcription")
    tr_reader.only({"method", "intervals", "degree", "dynamics", "control_midpoints",
                    "refinement"})
    method = tr_reader.string("method", "hermite-simpson", choices=list(TRANSCRIPTIONS))
    intervals = tr_reader.integer("intervals", 50, minimum=1)
    if method == "radau":
        transcription = TRANSCRIPTIONS[method](intervals, tr_reader.integer("degree", 3, minimum=1))
    else:
        if "degree" in tr_reader.table:
            raise tr_reader.error("degree", f"'degree' applies to method 'radau' only, "
                                  f"not '{method}'")
        if method == "hermite-simpson":
            midpoints = tr_reader.string("control_midpoints", "free",
                                         choices=list(HermiteSimpson.MIDPOINT_CHOICES))
            transcription = HermiteSimpson(intervals, control_midpoints=midpoints)
        else:
            if "control_midpoints" in tr_reader.table:
                raise tr_reader.error("control_midpoints", f"'control_midpoints' applies to "
                                      f"method 'hermite-simpson' only, not '{method}'")
            transcription = TRANSCRIPTIONS[method](intervals)
    dynamics = tr_reader.string("dynamics", EXPLICIT, choices=["explicit", "implicit"])
    mesh_refinement = _mesh_refinement(tr_reader.sub("refinement"))

    problem = Problem(
        model=model, final_time=final_time, start_time=start, final_time_guess=final_guess,
        bounds=named("bounds"), initial=named("initial"), final=named("final"),
        periodic=periodic.strings("states", []) + periodic.strings("controls", []), mirror=[tuple(p) for p in mirror],
        average_speed=average_speed,
        transcription=transcription, dynamics=dynamics, mesh_refinement=mesh_refinement,
        solver=_solver(root.sub("solver")),
        name=root.string("title") or path.stem)
    if redundancy is not None:
        problem.path_constraints.extend(redundancy.path_constraints)
    from ocp.models.protocols import RestConditionsModel
    if isinstance(model, RestConditionsModel):  # a learned activation step starts at rest
        problem.initial.update(model.rest_conditions(problem.initial))
    costs = root.sub("costs", required=True)
    for name in costs.table:
        problem.minimize(_cost(name, costs.sub(name), model, base))
    constraints = root.sub("constraints")
    for name in constraints.table:
        problem.subject_to(_constraint(name, constraints.sub(name), base))
    guess = root.sub("guess")
    guess.only({"solution", "values", "reference", "lowpass_hz", "lowpass_filter",
                "half_cycle_of"})
    half_cycle_of = guess.path("half_cycle_of", base)
    if half_cycle_of is not None:
        problem.guess_half_cycle_of = load_problem(half_cycle_of)
        if not problem.guess_half_cycle_of.mirror:
            raise guess.error("half_cycle_of", f"'{half_cycle_of.name}' has no [periodic] "
                              f"mirror: its solutions are not half cycles")
    values = guess.sub("values")
    for name in values.table:
        if name not in known:
            raise values.error(name, f"'{name}' is not a state or control" +
                               suggestion(name, sorted(known)))
        problem.guess_values[name] = values.quantity_or_range(name, units[name]) \
            if not isinstance(values.table[name], list) else tuple(
                to_si(v, units[name]) for v in values.table[name])
    reference_path = guess.path("reference", base)
    lowpass_hz, lowpass_filter = _lowpass(guess)
    if reference_path is not None:
        try:
            problem.guess_references = with_speed_references(reference_from_file(
                reference_path, model, lowpass_hz=lowpass_hz, lowpass_filter=lowpass_filter),
                model)
        except ProblemError as exc:
            raise guess.error("reference", str(exc)) from None
    guess_path = guess.path("solution", base)
    if guess_path is not None:
        try:
            problem.guess = Solution.load(guess_path)
        except (OSError, KeyError, ValueError) as exc:
            raise guess.error("solution", f"cannot read a solution from '{guess_path}': "
                              f"{exc}") from None
    if "parameters" in data:  # model numbers to estimate (ocp.estimation)
        from ocp.estimation.problem_table import read_parameters
        problem.parameters = read_parameters(root.sub("parameters"), model, problem.costs)
    try:
        problem.validate()
    except ProblemError as exc:
        exc.file = file
        raise
    if "intervention" in data:  # do() operations (ocp.causal), checked against the problem
        from ocp.causal.problem_table import read_interventions
        problem.interventions = read_interventions(root.sub("intervention"), problem)
    return problem


def _kinematics(reader: TableReader, model, base: Path):
    """[kinematics]: joint angles to explain with muscles (the muscle redundancy problem).

    ``file`` is a CSV with a ``time`` column (s) and one column per coordinate
    (rad); ``columns`` maps coordinate -> column name when they differ.
    """
    from ocp.models.muscle_driven import MuscleDrivenTree
    from ocp.analysis.muscle_redundancy import kinematics_from_samples, redundancy_problem
    reader.only({"file", "columns"})
    if not isinstance(model, MuscleDrivenTree):
        raise reader.error(None, f"[kinematics] needs a muscle-driven model; "
                           f"'{model.name}' has no muscles")
    path = reader.path("file", base)
    if path is None:
        raise reader.error("file", "the kinematics file is required (CSV with 'time')")
    mapping = reader.sub("columns").table
    try:
        table = np.genfromtxt(path, delimiter=",", names=True)
    except (OSError, ValueError) as exc:
        raise reader.error("file", f"cannot read CSV '{path}': {exc}") from None
    columns = list(table.dtype.names or ())
    if "time" not in columns:
        raise reader.error("file", f"'{path}' has no 'time' column (columns: {columns})")
    time = np.atleast_1d(table["time"])
    if time.size < 6 or np.any(np.diff(time) <= 0):
        raise reader.error("file", f"'{path}': column 'time' must increase strictly "
                           f"over at least 6 rows")
    values = []
    for coordinate in model.tree.coordinates:
        column = mapping.get(coordinate, coordinate)
        if column not in columns:
            raise reader.error("columns", f"'{path}' has no column '{column}' for coordinate "
                               f"'{coordinate}'" + suggestion(column, columns))
        values.append(np.atleast_1d(table[column]))
    kinematics = kinematics_from_samples(model, time, np.column_stack(values))
    return redundancy_problem(model, kinematics)


MUSCLE_MODEL_KEYS = {"tendon", "activation_dynamics", "muscles", "remove_muscles",
                     "reserves", "curves", "activation_smoothing", "passive_fiber_force",
                     "geometry"}


#: How far beyond a problem's coordinate bounds the polynomial muscle geometry is fitted.
FIT_MARGIN_RAD = math.radians(10.0)


def fit_ranges(bounds_table) -> dict:
    """Angle bounds of the problem widened by FIT_MARGIN_RAD (the box a polynomial is fitted on)."""
    out = {}
    for name, value in (bounds_table or {}).items():
        if isinstance(value, list) and len(value) == 2:
            try:
                lo, hi = (to_si(v, "rad") for v in value)
            except (UnitError, TypeError, ValueError):
                continue  # not an angle (checked with the other bounds later)
            out[name] = (lo - FIT_MARGIN_RAD, hi + FIT_MARGIN_RAD)
    return out


def _osim_model(reader: TableReader, file_path: Path, bounds_table=None):
    """``[model] file = "x.osim"``: an OpenSim model read by ocp.osim (no OpenSim needed)."""
    from ocp.osim import build_osim_model
    reader.only({"file", "tendon", "conditional_smoothing", "geometry", "contact_stiffness"})
    tendon = reader.string("tendon", None, choices=["rigid", "compliant"])
    smoothing = reader.number("conditional_smoothing", 0.0, unit="rad", minimum=0.0)
    geometry = reader.string("geometry", "exact", choices=["exact", "polynomial", "neural"])
    # the plain-strain modulus of every contact sphere (N/m^2), as <stiffness> in the file
    stiffness = reader.number("contact_stiffness", unit="N/m^2")
    if stiffness is not None and not (0 < stiffness < math.inf):
        raise reader.error("contact_stiffness", f"expected a positive, finite stiffness in "
                           f"N/m^2 (e.g. 1e6, Falisse et al. 2019), got {stiffness}")
    try:
        model = build_osim_model(file_path, tendon=tendon, conditional_smoothing_rad=smoothing,
                                 geometry=geometry, fit_ranges=fit_ranges(bounds_table),
                                 contact_stiffness_N_m2=stiffness)
    except ProblemError as exc:  # names the .osim file, its element and line
        raise reader.error("file", str(exc)) from None
    if stiffness is not None and not model.contacts:
        raise reader.error("contact_stiffness", f"'{file_path.name}' has no "
                           f"SmoothSphereHalfSpaceForce whose stiffness it could set")
    return model


def read_model(reader: TableReader, base: Path, bounds_table=None):
    file_path = reader.path("file", base)
    if file_path is not None and file_path.suffix.lower() == ".osim":
        return _osim_model(reader, file_path, bounds_table)
    reader.only({"name", "file", "parameters", "contact", "dynamics", "passive_joint_moments"}
                | MUSCLE_MODEL_KEYS)
    name = reader.string("name")
    params_reader = reader.sub("parameters")
    if (name is None) == (file_path is None):
        raise reader.error(None, "give either 'name' (a built-in model: "
                           f"{', '.join(model_names())}) or 'file' (a Python model file)")
    if file_path is not None:
        for key in MUSCLE_MODEL_KEYS & set(reader.table):
            raise reader.error(key, "muscle options apply to built-in muscle models only")
        try:
            model = load_model_file(file_path, params_reader.table)
        except ModelFileError as exc:
            raise reader.error("file", str(exc)) from None
        if reader.string("dynamics", "analytic") != "analytic":
            model = _learned_dynamics(reader, model, base)
        return model
    if name not in model_names():
        raise reader.error("name", f"unknown model '{name}'" + suggestion(name, model_names()))
    params_reader.only(parameter_names(name))
    values = {k: params_reader.number(k) for k in params_reader.table}
    if not is_muscle_model(name):
        for key in MUSCLE_MODEL_KEYS & set(reader.table):
            raise reader.error(key, f"model '{name}' has no muscles; muscle options apply to "
                               f"{', '.join(n for n in model_names() if is_muscle_model(n))}")
        options = {}
        if "contact" in reader.table:
            options["contact_normal_force"] = _learned_contact(reader, name, base)
        if "passive_joint_moments" in reader.table:
            options["passive_joint_moments"] = _passive_joint_moments(reader, name)
        try:
            model = build_model(name, values, **options)
        except ValueError as exc:
            raise params_reader.error(None, str(exc)) from None
        if reader.string("dynamics", "analytic") != "analytic":
            model = _learned_dynamics(reader, model, base)
        return model
    if "dynamics" in reader.table:
        raise reader.error("dynamics", f"model '{name}' is muscle-driven; learned dynamics "
                           f"replace those of a torque-driven tree")
    muscles = _muscles(reader, default_muscles(name, values))
    reserves_reader = reader.sub("reserves")
    reserves = {c: reserves_reader.number(c, minimum=0.0) for c in reserves_reader.table}
    options = dict(
        tendon=reader.string("tendon", "rigid", choices=["rigid", "compliant"]),
        activation_dynamics=_activation_dynamics(reader) is not False,
        passive_fiber_force=reader.boolean("passive_fiber_force", True),
        reserves=reserves,
        curves=CURVE_SETS[reader.string("curves", "opensim", choices=list(CURVE_SETS))])
    if "activation_smoothing" in reader.table:
        options["activation_smoothing"] = reader.number("activation_smoothing", minimum=0.0)
    if reader.string("geometry", "analytic") != "analytic":  # a learned surrogate's file
        surrogate_path = reader.path("geometry", base)
        try:
            options["geometry"] = load_surrogate(surrogate_path, MUSCLE_GEOMETRY)
        except ProblemError as exc:
            raise reader.error("geometry", str(exc)) from None
    try:
        model = build_model(name, values, muscles, **options)
    except SurrogateMismatch as exc:
        raise reader.error("geometry", str(exc)) from None
    except ValueError as exc:
        message = str(exc)
        key = "reserves" if "reserve" in message else "muscles"
        raise reader.error(key, message) from None
    if isinstance(_activation_dynamics(reader), str):
        model = _learned_activation(reader, model, base)
    return model


def _passive_joint_moments(reader: TableReader, name: str) -> str:
    """``[model] passive_joint_moments``: a published set of passive joint moments."""
    if name != "gait2d_torque":
        raise reader.error("passive_joint_moments", f"model '{name}' has no passive joint "
                           f"moment sets; they exist for gait2d_torque")
    return reader.string("passive_joint_moments", choices=sorted(PASSIVE_JOINT_MOMENTS))


def _activation_dynamics(reader: TableReader):
    """``[model] activation_dynamics``: true ("analytic", the ODE), false (activations are
    controls) or a learned step's file ("surrogates/emg_activation_gru.casadi")."""
    value = reader.table.get("activation_dynamics", True)
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return True if value == "analytic" else value
    raise reader.error("activation_dynamics", f"expected true, false, \"analytic\" or the file "
                       f"of a learned activation step (\"surrogates/emg_activation_gru.casadi\"), "
                       f"got {kind(value)}")


def _learned_activation(reader: TableReader, model, base: Path):
    """``[model] activation_dynamics = "surrogates/x.casadi"``: a GRU step per muscle
    in place of the activation ODE (ocp.models.learned_activation)."""
    from ocp.models.learned_activation import learned_activation
    path = reader.path("activation_dynamics", base)
    try:
        return learned_activation(model, path)
    except (ProblemError, SurrogateMismatch) as exc:
        raise reader.error("activation_dynamics", str(exc)) from None


def _learned_dynamics(reader: TableReader, model, base: Path):
    """``[model] dynamics = "surrogates/x.casadi"``: ``model`` with a graph network's
    equations of motion (a new model)."""
    from ocp.models.protocols import LearnableDynamicsModel
    from ocp.models.surrogate import TREE_DYNAMICS, SurrogateMismatch, load_surrogate
    if not isinstance(model, LearnableDynamicsModel):
        raise reader.error("dynamics", f"model '{model.name}' is not a torque-driven tree")
    try:
        return model.with_learned_dynamics(load_surrogate(reader.path("dynamics", base),
                                                          TREE_DYNAMICS))
    except ProblemError as exc:
        raise reader.error("dynamics", str(exc)) from None
    except SurrogateMismatch as exc:
        raise reader.error("dynamics", str(exc)) from None


def _learned_contact(reader: TableReader, name: str, base: Path):
    """``[model] contact = "surrogates/x.casadi"``: a learned contact normal force."""
    from ocp.models.surrogate import (CONTACT_NORMAL_FORCE, SurrogateMismatch,
                                   learned_normal_force, load_surrogate)
    value = reader.string("contact")
    if value == "analytic":
        return None
    if name != "gait2d_torque":
        raise reader.error("contact", f"model '{name}' has no contact model to replace")
    path = reader.path("contact", base)
    try:
        return learned_normal_force(load_surrogate(path, CONTACT_NORMAL_FORCE))
    except SurrogateMismatch as exc:
        raise reader.error("contact", str(exc)) from None


def _muscles(reader: TableReader, defaults: dict) -> list:
    """The model's muscles after [model.muscles.NAME] changes and remove_muscles.

    A table for an existing muscle overrides its parameters (e.g. weakness:
    ``max_isometric_force_N = 300``); a table for a new name adds a muscle and
    needs its parameters and a ``path`` ([[segment or "ground", x, y], ...], m)
    or a ``length_polynomial`` ([[coefficient_m, {coordinate = power}], ...]).
    """
    muscles = dict(defaults)
    removed = reader.strings("remove_muscles", [])
    for name in removed:
        if name not in muscles:
            raise reader.error("remove_muscles", f"no muscle '{name}' to remove" +
                               suggestion(name, list(muscles)))
        del muscles[name]
    table = reader.sub("muscles")
    fields = [f.name for f in dataclasses.fields(MuscleParameters)]
    for name in table.table:
        entry = table.sub(name)
        entry.only(set(fields) | {"path", "length_polynomial"})
        values = {k: entry.number(k) for k in fields if k in entry.table}
        if name in muscles:
            old = muscles[name]
            if "path" in entry.table or "length_polynomial" in entry.table:
                geometry = _geometry(entry)
            else:
                geometry = old.geometry
            params = dataclasses.replace(old.parameters, **values)
        else:
            required = ["max_isometric_force_N", "optimal_fiber_length_m", "tendon_slack_length_m"]
            missing = [k for k in required if k not in values]
            if missing:
                raise entry.error(None, f"new muscle '{name}' needs {', '.join(missing)} "
                                  f"(existing muscles: {', '.join(muscles) or 'none'})")
            params = MuscleParameters(**values)
            geometry = _geometry(entry)
        try:
            params.check(name)
        except ValueError as exc:
            raise entry.error(None, str(exc)) from None
        muscles[name] = Muscle(name, params, geometry)
    return list(muscles.values())


def _geometry(entry: TableReader):
    if ("path" in entry.table) == ("length_polynomial" in entry.table):
        raise entry.error(None, "give the muscle either a 'path' or a 'length_polynomial'")
    if "path" in entry.table:
        points = entry.table["path"]
        ok = isinstance(points, list) and len(points) >= 2 and all(
            isinstance(p, list) and len(p) == 3 and isinstance(p[0], str)
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in p[1:])
            for p in points)
        if not ok:
            raise entry.error("path", 'expected at least two points [segment, x_m, y_m], '
                              'e.g. [["upper_arm", 0.16, 0.02], ["forearm", 0.03, 0.0]]')
        return PathGeometry(tuple((None if p[0] == "ground" else p[0], (float(p[1]), float(p[2])))
                                  for p in points))
    terms = entry.table["length_polynomial"]
    ok = isinstance(terms, list) and terms and all(
        isinstance(t, list) and len(t) == 2 and isinstance(t[0], (int, float))
        and isinstance(t[1], dict) for t in terms)
    if not ok:
        raise entry.error("length_polynomial", "expected [[coefficient_m, {coordinate = power}], "
                          "...], e.g. [[0.25, {}], [-0.03, {shoulder = 1}]]")
    return PolynomialGeometry(tuple((float(c), dict(e)) for c, e in terms))


def _mesh_refinement(reader: TableReader) -> MeshRefinement | None:
    """[transcription.refinement]: tolerance (state units) and passes, or None."""
    if not reader.table:
        return None
    reader.only({"tolerance", "passes"})
    if "tolerance" not in reader.table:
        raise reader.error("tolerance", "give the largest re-simulation error wanted of an "
                           "interval, in state units (m, rad, m/s, rad/s), e.g. 0.05")
    tolerance = reader.number("tolerance")
    if not tolerance > 0:
        raise reader.error("tolerance", f"expected a positive number, got {tolerance}")
    return MeshRefinement(tolerance, reader.integer("passes", MeshRefinement.passes, minimum=1))


def _solver(reader: TableReader) -> SolverOptions:
    reader.only({"tolerance", "constraint_tolerance", "max_iterations", "hessian",
                 "linear_solver", "graph", "compile", "threads", "ipopt"})
    defaults = SolverOptions()
    ipopt = reader.sub("ipopt").table
    return SolverOptions(
        tolerance=reader.number("tolerance", defaults.tolerance, minimum=0.0),
        constraint_tolerance=reader.number("constraint_tolerance", minimum=0.0),
        max_iterations=reader.integer("max_iterations", defaults.max_iterations, minimum=0),
        hessian=reader.string("hessian", defaults.hessian, choices=["exact", "limited-memory"]),
        linear_solver=reader.string("linear_solver", defaults.linear_solver,
                                    choices=list(LINEAR_SOLVERS)),
        graph=reader.string("graph", defaults.graph, choices=["sx", "mx", "lifted"]),
        compile=reader.boolean("compile", defaults.compile),
        threads=reader.integer("threads", defaults.threads, minimum=1),
        ipopt=dict(ipopt))


def _python_function(reader: TableReader, base: Path, function_key: str):
    file_path = reader.path("file", base)
    if file_path is None:
        raise reader.error("file", "a Python file is required")
    fname = reader.string(function_key)
    if fname is None:
        return None
    module_name = f"_ocp_user_{abs(hash(str(file_path.resolve())))}"
    module = sys.modules.get(module_name)
    if module is None:
        spec = importlib.util.spec_from_file_location(module_name, file_path)
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            raise reader.error("file", f"'{file_path}' failed to import: "
                               f"{type(exc).__name__}: {exc}") from None
        sys.modules[module_name] = module
    fn = getattr(module, fname, None)
    if not callable(fn):
        raise reader.error(function_key, f"'{file_path}' defines no function '{fname}'")
    return fn


def _cost(name: str, reader: TableReader, model, base: Path):
    kind = reader.string("type")
    if kind is None:
        raise reader.error("type", "every cost term needs a type: " + ", ".join(COST_TYPES))
    if kind not in COST_TYPES:
        raise reader.error("type", f"unknown cost type '{kind}'" + suggestion(kind, COST_TYPES))
    reader.only(COST_KEYS[kind])
    term = _cost_term(name, kind, reader, model, base)
    term.divide_by_displacement = reader.string("divide_by_displacement")
    return term


def _cost_term(name: str, kind: str, reader: TableReader, model, base: Path):
    weight = reader.number("weight", 1.0, minimum=0.0)
    if kind in ("squared_controls", "control_effort"):
        controls = reader.strings("controls")
        for c in controls or ():
            if c not in model.control_names:
                raise reader.error("controls", f"unknown control '{c}'" +
                                   suggestion(c, model.control_names))
        exponent = reader.number("exponent", 2.0, minimum=2.0)
        return SquaredControls(name, weight, controls=tuple(controls) if controls else None,
                               exponent=exponent)
    if kind == "squared_torque":
        return SquaredTorque(name, weight)
    if kind == "squared_activations":
        return SquaredActivations(name, weight)
    if kind == "squared_accelerations":
        return SquaredAccelerations(name, weight)
    if kind == "contact_dissipation":
        return ContactDissipation(name, weight)
    if kind == "final_time":
        return FinalTime(name, weight)
    if kind == "tracking":
        scale = 1.0
        if reader.boolean("divide_by_body_weight", False):
            try:
                scale = 1.0 / body_weight_N(model)
            except ValueError as exc:
                raise reader.error("divide_by_body_weight", str(exc)) from None
        reference = _tracking_reference(reader, model, base)
        # "gcv": Moco's references, OpenSim's GCVSpline (degree 5, error variance 0)
        interpolation = reader.string("interpolation", "linear",
                                      choices=["linear", "quintic", "gcv"])
        if reader.boolean("speeds", False):
            reference = with_speed_references(reference, model,
                                              natural=interpolation == "gcv")
        if interpolation == "quintic":
            reference = quintic_references(reference)
        elif interpolation == "gcv":
            try:
                reference = natural_spline_references(reference)
            except ValueError as exc:
                source = reader.table.get("reference", "the reference")
                raise reader.error("interpolation", f"{source}: {exc}") from None
        return Tracking(name, weight, reference=reference, scale=scale)
    integrand = _python_function(reader, base, "integrand")
    endpoint = _python_function(reader, base, "endpoint")
    if integrand is None and endpoint is None:
        raise reader.error(None, "a custom cost needs 'integrand' and/or 'endpoint': "
                           "names of functions in its 'file'")
    return CustomCost(name, weight, integrand_fn=integrand, endpoint_fn=endpoint)


def _lowpass(reader: TableReader) -> tuple:
    """``lowpass_hz`` (Hz or None) and ``lowpass_filter`` of a reference: "butterworth"
    (zero-phase) or "opensim" (OpenSim's TabOpLowPassFilter, as Moco's examples)."""
    lowpass_hz = reader.number("lowpass_hz", minimum=0.0)
    lowpass_filter = reader.string("lowpass_filter", "butterworth",
                                   choices=["butterworth", "opensim"])
    if "lowpass_filter" in reader.table and not lowpass_hz:
        raise reader.error("lowpass_filter", "chooses the filter of 'lowpass_hz', "
                           "which is not given")
    return lowpass_hz, lowpass_filter


def _tracking_reference(reader: TableReader, model, base: Path) -> dict:
    units = model.units()
    if ("target" in reader.table) == ("reference" in reader.table):
        raise reader.error(None, "give either 'target' (a table of constant values) or "
                           "'reference' (a data file: .mot, .sto, .trc, .csv or .c3d)")
    if "target" in reader.table:
        for key in ("lowpass_hz", "lowpass_filter"):
            if key in reader.table:
                raise reader.error(key, "filters a 'reference' file; a 'target' is "
                                   "constant")
        target = reader.sub("target")
        out = {}
        for name in target.table:
            if name not in units:
                raise target.error(name, f"'{name}' is not a state, control or output" +
                                   suggestion(name, sorted(units)))
            out[name] = target.number(name, unit=units[name])
        return out
    data_path = reader.path("reference", base)
    columns = reader.table.get("columns")
    if columns is not None and not (
            (isinstance(columns, list) and all(isinstance(c, str) for c in columns)) or
            (isinstance(columns, dict) and all(isinstance(c, str) for c in columns.values()))):
        raise reader.error("columns", "expected a list of column names or a table "
                           "{model name = \"data column\"}, got " + kind(columns))
    lowpass_hz, lowpass_filter = _lowpass(reader)
    try:
        return reference_from_file(data_path, model, columns, lowpass_hz=lowpass_hz,
                                   lowpass_filter=lowpass_filter,
                                   file_times=reader.table.get("interpolation") == "gcv")
    except ProblemError as exc:  # a DataError naming the data file and its column
        tracked = set(columns.values() if isinstance(columns, dict) else columns or ())
        blame = "columns" if getattr(exc, "column", None) in tracked else "reference"
        raise reader.error(blame, str(exc)) from None


def _constraint(name: str, reader: TableReader, base: Path) -> PathConstraint:
    reader.only({"file", "function", "lower", "upper"})
    fn = _python_function(reader, base, "function")
    if fn is None:
        raise reader.error("function", "the name of the constraint function is required")
    lower = reader.table.get("lower", -math.inf)
    upper = reader.table.get("upper", math.inf)
    for key, value in (("lower", lower), ("upper", upper)):
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            raise reader.error(key, f"expected a number or a list of numbers, got {kind(value)}")
    return PathConstraint(name, fn, lower, upper)
