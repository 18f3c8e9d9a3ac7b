"""``[model]``: a built-in model, a Python model file or an OpenSim ``.osim`` file.

Built-in models take ``[model.parameters]``; muscle models also their muscles
(``[model.muscles.NAME]``, ``remove_muscles``), reserves, tendon, curves and
learned surrogates; ``.osim`` files take their own few options. Every model
error is raised on the key that caused it.
"""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path

from ocp.errors import ProblemError, suggestion
from ocp.io.problem_file.osim_options import apply_osim_options
from ocp.io.tables import TableReader, kind
from ocp.models.custom import ModelFileError, UnusedParameter, load_model_file
from ocp.models.gait2d import PASSIVE_JOINT_MOMENTS
from ocp.models.library import (
    build_model,
    default_muscles,
    is_muscle_model,
    model_names,
    parameter_names,
)
from ocp.models.muscle_driven import Muscle
from ocp.models.muscles.curves import CURVE_SETS
from ocp.models.muscles.geometry import PathGeometry, PolynomialGeometry
from ocp.models.muscles.hill import MuscleParameters
from ocp.models.protocols import LearnableDynamicsModel
from ocp.models.surrogate import MUSCLE_GEOMETRY, SurrogateMismatch, load_surrogate
from ocp.units import UnitError, to_si

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


def osim_model(reader: TableReader, file_path: Path, bounds_table=None,
               base: Path | None = None):
    """``[model] file = "x.osim"``: an OpenSim model read by ocp.osim (no OpenSim needed)."""
    from ocp.io.problem_file.reserves import (
        OSIM_ACTUATOR_KEYS,
        osim_actuators,
        spatial_actuators,
    )
    from ocp.osim import build_osim_model
    reader.only({"file", "tendon", "conditional_smoothing", "geometry", "contact_stiffness",
                 "accept_geometry_fit", "ignore", "hold", "unactuated", "frames",
                 "imu_placement", "imu_placer", "passive_moments", "tendon_stiffness",
                 "no_muscle_moment", "contacts", "treadmill_speed"}
                | OSIM_ACTUATOR_KEYS)
    tendon = reader.string("tendon", None, choices=["rigid", "compliant"])
    smoothing = reader.number("conditional_smoothing", 0.0, unit="rad", minimum=0.0)
    geometry = reader.string("geometry", "exact", choices=["exact", "polynomial", "neural"])
    # a 3D file's fitted muscle paths beyond the targets (FIT_LENGTH_RMS_M ...): kept
    accept_fit = bool(reader.boolean("accept_geometry_fit", False))
    # the plain-strain modulus of every contact sphere (N/m^2), as <stiffness> in the file
    stiffness = reader.number("contact_stiffness", unit="N/m^2")
    if stiffness is not None and not (0 < stiffness < math.inf):
        raise reader.error("contact_stiffness", f"expected a positive, finite stiffness in "
                           f"N/m^2 (e.g. 1e6, Falisse et al. 2019), got {stiffness}")
    # 3D files: elements not applied ("muscles", "contacts"), coordinates held at a value
    # (rad or m), free coordinates without a generalised force and frames whose IMU-like
    # signals are outputs (ocp.osim.model3d.spatial_torque_arguments)
    spatial = {"ignore": tuple(reader.table.get("ignore", ())),
               "hold": {k: float(v) for k, v in reader.table.get("hold", {}).items()},
               "unactuated": tuple(reader.table.get("unactuated", ())),
               "frames": tuple(reader.table.get("frames", ()))
               + imu_frames(reader, file_path, base or file_path.parent)}
    # [model.reserves], [model.residuals] ... (ocp.io.problem_file.reserves)
    doc, muscle_options = osim_actuators(reader, file_path)
    if doc is None and reader.table.get("remove_muscles") is True:   # a 3D file
        spatial["ignore"] += ("muscles",)
    # a 3D muscle-driven model: contact spheres from a CSV file (ocp.osim.contact_file)
    contacts = reader.path("contacts", base or file_path.parent)
    try:
        model = build_osim_model(file_path, tendon=tendon, conditional_smoothing_rad=smoothing,
                                 geometry=geometry, fit_ranges=fit_ranges(bounds_table),
                                 contact_stiffness_N_m2=stiffness,
                                 accept_geometry_fit=accept_fit, spatial=spatial, doc=doc,
                                 muscle_options=muscle_options, contacts=contacts)
    except ProblemError as exc:  # names the .osim file (its element and line) or contact file
        raise reader.error("contacts" if exc.key == "model.contacts" else "file",
                           str(exc)) from None
    if stiffness is not None and not model.contacts:
        raise reader.error("contact_stiffness", f"'{file_path.name}' has no "
                           f"SmoothSphereHalfSpaceForce whose stiffness it could set")
    if doc is None:   # 3D: reserves and residuals of a torque-driven model
        model = spatial_actuators(reader, model)
    return apply_osim_options(reader, model)   # passive_moments, tendon_stiffness, ...


