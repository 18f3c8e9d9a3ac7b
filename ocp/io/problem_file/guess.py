"""``[guess]``: where the solver starts: an earlier solution, a data file or values."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ocp.costs.tracking import read_lowpass
from ocp.errors import ProblemError, suggestion
from ocp.io.tables import TableReader
from ocp.models.protocols import ContactModel, TreeModel
from ocp.problem import Problem
from ocp.solution import Solution
from ocp.units import to_si


def read_guess(reader: TableReader, problem: Problem, base: Path, load_problem) -> None:
    """Set the initial guess of ``problem`` from a ``[guess]`` table.

    ``solution`` is a folder or ``solution.npz`` of an earlier solve;
    ``reference`` a data file of states (``lowpass_hz``, ``lowpass_filter``;
    ``reference_gait_cycle``, ``reference_support``: :func:`gait_cycle_reference`);
    ``values`` constants or [start, end] ramps by name (in their units);
    ``half_cycle_of`` the mirrored problem file (read with ``load_problem``)
    whose solutions a ``--guess`` gives.
    """
    from ocp.data.references import reference_from_file, with_speed_references
    model = problem.model
    units = model.units()
    known = set(units)
    reader.only({"solution", "values", "reference", "lowpass_hz", "lowpass_filter",
                 "half_cycle_of", "reference_gait_cycle", "reference_support"})
    half_cycle_of = reader.path("half_cycle_of", base)
    if half_cycle_of is not None:
        problem.guess_half_cycle_of = load_problem(half_cycle_of)
        if not problem.guess_half_cycle_of.mirror:
            raise reader.error("half_cycle_of", f"'{half_cycle_of.name}' has no [periodic] "
                               f"mirror: its solutions are not half cycles")
    values = reader.sub("values")
    for name in values.table:
        if name not in known:
            raise values.error(name, f"'{name}' is not a state or control" +
                               suggestion(name, sorted(known)))
        value = values.table[name]
        if isinstance(value, list) and len(value) != 2:
            raise values.error(name, f"expected a constant or [start, end] (a ramp), "
                               f"got a list of {len(value)} values")
        problem.guess_values[name] = values.quantity_or_range(name, units[name]) \
            if not isinstance(value, list) else tuple(to_si(v, units[name]) for v in value)
    reference_path = reader.path("reference", base)
    lowpass_hz, lowpass_filter = read_lowpass(reader)
    if reference_path is not None:
        try:
            problem.guess_references = with_speed_references(reference_from_file(
                reference_path, model, lowpass_hz=lowpass_hz, lowpass_filter=lowpass_filter),
                model)
        except ProblemError as exc:
            raise reader.error("reference", str(exc)) from None
    gait_cycle = reader.boolean("reference_gait_cycle", False)
    support = reader.string("reference_support")
    if reference_path is not None and (gait_cycle or support is not None):
        gait_cycle_reference(reader, problem, reference_path, gait_cycle, support)
    guess_path = reader.path("solution", base)
    if guess_path is not None:
        try:
            problem.guess = Solution.load(guess_path)
        except (OSError, KeyError, ValueError) as exc:
            raise reader.error("solution", f"cannot read a solution from '{guess_path}': "
                               f"{exc}") from None


def gait_cycle_reference(reader: TableReader, problem: Problem, path: Path,
                         gait_cycle: bool, support: str | None) -> None:
    """A data-informed guess from a file of measured joint angles, as PredSim builds
    one from its ``IK_Guess_Full_GC.mot`` (its ``getGuess_DI_opti.m``, read, not
    copied), on ``problem.guess_references`` (read from ``path``).

    ``gait_cycle`` (``reference_gait_cycle = true``): the file holds one whole gait
    cycle, every coordinate of the model; the guess follows its first half for a
    half-cycle problem (``[periodic] mirror``: its end then mirrors its start), the
    whole cycle otherwise, and the final time's guess is that span of the cycle
    (its samples times the sampling interval: the cycle's last sample is one step
    before the next cycle's first). Speeds: a spline's derivatives (as with any
    reference).

    ``support`` (``reference_support = "pelvis_ty"``): that coordinate's guess
    raised or lowered by the constant (within -5 to +10 cm) that makes the contact
    spheres carry the body's weight on average over the mesh points: the file's
    height suits the subject's feet, not the model's spheres (on the Falisse model,
    the IK file's height presses the feet 2.4 body weights into the ground).
    """
    model = problem.model
    refs = problem.guess_references
    if gait_cycle:
        coordinates = list(model.state_names[:model.tree.n]) if isinstance(model, TreeModel) \
            else []
        missing = [c for c in coordinates if c not in refs]
        if missing:
            raise reader.error("reference", f"'{path}' has no column for "
                               f"{', '.join(missing[:4])}" + (" ..." if len(missing) > 4 else "")
                               + f": a gait cycle guess (reference_gait_cycle) needs every "
                               f"coordinate of model '{model.name}'")
        times = np.asarray(refs[coordinates[0]][0] if coordinates else
                           next(iter(refs.values()))[0], float)
        span = (0.5 if problem.mirror else 1.0) * times.size * (times[1] - times[0])
        shift = problem.start_time - times[0]   # the file's first sample at the start
        for name, (t, y) in list(refs.items()):
            refs[name] = (np.asarray(t, float) + shift, y)
        if problem.free_final_time:
            problem.final_time_guess = float(span)
    if support is not None:
        refs[support] = supported_reference(reader, problem, support)


def supported_reference(reader: TableReader, problem: Problem, coordinate: str) -> tuple:
    """``coordinate``'s reference (times, values) shifted so that the contact spheres
    carry body weight on average over the mesh points of the guess (bisection)."""
    import casadi as ca

    from ocp.data.references import body_weight_N
    from ocp.engine.guess import interpolated_guess

    model = problem.model
    if coordinate not in problem.guess_references:
        raise reader.error("reference_support", f"'{coordinate}' is not a column of the "
                           f"reference file: the coordinate to shift must be in it")
    if not isinstance(model, ContactModel) or not model.contacts:
        raise reader.error("reference_support", f"model '{model.name}' has no contact "
                           f"spheres to carry its weight")
    grid = np.asarray(problem.transcription.mesh_points, float)
    X, U, _, _ = interpolated_guess(problem, grid)
    x, u = ca.SX.sym("x", model.nx), ca.SX.sym("u", model.nu)
    out = model.outputs(x, u)
    vertical = ca.Function("grf_y", [x, u], [sum(out[n] for n in out if
                                                 n.startswith("grf_y_"))]).map(grid.size)
    weight = body_weight_N(model)
    row = list(model.state_names).index(coordinate)

    def load(shift):   # body weights carried on average by the spheres
        raised = X.copy()
        raised[row] += shift
        return float(np.mean(np.asarray(vertical(raised, U)))) / weight

    lo, hi = -0.05, 0.10   # the load falls as the pelvis rises
    if not load(lo) > 1.0 > load(hi):
        raise reader.error("reference_support", f"shifting '{coordinate}' by -5 to +10 cm "
                           f"does not make the spheres carry body weight on average "
                           f"({load(lo):.2f} to {load(hi):.2f} body weights)")
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if load(mid) > 1.0 else (lo, mid)
    t, y = problem.guess_references[coordinate]
    return t, np.asarray(y, float) + 0.5 * (lo + hi)
