"""``ocp id`` against OpenSim's InverseDynamicsTool (a second method, in a subprocess).

Issue #21's must-show: inverse dynamics from the command line alone, on
subject01's walk with the gait10dof18musc model (planar) and on the 3D trial
(walking3d, its own ID setup, the IK result made by OpenSim's IK tool from
its IK setup), every column within 0.1 % of its range of OpenSim's.

Both follow the same steps (pad, resample, IIR low-pass, quintic splines over
the padded coordinates, cubic splines of the loads, Newton-Euler), so they
agree to far better than the 0.1 % asked (measured: 0.002 % planar, where
OpenSim's 8-digit output and its time grid of 1/60 s rounded to 1e-8 s
differ, and 2e-6 % in 3D). OpenSim runs in a subprocess
(tests/opensim_id_reference.py): its wheel bundles a CasADi library that
cannot share a process with casadi. Skipped when OpenSim or ../shared/data
is absent.
"""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ocp.cli import main
from ocp.data.opensim_text import read_storage

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
WALK = DATA / "walking"
WALK3D = DATA / "walking3d"
#: Largest difference allowed, as a share of each column's range (issue #21).
TOLERANCE = 1e-3

pytestmark = [
    pytest.mark.skipif(importlib.util.find_spec("opensim") is None,
                       reason="opensim is not installed"),
    pytest.mark.filterwarnings("ignore::ocp.osim.OsimConversionNote"),
]
needs_walk = pytest.mark.skipif(not (WALK / "subject01_walk_IK.mot").exists(),
                                reason="../shared/data/walking is absent")
needs_walk3d = pytest.mark.skipif(not (WALK3D / "subject01_Setup_IK.xml").exists(),
                                  reason="../shared/data/walking3d is absent")

#: opensim-models' Gait10dof18musc ID setup with the files of ../shared/data/walking
#: (tests/data/README.md): time 0 to 2.5 s, 6 Hz, muscles excluded.
SETUP_2D = ROOT / "tests" / "data" / "subject01_walk_Setup_ID.xml"


def run_opensim(script, *args, cwd):
    done = subprocess.run([sys.executable, str(ROOT / "tests" / script), *map(str, args)],
                          capture_output=True, text=True, timeout=600, cwd=cwd)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def worst_error(ours: Path, theirs: Path) -> tuple:
    """(largest |ours - OpenSim's| / range over the columns, its column); same times."""
    a, b = read_storage(ours), read_storage(theirs)
    assert a.n_samples == b.n_samples
    np.testing.assert_allclose(a.time_s, b.time_s, atol=1e-7)
    assert set(a.columns) == set(b.columns)
    errors = {c: np.max(np.abs(a.column(c) - b.column(c))) / np.ptp(b.column(c))
              for c in b.columns}
    column = max(errors, key=errors.get)
    return errors[column], column


@needs_walk
def test_planar_walk_equals_opensim_inverse_dynamics_tool(tmp_path, capsys):
    reference = run_opensim("opensim_id_reference.py", SETUP_2D, tmp_path / "opensim",
                            cwd=tmp_path)
    out = tmp_path / "ID.sto"
    assert main(["id", "--setup", str(SETUP_2D), "--out", str(out)]) == 0
    assert "151 frames" in capsys.readouterr().out
    assert out.with_suffix(".png").stat().st_size > 10_000
    error, column = worst_error(out, Path(reference["sto"]))
    print(f"planar: worst column {column}, {100 * error:.4f} % of its range")
    assert error < TOLERANCE, column


@needs_walk3d
def test_3d_walk_equals_opensim_inverse_dynamics_tool(tmp_path):
    # the ID setup's coordinates file is an IK result that the pipeline does not ship:
    # OpenSim's IK tool makes it from the IK setup, under the name the ID setup gives
    ik = run_opensim("opensim_ik_reference.py", WALK3D / "subject01_Setup_IK.xml", tmp_path,
                     cwd=tmp_path)
    Path(ik["mot"]).rename(tmp_path / "subject01_walk1_ik.mot")
    text = (WALK3D / "subject01_Setup_InverseDynamics.xml").read_text()
    for name in ("subject01_simbody.osim", "subject01_walk1_grf.xml"):
        text = text.replace(f" {name} ", f" {WALK3D / name} ")
    setup = tmp_path / "subject01_Setup_InverseDynamics.xml"
    setup.write_text(text)
    reference = run_opensim("opensim_id_reference.py", setup, tmp_path / "opensim",
                            cwd=tmp_path)
    out = tmp_path / "ID.sto"
    assert main(["id", "--setup", str(setup), "--out", str(out)]) == 0
    error, column = worst_error(out, Path(reference["sto"]))
    print(f"3D: worst column {column}, {100 * error:.6f} % of its range")
    assert error < TOLERANCE, column
