"""``inverse_dynamics_tool``: OpenSim's InverseDynamicsTool on any .osim model (planar or 3D).

What OpenSim 4.6 does (opensim-core ``InverseDynamicsTool::run``), and so
this function:

1. read the coordinates file; with a cut-off >= 0, pad it by half its length
   (odd reflection, times too), resample a non-uniform time column, and
   low-pass it (3rd-order Butterworth forwards and backwards;
   :func:`ocp.data.opensim_filter.storage_lowpass`), keeping the padding;
2. degrees to radians for the rotational coordinates (not for coupled ones,
   whose motion type is Coupled: taken as written);
3. a natural quintic spline through each (padded) column (``GCVSplineSet(5)``),
   differentiated for the speeds and accelerations; a coordinate the file
   lacks is held at its default value (here: only a locked one; the file
   lacking any other is an error);
4. the times: the storage's own samples from the last one at or before the
   start of the time range to the last one at or before its end (the range
   clipped to the padded data, so that a filtered run may start before the
   file's first sample, ``Storage::findIndex``);
5. the external loads (:mod:`ocp.data.external_loads`) through natural cubic
   splines of their samples, not filtered;
6. generalised forces ``M(q) q'' + C(q, q') - G(q) - J^T f_ext`` of the whole
   tree, constraints ignored (``calcResidualForceIgnoringConstraints``),
   model forces (muscles) left out: here the model's muscles never act.

The dynamics are those of :class:`ocp.models.spatial.SpatialTree` (all the
file's coordinates), for planar and 3D files alike. Columns are OpenSim's:
``<coordinate>_moment`` (N m) and ``<coordinate>_force`` (N) for translations.
"""
from __future__ import annotations

import time as clock
from dataclasses import dataclass
from pathlib import Path

import casadi as ca
import numpy as np

from ocp.analysis.external_forces import spatial_loads
from ocp.data.errors import DataError
from ocp.data.external_loads import GROUND, ExternalLoads, read_external_loads
from ocp.data.files import read
from ocp.data.kinematics import read_kinematics
from ocp.data.natural_spline import NaturalSpline
from ocp.data.opensim_filter import storage_lowpass
from ocp.data.opensim_text import opensim_xml_element, write_storage
from ocp.data.tables import Table

__all__ = ["IDResult", "IDSetup", "inverse_dynamics_function", "inverse_dynamics_tool",
           "load_arrays", "read_id_setup"]


@dataclass(frozen=True)
class IDSetup:
    """An InverseDynamicsTool setup: absolute paths or None, cut-off (Hz, < 0: none)."""

    model_file: Path | None = None
    coordinates_file: Path | None = None
    external_loads_file: Path | None = None
    output_file: Path | None = None
    time_range_s: tuple | None = None
    lowpass_hz: float = -1.0
    forces_to_exclude: tuple = ()
    source: str = ""
    ignored: tuple = ()          # lines saying what the setup asks that is not done


def _text(el, tag):
    child = el.find(tag)
    text = (child.text or "").strip() if child is not None else ""
    return None if text in ("", "Unassigned") else text


def read_id_setup(path) -> IDSetup:
    """An OpenSim InverseDynamicsTool ``.xml``; paths relative to its folder (OpenSim
    runs the tool from there). DataError naming the file and the element."""
    path = Path(path)
    tool = opensim_xml_element(path, "InverseDynamicsTool", "InverseDynamicsTool setup file")
    folder = path.parent

    def file(tag):
        text = _text(tool, tag)
        return None if text is None else (folder / text).resolve()

    def number(tag, default):
        text = _text(tool, tag)
        try:
            return default if text is None else [float(v) for v in text.split()]
        except ValueError:
            raise DataError(f"<{tag}> '{text}' is not a number", path) from None

    out = file("output_gen_force_file")
    results = _text(tool, "results_directory")
    if out is not None and results:
        out = (folder / results / Path(_text(tool, "output_gen_force_file")).name).resolve()
    span = number("time_range", None)
    if span is not None and len(span) != 2:
        raise DataError(f"<time_range> needs two numbers, got {span}", path)
    cutoff = number("lowpass_cutoff_frequency_for_coordinates", [-1.0])
    ignored = []
    if _text(tool, "joints_to_report_body_forces"):
        ignored.append("joints_to_report_body_forces: joint reaction forces are not "
                       "computed (only the generalised forces)")
    excluded = tuple((_text(tool, "forces_to_exclude") or "").split())
    if not {e.lower() for e in excluded} & {"muscles", "all", "actuators"}:
        ignored.append("forces_to_exclude does not exclude the muscles, but their forces "
                       "are always left out here")
    return IDSetup(file("model_file"), file("coordinates_file"), file("external_loads_file"),
                   out, tuple(span) if span else None, float(cutoff[0]), excluded, str(path),
                   tuple(ignored))


