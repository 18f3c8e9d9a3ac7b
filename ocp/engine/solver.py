"""IPOPT through CasADi, with exact Hessians from automatic differentiation."""
from __future__ import annotations

import io
import os
import re
import sys
import tempfile

import casadi as ca
import numpy as np

from ocp.errors import ProblemError, suggestion
from ocp.problem import SolverOptions

#: IPOPT's return status when it converged to the requested tolerance.
IPOPT_SUCCESS = "Solve_Succeeded"
#: IPOPT's return status when ``acceptable_iter`` successive iterates met its
#: looser "acceptable" tolerances (``acceptable_tol`` ...) but not ``tol``:
#: converged, less tightly than asked (Ipopt documentation, "Termination").
IPOPT_ACCEPTABLE = "Solved_To_Acceptable_Level"
#: IPOPT's return status when it stopped at ``max_iter``.
IPOPT_MAX_ITERATIONS = "Maximum_Iterations_Exceeded"
#: IPOPT's own defaults of the acceptable-level options the note below quotes.
IPOPT_ACCEPTABLE_DEFAULTS = {"acceptable_tol": 1e-6, "acceptable_iter": 15}


#: IPOPT settings that keep a warm start where it is (Ipopt documentation,
#: "warm_start_init_point"): barely pushed off the bounds, small barrier.
WARM_START = {
    "warm_start_init_point": "yes",
    "warm_start_bound_push": 1e-9,
    "warm_start_bound_frac": 1e-9,
    "warm_start_slack_bound_push": 1e-9,
    "warm_start_slack_bound_frac": 1e-9,
    "warm_start_mult_bound_push": 1e-9,
    "mu_init": 1e-6,
}


#: The fill-reducing ordering MUMPS factorises the KKT matrix with
#: (``mumps_pivot_order``). MUMPS's automatic choice (7, IPOPT's default)
#: depends on the size of the matrix: below a size it takes an approximate
#: minimum degree ordering (QAMD when some rows are quasi-dense, as the free
#: final time's column makes them), above it METIS (5; Karypis & Kumar 1998,
#: nested dissection). For the dense per-point blocks of a musculoskeletal
#: model (every muscle couples the coordinates it crosses) METIS is the
#: better one at every size: it cuts the chain of interval blocks into
#: independent pieces and fills far less (Moco tracking: 1.76 M factor
#: entries against 2.51 M with AMF). For the sparse blocks of a torque-driven
#: model it is the worse one, and the automatic choice switches to it as the
#: mesh grows: the torque walk at 100 intervals took 616 iterations with it,
#: 128 with QAMD. The measured table (iterations and seconds per ordering,
#: dated) is in benchmarks/README.md, "MUMPS's fill-reducing ordering".
#:
#: Size does not separate the two kinds (the torque walk at N = 100 is larger
#: than the muscle walk at N = 50); the density of the blocks does, so
#: :func:`mumps_pivot_order` asks for METIS from 18 Jacobian nonzeros per
#: constraint row and for QAMD below, the automatic choice of the smaller
#: problems kept at every size. (Forcing AMF instead of QAMD makes 3 of 10
#: noise seeds of the arm's mass and inertia fit stop at 3000 iterations.
#: PORD, the 4 of an earlier version, is not in CasADi's MUMPS; MUMPS falls
#: back to its own choice.) A problem file can still set
#: ``[solver.ipopt] mumps_pivot_order``.
METIS, QAMD, AUTOMATIC = 5, 6, 7
#: Jacobian nonzeros per constraint row from which METIS is used.
DENSE_BLOCKS_NNZ_PER_ROW = 18
#: METIS also when at least DENSE_ROWS_FRACTION of the constraint rows have
#: DENSE_ROW_NNZ nonzeros or more: the implicit dynamics of a 3D model (each
#: inverse-dynamics row couples most of a point's coordinates, speeds,
#: accelerations and muscle forces) among many sparse rows (the Falisse 2022
#: model at 50 intervals: 10 nonzeros per row, 1.6 % of the rows with 64 to 88;
#: IPOPT's initialisation 21 s with QAMD, 3.9 s with METIS). No shipped problem
#: that gets QAMD has a row of more than 53.
DENSE_ROW_NNZ = 64
DENSE_ROWS_FRACTION = 0.01

#: ``mumps_mem_percent``: the workspace MUMPS allocates above its estimate,
#: at every factorisation. IPOPT's default, 1000 %, spends a sixth of the
#: linear-algebra time in the kernel zeroing fresh pages (same 30
#: iterations: 2.10 s wall with 0.30 s system time, against 1.75 s with
#: 100 %). When the estimate falls short, IPOPT raises the percentage and
#: factorises again.
MUMPS_OPTIONS = {"mumps_mem_percent": 100}


