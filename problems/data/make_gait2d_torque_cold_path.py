"""Make the states a cold start of the torque walk visits: the walker network's path samples.

    python problems/data/make_gait2d_torque_cold_path.py [--dynamics FILE --out CSV
        [--iterations 1,3,8] [--append]]

``problems/gait2d_torque.toml`` (analytic dynamics) from its own guess,
stopped after each of ITERATIONS IPOPT iterations on its first mesh
(``learned_components.walker_training.path_states``): the states and
accelerations of those iterates, one row per mesh point, written to
``problems/surrogates/gait2d_torque_cold_path_states.csv``. The guess stands
with the feet up to 7 cm deep, and the path passes the longest steps the
bounds allow before it settles on the walk (159 iterations in all): states a
network trained around the walk alone never sees
(``gait2d_walker_graph.train.toml``, ``[data] path_states``).

``--dynamics FILE`` (a walker network, ``model.dynamics``) writes the path
of the LEARNED walker's cold start instead (to ``--out``): the states that
network's own solve visits, which the analytic path does not cover once
the two paths part. Its samples are labelled by the analytic dynamics as
every other (DAgger's way: train, solve with the network, label what it
visited, train again). ``--append`` adds those rows to an existing CSV (their
iteration numbers + 1000, to tell them apart):
``problems/surrogates/gait2d_torque_cold_paths_states.csv`` is the analytic
path and, appended, the path of the first shipped walker network (commit
da32254's ``gait2d_walker_graph.casadi``, trained without path samples) at
iterations 1, 3, 8, 17, 35 and 70, which went to the longest step.
"""
import argparse
from pathlib import Path

import numpy as np

ITERATIONS = (0, 1, 2, 3, 4, 6, 8, 12, 17, 25, 35, 50, 70, 100, 130)
PROBLEMS = Path(__file__).resolve().parent.parent


def main(out: Path = PROBLEMS / "surrogates" / "gait2d_torque_cold_path_states.csv",
         dynamics: str | None = None, iterations=ITERATIONS, append: bool = False) -> None:
    import ocp
    from learned_components.walker_training import path_states
    overrides = {"model.dynamics": dynamics} if dynamics else {}
    columns, rows = path_states(ocp.load_problem(PROBLEMS / "gait2d_torque.toml", overrides),
                                iterations)
    if append:
        rows[:, 0] += 1000
        rows = np.vstack([np.loadtxt(out, delimiter=",", skiprows=1, ndmin=2), rows])
    np.savetxt(out, rows, delimiter=",", header=",".join(columns), comments="", fmt="%.9g")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dynamics", help="a walker network (model.dynamics) to solve with")
    ap.add_argument("--out", type=Path, help="the CSV to write (required with --dynamics)")
    ap.add_argument("--iterations", help="comma-separated iteration counts")
    ap.add_argument("--append", action="store_true", help="add the rows to --out")
    args = ap.parse_args()
    if args.dynamics and args.out is None:
        ap.error("--dynamics needs --out (the shipped CSV is the analytic path's)")
    its = tuple(int(k) for k in args.iterations.split(",")) if args.iterations else ITERATIONS
    main(*([args.out] if args.out else []), dynamics=args.dynamics, iterations=its,
         append=args.append)
