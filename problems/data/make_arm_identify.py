"""Make arm_identify.csv: noisy joint angles of the six-muscle arm with known excitations.

    python problems/data/make_arm_identify.py

The data that problems/arm_identify_parameters.toml estimates two muscle
strengths from. The six_muscle_arm (rigid tendons, passive fibre forces off)
has its brachialis (BRA) 20 % weaker and its lateral triceps (TRIlat) 20 %
stronger than the model's own maximum isometric forces; it starts at rest at
shoulder 30 deg, elbow 90 deg, every activation 0, and is driven for 0.6 s by
Gaussian excitation bursts (the anterior deltoid never). Integrated with
scipy's DOP853 (rtol 1e-11) and sampled at 100 Hz; Gaussian noise of
1 degree (seed 0) is added to both angles. The excitations are written
exactly, as an EMG-driven study would take them as known.
"""
import dataclasses
from pathlib import Path

import numpy as np
from scipy.integrate import solve_ivp

from ocp.models.library import build_model

DURATION_S, RATE_HZ, NOISE_DEG, SEED = 0.6, 100.0, 1.0, 0
#: muscle -> factor on its max isometric force in the simulated "person"
STRENGTH = {"BRA": 0.8, "TRIlat": 1.2}
#: muscle -> [(peak, centre s, width s), ...] of Gaussian bursts exp(-((t - c) / w)^2)
BURSTS = {
    "DELTant": [],
    "DELTpost": [(0.02, 0.3, 0.1)],
    "BRA": [(0.06, 0.1, 0.05), (0.03, 0.4, 0.05)],
    "TRIlat": [(0.08, 0.25, 0.05), (0.04, 0.5, 0.05)],
    "BIClong": [(0.02, 0.2, 0.1)],
    "TRIlong": [(0.02, 0.4, 0.1)],
}


def excitation(name: str, t):
    t = np.asarray(t, float)
    return sum((p * np.exp(-((t - c) / w) ** 2) for p, c, w in BURSTS[name]), 0 * t)


def main(path: Path = Path(__file__).with_name("arm_identify.csv")) -> Path:
    base = build_model("six_muscle_arm", None, None, passive_fiber_force=False)
    muscles = [dataclasses.replace(m, parameters=dataclasses.replace(
        m.parameters, max_isometric_force_N=m.parameters.max_isometric_force_N
        * STRENGTH.get(m.name, 1.0))) for m in base.muscles]
    model = build_model("six_muscle_arm", None, muscles, passive_fiber_force=False)
    f = model.dynamics_function()
    names = [m.name for m in model.muscles]
    x0 = np.concatenate([np.radians([30.0, 90.0]), [0.0, 0.0], [0.0] * len(names)])

    def rhs(t, x):
        return np.array(f(x, [excitation(n, t) for n in names])).ravel()

    t = np.linspace(0.0, DURATION_S, int(round(DURATION_S * RATE_HZ)) + 1)
    sol = solve_ivp(rhs, (0.0, DURATION_S), x0, method="DOP853", t_eval=t,
                    rtol=1e-11, atol=1e-12)
    assert sol.success, sol.message
    noise = np.radians(NOISE_DEG) * np.random.default_rng(SEED).standard_normal((2, t.size))
    columns = {"time": t, "shoulder": sol.y[0] + noise[0], "elbow": sol.y[1] + noise[1]}
    for n in names:
        columns[f"{n}_excitation"] = excitation(n, t)
    header = ",".join(columns)
    np.savetxt(path, np.column_stack(list(columns.values())), delimiter=",", header=header,
               comments="", fmt="%.12g")
    return path


if __name__ == "__main__":
    print(main())