@dataclass(frozen=True, eq=False)
class IDResult:
    """Generalised forces at ``time_s`` (n,): ``values`` (n, m), ``columns`` OpenSim's
    names, ``units`` N*m or N; ``q``, ``qd``, ``qdd`` (n, m) the filtered
    coordinates and their derivatives from the splines (rad, m, per s, per s^2)."""

    time_s: np.ndarray
    coordinates: tuple
    columns: tuple
    units: tuple
    values: np.ndarray
    q: np.ndarray
    qd: np.ndarray
    qdd: np.ndarray
    time_build_s: float = 0.0
    time_solve_s: float = 0.0

    def table(self) -> Table:
        return Table(self.time_s, self.values, self.columns, self.units)

    def write(self, path) -> Path:
        """``.sto`` as OpenSim's tool writes it (radians; a ``units=`` line added)."""
        return write_storage(path, self.table(), in_degrees=False, name="Inverse Dynamics",
                             comments=["Generalized forces (ocp id)"])

    def plot(self, path) -> Path:
        """The moments (left) and forces (right) over time, one line per coordinate."""
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        kinds = [(u, [j for j, v in enumerate(self.units) if v == u]) for u in ("N*m", "N")]
        kinds = [(u, js) for u, js in kinds if js]
        fig, axes = plt.subplots(1, len(kinds), figsize=(6.5 * len(kinds), 4.5), squeeze=False)
        for ax, (unit, js) in zip(axes[0], kinds):
            for j in js:
                ax.plot(self.time_s, self.values[:, j], label=self.columns[j], lw=1)
            ax.set_xlabel("time (s)")
            ax.set_ylabel("moment (N m)" if unit == "N*m" else "force (N)")
            ax.legend(fontsize=6, ncol=2)
            ax.grid(alpha=0.3)
        fig.suptitle("inverse dynamics")
        fig.tight_layout()
        path = Path(path)
        fig.savefig(path, dpi=110)
        plt.close(fig)
        return path


def _spline_times(t, start, end):
    """Indices of the samples from findIndex(start) to findIndex(end) (OpenSim)."""
    first = max(int(np.searchsorted(t, start, side="right")) - 1, 0)
    last = max(int(np.searchsorted(t, end, side="right")) - 1, 0)
    return np.arange(first, last + 1)


def load_arrays(loads: ExternalLoads | None, times):
    """(F, P, T), each (n_t, 3k): the k forces, points and torques of ``loads`` at
    ``times``, in the frames the file names (zeros for what a force lacks)."""
    k = len(loads.forces) if loads else 0
    F, P, T = (np.zeros((times.size, 3 * k)) for _ in range(3))
    if loads:
        for i, s in enumerate(loads.at(times)):
            for X, v in ((F, s.force), (P, s.point), (T, s.torque)):
                if v is not None:
                    X[:, 3 * i:3 * i + 3] = v
    return F, P, T


