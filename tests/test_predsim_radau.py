"""PredSim's problem against PredSim's reference result (issue 23): how its angles are
compared, and (slow) the solve with Radau collocation, PredSim's own scheme.

PredSim's reference result (AGPL-3.0, read in place, never copied) is its
``Tests/ReferenceResults/Falisse_et_al_2022/``: ``Falisse_et_al_2022_paper.mat`` (its
solution) and ``.mot`` (its angles) side by side. Give the .mat's path in
OCP_PREDSIM_REFERENCE, or put both in ../shared/data/predsim/; the slow test also
needs the model (../shared/data/models3d/Falisse_et_al_2022.osim) and PredSim's guess
file ``IK_Guess_Full_GC.mot`` (its ``OCP/``) in the same folder. Each skips without
them.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_predsim import ANGLES, angle_rms_deg, initial_contact  # noqa: E402

REFERENCE = Path(os.environ.get("OCP_PREDSIM_REFERENCE", ROOT.parent / "shared" / "data" /
                                "predsim" / "Falisse_et_al_2022_paper.mat"))
MOT = REFERENCE.with_suffix(".mot")
GUESS = REFERENCE.parent / "IK_Guess_Full_GC.mot"
FALISSE = ROOT.parent / "shared" / "data" / "models3d" / "Falisse_et_al_2022.osim"
PREDSIM_OBJECTIVE = 339.98777   # its log's unscaled objective


def test_initial_contact_is_the_first_rise_through_the_threshold():
    f = np.array([50.0, 60, 10, 5, 30, 80, 40])
    assert initial_contact(f, 20.0) == 4          # 5 -> 30
    assert initial_contact(np.roll(f, 3), 20.0) == 0   # the rise wraps to the first sample
    assert initial_contact(np.full(5, 100.0), 20.0) == 0   # no rise: from the first point


@pytest.mark.skipif(not (REFERENCE.exists() and MOT.exists()),
                    reason="PredSim's reference .mat and .mot are absent (OCP_PREDSIM_REFERENCE)")
def test_predsim_solution_started_at_initial_contact_is_its_mot():
    """PredSim's .mot is its solution's gait cycle started at the right foot's initial
    contact (three mesh points in): our comparison, given PredSim's own motion and
    vertical force, reproduces the .mot; compared from the first point instead, PredSim's
    own motion would be 5 degrees RMS off at the knee."""
    from predsim_reference import read_reference
    from scipy.io import loadmat

    ref = read_reference(REFERENCE)
    contact = loadmat(str(REFERENCE), simplify_cells=True)["R"]["ground_reaction"]
    order = np.asarray(contact["idx_GC"]) - 1         # PredSim's shift of its cycle
    grf = np.empty(order.size)
    grf[order] = np.asarray(contact["GRF_r"])[:, 1]   # back to its mesh's order
    states = {f"{j}_r": np.r_[ref.mesh[f"{j}_r"][:-1], ref.mesh[f"{j}_l"]] for j in ANGLES}
    stride = SimpleNamespace(time=np.linspace(0.0, 2 * ref.tf, 2 * ref.n_intervals + 1),
                             state=states.__getitem__,
                             output=lambda name: np.r_[grf, grf[0]])
    aligned = angle_rms_deg(stride, MOT, ref.body_mass)
    assert max(aligned.values()) < 1e-6
    assert angle_rms_deg(stride, MOT)["knee_angle_r"] > 5.0


@pytest.mark.slow
@pytest.mark.skipif(not (FALISSE.exists() and REFERENCE.exists() and MOT.exists()
                         and GUESS.exists()),
                    reason="the Falisse model or PredSim's reference files are absent")
def test_radau_from_the_trapezoidal_solution_walks_as_predsim():
    """PredSim's own scheme (Radau) from PredSim's kind of guess by continuation: the
    file's trapezoidal mesh first, then Radau from its solution (benchmarks/
    bench_predsim.py --first-trapezoidal). Both converge (IPOPT's success at tol 1e-4,
    constraint violation 1e-6); the right leg's angles are within 3 degrees RMS of
    PredSim's .mot from the right foot's initial contact and the vertical force has the
    two humps of walking. The objective is below PredSim's (327.5 on 6 Dec 2026, -3.7 %:
    this model walks more cheaply than PredSim's motion in it, which it scores at
    341.19), and no more than 5 % below."""
    import re
    import subprocess

    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_predsim.py"), "--solve",
         "--first-trapezoidal", "--set", 'transcription.method="radau"',
         "--predsim-guess", str(GUESS), "--mot", str(MOT)],
        capture_output=True, text=True, cwd=ROOT, timeout=7200,
        env={**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}).stdout
    print(out)
    assert re.search(r"^first stage, trapezoidal: success", out, re.M)
    assert re.search(r"^success: \d+ iterations", out, re.M)
    objective = float(re.search(r"^objective ([0-9.]+)", out, re.M).group(1))
    assert 0.95 < objective / PREDSIM_OBJECTIVE < 1.0
    assert "(2 humps)" in out
    aligned = re.search(r"initial contact, as PredSim's: (.*); worst ([0-9.]+)", out)
    assert float(aligned.group(2)) < 3.0, aligned.group(1)
