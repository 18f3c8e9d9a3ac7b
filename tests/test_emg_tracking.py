"""[emg]: EMG envelopes tracked with a scale per muscle estimated in the NLP.

The closed loop: the arm's muscle redundancy problem is solved once; EMG is
made from its excitations divided by known scales (and noise); the same
problem with ``[emg]`` must find the scales again. Noise-free, the scaled
EMG equals a feasible solution's excitations, so the scales come back to the
solver's tolerance; with 2 % noise of each envelope's peak, within 5 %.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from bad_input import refused_in_one_line, solve_args

from ocp.data.files import write
from ocp.data.tables import Table
from ocp.io.problem_file import problem_from_dict
from ocp.io.tables import read_toml
from ocp.solution import Solution
from ocp.solve import solve

ROOT = Path(__file__).resolve().parents[1]
ARM = ROOT / "problems" / "arm_muscle_redundancy.toml"
#: the scales the EMG is divided by (DELTant, DELTpost, BRA, TRIlat, BIClong, TRIlong)
TRUE_SCALES = (0.5, 2.0, 1.5, 0.8, 3.0, 1.2)


@pytest.fixture(scope="module")
def reference():
    """The arm's redundancy solution without EMG: (unique times, {muscle: excitation})."""
    solution = solve(problem_from_dict(read_toml(ARM), ARM))
    assert solution.success
    time, index = np.unique(solution.time, return_index=True)
    return time, {n[:-len("_excitation")]: solution.control(n)[index]
                  for n in solution.control_names if n.endswith("_excitation")}


def emg_file(folder: Path, reference, noise: float = 0.0, name="emg.sto") -> Path:
    """Envelopes = excitation / true scale (+ Gaussian noise, a fraction of the peak)."""
    time, excitations = reference
    rng = np.random.default_rng(0)
    columns = []
    for muscle, scale in zip(excitations, TRUE_SCALES):
        e = excitations[muscle] / scale
        columns.append(np.maximum(e + noise * e.max() * rng.standard_normal(e.size), 0.0))
    return write(folder / name, Table(time, np.column_stack(columns), tuple(excitations)))


def with_emg(emg: dict):
    data = read_toml(ARM)
    data["emg"] = emg
    return problem_from_dict(data, ARM)


def test_scales_of_noise_free_emg_are_recovered(tmp_path, reference):
    solution = solve(with_emg({"file": str(emg_file(tmp_path, reference)), "weight": 1000}))
    assert solution.success
    for (muscle, entry), truth in zip(solution.emg["muscles"].items(), TRUE_SCALES):
        assert entry["scale"] == pytest.approx(truth, rel=1e-4), muscle
        assert not entry["at_bound"]


def test_scales_of_noisy_emg_are_recovered_within_5_percent(tmp_path, reference):
    path = emg_file(tmp_path, reference, noise=0.02)
    solution = solve(with_emg({"file": str(path), "weight": 1000}))
    assert solution.success
    for (muscle, entry), truth in zip(solution.emg["muscles"].items(), TRUE_SCALES):
        assert entry["scale"] == pytest.approx(truth, rel=0.05), muscle
    # the report survives a save and is drawn beside the activations
    solution.save(tmp_path / "out")
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["emg"]["muscles"]["BRA"]["scale"] == solution.emg["muscles"]["BRA"]["scale"]
    assert Solution.load(tmp_path / "out").emg == summary["emg"]
    from ocp.io.plotting import plot_solution
    assert tmp_path / "plots" / "muscles.png" in plot_solution(solution, tmp_path / "plots")


def test_a_scale_held_by_its_bound_is_reported(tmp_path, reference):
    path = emg_file(tmp_path, reference)
    solution = solve(with_emg({"file": str(path), "weight": 1000,
                               "scale_bounds": {"BIClong": [0.1, 2.0]}}))
    entry = solution.emg["muscles"]["BIClong"]
    assert entry["scale"] == pytest.approx(2.0, abs=1e-6) and entry["at_bound"]
    assert any("EMG scale of BIClong" in w for w in solution.warnings)


@pytest.mark.parametrize("edit, words", [
    (lambda t: t.__class__(t.time_s, t.values, ("DELTant", "DELTpost", "BRA", "TRIlat",
                                                 "BICEPS", "TRIlong")),
     ["emg.file", "BICEPS", "not a muscle", "BIClong"]),
    (lambda t: t.__class__(t.time_s[:len(t.time_s) // 2], t.values[:len(t.time_s) // 2],
                           t.columns), ["emg.file", "covers", "not the problem's"]),
    (lambda t: t.__class__(t.time_s, np.where(np.arange(t.values.size).reshape(
        t.values.shape) == 7, -0.1, t.values), t.columns),
     ["emg.file", "'DELTpost'", "-0.1", "non-negative"]),
])
def test_bad_emg_is_refused_in_one_line(tmp_path, reference, capsys, no_solve, edit, words):
    from ocp.data.files import read
    path = emg_file(tmp_path, reference)
    write(path, edit(read(path)))
    problem = tmp_path / "problem.toml"
    problem.write_text(ARM.read_text().replace('"data/arm_kinematics.csv"',
                                               f'"{ARM.parent / "data/arm_kinematics.csv"}"')
                       + f'\n[emg]\nfile = "{path}"\n')
    refused_in_one_line(solve_args(problem), words, capsys)


@pytest.mark.parametrize("emg, key", [
    ({"scale_bounds": [0, 2]}, "emg.scale_bounds"),
    ({"signal": "force"}, "emg.signal"),
    ({"columns": {"biceps": "BRA"}}, "emg.columns.biceps"),
    ({"columns": {"BRA": "brachialis"}}, "emg.columns.BRA"),
])
def test_bad_emg_keys_are_named(tmp_path, reference, emg, key):
    from ocp.errors import ProblemError
    with pytest.raises(ProblemError) as caught:
        with_emg({"file": str(emg_file(tmp_path, reference)), **emg})
    assert caught.value.key == key
