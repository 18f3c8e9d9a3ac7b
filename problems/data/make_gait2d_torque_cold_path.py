"""Make the states a cold start of the torque walk visits: the walker network's path samples.

    python problems/data/make_gait2d_torque_cold_path.py

``problems/gait2d_torque.toml`` (analytic dynamics) from its own guess,
stopped after each of ITERATIONS IPOPT iterations on its first mesh
(``learned_components.walker_training.path_states``): the states and
accelerations of those iterates, one row per mesh point, written to
``problems/surrogates/gait2d_torque_cold_path_states.csv``. The guess stands
with the feet up to 7 cm deep, and the path passes the longest steps the
bounds allow before it settles on the walk (159 iterations in all): states a
network trained around the walk alone never sees
(``gait2d_walker_graph.train.toml``, ``[data] path_states``).
"""
from pathlib import Path

import numpy as np

ITERATIONS = (0, 1, 2, 3, 4, 6, 8, 12, 17, 25, 35, 50, 70, 100, 130)
PROBLEMS = Path(__file__).resolve().parent.parent


def main(out: Path = PROBLEMS / "surrogates" / "gait2d_torque_cold_path_states.csv") -> None:
    import ocp
    from learned_components.walker_training import path_states
    columns, rows = path_states(ocp.load_problem(PROBLEMS / "gait2d_torque.toml"), ITERATIONS)
    np.savetxt(out, rows, delimiter=",", header=",".join(columns), comments="", fmt="%.9g")


if __name__ == "__main__":
    main()
