"""What ``ocp id`` prints and writes."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ocp.errors import ProblemError

EXIT_OK = 0


def add_id_parser(sub, run) -> None:
    """The ``ocp id`` subcommand on the parser's subparsers ``sub``; ``run`` its handler."""
    p = sub.add_parser("id", help="inverse dynamics of joint angles (IK .mot) with external "
                       "loads (GRF .xml) on an .osim model, as OpenSim's InverseDynamicsTool")
    p.add_argument("model", nargs="?", help="the .osim model, planar or 3D (default: the "
                   "setup's)")
    p.add_argument("--kinematics", metavar="IK.mot", help="joint angles: .mot/.sto (degrees "
                   "if the header says inDegrees=yes) or .csv (default: the setup's)")
    p.add_argument("--external-loads", metavar="GRF.xml", help="OpenSim ExternalLoads file "
                   "naming its data file (default: the setup's)")
    p.add_argument("--lowpass", type=float, metavar="HZ", help="low-pass cut-off of the "
                   "coordinates, OpenSim's filter (default: the setup's; none without one)")
    p.add_argument("--setup", metavar="ID_setup.xml", help="OpenSim InverseDynamicsTool setup "
                   "(paths relative to its folder)")
    p.add_argument("--time", nargs=2, type=float, metavar=("START", "END"),
                   help="time range in s (default: the setup's, or all of the kinematics)")
    p.add_argument("--out", metavar="ID.sto", help="generalised forces, OpenSim's column "
                   "names; a plot of them is written beside it (ID.png)")
    p.set_defaults(run=run)


def run_id(args) -> int:
    """``ocp id``: inverse dynamics, a summary, the .sto and its plot."""
    from ocp.analysis.id_tool import inverse_dynamics_tool, read_id_setup
    out = Path(args.out) if args.out else None
    if out is None and args.setup:
        out = read_id_setup(args.setup).output_file
    if out is None:
        raise ProblemError("give --out ID.sto (or a setup file naming its "
                           "output_gen_force_file)")
    if out.suffix.lower() not in (".sto", ".mot"):
        raise ProblemError(f"--out '{out}': the generalised forces are written as .sto")
    if args.setup:
        for line in read_id_setup(args.setup).ignored:
            print(f"note: {args.setup}: {line}")
    result = inverse_dynamics_tool(args.model, args.kinematics, args.external_loads,
                                   lowpass_hz=args.lowpass, setup=args.setup,
                                   time_range=tuple(args.time) if args.time else None)
    peak = np.max(np.abs(result.values), axis=0)
    moments = [j for j, u in enumerate(result.units) if u == "N*m"]
    print(f"inverse dynamics: {len(result.time_s)} frames ({result.time_s[0]:g} to "
          f"{result.time_s[-1]:g} s), {len(result.coordinates)} coordinates; model read and "
          f"built in {result.time_build_s:.2f} s, solved in {result.time_solve_s:.3f} s")
    if moments:
        j = max(moments, key=lambda k: peak[k])
        print(f"largest moment {peak[j]:.1f} N m ({result.columns[j]})")
    out.parent.mkdir(parents=True, exist_ok=True)
    print(f"written      {result.write(out)}")
    print(f"written      {result.plot(out.with_suffix('.png'))}")
    return EXIT_OK
