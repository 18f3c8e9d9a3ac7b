"""``[guess]``: where the solver starts: an earlier solution, a data file or values."""
from __future__ import annotations

from pathlib import Path

from ocp.costs.tracking import read_lowpass
from ocp.errors import ProblemError, suggestion
from ocp.io.tables import TableReader
from ocp.problem import Problem
from ocp.solution import Solution
from ocp.units import to_si


def read_guess(reader: TableReader, problem: Problem, base: Path, load_problem) -> None:
    """Set the initial guess of ``problem`` from a ``[guess]`` table.

    ``solution`` is a folder or ``solution.npz`` of an earlier solve;
    ``reference`` a data file of states (``lowpass_hz``, ``lowpass_filter``);
    ``values`` constants or [start, end] ramps by name (in their units);
    ``half_cycle_of`` the mirrored problem file (read with ``load_problem``)
    whose solutions a ``--guess`` gives.
    """
    from ocp.data.references import reference_from_file, with_speed_references
    model = problem.model
    units = model.units()
    known = set(units)
    reader.only({"solution", "values", "reference", "lowpass_hz", "lowpass_filter",
                 "half_cycle_of"})
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
    guess_path = reader.path("solution", base)
    if guess_path is not None:
        try:
            problem.guess = Solution.load(guess_path)
        except (OSError, KeyError, ValueError) as exc:
            raise reader.error("solution", f"cannot read a solution from '{guess_path}': "
                               f"{exc}") from None
