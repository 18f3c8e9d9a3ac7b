"""Torque-driven pendulum swing-up solved with OpenSim Moco (reference benchmark).

Standalone: imports opensim only (opensim bundles its own libcasadi, which
clashes with the pip `casadi` package in the same process).

Usage:  python benchmarks/moco_pendulum.py '<json>'   (or JSON on stdin)
The guess is q linear from 0 to pi, unless the JSON says "guess": "bounds"
(Moco's own default: the middle of the bounds, the end conditions at the ends).
Prints one JSON line (the last line on stdout) with the solution and timings.
All of Moco's/IPOPT's own output is sent to stderr.
"""
import json
import math
import os
import sys
import tempfile
import time

import opensim as osim


def build_study(p):
    m, L, g = p["mass_kg"], p["length_m"], p["gravity_m_s2"]
    model = osim.Model()
    model.setName("pendulum")
    model.setGravity(osim.Vec3(0, -g, 0))
    # Point mass: body origin = the mass, zero inertia about it.
    body = osim.Body("body", m, osim.Vec3(0), osim.Inertia(0))
    model.addBody(body)
    # Pin at the ground origin; child frame at (0, L, 0) in the body frame, so
    # q = 0 puts the mass at (0, -L, 0) (hanging down), q > 0 counter-clockwise.
    joint = osim.PinJoint("pin", model.getGround(), osim.Vec3(0), osim.Vec3(0),
                          body, osim.Vec3(0, L, 0), osim.Vec3(0))
    joint.updCoordinate().setName("q")
    model.addJoint(joint)
    act = osim.CoordinateActuator("q")
    act.setName("tau")
    act.setOptimalForce(1.0)  # control == torque in N*m
    act.setMinControl(-p["tau_max_Nm"])
    act.setMaxControl(p["tau_max_Nm"])
    model.addForce(act)
    model.finalizeConnections()

    study = osim.MocoStudy()
    study.setName("pendulum_swingup")
    problem = study.updProblem()
    problem.setModel(model)
    tf = p["final_time_s"]
    problem.setTimeBounds(osim.MocoInitialBounds(0.0), osim.MocoFinalBounds(tf))
    qlo, qhi = p["q_bounds"]
    vlo, vhi = p["qdot_bounds"]
    problem.setStateInfo("/jointset/pin/q/value", osim.MocoBounds(qlo, qhi),
                         osim.MocoInitialBounds(0.0), osim.MocoFinalBounds(math.pi))
    problem.setStateInfo("/jointset/pin/q/speed", osim.MocoBounds(vlo, vhi),
                         osim.MocoInitialBounds(0.0), osim.MocoFinalBounds(0.0))
    problem.setControlInfo("/forceset/tau", osim.MocoBounds(-p["tau_max_Nm"], p["tau_max_Nm"]))
    goal = osim.MocoControlGoal("effort", 1.0)  # integral of tau^2 dt
    goal.setExponent(2)
    problem.addGoal(goal)

    solver = study.initCasADiSolver()
    solver.set_num_mesh_intervals(int(p["mesh_intervals"]))
    solver.set_transcription_scheme("hermite-simpson")
    # Midpoint controls are free NLP variables (not (u_k + u_{k+1})/2).
    solver.set_interpolate_control_mesh_interior_points(False)
    solver.set_multibody_dynamics_mode("explicit")
    solver.set_optim_solver("ipopt")
    solver.set_optim_convergence_tolerance(p["tolerance"])
    solver.set_optim_constraint_tolerance(p["tolerance"])
    solver.set_optim_hessian_approximation(p.get("hessian", "limited-memory"))
    # Single-threaded evaluation: fairer vs. a single-threaded hand-written
    # CasADi/IPOPT baseline (for this tiny model threads only add overhead).
    solver.set_parallel(0)
    solver.set_verbosity(0)
    solver.set_optim_ipopt_print_level(0)

    if p.get("guess", "linear") == "bounds":  # Moco's default guess: mid-bounds
        return study
    # Initial guess on the full Hermite-Simpson grid (mesh points + midpoints):
    # q linear 0 -> pi, qdot = 0, tau = 0.
    guess = solver.createGuess()
    n = guess.getNumTimes()
    t = guess.getTimeMat()
    guess.setState("/jointset/pin/q/value",
                   osim.Vector([math.pi * t[i] / tf for i in range(n)]))
    guess.setState("/jointset/pin/q/speed", osim.Vector(n, 0.0))
    guess.setControl("/forceset/tau", osim.Vector(n, 0.0))
    solver.setGuess(guess)
    return study


def solve(p):
    t0 = time.perf_counter()
    study = build_study(p)
    setup = time.perf_counter() - t0
    # Moco writes 'delete_this_to_stop_optimization_*.txt' into the cwd while
    # solving; run the solve in a scratch directory to keep the repo clean.
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as scratch:
        os.chdir(scratch)
        try:
            t0 = time.perf_counter()
            sol = study.solve()
            solve_time = time.perf_counter() - t0
        finally:
            os.chdir(cwd)
    success = bool(sol.success())
    if not success:
        sol.unseal()  # allow reading a failed solution
    n = sol.getNumTimes()
    tm, q = sol.getTimeMat(), sol.getStateMat("/jointset/pin/q/value")
    qd, u = sol.getStateMat("/jointset/pin/q/speed"), sol.getControlMat("/forceset/tau")
    return {
        "objective": float(sol.getObjective()),
        "solve_time_s": solve_time,
        "setup_time_s": setup,
        "status": sol.getStatus(),
        "success": success,
        "iterations": int(sol.getNumIterations()),
        "time": [float(tm[i]) for i in range(n)],
        "q": [float(q[i]) for i in range(n)],
        "qdot": [float(qd[i]) for i in range(n)],
        "tau": [float(u[i]) for i in range(n)],
    }


def main():
    p = json.loads(sys.argv[1] if len(sys.argv) > 1 else sys.stdin.read())
    osim.Logger.setLevelString("error")
    # Moco/CasADi/IPOPT write to the C-level stdout; send all of it to stderr
    # so the JSON line is the only thing on stdout.
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        res = solve(p)
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
    print(json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