def converged(return_status: str) -> bool:
    """Whether IPOPT's return status is a converged solve: to the requested
    tolerance, or to its acceptable level (see :func:`acceptable_note`)."""
    return return_status in (IPOPT_SUCCESS, IPOPT_ACCEPTABLE)


def setting(options: SolverOptions, ipopt_key: str) -> tuple[str, object]:
    """(problem-file key, value) of an IPOPT setting as the solve used it:
    ``[solver.ipopt]`` when it sets the option, else the ``[solver]`` key
    :func:`ipopt_options` maps to it."""
    if ipopt_key in options.ipopt:
        return f"solver.ipopt.{ipopt_key}", options.ipopt[ipopt_key]
    own = {"tol": ("solver.tolerance", options.tolerance),
           "max_iter": ("solver.max_iterations", options.max_iterations)}
    if ipopt_key in own:
        return own[ipopt_key]
    return f"solver.ipopt.{ipopt_key}", IPOPT_ACCEPTABLE_DEFAULTS.get(ipopt_key)


def acceptable_note(options: SolverOptions) -> str:
    """What a solve IPOPT ended at ``Solved_To_Acceptable_Level`` reports beside
    its ``success``: which tolerance was met and which was not."""
    tol_key, tol = setting(options, "tol")
    acc_key, acc = setting(options, "acceptable_tol")
    iter_key, count = setting(options, "acceptable_iter")
    return (f"IPOPT solved to its acceptable level ({IPOPT_ACCEPTABLE}): {count} successive "
            f"iterates ({iter_key}) met {acc_key} = {_number(acc)} but not "
            f"{tol_key} = {_number(tol)}; counted as converged, less tightly than asked")


def _number(value) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) else str(value)


def mumps_pivot_order(nlp: dict, functions: dict | None = None) -> int:
    """METIS for a KKT matrix of dense per-point blocks (many nonzeros per
    row, or a share of dense rows), else QAMD (above).

    Reads the constraint Jacobian's sparsity from ``functions["jac_g"]`` when
    the transcription assembles it (lifted graph), else from ``nlp``.
    """
    g = nlp.get("g")
    rows = 0 if g is None else g.shape[0]
    if rows == 0:
        return AUTOMATIC
    if functions and "jac_g" in functions:
        sparsity = functions["jac_g"].sparsity_out(1)
    else:
        sparsity = ca.jacobian_sparsity(g, nlp["x"])
    if sparsity.nnz() / rows >= DENSE_BLOCKS_NNZ_PER_ROW:
        return METIS
    per_row = np.bincount(np.asarray(sparsity.get_triplet()[0], dtype=int), minlength=rows)
    dense = np.count_nonzero(per_row >= DENSE_ROW_NNZ)
    return METIS if dense >= DENSE_ROWS_FRACTION * rows else QAMD


def ipopt_options(options: SolverOptions, verbose: bool, warm_start: bool = False) -> dict:
    """CasADi nlpsol options from the problem's solver settings.

    ``verbose`` prints IPOPT's iteration table live on the terminal;
    ``warm_start`` starts from given primal and dual values.
    """
    opts = {
        "print_time": False,
        "ipopt.sb": "yes",
        "ipopt.print_level": 5 if verbose else 0,
        "ipopt.tol": float(options.tolerance),
        "ipopt.max_iter": int(options.max_iterations),
        "ipopt.linear_solver": options.linear_solver,
        "ipopt.hessian_approximation": options.hessian,
    }
    if options.linear_solver == "mumps":
        opts.update({f"ipopt.{k}": v for k, v in MUMPS_OPTIONS.items()})
    if warm_start:
        opts.update({f"ipopt.{k}": v for k, v in WARM_START.items()})
    if options.constraint_tolerance is not None:
        opts["ipopt.constr_viol_tol"] = float(options.constraint_tolerance)
    for key, value in options.ipopt.items():
        opts[f"ipopt.{key}"] = value
    return opts


def make_solver(nlp: dict, options: SolverOptions, verbose: bool = False,
                warm_start: bool = False, functions: dict | None = None) -> ca.Function:
    """IPOPT on ``nlp``; ``functions`` are nlpsol's own derivative functions
    (``jac_g``, ``hess_lag``) where the transcription assembles them."""
    opts = ipopt_options(options, verbose, warm_start)
    if options.linear_solver == "mumps" and "mumps_pivot_order" not in options.ipopt:
        opts["ipopt.mumps_pivot_order"] = mumps_pivot_order(nlp, functions)
    opts.update(functions or {})
    return ca.nlpsol("ocp", "ipopt", nlp, opts)


#: IPOPT's linear solvers that CasADi's own build always carries; the others
#: (HSL's ma27 ... ma97, Pardiso) are loaded from a shared library at run time.
BUNDLED_LINEAR_SOLVERS = ("mumps", "spral")


