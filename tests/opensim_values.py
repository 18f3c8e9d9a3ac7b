"""Run tests/opensim_model_values.py (OpenSim, in its own process) on a STATES.json.

Shared by tests/test_opensim_model_values.py and the comparisons of ``ocp models
--evaluate`` with OpenSim. Random states are drawn within each coordinate's range
(ranges read with ElementTree, so this module needs neither OpenSim nor casadi).
"""
from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODELS3D = ROOT.parent / "shared" / "data" / "models3d"
GAIT2392 = MODELS3D / "gait2392_millard2012muscle.osim"
RAJAGOPAL = MODELS3D / "Rajagopal2016.osim"
FALISSE = MODELS3D / "Falisse_et_al_2022.osim"
HAS_OPENSIM = importlib.util.find_spec("opensim") is not None


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