def imu_frames(reader: TableReader, file_path: Path, base: Path) -> tuple:
    """``imu_placement`` (and ``imu_placer``): the IMUs placed on their bodies as frames
    whose gyroscope and accelerometer signals are outputs (ocp.sensors.imu_frames)."""
    if "imu_placement" not in reader.table and "imu_placer" not in reader.table:
        return ()
    import warnings

    from ocp.sensors.imu_frames import IMUPlacementNote, placed_imu_frames
    placement = reader.path("imu_placement", base)
    placer = reader.path("imu_placer", base)
    try:
        frames, unmatched = placed_imu_frames(file_path, placement, placer)
    except ProblemError as exc:
        raise reader.error("imu_placement" if placement is not None else "imu_placer",
                           str(exc)) from None
    if unmatched:
        warnings.warn(IMUPlacementNote(f"{placement or placer}: sensors that name no body of "
                                       f"'{file_path.name}' (not placed): "
                                       f"{', '.join(unmatched)}"), stacklevel=2)
    return frames


def read_model(reader: TableReader, base: Path, bounds_table=None):
    """The model a ``[model]`` table describes; ``bounds_table`` (the raw ``[bounds]``)
    sets the angle box a polynomial muscle geometry is fitted on."""
    file_path = reader.path("file", base)
    if file_path is not None and file_path.suffix.lower() == ".osim":
        return osim_model(reader, file_path, bounds_table, base)
    reader.only({"name", "file", "parameters", "contact", "dynamics", "passive_joint_moments",
                 "treadmill_speed"} | MUSCLE_MODEL_KEYS)
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
        except UnusedParameter as exc:
            raise params_reader.error(exc.key, f"model file '{file_path.name}' does not use "
                                      f"this parameter" + suggestion(exc.key, exc.known)) from None
        except ModelFileError as exc:
            raise reader.error("file", str(exc)) from None
        if reader.string("dynamics", "analytic") != "analytic":
            model = learned_dynamics(reader, model, base)
        return model
    if name not in model_names():
        raise reader.error("name", f"unknown model '{name}'" + suggestion(name, model_names()))
    params_reader.only(parameter_names(name))
    values = {k: params_reader.number(k) for k in params_reader.table}
    check_parameters(params_reader, values)
    if not is_muscle_model(name):
        for key in MUSCLE_MODEL_KEYS & set(reader.table):
            raise reader.error(key, f"model '{name}' has no muscles; muscle options apply to "
                               f"{', '.join(n for n in model_names() if is_muscle_model(n))}")
        options = {}
        if "contact" in reader.table:
            options["contact_normal_force"] = learned_contact(reader, name, base)
        if "passive_joint_moments" in reader.table:
            options["passive_joint_moments"] = passive_joint_moments(reader, name)
        try:
            model = build_model(name, values, **options)
        except ValueError as exc:
            raise params_reader.error(None, str(exc)) from None
        if reader.string("dynamics", "analytic") != "analytic":
            model = learned_dynamics(reader, model, base)
        return model
    if "dynamics" in reader.table:
        raise reader.error("dynamics", f"model '{name}' is muscle-driven; learned dynamics "
                           f"replace those of a torque-driven tree")
    return muscle_model(reader, name, values, base)


def check_parameters(reader: TableReader, values: dict) -> None:
    """Built-in model parameters are numbers, masses and lengths positive: a
    NaN, an infinity or a massless link would reach IPOPT as
    ``Invalid_Number_Detected``. Bounds (``max_...``) may be infinite."""
    for key, value in values.items():
        if math.isnan(value) or (math.isinf(value) and not (key.startswith("max_")
                                                             and value > 0)):
            raise reader.error(key, f"expected a finite number, got {value}")
        if ("mass" in key or "length" in key or key == "height_m") and not value > 0:
            raise reader.error(key, f"a mass or length must be positive, got {value}")


