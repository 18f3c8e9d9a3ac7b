"""Second method: OpenSim Moco solves the same pendulum swing-up to the same optimum.

Moco runs in its own process (benchmarks/moco_pendulum.py): the opensim wheel
bundles its own CasADi library, which cannot share a process with casadi.
Skipped cleanly when opensim is not installed (it comes with the test extra).
"""
import importlib.util
import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import PROBLEMS, ROOT

import ocp

pytestmark = pytest.mark.skipif(importlib.util.find_spec("opensim") is None,
                                reason="opensim (OpenSim Moco) is not installed")

PARAMS = {"mass_kg": 1.0, "length_m": 1.0, "gravity_m_s2": 9.80665, "final_time_s": 2.0,
          "tau_max_Nm": 8.0, "q_bounds": [-10.0, 10.0], "qdot_bounds": [-50.0, 50.0],
          "mesh_intervals": 30, "tolerance": 1e-8}


def test_pendulum_swingup_matches_opensim_moco():
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "moco_pendulum.py"),
                           json.dumps(PARAMS)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    moco = json.loads(done.stdout.strip().splitlines()[-1])
    assert moco["success"], moco["status"]
    ours = ocp.solve(ocp.load_problem(PROBLEMS / "pendulum_swingup.toml",
                                      {"transcription.intervals": PARAMS["mesh_intervals"]}))
    assert ours.success
    assert ours.objective == pytest.approx(moco["objective"], rel=1e-6)
    # the same grid (mesh points and midpoints), the same trajectory
    np.testing.assert_allclose(ours.time, moco["time"], atol=1e-12)
    np.testing.assert_allclose(ours.state("pendulum"), moco["q"], atol=1e-4)
    np.testing.assert_allclose(ours.control("tau_pendulum"), moco["tau"], atol=1e-3)
