"""Bad learned components: clear messages naming the file and key, never a traceback."""
import hashlib
import json
import math
import shutil
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import PROBLEMS

import ocp
from ocp.cli import main
from ocp.models.surrogate import SurrogateRangeWarning, load_surrogate, range_messages

SHIPPED = PROBLEMS / "surrogates" / "six_muscle_arm_geometry"
REACH = PROBLEMS / "arm_reach_muscles.toml"


@pytest.fixture
def copy(tmp_path):
    """A copy of the shipped surrogate (.casadi and .json) in tmp_path."""
    for suffix in (".casadi", ".json"):
        shutil.copy(SHIPPED.with_suffix(suffix), tmp_path / f"geometry{suffix}")
    return tmp_path / "geometry.casadi"


def load_with(path, **more):
    return ocp.load_problem(REACH, {"model.geometry": str(path), **more})


def test_corrupt_surrogate_is_caught_by_its_checksum(copy):
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0x01                     # one flipped bit
    copy.write_bytes(bytes(data))
    with pytest.raises(ocp.ProblemError) as info:
        load_with(copy)
    message = str(info.value)
    assert info.value.key == "model.geometry" and "geometry.casadi" in message
    assert "corrupt or replaced" in message and "SHA-256" in message


def test_unreadable_surrogate_with_a_matching_checksum_says_casadi_cannot_read_it(copy):
    copy.write_bytes(b"not a casadi function\n")
    meta_path = copy.with_suffix(".json")
    meta = json.loads(meta_path.read_text())
    meta["sha256"] = hashlib.sha256(copy.read_bytes()).hexdigest()
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(ocp.ProblemError, match="CasADi cannot read it, the file is corrupt"):
        load_surrogate(copy)


def test_surrogate_without_metadata_is_refused(copy):
    copy.with_suffix(".json").unlink()
    with pytest.raises(ocp.ProblemError, match="no metadata file 'geometry.json'"):
        load_with(copy)


def test_metadata_that_is_not_json_is_reported_as_corrupt(copy):
    copy.with_suffix(".json").write_text('{"format": "ocp-surrogate", ')
    with pytest.raises(ocp.ProblemError, match="not valid JSON"):
        load_surrogate(copy)


def test_missing_surrogate_file_names_the_key():
    with pytest.raises(ocp.ProblemError) as info:
        load_with("surrogates/none.casadi")
    assert info.value.key == "model.geometry" and "does not exist" in str(info.value)


def test_surrogate_trained_for_other_muscles_is_refused(copy):
    with pytest.raises(ocp.ProblemError) as info:
        load_with(copy, **{"model.remove_muscles": ["BIClong"]})
    message = str(info.value)
    assert info.value.key == "model.geometry"
    assert "trained for ['BIClong'] that the model lacks" in message


def test_surrogate_of_another_geometry_is_refused_with_the_discrepancy(copy):
    # the anterior deltoid given another length function (a moment arm of 4 cm, not 3)
    polynomial = [[0.2, {}], [-0.04, {"shoulder": 1}]]
    with pytest.raises(ocp.ProblemError) as info:
        load_with(copy, **{"model.muscles.DELTant.length_polynomial": polynomial})
    message = str(info.value)
    assert info.value.key == "model.geometry"
    assert "trained on another geometry: the length of 'DELTant' differs" in message
    assert "mm at shoulder" in message
    # a longer upper arm is the same geometry: the elbow muscles' points ride on the
    # segments around the elbow, so the surrogate still fits and is accepted
    load_with(copy, **{"model.parameters.upper_arm_length_m": 0.33})


def test_surrogate_of_another_component_is_refused(copy):
    meta_path = copy.with_suffix(".json")
    meta = json.loads(meta_path.read_text())
    meta["component"] = "contact_normal_force"
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(ocp.ProblemError, match="'contact_normal_force' surrogate; expected "
                                               "a 'muscle_geometry'"):
        load_with(copy)


