"""Bad input that reaches the learned components is one line naming the file, not a
traceback (issue #24).

These used to be plain ValueErrors raised inside ``learned_components``: a graph
network for a model with a sliding joint (found after the whole training, when
the network was exported onto the model's tree), too few samples to keep any for
training, and a muscle that crosses no coordinate of a neural geometry fit. Now
they are ProblemErrors, found when the specification is read where they can be,
and ``ocp train`` and ``geometry = "neural"`` name the file they come from.
"""
from __future__ import annotations

import numpy as np
import pytest
from bad_input import refused_in_one_line

import ocp

torch = pytest.importorskip("torch")

GRAPH_SPEC = """
component = "tree_dynamics"
[network]
architecture = "graph"
target = "forward_dynamics"
[model]
name = "sliding_mass"
[training]
epochs = 400
"""
GEOMETRY_SPEC = """
component = "muscle_geometry"
[model]
name = "six_muscle_arm"
[inputs]
shoulder = ["-30 deg", "150 deg"]
elbow = ["10 deg", "150 deg"]
[data]
samples = 10
validation_fraction = 0.96
"""


@pytest.fixture
def no_training(monkeypatch):
    """Training that fails the test if the bad input reaches it."""
    def train(*args, **kwargs):
        pytest.fail("the bad specification reached the training")
    monkeypatch.setattr("learned_components.train.train_from_spec", train)


@pytest.mark.parametrize("spec, words", [
    (GRAPH_SPEC, ["spec.toml", "key 'model.name'", "model 'sliding_mass'",
                  "segment 'block'", "revolute joints", "prismatic"]),
    (GEOMETRY_SPEC, ["spec.toml", "key 'data.validation_fraction'", "10 samples are too few",
                     "keeps 10"]),
], ids=["graph-network-on-a-sliding-joint", "no-sample-left-to-train"])
def test_a_bad_training_spec_is_refused_before_training(spec, words, tmp_path, capsys,
                                                         no_training):
    path = tmp_path / "spec.toml"
    path.write_text(spec)
    refused_in_one_line(["train", str(path)], words, capsys)


def test_errors_inside_the_learned_components_are_problem_errors():
    from learned_components.osim_geometry import muscle_groups
    from learned_components.training import split
    from learned_components.tree_data import tree_of_model
    from ocp.models.library import build_model
    with pytest.raises(ocp.ProblemError, match="10 samples are too few"):
        split(10, 0.96, 0)
    with pytest.raises(ocp.ProblemError, match="not a prismatic joint"):
        tree_of_model(build_model("sliding_mass").tree)
    arms = np.zeros((5, 2, 1))  # (samples, coordinates, muscles): never a moment arm
    with pytest.raises(ocp.ProblemError, match="muscle 'idle' crosses no coordinate"):
        muscle_groups(arms, ["idle"])


def test_ocp_train_names_its_spec_for_an_error_found_while_training(tmp_path, capsys,
                                                                    monkeypatch):
    path = tmp_path / "spec.toml"
    path.write_text(GEOMETRY_SPEC.replace("samples = 10\nvalidation_fraction = 0.96\n", ""))

    def train(spec, progress=True):
        raise ocp.ProblemError("muscle 'BRA' crosses no coordinate over the fitted ranges")
    monkeypatch.setattr("learned_components.train.train_from_spec", train)
    refused_in_one_line(["train", str(path)], [str(path), "muscle 'BRA'"], capsys)


def test_a_neural_geometry_fit_names_the_osim_file(tmp_path, monkeypatch):
    import types

    import ocp.osim.neural_geometry as neural
    osim = tmp_path / "arm.osim"
    osim.write_text("<OpenSimDocument/>")

    def fit(*args, **kwargs):
        from learned_components.osim_geometry import muscle_groups
        muscle_groups(np.zeros((5, 1, 1)), ["idle"])
    monkeypatch.setattr(neural, "load_plugin",
                        lambda *a: types.SimpleNamespace(fit_neural_geometry=fit))
    with pytest.raises(ocp.ProblemError, match="crosses no coordinate") as info:
        neural.neural_geometry(osim, None, ["q"], ["rad"], ["idle"], {"q": (0.0, 1.0)},
                               model_name="arm", cache=tmp_path)
    assert info.value.file == str(osim)
    assert str(info.value).startswith(f"{osim}: muscle 'idle'")
