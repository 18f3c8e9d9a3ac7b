"""OpenSim Moco's own 2D walking problems (example2DWalking), for comparison.

Standalone: imports opensim only (opensim bundles its own libcasadi, which
clashes with the pip `casadi` package in the same process). Sets the
problems up as Moco's example2DWalking does (tracking: states and GRF,
control effort weight 10, left-right symmetry over one step; predictive:
cubed controls per distance, weight 10, 1.2 m/s, final time in [0.4, 0.6]
s, warm-started from the tracking solution), with 50 mesh intervals and
tolerances 1e-4 for both.

Usage:  python benchmarks/moco_2d_walking.py DATA_DIR OUT_DIR [tracking|predictive|both]
Prints one JSON line per problem (objective, terms, iterations, solve time)
as the last lines on stdout; Moco's own output goes to stderr.
"""
import json
import math
import os
import re
import sys
import time

import opensim as osim

DEG = math.pi / 180


def symmetry_goal(problem, model):
    """Final state = initial with legs swapped (pelvis_tx excepted), as Moco's example."""
    goal = osim.MocoPeriodicityGoal("symmetryGoal")
    problem.addGoal(goal)
    names = [model.getStateVariableNames().getitem(i)
             for i in range(model.getNumStateVariables())]
    for name in names:
        if name.startswith("/jointset"):
            if "_r" in name:
                goal.addStatePair(osim.MocoPeriodicityGoalPair(name, re.sub("_r", "_l", name)))
            if "_l" in name:
                goal.addStatePair(osim.MocoPeriodicityGoalPair(name, re.sub("_l", "_r", name)))
            if not ("_r" in name or "_l" in name or "pelvis_tx/value" in name
                    or "/activation" in name):
                goal.addStatePair(osim.MocoPeriodicityGoalPair(name))
    for name in names:
        if name.endswith("/activation"):
            if "_r" in name:
                goal.addStatePair(osim.MocoPeriodicityGoalPair(name, re.sub("_r", "_l", name)))
            if "_l" in name:
                goal.addStatePair(osim.MocoPeriodicityGoalPair(name, re.sub("_l", "_r", name)))
    goal.addControlPair(osim.MocoPeriodicityGoalPair("/lumbarAct"))


def bounds(problem):
    for path, lo, hi in (("groundPelvis/pelvis_tilt", -20 * DEG, -10 * DEG),
                         ("groundPelvis/pelvis_tx", 0, 1), ("groundPelvis/pelvis_ty", 0.75, 1.25),
                         ("hip_l/hip_flexion_l", -10 * DEG, 60 * DEG),
                         ("hip_r/hip_flexion_r", -10 * DEG, 60 * DEG),
                         ("knee_l/knee_angle_l", -50 * DEG, 0),
                         ("knee_r/knee_angle_r", -50 * DEG, 0),
                         ("ankle_l/ankle_angle_l", -15 * DEG, 25 * DEG),
                         ("ankle_r/ankle_angle_r", -15 * DEG, 25 * DEG),
                         ("lumbar/lumbar", 0, 20 * DEG)):
        problem.setStateInfo(f"/jointset/{path}/value", [lo, hi])


def configure(solver):
    solver.set_num_mesh_intervals(50)
    solver.set_optim_solver("ipopt")
    solver.set_optim_convergence_tolerance(1e-4)
    solver.set_optim_constraint_tolerance(1e-4)
    solver.set_optim_max_iterations(1000)


def report(name, solution, seconds):
    names = solution.getObjectiveTermNames()
    terms = {names[i]: solution.getObjectiveTerm(names[i]) for i in range(len(names))}
    return {"problem": name, "objective": solution.getObjective(), "terms": terms,
            "iterations": solution.getNumIterations(), "solve_time_s": seconds,
            "success": solution.success(), "status": solution.getStatus(),
            "final_time_s": solution.getFinalTime()}


def tracking(data, out):
    track = osim.MocoTrack()
    track.setName("gaitTracking")
    table = osim.TableProcessor(os.path.join(data, "referenceCoordinates.sto"))
    table.append(osim.TabOpLowPassFilter(6))
    processor = osim.ModelProcessor(os.path.join(data, "2D_gait.osim"))
    track.setModel(processor)
    track.setStatesReference(table)
    track.set_states_global_tracking_weight(1)
    track.set_allow_unused_references(True)
    track.set_track_reference_position_derivatives(True)
    track.set_apply_tracked_states_to_guess(True)
    track.set_initial_time(0.0)
    track.set_final_time(0.470089)  # the data end at 0.47008934 after filtering
    study = track.initialize()
    problem = study.updProblem()
    model = processor.process()
    model.initSystem()
    symmetry_goal(problem, model)
    osim.MocoControlGoal.safeDownCast(problem.updGoal("control_effort")).setWeight(10)
    contact = osim.MocoContactTrackingGoal("contact", 1)
    contact.setExternalLoadsFile(os.path.join(data, "referenceGRF.xml"))
    for side, group in (("r", "Right_GRF"), ("l", "Left_GRF")):
        names = osim.StdVectorString()
        names.append(f"contactHeel_{side}")
        names.append(f"contactFront_{side}")
        contact.addContactGroup(names, group)
    contact.setProjection("plane")
    contact.setProjectionVector(osim.Vec3(0, 0, 1))
    problem.addGoal(contact)
    bounds(problem)
    configure(osim.MocoCasADiSolver.safeDownCast(study.updSolver()))
    start = time.perf_counter()
    solution = study.solve()
    seconds = time.perf_counter() - start
    solution.unseal().write(os.path.join(out, "moco_tracking_solution.sto"))
    return report("tracking", solution, seconds), solution


def predictive(data, out, guess):
    study = osim.MocoStudy()
    study.setName("gaitPrediction")
    problem = study.updProblem()
    processor = osim.ModelProcessor(os.path.join(data, "2D_gait.osim"))
    problem.setModelProcessor(processor)
    model = processor.process()
    model.initSystem()
    symmetry_goal(problem, model)
    speed = osim.MocoAverageSpeedGoal("speed")
    speed.set_desired_average_speed(1.2)
    problem.addGoal(speed)
    effort = osim.MocoControlGoal("effort", 10)
    effort.setExponent(3)
    effort.setDivideByDisplacement(True)
    problem.addGoal(effort)
    problem.setTimeBounds(0, [0.4, 0.6])
    bounds(problem)
    solver = study.initCasADiSolver()
    configure(solver)
    if guess is not None:
        solver.setGuess(guess)
    start = time.perf_counter()
    solution = study.solve()
    seconds = time.perf_counter() - start
    solution.unseal().write(os.path.join(out, "moco_predictive_solution.sto"))
    return report("predictive", solution, seconds), solution


def main():
    data, out = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    which = sys.argv[3] if len(sys.argv) > 3 else "both"
    os.makedirs(out, exist_ok=True)
    stdout = os.dup(1)
    os.dup2(2, 1)  # Moco and IPOPT print to stdout; keep ours clean
    results, guess = [], None
    try:
        if which in ("tracking", "both"):
            result, guess = tracking(data, out)
            results.append(result)
        if which in ("predictive", "both"):
            if guess is None and os.path.exists(os.path.join(out, "moco_tracking_solution.sto")):
                guess = osim.MocoTrajectory(os.path.join(out, "moco_tracking_solution.sto"))
            result, _ = predictive(data, out, guess)
            results.append(result)
    finally:
        sys.stdout.flush()
        os.dup2(stdout, 1)
    for r in results:
        print(json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
