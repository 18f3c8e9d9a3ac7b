"""Make arm_kinematics.csv: a forward simulation of the six-muscle arm with known excitations.

    python problems/data/make_arm_kinematics.py

The six_muscle_arm (rigid tendons, passive fibre forces on, as in
arm_muscle_redundancy.toml) starts at rest at shoulder 30 deg, elbow 90 deg
with every activation at 0.02, and is driven for 0.8 s by smooth excitation
pulses. Integrated with scipy's DOP853 (rtol 1e-11) and sampled at 200 Hz.
The file holds the joint angles (rad) that the redundancy problem tracks and,
for checking, the true activations and excitations (true_<muscle>_...).
"""
from pathlib import Path

import numpy as np
from scipy.integrate import solve_ivp

from ocp.models.library import build_model

DURATION_S, RATE_HZ, BASELINE = 0.8, 200.0, 0.02
#: muscle -> (peak excitation, centre s, width s) of a raised-cosine pulse
PULSES = {
    "DELTant": (0.25, 0.20, 0.30),
    "DELTpost": (0.15, 0.60, 0.30),
    "BRA": (0.14, 0.25, 0.30),
    "TRIlat": (0.18, 0.55, 0.30),
    "BIClong": (0.10, 0.20, 0.25),
    "TRIlong": (0.12, 0.55, 0.25),
}


def excitation(name: str, t):
    peak, centre, width = PULSES[name]
    x = np.clip((np.asarray(t) - centre) / width, -0.5, 0.5)
    return BASELINE + (peak - BASELINE) * 0.5 * (1 + np.cos(2 * np.pi * x))


def main(path: Path = Path(__file__).with_name("arm_kinematics.csv")) -> Path:
    model = build_model("six_muscle_arm")
    f = model.dynamics_function()
    names = [m.name for m in model.muscles]
    x0 = np.concatenate([np.radians([30.0, 90.0]), [0.0, 0.0], [BASELINE] * len(names)])

    def rhs(t, x):
        return np.array(f(x, [excitation(n, t) for n in names])).ravel()

    t = np.linspace(0.0, DURATION_S, int(DURATION_S * RATE_HZ) + 1)
    sol = solve_ivp(rhs, (0.0, DURATION_S), x0, method="DOP853", t_eval=t,
                    rtol=1e-11, atol=1e-12)
    assert sol.success, sol.message
    columns = {"time": t, "shoulder": sol.y[0], "elbow": sol.y[1]}
    for i, n in enumerate(names):
        columns[f"true_{n}_activation"] = sol.y[4 + i]
    for n in names:
        columns[f"true_{n}_excitation"] = excitation(n, t)
    header = ",".join(columns)
    np.savetxt(path, np.column_stack(list(columns.values())), delimiter=",", header=header,
               comments="", fmt="%.12g")
    return path


if __name__ == "__main__":
    print(main())
