"""Make ``arm_reach.mot``: arm kinematics from a forward simulation of known torques.

The built-in ``two_link_arm`` (Li and Todorov 2004 parameters, horizontal
plane) is driven by the joint torques ``tau(t)`` that make it follow the
nominal out-and-back reach

    q(t) = q0 + dq sin^2(pi t / T),  T = 1 s, q0 = (30, 100) deg, dq = (35, -55) deg

(``tau`` is the model's inverse dynamics of that curve, a known function of
time), simulated forward from rest with scipy's ``solve_ivp`` (DOP853,
rtol = atol = 1e-12) and sampled at 100 Hz, without noise. The file holds the
angles in degrees (``inDegrees=yes``) under OpenSim-like names
(``shoulder_flexion``, ``elbow_flexion``) and the torques that made them.

Run ``python problems/data/make_arm_reach.py`` to write the file again; the
tests check that the shipped file equals a fresh run.
"""
from __future__ import annotations

import math
from pathlib import Path

import casadi as ca
import numpy as np
from scipy.integrate import solve_ivp

import ocp
from ocp.data import Table, write_storage
from ocp.models.multibody import forward_dynamics, inverse_dynamics

DURATION_S = 1.0
RATE_HZ = 100.0
START_DEG = np.array([30.0, 100.0])
EXCURSION_DEG = np.array([35.0, -55.0])
HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "arm_reach.mot"


def nominal(t):
    """Nominal angles, speeds and accelerations (rad, rad/s, rad/s^2), each (2,)."""
    w = math.pi / DURATION_S
    dq = np.radians(EXCURSION_DEG)
    q = np.radians(START_DEG) + dq * math.sin(w * t) ** 2
    qd = dq * w * math.sin(2 * w * t)
    qdd = dq * 2 * w ** 2 * math.cos(2 * w * t)
    return q, qd, qdd


def _functions():
    tree = ocp.build_model("two_link_arm").tree
    q, qd, x = ca.SX.sym("q", 2), ca.SX.sym("qd", 2), ca.SX.sym("x", 2)
    inverse = ca.Function("id", [q, qd, x], [inverse_dynamics(tree, q, qd, x)])
    forward = ca.Function("fd", [q, qd, x], [forward_dynamics(tree, q, qd, x)])
    return inverse, forward


INVERSE, FORWARD = _functions()


def torques(t: float) -> np.ndarray:
    """The known joint torques (N m) at time ``t`` (s): [shoulder, elbow]."""
    return np.array(INVERSE(*nominal(t))).ravel()


def simulate(times_s) -> tuple[np.ndarray, np.ndarray]:
    """Angles and speeds (n, 2) at ``times_s`` of the arm driven by :func:`torques`."""
    def rhs(t, x):
        return np.concatenate([x[2:], np.array(FORWARD(x[:2], x[2:], torques(t))).ravel()])
    x0 = np.concatenate([np.radians(START_DEG), [0.0, 0.0]])
    times_s = np.asarray(times_s, float)
    sol = solve_ivp(rhs, (times_s[0], times_s[-1]), x0, method="DOP853", t_eval=times_s,
                    rtol=1e-12, atol=1e-12)
    return sol.y[:2].T, sol.y[2:].T


def table() -> Table:
    t = np.arange(round(DURATION_S * RATE_HZ) + 1) / RATE_HZ
    q, _ = simulate(t)
    tau = np.array([torques(tk) for tk in t])
    return Table(t, np.column_stack([q, tau]),
                 ("shoulder_flexion", "elbow_flexion", "tau_shoulder", "tau_elbow"),
                 ("rad", "rad", "N*m", "N*m"), RATE_HZ)


COMMENTS = [
    "Made by problems/data/make_arm_reach.py: the built-in two_link_arm (Li and Todorov "
    "2004 parameters) driven by known joint torques (tau_shoulder, tau_elbow below), "
    "simulated forward from rest with scipy solve_ivp (DOP853, rtol and atol 1e-12) and "
    "sampled at 100 Hz without noise.",
    "The torques are the inverse dynamics of the nominal reach q0 + dq sin^2(pi t / 1 s), "
    "q0 (30, 100) deg, dq (35, -55) deg: out to a target and back, at rest at both ends.",
]


def main():
    write_storage(OUTPUT, table(), in_degrees=True, name="arm_reach", comments=COMMENTS)
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