def inverse_dynamics_tool(model=None, kinematics=None, external_loads=None, *,
                          lowpass_hz: float | None = None, setup=None,
                          time_range=None) -> IDResult:
    """Inverse dynamics of an IK result on an ``.osim`` model, as OpenSim's tool.

    ``setup``: an InverseDynamicsTool file (model, coordinates, external loads,
    time range, cut-off); the other arguments override it. ``lowpass_hz``
    None, 0 or < 0: no filtering. ``external_loads``: an ExternalLoads ``.xml``
    or :class:`ExternalLoads`. Raises DataError/OsimError (bad input, one line).
    """
    from ocp.osim.spatial_skeleton import read_spatial, spatial_tree

    config = read_id_setup(setup) if setup is not None else IDSetup()
    model = Path(model) if model is not None else config.model_file
    kinematics = Path(kinematics) if kinematics is not None else config.coordinates_file
    if external_loads is None:
        external_loads = config.external_loads_file
    cutoff = config.lowpass_hz if lowpass_hz is None else lowpass_hz
    span = tuple(time_range) if time_range is not None else config.time_range_s
    for value, what in ((model, "model (.osim)"), (kinematics, "coordinates (IK .mot)")):
        if value is None:
            raise DataError(f"no {what} file: give one (or a setup file naming it)",
                            config.source or None)
        if not Path(value).is_file():
            raise DataError(f"the {what} file does not exist"
                            + (f" (named by {config.source})" if config.source else ""), value)
    started = clock.perf_counter()
    doc = read_spatial(model)
    tree = spatial_tree(doc)
    loads = (external_loads if isinstance(external_loads, ExternalLoads) or external_loads
             is None else read_external_loads(external_loads))
    if loads is not None:
        loads.check_bodies([b.name for b in tree.bodies], f"model {Path(model).name}")
    # OpenSim holds a coordinate the file lacks at its default value, silently; here only
    # a locked one, which cannot move anyway: for the others that hides a wrong file
    defaults = {name: c.default_value for name, c in doc.coordinates().items() if c.locked}
    table = read(kinematics)
    kin = read_kinematics(kinematics, tree.coordinates, tree.translational,
                          defaults=defaults, table=table,
                          as_written={c.dependent for c in doc.couplers})
    t, q = kin.time_s, kin.values
    if cutoff is not None and cutoff > 0:
        t, q = storage_lowpass(t, q, cutoff, file=kinematics)
    # the range is clipped to the storage after padding (OpenSim): with a filter it may
    # start before the first sample of the file
    # without a range, the file's span: OpenSim's default (-inf, inf) would also
    # return the padding, reflected data that no one measured
    start, end = ((max(span[0], t[0]), min(span[1], t[-1])) if span
                  else (kin.time_s[0], kin.time_s[-1]))
    if start > end:
        raise DataError(f"the time range {span[0]:g} to {span[1]:g} s lies outside the "
                        f"coordinates ({t[0]:g} to {t[-1]:g} s)", kinematics, "time")
    rows = _spline_times(t, start, end)
    times = t[rows]
    q_at, qd_at, qdd_at = (np.zeros((times.size, tree.n)) for _ in range(3))
    for j in range(tree.n):
        if np.ptp(q[:, j]) == 0.0:
            q_at[:, j] = q[0, j]
            continue
        spline = NaturalSpline(t, q[:, j], 5)
        q_at[:, j], qd_at[:, j], qdd_at[:, j] = (spline(times, d) for d in (0, 1, 2))
    F, P, T = load_arrays(loads, times)
    fn = inverse_dynamics_function(tree, loads)
    built = clock.perf_counter()
    tau = np.array(fn.map(times.size)(q_at.T, qd_at.T, qdd_at.T, F.T, P.T, T.T)).T
    solved = clock.perf_counter()
    # OpenSim names only rotational coordinates' columns _moment: a coupled one (motion
    # type Coupled) gets _force, in the units of its coordinate's generalised force
    coupled = {c.dependent for c in doc.couplers}
    units = tuple("" if c in coupled else "N" if c in tree.translational else "N*m"
                  for c in tree.coordinates)
    columns = tuple(f"{c}_{'moment' if u == 'N*m' else 'force'}"
                    for c, u in zip(tree.coordinates, units))
    return IDResult(times, tuple(tree.coordinates), columns, units, tau, q_at, qd_at, qdd_at,
                    built - started, solved - built)


def inverse_dynamics_function(tree, loads) -> ca.Function:
    """(q, qd, qdd, F, P, T) -> generalised forces of a spatial tree (or ReducedTree)
    under the ExternalLoads ``loads`` (None: none), F, P, T as :func:`load_arrays`."""
    n, k = tree.n, len(loads.forces) if loads else 0
    q, qd, qdd = (ca.SX.sym(s, n) for s in ("q", "qd", "qdd"))
    F, P, T = (ca.SX.sym(s, 3 * k) for s in ("F", "P", "T"))
    forces = []
    if loads:
        framed = any(f.force_expressed_in_body != GROUND or f.point_expressed_in_body != GROUND
                     or not f.has_point for f in loads.forces)
        states = tree.body_states(q) if framed else {}
        forces = spatial_loads(loads, states, F, P, T)
    tau = tree.inverse_dynamics(q, qd, qdd, external_forces=forces)
    return ca.Function("inverse_dynamics", [q, qd, qdd, F, P, T], [tau])