def muscle_model(reader: TableReader, name: str, values: dict, base: Path):
    """A built-in muscle model with the table's muscles, reserves and options."""
    muscles = read_muscles(reader, default_muscles(name, values))
    reserves_reader = reader.sub("reserves")
    reserves = {c: reserves_reader.number(c, minimum=0.0) for c in reserves_reader.table}
    options = dict(
        tendon=reader.string("tendon", "rigid", choices=["rigid", "compliant"]),
        activation_dynamics=activation_dynamics(reader) is not False,
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
    except ProblemError as exc:  # the model names the key at fault (e.g. "reserves")
        raise reader.error(exc.key or "muscles", exc.message) from None
    except ValueError as exc:
        raise reader.error("muscles", str(exc)) from None
    if isinstance(activation_dynamics(reader), str):
        model = learned_activation(reader, model, base)
    return model


def passive_joint_moments(reader: TableReader, name: str) -> str:
    """``[model] passive_joint_moments``: a published set of passive joint moments."""
    if name != "gait2d_torque":
        raise reader.error("passive_joint_moments", f"model '{name}' has no passive joint "
                           f"moment sets; they exist for gait2d_torque")
    return reader.string("passive_joint_moments", choices=sorted(PASSIVE_JOINT_MOMENTS))


def activation_dynamics(reader: TableReader):
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


def learned_activation(reader: TableReader, model, base: Path):
    """``[model] activation_dynamics = "surrogates/x.casadi"``: a GRU step per muscle
    in place of the activation ODE (ocp.models.learned_activation)."""
    from ocp.models.learned_activation import learned_activation as with_learned_activation
    path = reader.path("activation_dynamics", base)
    try:
        return with_learned_activation(model, path)
    except (ProblemError, SurrogateMismatch) as exc:
        raise reader.error("activation_dynamics", str(exc)) from None


def learned_dynamics(reader: TableReader, model, base: Path):
    """``[model] dynamics = "surrogates/x.casadi"``: ``model`` with a graph network's
    equations of motion (a new model; the one given is left as it was)."""
    from ocp.models.surrogate import TREE_DYNAMICS
    if not isinstance(model, LearnableDynamicsModel):
        raise reader.error("dynamics", f"model '{model.name}' is not a torque-driven tree")
    try:
        return model.with_learned_dynamics(load_surrogate(reader.path("dynamics", base),
                                                          TREE_DYNAMICS))
    except ProblemError as exc:
        raise reader.error("dynamics", str(exc)) from None
    except SurrogateMismatch as exc:
        raise reader.error("dynamics", str(exc)) from None


def learned_contact(reader: TableReader, name: str, base: Path):
    """``[model] contact = "surrogates/x.casadi"``: a learned contact normal force."""
    from ocp.models.surrogate import CONTACT_NORMAL_FORCE, learned_normal_force
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


def read_muscles(reader: TableReader, defaults: dict) -> list:
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
                geometry = muscle_geometry(entry)
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
            geometry = muscle_geometry(entry)
        try:
            params.check(name)
        except ValueError as exc:  # on the key the message names, if the file gives it
            key = next((k for k in values if f" {k} " in str(exc)), None)
            raise entry.error(key, str(exc)) from None
        muscles[name] = Muscle(name, params, geometry)
    return list(muscles.values())


def muscle_geometry(entry: TableReader):
    """A muscle's ``path`` (points on segments, m) or ``length_polynomial`` (m)."""
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


def treadmill(reader: TableReader, model):
    """``treadmill_speed`` (m/s): every contact sphere on a belt moving at that speed
    (ocp.models.treadmill), or ``model`` unchanged without the key."""
    from ocp.models.treadmill import on_treadmill
    speed = reader.number("treadmill_speed", None, unit="m/s")
    if speed is None:
        return model
    if not (math.isfinite(speed) and speed != 0):
        raise reader.error("treadmill_speed", f"expected a finite, non-zero belt speed in "
                           f"m/s (e.g. \"1.2 m/s\"), got {speed}")
    try:
        return on_treadmill(model, speed)
    except ValueError as exc:
        raise reader.error("treadmill_speed", str(exc)) from None