def test_geometry_key_on_a_model_without_muscles_is_refused(copy):
    with pytest.raises(ocp.ProblemError) as info:
        ocp.load_problem(PROBLEMS / "arm_reach_torque.toml", {"model.geometry": str(copy)})
    assert info.value.key == "model.geometry" and "has no muscles" in str(info.value)


def test_cli_prints_one_line_for_a_corrupt_surrogate(copy, tmp_path):
    copy.write_bytes(copy.read_bytes()[:1000])
    result = subprocess.run([sys.executable, "-m", "ocp", "solve", str(REACH), "--set",
                             f'model.geometry="{copy}"', "--out", str(tmp_path / "out")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and "corrupt or replaced" in result.stderr


def fake_solution(**states):
    names = list(states)
    return SimpleNamespace(state_names=names, control_names=[], output_names=[],
                           state=lambda n: np.asarray(states[n]), control=None, output=None)


def test_range_messages_give_the_range_and_the_amount_outside():
    surrogate = load_surrogate(SHIPPED.with_suffix(".casadi"))
    solution = fake_solution(shoulder=np.radians([0.0, 40.0, 163.5]),
                             elbow=np.radians([5.0, 90.0, 100.0]))
    messages = range_messages({"geometry": surrogate}, solution)
    assert len(messages) == 2
    assert "'shoulder' in [-30 deg, 150 deg]" in messages[0]
    assert "reaches 163.5 deg, 13.5 deg above that range" in messages[0]
    assert "'elbow' in [10 deg, 150 deg]" in messages[1]
    assert "reaches 5 deg, 5 deg below that range" in messages[1]
    inside = fake_solution(shoulder=np.radians([0.0, 150.0]), elbow=np.radians([10.0, 20.0]))
    assert range_messages({"geometry": surrogate}, inside) == []


def test_solve_outside_the_training_range_warns_and_records_it(tmp_path):
    # start the reach at shoulder -40 deg, 10 deg below the surrogate's range
    overrides = {"model.geometry": str(SHIPPED.with_suffix(".casadi")),
                 "bounds.shoulder": ["-60 deg", "150 deg"], "initial.shoulder": "-40 deg",
                 "transcription.intervals": 10}
    problem = ocp.load_problem(REACH, overrides)
    with pytest.warns(SurrogateRangeWarning, match="reaches -40 deg, 10 deg below"):
        solution = ocp.solve(problem)
    assert solution.extra["warnings"] and "shoulder" in solution.extra["warnings"][0]
    solution.save(tmp_path / "out")
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["warnings"] == solution.extra["warnings"]


def test_cli_solve_report_shows_the_range_warning_once(tmp_path, capsys):
    args = ["solve", str(REACH), "--quiet", "--out", str(tmp_path / "out"),
            "--set", f'model.geometry="{SHIPPED.with_suffix(".casadi")}"',
            "--set", 'bounds.shoulder=["-60 deg", "150 deg"]',
            "--set", 'initial.shoulder="-40 deg"', "--set", "transcription.intervals=10"]
    main(args)
    captured = capsys.readouterr()
    assert captured.out.count("warning      the geometry surrogate") == 1
    assert "SurrogateRangeWarning" not in captured.err


# -- checkpoints and training specifications (need torch) ---------------------------

def test_corrupt_checkpoint_gives_a_problem_error(tmp_path):
    pytest.importorskip("torch")
    from learned_components.checkpoint import load_checkpoint
    path = tmp_path / "truncated.pt"
    path.write_bytes(SHIPPED.with_suffix(".pt").read_bytes()[:500])
    with pytest.raises(ocp.ProblemError, match="corrupt or truncated") as info:
        load_checkpoint(path)
    assert info.value.file == str(path)
    (tmp_path / "text.pt").write_text("hello")
    with pytest.raises(ocp.ProblemError, match="not a readable checkpoint"):
        load_checkpoint(tmp_path / "text.pt")


def test_checkpoint_for_other_inputs_or_outputs_is_refused():
    pytest.importorskip("torch")
    from learned_components.checkpoint import load_checkpoint
    path = SHIPPED.with_suffix(".pt")
    assert load_checkpoint(path, "muscle_geometry", ["shoulder", "elbow"]).networks
    with pytest.raises(ocp.ProblemError, match=r"inputs \['shoulder', 'elbow'\] do not match"):
        load_checkpoint(path, inputs=["hip", "knee"])
    with pytest.raises(ocp.ProblemError, match="outputs .* do not match"):
        load_checkpoint(path, outputs=["BRA_length"])
    with pytest.raises(ocp.ProblemError, match="'muscle_geometry' component; expected"):
        load_checkpoint(path, "contact_normal_force")


def test_checkpoint_whose_weights_do_not_fit_its_architecture(tmp_path):
    torch = pytest.importorskip("torch")
    from learned_components.checkpoint import load_checkpoint
    payload = torch.load(SHIPPED.with_suffix(".pt"), weights_only=True)
    payload["networks"][0]["architecture"]["hidden"] = [17]
    torch.save(payload, tmp_path / "bad.pt")
    with pytest.raises(ocp.ProblemError, match="do not fit the recorded architecture"):
        load_checkpoint(tmp_path / "bad.pt")


SPEC = """
component = "muscle_geometry"
[model]
name = "six_muscle_arm"
[inputs]
shoulder = ["-30 deg", "150 deg"]
elbow = ["10 deg", "150 deg"]
"""


@pytest.mark.parametrize("change, key, fragment", [
    ('[network]\nactivation = "relu"\n', "network.activation", "'relu' is not one of"),
    ('[training]\nepocs = 10\n', "training.epocs", "did you mean 'epochs'"),
    ('[data]\nsamples = "many"\n', "data.samples", "expected an integer"),
    ('[network]\nhidden = [0]\n', "network.hidden", "positive layer widths"),
    ('[training]\nensemble = 3\n', "data.noise", "learns the noise of its data"),
])
def test_bad_training_specs_name_the_key(tmp_path, change, key, fragment):
    pytest.importorskip("torch")
    from learned_components.spec import load_spec
    path = tmp_path / "spec.toml"
    path.write_text(SPEC + change)
    with pytest.raises(ocp.ProblemError) as info:
        load_spec(path)
    assert info.value.key == key and fragment in str(info.value)
    assert info.value.file == str(path)


def test_spec_without_an_input_range_says_which(tmp_path):
    pytest.importorskip("torch")
    from learned_components.spec import load_spec
    path = tmp_path / "spec.toml"
    path.write_text(SPEC.replace('elbow = ["10 deg", "150 deg"]\n', ""))
    with pytest.raises(ocp.ProblemError, match="missing elbow"):
        load_spec(path)
    path.write_text(SPEC.replace('"10 deg", "150 deg"', '"150 deg", "10 deg"'))
    with pytest.raises(ocp.ProblemError, match="finite lower < upper"):
        load_spec(path)


def test_ocp_train_without_torch_says_how_to_install_it(tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC)
    code = """
import importlib.abc, sys
class NoTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] == "torch":
            raise ImportError("No module named 'torch'")
sys.meta_path.insert(0, NoTorch())
from ocp.cli import main
sys.exit(main(["train", sys.argv[1]]))
"""
    result = subprocess.run([sys.executable, "-c", code, str(spec)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "needs PyTorch" in result.stderr and 'pip install "ocp-movement[learned]"' in \
        result.stderr


def test_range_of_the_shipped_surrogate_is_the_reach_bounds():
    surrogate = load_surrogate(SHIPPED.with_suffix(".casadi"))
    ranges = {i["name"]: i["range"] for i in surrogate.inputs}
    assert ranges["shoulder"] == pytest.approx([math.radians(-30), math.radians(150)])
    assert ranges["elbow"] == pytest.approx([math.radians(10), math.radians(150)])
