"""OpenSim Moco's MocoInverse with EMG tracking and scale factors (MocoControlTrackingGoal).

Standalone: imports opensim only (its libcasadi clashes with the pip casadi
package in one process). The MocoInverse of benchmarks/moco_inverse.py
(exampleMocoInverse on gait10dof18musc, subject01, 0.5 to 1.5 s), with a
MocoControlTrackingGoal as opensim-core's exampleEMGTracking sets it up: each
muscle of EMG_FILE (.sto, columns named by muscle) tracked by its excitation
(``/forceset/<muscle>``) times a scale factor (``addScaleFactor``) bounded by
[LOWER, UPPER].

Usage:  python benchmarks/moco_emg.py DATA_DIR OUT_DIR EMG_FILE WEIGHT LOWER UPPER
Prints one JSON line (scale factors, objective, iterations, time) as the last
line on stdout; Moco's own output goes to stderr.
"""
import json
import os
import sys
import time

import opensim as osim

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from moco_inverse import inverse_tool  # noqa: E402


def main():
    data, out, emg = (os.path.abspath(a) for a in sys.argv[1:4])
    weight, lower, upper = (float(a) for a in sys.argv[4:7])
    os.makedirs(out, exist_ok=True)
    os.chdir(out)
    stdout = os.dup(1)
    os.dup2(2, 1)
    try:
        tool = inverse_tool(data)
        study = tool.initialize()
        problem = study.updProblem()
        goal = osim.MocoControlTrackingGoal("emg_tracking", weight)
        table = osim.TimeSeriesTable(emg)
        goal.setReference(osim.TableProcessor(table))
        muscles = list(table.getColumnLabels())
        for m in muscles:
            goal.setReferenceLabel(f"/forceset/{m}", m)
            goal.addScaleFactor(f"{m}_scale", f"/forceset/{m}", [lower, upper])
        problem.addGoal(goal)
        print("solving", file=sys.stderr, flush=True)
        start = time.perf_counter()
        solution = study.solve()
        seconds = time.perf_counter() - start
        print(f"solved in {seconds:.1f} s", file=sys.stderr, flush=True)
        scales = {m: float(solution.getParameter(f"{m}_scale")) for m in muscles}
        solution.unseal().write(os.path.join(out, "moco_emg_solution.sto"))
        result = {"scales": scales, "objective": solution.getObjective(),
                  "iterations": solution.getNumIterations(), "solve_time_s": seconds,
                  "success": solution.success(), "status": solution.getStatus()}
    finally:
        sys.stdout.flush()
        os.dup2(stdout, 1)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
