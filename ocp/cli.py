"""The ``ocp`` command: solve problem files, plot solutions, list models, run studies,
train learned surrogates, inspect and clear the cache.

The command line only formats what the Python API returns. Bad input (a
ProblemError or one of its subclasses, or a named file that is missing or
unreadable) prints one line naming the file and key and exits with status 2;
any other exception is a bug and shows its traceback. A solve that does not
converge still writes its last iterate and exits with status 1; one that IPOPT
solved to its acceptable level is converged (status 0, with a note); a converged
solve whose re-simulation is off by more than the problem's accuracy is
"inaccurate" and exits with status 3 (ocp.engine.accuracy). The
output folder is checked before the solve (ocp.io.results_folder).
"""
from __future__ import annotations

import argparse
import sys
import tomllib
import warnings
from pathlib import Path

from ocp.engine.accuracy import INACCURATE
from ocp.engine.cache import KINDS
from ocp.errors import ProblemError
from ocp.io.solution_report import not_converged_advice, solution_report

EXIT_OK, EXIT_NOT_CONVERGED, EXIT_BAD_INPUT, EXIT_INACCURATE = 0, 1, 2, 3


def parse_set(items) -> dict:
    """``key=value`` pairs; the value is read as TOML (numbers, strings, lists)."""
    out = {}
    for item in items or ():
        if "=" not in item:
            raise ProblemError(f"--set expects key=value, got '{item}'")
        key, value = item.split("=", 1)
        try:
            out[key.strip()] = tomllib.loads(f"v = {value}")["v"]
        except tomllib.TOMLDecodeError:
            out[key.strip()] = value.strip()
    return out


def _cmd_solve(args) -> int:
    from ocp.analysis.members import MemberSolves
    from ocp.io.problem_file import load_problem
    from ocp.io.results_folder import check_results_folder, clear_results
    from ocp.models.surrogate import SurrogateRangeWarning
    from ocp.solution import Solution
    from ocp.solve import solve

    if args.starts is None and (args.workers is not None or args.seed is not None):
        raise ProblemError("--workers and --seed go with --starts N")
    problem = load_problem(args.problem, parse_set(args.set))
    members = MemberSolves.from_problem_file(args.problem, parse_set(args.set), args.members)
    if args.guess:
        problem.guess = Solution.load(args.guess)
    out = Path(args.out) if args.out else Path("results") / Path(args.problem).stem
    problem_file = str(Path(args.problem).resolve())
    # before the solve: another problem's results, a file or an unwritable path
    check_results_folder(out, problem.name, problem_file, force=args.force)
    with warnings.catch_warnings():  # the report below prints them, once
        warnings.simplefilter("ignore", SurrogateRangeWarning)
        if args.starts is None:
            solution = solve(problem, verbose=not args.quiet)
        else:  # the best of several initial guesses
            from ocp.study.multistart import solve_for_command_line
            solution = solve_for_command_line(args.problem, problem, parse_set(args.set),
                                              args.starts, args.workers, args.seed or 0)
    solution.members = members.solve(solution, not args.quiet) if members else None
    solution.problem_file = problem_file
    # no plot or export of the previous solve left beside this one; its summary and
    # arrays are replaced atomically by save(), so a crash keeps one or the other
    clear_results(out, keep=("summary.json", "solution.npz"))
    solution.save(out)
    print(solution_report(solution, out))
    if args.plot:
        from ocp.io.plotting import plot_solution
        for path in plot_solution(solution, out):
            print(f"plot         {path}")
    if solution.status == INACCURATE:  # converged, but the re-simulation is off
        print(f"error: converged on a mesh too coarse for the motion; the solution was "
              f"written to {out}: see the 'inaccurate' warning above", file=sys.stderr)
        return EXIT_INACCURATE
    if not solution.success:
        print(not_converged_advice(solution, problem.solver, out), file=sys.stderr)
        return EXIT_NOT_CONVERGED
    if problem.interventions:  # [intervention]: both answers against this solution
        from ocp.causal.cli import answer_interventions
        return answer_interventions(problem, solution, out, verbose=not args.quiet)
    return EXIT_OK


