"""OpenSim Moco's MocoInverse (and MocoTrack) of subject01's walk on gait10dof18musc.

Standalone: imports opensim only (opensim bundles its own libcasadi, which
clashes with the pip `casadi` package in the same process). Sets the
problem up as exampleMocoInverse.py (opensim-core 4.6,
Bindings/Python/examples/Moco/example3DWalking/) does, on the planar model:
ModOpAddExternalLoads, ModOpIgnoreTendonCompliance,
ModOpReplaceMusclesWithDeGrooteFregly2016, ModOpIgnorePassiveFiberForcesDGF,
ModOpScaleActiveFiberForceCurveWidthDGF(1.5), ModOpAddReserves(1.0); the IK
angles (degrees, converted by MocoInverse) from 0.5 to 1.5 s, 0.02 s mesh,
MocoInverse's default tolerances.

Usage:  python benchmarks/moco_inverse.py DATA_DIR OUT_DIR [inverse|track|both] [TOLERANCE]
(TOLERANCE: MocoInverse's convergence and constraint tolerances, default its 1e-3)
Prints one JSON line per problem (objective, iterations, solve time) as the
last lines on stdout; Moco's own output goes to stderr.
"""
import json
import os
import sys
import time

import opensim as osim

START, FINAL = 0.5, 1.5


def model_processor(data):
    processor = osim.ModelProcessor(os.path.join(data, "gait10dof18musc.osim"))
    processor.append(osim.ModOpAddExternalLoads(os.path.join(data, "subject01_walk_grf.xml")))
    processor.append(osim.ModOpIgnoreTendonCompliance())
    processor.append(osim.ModOpReplaceMusclesWithDeGrooteFregly2016())
    processor.append(osim.ModOpIgnorePassiveFiberForcesDGF())
    processor.append(osim.ModOpScaleActiveFiberForceCurveWidthDGF(1.5))
    processor.append(osim.ModOpAddReserves(1.0))
    return processor


def kinematics(data):
    table = osim.TableProcessor(os.path.join(data, "subject01_walk_IK.mot"))
    table.append(osim.TabOpUseAbsoluteStateNames())
    return table


def report(name, solution, seconds):
    names = solution.getObjectiveTermNames()
    terms = {names[i]: solution.getObjectiveTerm(names[i]) for i in range(len(names))}
    return {"problem": name, "objective": solution.getObjective(), "terms": terms,
            "iterations": solution.getNumIterations(), "solve_time_s": seconds,
            "success": solution.success(), "status": solution.getStatus()}


def inverse_tool(data, tolerance=None):
    """exampleMocoInverse's tool: the model, the IK kinematics, 0.5 to 1.5 s, 0.02 s mesh."""
    tool = osim.MocoInverse()
    if tolerance is not None:
        tool.set_convergence_tolerance(tolerance)
        tool.set_constraint_tolerance(tolerance)
    tool.setModel(model_processor(data))
    tool.setKinematics(kinematics(data))
    tool.set_initial_time(START)
    tool.set_final_time(FINAL)
    tool.set_mesh_interval(0.02)
    tool.set_kinematics_allow_extra_columns(True)
    return tool


def inverse(data, out, tolerance=None):
    tool = inverse_tool(data, tolerance)
    start = time.perf_counter()
    result = tool.solve()
    seconds = time.perf_counter() - start
    solution = result.getMocoSolution()
    solution.unseal().write(os.path.join(out, "moco_inverse_solution.sto"))
    return report("inverse", solution, seconds)


def track(data, out):
    """Moco's test "MocoTrack gait10dof18musc" (testMocoTrack.cpp) on subject01's IK angles."""
    tool = osim.MocoTrack()
    processor = osim.ModelProcessor(os.path.join(data, "gait10dof18musc.osim"))
    processor.append(osim.ModOpRemoveMuscles())
    processor.append(osim.ModOpAddReserves(100))
    processor.append(osim.ModOpAddExternalLoads(os.path.join(data, "subject01_walk_grf.xml")))
    tool.setModel(processor)
    table = kinematics(data)
    table.append(osim.TabOpLowPassFilter(6))
    tool.setStatesReference(table)
    tool.set_states_global_tracking_weight(10.0)
    tool.set_track_reference_position_derivatives(True)
    tool.set_allow_unused_references(True)
    tool.set_apply_tracked_states_to_guess(True)   # as ours (the test: default guess)
    tool.set_initial_time(0.5)
    tool.set_final_time(1.0)
    study = tool.initialize()
    solver = osim.MocoCasADiSolver.safeDownCast(study.updSolver())
    solver.set_optim_constraint_tolerance(1e-4)
    solver.set_optim_convergence_tolerance(1e-4)
    start = time.perf_counter()
    solution = study.solve()
    seconds = time.perf_counter() - start
    solution.unseal().write(os.path.join(out, "moco_track_solution.sto"))
    return report("track", solution, seconds)


def main():
    data, out = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    which = sys.argv[3] if len(sys.argv) > 3 else "inverse"
    os.makedirs(out, exist_ok=True)
    os.chdir(out)   # opensim.log and Moco's files stay in OUT_DIR
    stdout = os.dup(1)
    os.dup2(2, 1)  # Moco and IPOPT print to stdout; keep ours clean
    results = []
    try:
        if which in ("inverse", "both"):
            results.append(inverse(data, out, float(sys.argv[4]) if len(sys.argv) > 4 else None))
        if which in ("track", "both"):
            results.append(track(data, out))
    finally:
        sys.stdout.flush()
        os.dup2(stdout, 1)
    for r in results:
        print(json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
