"""Hand-written CasADi baseline: torque-driven pendulum swing-up, Hermite-Simpson.

The same NLP as benchmarks/moco_pendulum.py, written directly against CasADi
(no framework). Imports casadi and numpy only.

Usage:  python benchmarks/handwritten_pendulum.py '<json>'   (or JSON on stdin)
"""
import json
import sys
import time

import casadi as ca
import numpy as np


def solve_handwritten(params: dict) -> dict:
    t_start = time.perf_counter()
    m, L, g = params["mass_kg"], params["length_m"], params["gravity_m_s2"]
    T, N, umax = params["final_time_s"], int(params["mesh_intervals"]), params["tau_max_Nm"]
    h = T / N

    # Dynamics xdot = f(x, u) with x = [q, qdot]; m L^2 qdd = tau - m g L sin(q).
    x, u = ca.SX.sym("x", 2), ca.SX.sym("u")
    f = ca.Function("f", [x, u], [ca.vertcat(x[1], (u - m * g * L * ca.sin(x[0])) / (m * L**2))])

    # Decision variables on the 2N+1 grid (mesh nodes at even, midpoints at odd indices).
    X, U = ca.SX.sym("X", 2, 2 * N + 1), ca.SX.sym("U", 1, 2 * N + 1)
    F = f.map(2 * N + 1)(X, U)
    J, g_defects = 0, []
    for k in range(N):
        a, c, b = 2 * k, 2 * k + 1, 2 * k + 2
        g_defects.append(X[:, c] - (X[:, a] + X[:, b]) / 2 - h / 8 * (F[:, a] - F[:, b]))
        g_defects.append(X[:, b] - X[:, a] - h / 6 * (F[:, a] + 4 * F[:, c] + F[:, b]))
        J += h / 6 * (U[a] ** 2 + 4 * U[c] ** 2 + U[b] ** 2)

    # Bounds (boundary conditions as variable bounds) and initial guess.
    qlo, qhi = params["q_bounds"]
    vlo, vhi = params["qdot_bounds"]
    lbx = np.tile(np.array([[qlo], [vlo]], dtype=float), 2 * N + 1)
    ubx = np.tile(np.array([[qhi], [vhi]], dtype=float), 2 * N + 1)
    lbx[:, 0] = ubx[:, 0] = [0.0, 0.0]
    lbx[:, -1] = ubx[:, -1] = [np.pi, 0.0]
    t_grid = np.linspace(0.0, T, 2 * N + 1)
    x0 = np.vstack([np.pi * t_grid / T, np.zeros_like(t_grid)])
    u0 = np.zeros((1, 2 * N + 1))

    # Pack: column-major (per-node [q, qdot]) then controls.
    w = ca.vertcat(ca.vec(X), ca.vec(U))
    lbw = np.concatenate([lbx.flatten("F"), -umax * np.ones(2 * N + 1)])
    ubw = np.concatenate([ubx.flatten("F"), umax * np.ones(2 * N + 1)])
    w0 = np.concatenate([x0.flatten("F"), u0.flatten("F")])

    nlp = {"x": w, "f": J, "g": ca.vertcat(*g_defects)}
    opts = {"ipopt.tol": params["tolerance"], "ipopt.print_level": 0, "ipopt.sb": "yes",
            "print_time": False}
    solver = ca.nlpsol("solver", "ipopt", nlp, opts)
    sol = solver(x0=w0, lbx=lbw, ubx=ubw, lbg=0, ubg=0)
    solve_time = time.perf_counter() - t_start

    wopt = sol["x"].full().ravel()
    Xopt = wopt[: 2 * (2 * N + 1)].reshape((2 * N + 1, 2)).T
    Uopt = wopt[2 * (2 * N + 1):]
    stats = solver.stats()
    return {
        "objective": float(sol["f"]),
        "solve_time_s": solve_time,
        "iterations": int(stats["iter_count"]),
        "status": stats["return_status"],
        "time": t_grid.tolist(),
        "q": Xopt[0].tolist(),
        "qdot": Xopt[1].tolist(),
        "tau": Uopt.tolist(),
    }


if __name__ == "__main__":
    p = json.loads(sys.argv[1] if len(sys.argv) > 1 else sys.stdin.read())
    print(json.dumps(solve_handwritten(p)))