def _cmd_causal_graph(args) -> int:
    from ocp.causal.cli import print_causal_graph
    return print_causal_graph(args.problem, parse_set(args.set), args.out)


def _cmd_plot(args) -> int:
    from ocp.io.plotting import plot_solution
    from ocp.solution import Solution

    folder = Path(args.folder)
    if not (folder / "solution.npz").exists():
        raise ProblemError(f"no solution.npz in '{folder}'; "
                           f"run 'ocp solve ... --out {folder}' first")
    for path in plot_solution(Solution.load(folder), folder):
        print(path)
    return EXIT_OK


def _cmd_models(args) -> int:
    from ocp.models.library import build_model, model_names

    if args.evaluate and not (args.file and Path(args.file).suffix.lower() == ".osim"):
        raise ProblemError("--evaluate takes an OpenSim model: ocp models FILE.osim "
                           "--evaluate STATES.json --out VALUES.json")
    if args.file and Path(args.file).suffix.lower() == ".osim":
        # an OpenSim model: what was read, what was ignored (3D files: the 3D listing)
        from ocp.osim.describe3d import describe_model_file, describe_spatial
        if not Path(args.file).is_file():
            raise ProblemError(f"model file '{args.file}' does not exist")
        if args.evaluate:   # the model at given states (ocp/osim/evaluate.py)
            from ocp.osim.evaluate import write_values
            out = args.out or str(Path(args.evaluate).with_name(
                Path(args.evaluate).stem + "_values.json"))
            print(f"written      {write_values(Path(args.file), Path(args.evaluate), out)}")
            return EXIT_OK
        with warnings.catch_warnings():  # its conversion notes are part of the listing
            warnings.simplefilter("ignore")
            # --spatial: as a 3D model, planar or not
            print((describe_spatial if args.spatial else describe_model_file)(Path(args.file)))
            if args.geometry in ("polynomial", "neural"):
                from ocp.osim import build_osim_model
                model = build_osim_model(Path(args.file), geometry=args.geometry)
                print(f"  {args.geometry} geometry fitted over the coordinate ranges (errors "
                      f"on fresh samples):")
                for error in model.geometry_fit:
                    print("    " + error.describe())
                if not model.geometry_fit:
                    print("    (no muscles: no paths to fit)")
                elif args.geometry == "neural":
                    learned = model.surrogates["geometry"]
                    training = learned.metadata.get("training", {})
                    print(f"  networks: {learned.path} (trained in "
                          f"{training.get('time_s', float('nan')):.1f} s)")
        return EXIT_OK
    if args.file:
        from ocp.models.custom import ModelFileError, load_model_file
        try:
            print(load_model_file(Path(args.file), {}).describe())
        except ModelFileError as exc:
            raise ProblemError(str(exc)) from None
        return EXIT_OK
    for name in model_names():
        print(build_model(name).describe())
        print()
    return EXIT_OK


def _cmd_ik(args) -> int:
    from ocp.sensors.cli import run_ik
    return run_ik(args)


def _cmd_id(args) -> int:
    from ocp.analysis.cli import run_id
    return run_id(args)


def _cmd_export(args) -> int:
    from ocp.data.export import export_solution
    from ocp.solution import Solution

    folder = Path(args.folder)
    if not (folder / "solution.npz").exists():
        raise ProblemError(f"no solution.npz in '{folder}'; "
                           f"run 'ocp solve ... --out {folder}' first")
    out = Path(args.out) if args.out else folder / f"solution.{args.format}"
    if out.suffix.lower() != f".{args.format}":
        out = out.with_suffix(f".{args.format}")
    if args.opensim:
        from ocp.osim.export import write_opensim_solution
        if args.format != "sto":
            raise ProblemError("--opensim writes .sto files; leave --format at 'sto'")
        from ocp.io.problem_file import load_problem
        problem = load_problem(Path(args.opensim))
        try:
            paths = write_opensim_solution(Solution.load(folder), problem, out)
        except ProblemError as exc:  # about the problem file given with --opensim
            raise ProblemError(exc.message, exc.key, exc.file or args.opensim) from None
        for path in filter(None, paths):
            print(f"written      {path}")
        return EXIT_OK
    print(f"written      {export_solution(Solution.load(folder), out)}")
    return EXIT_OK


