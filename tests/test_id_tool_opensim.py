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


RAJAGOPAL = DATA / "models3d" / "Rajagopal2016.osim"


@pytest.mark.skipif(not RAJAGOPAL.exists(), reason="../shared/data/models3d is absent")
@pytest.mark.slow
def test_coupled_coordinates_are_read_and_named_as_opensim_does(tmp_path):
    """Rajagopal 2016: the patellae follow the knees (CoordinateCouplerConstraint).
    OpenSim's IK writes a coupled coordinate unconverted into a file in degrees, its
    ID tool does not convert it and names its column _force; a smooth motion inside
    every coordinate's range, filtered at 6 Hz. Agreement here is 0.025 % of range,
    not 1e-6 %: Simbody approximates the velocity forces of Rajagopal's walker knee
    (~1e-3 N m per (rad/s)^2 of knee speed; tests/test_osim3d_opensim.py), and the
    knees move here: with the knees held still every column agrees to 1e-7 of range
    (measured)."""
    from ocp.data.opensim_text import write_storage
    from ocp.data.tables import Table
    from ocp.osim.spatial_skeleton import read_spatial, spatial_tree
    doc = read_spatial(RAJAGOPAL)
    tree = spatial_tree(doc)
    coordinates = doc.coordinates()
    coupled = {c.dependent: c for c in doc.couplers}
    t = np.arange(0.0, 1.0001, 0.01)
    rng = np.random.default_rng(20)
    values = {}
    for name in tree.coordinates:
        c = coordinates[name]
        if name in coupled:
            continue
        lo, hi = c.range
        amplitude = 0.0 if c.locked else min(0.25 * (hi - lo),
                                             0.05 if name in tree.translational else 0.3)
        middle = c.default_value if c.locked else 0.5 * (lo + hi)
        values[name] = middle + amplitude * np.sin(2 * np.pi * rng.uniform(0.5, 2) * t
                                                   + rng.uniform(0, 6))
    for name, c in coupled.items():
        values[name] = np.array([c.scale * c.function(x)[0] for x in values[c.independent[0]]])
    units = tuple("" if n in coupled else "m" if n in tree.translational else "rad"
                  for n in tree.coordinates)
    mot = write_storage(tmp_path / "q.mot", Table(t, np.column_stack(
        [values[n] for n in tree.coordinates]), tuple(tree.coordinates), units), in_degrees=True)
    lines = [ln for ln in mot.read_text().splitlines() if not ln.startswith("units=")]
    mot.write_text("\n".join(lines) + "\n")              # as OpenSim's IK writes it
    setup = tmp_path / "setup.xml"
    setup.write_text(f"""<?xml version="1.0" encoding="UTF-8" ?>
<OpenSimDocument Version="30000"><InverseDynamicsTool name="rajagopal">
<model_file>{RAJAGOPAL}</model_file><time_range> 0 1</time_range>
<forces_to_exclude> Muscles</forces_to_exclude><coordinates_file>{mot}</coordinates_file>
<lowpass_cutoff_frequency_for_coordinates>6</lowpass_cutoff_frequency_for_coordinates>
<output_gen_force_file>id.sto</output_gen_force_file>
</InverseDynamicsTool></OpenSimDocument>
""")
    reference = run_opensim("opensim_id_reference.py", setup, tmp_path / "opensim",
                            cwd=tmp_path)
    out = tmp_path / "ID.sto"
    assert main(["id", "--setup", str(setup), "--out", str(out)]) == 0
    assert "knee_angle_r_beta_force" in read_storage(out).columns
    error, column = worst_error(out, Path(reference["sto"]))
    print(f"Rajagopal: worst column {column}, {100 * error:.4f} % of its range")
    assert error < TOLERANCE, column
