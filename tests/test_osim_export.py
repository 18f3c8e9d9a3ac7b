"""Solutions of .osim models written for OpenSim: names, the whole stride, the GRF file."""
import dataclasses
import importlib.util
import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import PROBLEMS
from test_stride import half_cycle

import ocp
from ocp.data.files import read_tables
from ocp.osim.export import opensim_names, write_opensim_solution

READ_BACK = """
import json, sys, opensim as osim
out = {}
for path in sys.argv[1:]:
    t = osim.TimeSeriesTable(path)
    out[path] = {"labels": list(t.getColumnLabels()), "rows": t.getNumRows()}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    problem = ocp.load_problem(PROBLEMS / "moco_2d_walking_predictive.toml")
    step = half_cycle(problem)
    s = np.linspace(0, 1, len(step.time))
    names = [f"{q}_{side}" for side in "rl" for q in ("grf_x", "grf_y", "cop_x")]
    values = np.column_stack([np.sin(np.pi * s) * (k + 1) for k in range(len(names))])
    step = dataclasses.replace(step, outputs=values, output_names=names,
                               output_units=["N", "N", "m"] * 2)
    out = tmp_path_factory.mktemp("export") / "walk.sto"
    return problem, step, write_opensim_solution(step, problem, out)


def test_columns_carry_opensims_component_paths(written):
    problem, step, (states, grf) = written
    names = opensim_names(problem.model)
    assert names["hip_flexion_r"] == "/jointset/hip_r/hip_flexion_r/value"
    assert names["pelvis_tx_speed"] == "/jointset/groundPelvis/pelvis_tx/speed"
    assert names["soleus_r_activation"] == "/forceset/soleus_r/activation"
    assert names["soleus_r_excitation"] == "/forceset/soleus_r"
    assert names["reserve_lumbar"] == "/forceset/lumbarAct"
    table = next(iter(read_tables(states).values()))
    assert "/jointset/knee_r/knee_angle_r/value" in table.columns
    # the step is written as the whole stride: 2 P - 1 rows, returning to its start
    assert table.n_samples == 2 * len(step.time) - 1
    hip = table.column("/jointset/hip_r/hip_flexion_r/value")
    assert hip[-1] == pytest.approx(hip[0], abs=1e-12)


@pytest.mark.skipif(importlib.util.find_spec("opensim") is None, reason="opensim is not installed")
def test_opensim_reads_both_files_back(written):
    problem, step, (states, grf) = written
    assert grf.exists()
    forces = next(iter(read_tables(grf).values()))
    # the right foot's force in the second step is the left foot's in the first
    n = len(step.time)
    assert forces.column("ground_force_r_vy")[n:] == pytest.approx(step.output("grf_y_l")[1:])
    paths = [str(states), str(grf)]
    run = subprocess.run([sys.executable, "-c", READ_BACK, *paths], capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    read = json.loads(run.stdout.strip().splitlines()[-1])
    ours = next(iter(read_tables(states).values()))
    assert read[str(states)]["labels"] == list(ours.columns)
    assert read[str(states)]["rows"] == ours.n_samples
    assert np.isfinite(ours.values).all()
    assert "ground_force_l_vy" in read[str(grf)]["labels"]