def _cmd_data(args) -> int:
    from ocp.data.files import read_tables

    for group, table in read_tables(args.file).items():
        print(f"[{group}] " + table.describe())
    return EXIT_OK


def _cmd_study(args) -> int:
    from ocp.io.results_folder import writable_folder
    from ocp.study.report import dry_run_text, study_summary
    from ocp.study.runner import run_study
    from ocp.study.spec import load_study

    study = load_study(args.study)  # validates every run before anything is solved
    if args.dry_run:
        print(dry_run_text(study))
        return EXIT_OK
    out = Path(args.out) if args.out else Path("results") / Path(args.study).stem
    # a file or an unwritable path: now, not after the first run (created by the store)
    writable_folder(out, create=False)
    try:
        result = run_study(study, out, workers=args.workers, scheduler=args.scheduler,
                           resume=args.resume or args.retry_failed, retry_failed=args.retry_failed,
                           warm_start=not args.no_warm_start, progress=not args.quiet,
                           cross_check=not args.no_cross_check)
    except KeyboardInterrupt:
        print(f"\ninterrupted: finished runs are kept in {out}; continue with "
              f"'ocp study {args.study} --out {out} --resume'", file=sys.stderr)
        return 130
    print(study_summary(study, result))
    return EXIT_OK if result.failed == 0 else EXIT_NOT_CONVERGED


def _cmd_report(args) -> int:
    from ocp.study.report import write_report

    paths = write_report(args.folder, pareto=args.pareto, out=args.out)
    print(next(p for p in paths if p.name == "runs.md").read_text())
    for path in paths:
        print(f"written      {path}")
    return EXIT_OK


def _cmd_train(args) -> int:
    from ocp.engine.plugins import load_plugin

    # torch is needed to train, never to solve: training is the learned-components
    # plugin's, loaded only here (ProblemError with the install command if absent)
    learned = load_plugin("learned", "ocp train")
    if args.out:  # a file or an unwritable folder: now, not after the training
        from ocp.io.results_folder import writable_folder
        writable_folder(Path(args.out).parent, "--out", create=False)
    try:
        result = learned.train(args.spec, out=args.out, progress=not args.quiet)
    except ProblemError as exc:  # bad input found while training: the spec's, named
        exc.file = exc.file or str(args.spec)
        raise
    print(result.report())
    return EXIT_OK


