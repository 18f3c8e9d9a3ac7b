"""Run tests/opensim_model_values.py (OpenSim, in its own process) on a STATES.json.

Shared by tests/test_opensim_model_values.py and the comparisons of ``ocp models
--evaluate`` with OpenSim. Random states are drawn within each coordinate's range
(ranges read with ElementTree, so this module needs neither OpenSim nor casadi).
"""
from __future__ import annotations

import functools
import importlib.util
import json
import math
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MODELS3D = ROOT.parent / "shared" / "data" / "models3d"
GAIT2392 = MODELS3D / "gait2392_millard2012muscle.osim"
RAJAGOPAL = MODELS3D / "Rajagopal2016.osim"
FALISSE = MODELS3D / "Falisse_et_al_2022.osim"
HAS_OPENSIM = importlib.util.find_spec("opensim") is not None
#: Speeds whose velocity forces OpenSim gets wrong: Simbody's FunctionBased mobilizer
#: and Rajagopal's walker knee (tests/test_osim3d_opensim.py says how); held at zero.
SIMBODY_HDOT_APPROXIMATE = {RAJAGOPAL: ("knee_angle_r", "knee_angle_l")}


def opensim_values(model, states: dict, tmp_path: Path, *options: str) -> dict:
    """VALUES.json of OpenSim for ``states`` (a STATES.json dict); ``options`` such as
    "--body-kinematics" go to the script."""
    states_path, values_path = tmp_path / "states.json", tmp_path / "opensim_values.json"
    states_path.write_text(json.dumps(states))
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "opensim_model_values.py"),
                           str(model), str(states_path), str(values_path), *options],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(values_path.read_text())


def coordinate_ranges(model) -> dict:
    """{coordinate: (low, high)} from the file's <range> elements, in file order."""
    out = {}
    for c in ET.parse(model).getroot().iter("Coordinate"):
        if c.get("name") is None:
            continue
        low, high = (float(v) for v in c.findtext("range", "-1 1").split())
        out[c.get("name")] = (low, high)
    return out


def random_states(model, rng, count: int, translation_m=(-1.0, 1.0)) -> dict:
    """STATES.json: every coordinate uniform in its range (pelvis translations in
    ``translation_m``, ranges wider than 2 pi cut to [-pi, pi]), speeds ~ N(0, 1)."""
    ranges = coordinate_ranges(model)
    names = list(ranges)
    samples = []
    for _ in range(count):
        q = []
        for c in names:
            low, high = ranges[c]
            if c.startswith("pelvis_t") and c != "pelvis_tilt":
                low, high = translation_m
            elif high - low > 2 * math.pi:
                low, high = -math.pi, math.pi
            q.append(float(rng.uniform(low, high)))
        samples.append({"q": q, "u": [float(v) for v in rng.normal(size=len(names))]})
    return {"coordinates": names, "samples": samples}


@functools.cache
def reference_values(model) -> tuple:
    """(STATES.json dict, OpenSim's VALUES.json dict) of ``model``, computed once per test
    session: two random states (speeds of SIMBODY_HDOT_APPROXIMATE held at zero) and the
    first posture at rest."""
    states = random_states(model, np.random.default_rng(21), 2)
    for sample in states["samples"]:
        for c in SIMBODY_HDOT_APPROXIMATE.get(model, ()):
            sample["u"][states["coordinates"].index(c)] = 0.0
    states["samples"].append({"q": states["samples"][0]["q"],
                              "u": [0.0] * len(states["coordinates"])})
    with tempfile.TemporaryDirectory() as folder:
        return states, opensim_values(model, states, Path(folder))