def check_ipopt_options(options: SolverOptions) -> None:
    """Refuse, before any NLP is built, IPOPT options that IPOPT would refuse.

    IPOPT checks names, types and values when CasADi hands it the options;
    that costs about a millisecond on a one-variable NLP, against seconds to
    build a large one first. A linear solver outside CasADi's build is tried
    on that NLP (IPOPT answers ``Invalid_Option`` when its library does not
    load). Raises ProblemError on ``solver.ipopt.KEY`` or
    ``solver.linear_solver``.
    """
    x = ca.SX.sym("x")
    nlp = {"x": x, "f": x ** 2}
    quiet = {"print_time": False, "ipopt.sb": "yes", "ipopt.print_level": 0}
    user = {f"ipopt.{k}": v for k, v in options.ipopt.items()}
    if user:
        try:
            with captured_stdout() as printed:
                ca.nlpsol("check", "ipopt", nlp, {**quiet, **user})
        except RuntimeError as exc:
            raise ipopt_option_error(str(exc), printed.text(), options.ipopt) from None
    if options.linear_solver not in BUNDLED_LINEAR_SOLVERS \
            and "linear_solver" not in options.ipopt:
        library = {f"ipopt.{k}": v for k, v in options.ipopt.items()  # where it is
                   if k in ("hsllib", "pardisolib")}
        with captured_stdout():
            solver = ca.nlpsol("check", "ipopt", nlp, {
                **quiet, **library, "ipopt.linear_solver": options.linear_solver})
            solver(x0=1.0)
        if solver.stats()["return_status"] == "Invalid_Option":
            raise ProblemError(
                f"IPOPT cannot load linear solver '{options.linear_solver}': its library "
                f"(HSL's libhsl.so, or Pardiso) is not installed; CasADi ships "
                f"{' and '.join(map(repr, BUNDLED_LINEAR_SOLVERS))}",
                "solver.linear_solver", value=options.linear_solver)


def ipopt_option_error(message: str, printed: str, given: dict) -> ProblemError:
    """The ProblemError for CasADi's refusal ``message`` of the options ``given``
    (IPOPT prints why a value is invalid on standard output: ``printed``)."""
    unknown = re.search(r"No such IPOPT option: (\w+)", message)
    if unknown:
        name = unknown.group(1)
        return ProblemError(f"IPOPT has no option '{name}'" + suggestion(name, ipopt_names()),
                            f"solver.ipopt.{name}", value=given.get(name))
    invalid = re.search(r'Setting: "(.*)" is not a valid setting for Option: (\w+)', printed)
    if invalid:
        name = invalid.group(2)
        return ProblemError(f"IPOPT refuses {given.get(name)!r} for '{name}' (see IPOPT's "
                            f"documentation of the option)", f"solver.ipopt.{name}",
                            value=given.get(name))
    for name, value in given.items():  # a type mismatch: find the option by itself
        try:
            with captured_stdout():
                ca.nlpsol("check", "ipopt", {"x": ca.SX.sym("x"), "f": 0},
                          {"print_time": False, "ipopt.sb": "yes", f"ipopt.{name}": value})
        except RuntimeError:
            kind = type(value).__name__
            return ProblemError(f"IPOPT refuses {value!r} ({kind}) for '{name}': wrong type "
                                f"or value", f"solver.ipopt.{name}", value=value)
    last = message.strip().splitlines()[-1]
    return ProblemError(f"IPOPT refuses these options: {last}", "solver.ipopt")


def ipopt_names() -> list[str]:
    """Every option name IPOPT knows (from its own documentation printout)."""
    x = ca.SX.sym("x")
    with captured_stdout() as printed:
        solver = ca.nlpsol("names", "ipopt", {"x": x, "f": x ** 2}, {
            "print_time": False, "ipopt.print_options_documentation": "yes",
            "ipopt.print_advanced_options": "yes", "ipopt.max_iter": 0})
        solver(x0=0.0)
    return re.findall(r"^(\w+)\s{2,}", printed.text(), flags=re.MULTILINE)


class captured_stdout:  # noqa: N801 (a context manager, used as a function)
    """Collect what IPOPT prints: CasADi's Python build sends it to ``sys.stdout``,
    other builds to file descriptor 1; both are caught."""

    def __enter__(self):
        sys.stdout.flush()
        self.file = tempfile.TemporaryFile()
        self.saved = os.dup(1)
        os.dup2(self.file.fileno(), 1)
        self.python, self.saved_python = io.StringIO(), sys.stdout
        sys.stdout = self.python
        return self

    def __exit__(self, *exc):
        sys.stdout = self.saved_python
        os.dup2(self.saved, 1)
        os.close(self.saved)
        return False

    def text(self) -> str:
        self.file.seek(0)
        return self.python.getvalue() + self.file.read().decode(errors="replace")
