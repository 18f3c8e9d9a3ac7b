"""Building the NLP of the Falisse 2022 model (issue 20): muscle-driven, implicit, 50 intervals.

The Falisse et al. 2022 model (../shared/data/models3d, AGPL-3.0: read from
there, never copied; skipped when absent): 31 coordinates, 92 muscles with
compliant tendons (polynomial paths fitted over a walking box, cached), 8
activation actuators; implicit dynamics (inverse dynamics as constraints),
the lifted graph with compiled derivative blocks (``graph = "lifted"``,
``compile = true``). The problem is built and IPOPT stopped at iteration 0;
the setup time is printed for a first run (fits and blocks built or read from
the caches as they stand) and a second one (everything cached). ``--no-compile``:
the blocks stay in CasADi's virtual machine (no C compiler). Target:
under 15 s with the blocks cached. Contact is not included (not in this part).

    PYTHONPATH=. python benchmarks/bench_nlp3d.py [--intervals 50] [--no-compile]

Measured (2 shared cores, load average about 2), compiled blocks, everything
cached, second run: model 1.6 s + NLP setup 4.2 s + IPOPT's initialisation
3.9 s (0 iterations) = 9.7 s; before (lead at 09a9f82, same machine and load):
2.0 s + 36.2 s + 28.9 s = 67.1 s. Two causes, both removed: the lifted
assembly stacked vec(jac_g) (a column of nw * ng = 1.8e9 rows) only to ask
which calls the Jacobian needs (28 s); MUMPS factorised IPOPT's least-squares
multiplier system with QAMD, whose fill on the 3D model's dense
inverse-dynamics rows took 21 s (METIS: 3.7 s; ocp/engine/solver.py). The
first run compiles the blocks (1154 s, gcc -O1 on the generated C of the
blocks, tens of MB); blocks in the virtual machine: 3.0 s + 48.2 s setup
(measured before these changes).
"""
import argparse
import math
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_geometry3d import DATA, MODELS, walking_box  # noqa: E402

import ocp  # noqa: E402,F401
from ocp.io.problem_file import load_problem  # noqa: E402
from ocp.solve import solve  # noqa: E402

FIT_MARGIN_DEG = 10.0   # ocp.io.problem_file.model.FIT_MARGIN_RAD: bounds widened by it


def problem_text(path: Path, intervals: int, compile_blocks: bool = True) -> str:
    box = walking_box(path)
    margin = math.radians(FIT_MARGIN_DEG)
    bounds = "\n".join(f"{c} = [{lo + margin!r}, {hi - margin!r}]" for c, (lo, hi) in box.items())
    return f"""
[model]
file = "{path}"
accept_geometry_fit = true

[time]
final = 1.0

[bounds]
{bounds}

[costs.effort]
type = "squared_activations"
weight = 1.0

[transcription]
intervals = {intervals}
dynamics = "implicit"

[solver]
graph = "lifted"
compile = {"true" if compile_blocks else "false"}
max_iterations = 0
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--intervals", type=int, default=50)
    parser.add_argument("--no-compile", action="store_true",
                        help="derivative blocks in CasADi's virtual machine (no C compiler)")
    args = parser.parse_args()
    path = DATA / MODELS["falisse"]
    if not path.exists():
        print(f"{path} absent: skipped")
        return
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        toml = Path(tmp) / "falisse_nlp.toml"
        toml.write_text(problem_text(path, args.intervals, not args.no_compile))
        print(f"Falisse 2022, {args.intervals} intervals, implicit, lifted graph, "
              f"{'blocks in the virtual machine' if args.no_compile else 'compiled blocks'}")
        for run in ("first run", "second run (all cached)"):
            start = time.perf_counter()
            problem = load_problem(toml)
            load_s = time.perf_counter() - start
            start = time.perf_counter()
            solution = solve(problem, check_dynamics=False)
            wall = time.perf_counter() - start
            model = problem.model
            print(f"{run}: model read and built in {load_s:.1f} s ({len(model.state_names)} "
                  f"states, {len(model.control_names)} controls); NLP setup "
                  f"{solution.setup_time_s:.1f} s, IPOPT {solution.solve_time_s:.1f} s "
                  f"(0 iterations), solve() wall {wall:.1f} s; "
                  f"load + setup {load_s + solution.setup_time_s:.1f} s", flush=True)


if __name__ == "__main__":
    main()