def _cmd_cache(args) -> int:
    from ocp.engine.cache import cache_folder, cache_usage, clear_cache
    kinds = list(KINDS) if args.kind is None else [args.kind]
    for kind in kinds:
        files, size = clear_cache(kind) if args.clear else cache_usage(kind)
        verb = "removed" if args.clear else "holds"
        print(f"{kind:<14} {verb} {files:>5} files, {size / 1e6:>8.1f} MB  "
              f"{cache_folder(kind)}  ({KINDS[kind]})")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ocp", description="Predictive simulation of movement by direct collocation.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("solve", help="solve a TOML problem file")
    p.add_argument("problem", help="problem file (.toml)")
    p.add_argument("--out", help="output folder (default results/<problem name>)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a key of the problem file, e.g. costs.effort.weight=2")
    p.add_argument("--guess", metavar="DIR", help="warm start from an earlier solution folder")
    p.add_argument("--force", action="store_true",
                   help="replace the results of another problem in --out")
    p.add_argument("--plot", action="store_true", help="also draw the plots")
    p.add_argument("--quiet", action="store_true", help="no IPOPT iteration log")
    p.add_argument("--starts", type=int, metavar="N",
                   help="solve from N initial guesses (the problem's own, then perturbed and "
                        "random ones), list the distinct optima and keep the best")
    p.add_argument("--workers", type=int, metavar="W",
                   help="with --starts: W local worker processes (default 1: this process)")
    p.add_argument("--seed", type=int, help="with --starts: seed of the random guesses (default 0)")
    p.add_argument("--members", metavar="KEY", help="then solve once per member of KEY's ensemble")
    p.set_defaults(run=_cmd_solve)
    p = sub.add_parser("causal-graph", help="print and draw the causal graph of one time "
                       "step of a problem's model")
    p.add_argument("problem", help="problem file (.toml)")
    p.add_argument("--out", help="PNG file (default results/<problem name>/causal_graph.png)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a key of the problem file")
    p.set_defaults(run=_cmd_causal_graph)
    p = sub.add_parser("plot", help="draw states, controls and costs of a solution folder")
    p.add_argument("folder")
    p.set_defaults(run=_cmd_plot)
    p = sub.add_parser("models", help="list built-in models (or a model file's: .py or .osim)")
    p.add_argument("file", nargs="?", help="a Python model file")
    p.add_argument("--geometry", choices=["exact", "polynomial", "neural"], default="exact",
                   help="polynomial or neural: also fit each .osim muscle path (neural: "
                        "train networks, or load them from the cache) and print the fit "
                        "errors")
    p.add_argument("--spatial", action="store_true",
                   help=".osim: list the file as a 3D model (its tree, constraints, muscles "
                        "with their wrap objects, contacts, markers, what was not read)")
    p.add_argument("--evaluate", metavar="STATES.json",
                   help=".osim: evaluate the model at these states (mass matrix, bias "
                        "forces, markers, bodies, contacts; docs/command-line.md)")
    p.add_argument("--out", metavar="VALUES.json",
                   help="with --evaluate: where to write (default STATES_values.json)")
    p.set_defaults(run=_cmd_models)
    p = sub.add_parser("ik", help="inverse kinematics of a marker trial (.trc) or of IMU "
                       "orientations on an .osim model, as OpenSim's InverseKinematicsTool "
                       "and OpenSense")
    p.add_argument("model", nargs="?", help="the .osim model (default: the setup's)")
    p.add_argument("--markers", metavar="TRIAL.trc", help="marker trial (default: the setup's)")
    p.add_argument("--setup", metavar="IK_setup.xml",
                   help="OpenSim IK setup (with --imu: IMUInverseKinematicsTool): weights, "
                        "coordinate tasks, time range, files (relative to its folder)")
    p.add_argument("--out", metavar="IK.mot", help="joint angles, in degrees as OpenSim "
                   "writes them; errors per frame go to IK_marker_errors.sto beside it")
    p.add_argument("--weight", action="append", metavar="MARKER=W",
                   help="track only the markers given, with these weights (replaces the "
                        "setup's marker tasks)")
    p.add_argument("--coordinate", action="append", metavar="NAME=W[@VALUE]",
                   help="hold a coordinate near its default (or VALUE, rad or m) with "
                        "weight W (replaces the setup's coordinate tasks)")
    p.add_argument("--time", nargs=2, type=float, metavar=("START", "END"),
                   help="time range in s (default: the setup's, or the whole trial)")
    p.add_argument("--imu", metavar="ORIENTATIONS.sto",
                   help="IMU orientations (OpenSense quaternions) instead of markers")
    p.add_argument("--placement", metavar="CALIBRATION.sto",
                   help="with --imu: the calibration pose that places the IMUs (IMUPlacer)")
    p.add_argument("--placer-setup", metavar="imuPlacer_Setup.xml",
                   help="with --imu: IMUPlacer setup (base IMU, heading axis, rotation)")
    p.add_argument("--smooth", type=float, metavar="W",
                   help="then solve the whole trial at once, W times the integral of the "
                        "squared coordinate accelerations added (rad^2/s^3)")
    p.add_argument("--errors", action="store_true",
                   help="print the marker errors of every frame, as OpenSim logs them")
    p.set_defaults(run=_cmd_ik)
    from ocp.analysis.cli import add_id_parser
    add_id_parser(sub, _cmd_id)
    p = sub.add_parser("export", help="write a solution as .sto/.mot (OpenSim) or .csv")
    p.add_argument("folder", help="a solution folder (ocp solve --out)")
    p.add_argument("--opensim", metavar="PROBLEM",
                   help="the problem file of the solution (an .osim model): OpenSim's column "
                        "names, the whole stride of a mirrored step, and the GRF as OUT_grf.sto")
    p.add_argument("--format", choices=["sto", "mot", "csv"], default="sto",
                   help="sto: SI units; mot: angles in degrees (inDegrees=yes); csv")
    p.add_argument("--out", help="output file (default FOLDER/solution.FORMAT)")
    p.set_defaults(run=_cmd_export)
    p = sub.add_parser("data", help="describe a data file: columns, units, rate")
    p.add_argument("file", help=".trc, .mot, .sto, .csv or .c3d")
    p.set_defaults(run=_cmd_data)
    p = sub.add_parser("study", help="solve a problem file across a sweep of its keys")
    p.add_argument("study", help="study file (.toml) naming a problem file and a [sweep]")
    p.add_argument("--out", help="results folder (default results/<study name>)")
    p.add_argument("--workers", type=int, metavar="N",
                   help="runs in parallel: local processes (default 1), or at most N on Dask")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on a Dask distributed cluster, e.g. tcp://host:8786")
    p.add_argument("--resume", action="store_true",
                   help="continue the study in --out, keeping its finished runs")
    p.add_argument("--retry-failed", action="store_true",
                   help="resume, and solve the failed runs again too")
    p.add_argument("--no-warm-start", action="store_true",
                   help="solve every run from the problem's own initial guess")
    p.add_argument("--no-cross-check", action="store_true",
                   help="do not re-solve runs beaten by another run's solution under their "
                   "own weights (docs/studies.md)")
    p.add_argument("--dry-run", action="store_true",
                   help="validate and list the runs with their commands; solve nothing")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(run=_cmd_study)
    p = sub.add_parser("report", help="tables and plots of a study folder")
    p.add_argument("folder", help="a study's --out folder")
    p.add_argument("--pareto", nargs=2, metavar=("TERM_A", "TERM_B"),
                   help="cost terms of the Pareto plot (default: the first two)")
    p.add_argument("--out", help="where to write (default FOLDER/report)")
    p.set_defaults(run=_cmd_report)
    p = sub.add_parser("train", help="train a learned surrogate (needs PyTorch) and export "
                       "it as a CasADi function")
    p.add_argument("spec", help="training specification (.toml)")
    p.add_argument("--out", help="output path without suffix (default: the spec's 'out')")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=_cmd_train)
    p = sub.add_parser("cache", help="what is cached on this machine (compiled blocks, "
                       "neural geometry), and --clear to delete it")
    p.add_argument("--clear", action="store_true",
                   help="delete the cached files (rebuilt when next needed)")
    p.add_argument("--kind", choices=sorted(KINDS), help="only this kind (default: all)")
    p.set_defaults(run=_cmd_cache)
    return parser


#: OS errors about a path the user gave (it is missing, a folder, not writable...):
#: bad input. Any other OSError, like any other exception, is a bug and shows
#: its traceback.
PATH_ERRORS = (FileNotFoundError, FileExistsError, IsADirectoryError, NotADirectoryError,
               PermissionError)


def main(argv=None) -> int:
    """Run one command; bad input (ProblemError and its subclasses, an OS error on
    a named path) prints one line and returns 2."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except ProblemError as exc:
        if exc.key and not exc.file and vars(args).get("problem"):
            exc.file = str(args.problem)  # a key of the problem file, found after loading
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except PATH_ERRORS as exc:
        if exc.filename is None:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
