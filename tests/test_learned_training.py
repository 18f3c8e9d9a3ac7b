"""Training: seeds, early stopping, checkpoints and the ``ocp train`` command, on tiny nets."""
import json
import math

import casadi as ca
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ocp  # noqa: E402
from learned_components.checkpoint import load_checkpoint  # noqa: E402
from learned_components.datasets import muscle_geometry_data  # noqa: E402
from learned_components.training import TrainOptions, errors, predict, train_network  # noqa: E402
from ocp.cli import main  # noqa: E402
from ocp.models.contact import ContactSphere, normal_force  # noqa: E402
from ocp.models.surrogate import SurrogateMismatch, learned_normal_force, load_surrogate  # noqa: E402

RANGES = {"shoulder": (math.radians(-30), math.radians(150)),
          "elbow": (math.radians(10), math.radians(150))}
TINY = TrainOptions(epochs=0, lbfgs_steps=5, derivative_weight=1.0, patience=5)


@pytest.fixture(scope="module")
def data():
    return muscle_geometry_data(ocp.build_model("six_muscle_arm"), RANGES, 300, seed=0)


def test_geometry_data_are_the_analytic_lengths_and_minus_moment_arms(data):
    model = ocp.build_model("six_muscle_arm")
    for k in (0, 17, 299):
        lengths, arms = model.geometry(data.inputs[k])
        np.testing.assert_allclose(data.outputs[k], np.array(lengths).ravel(), atol=1e-15)
        np.testing.assert_allclose(data.derivatives[k], -np.array(arms).T, atol=1e-15)
    lo, hi = np.array(list(RANGES.values())).T
    assert np.all(data.inputs >= lo) and np.all(data.inputs <= hi)


def test_same_seed_gives_the_same_network_and_another_seed_another(data):
    a = train_network(data, (8,), "tanh", TINY)
    b = train_network(data, (8,), "tanh", TINY)
    c = train_network(data, (8,), "tanh", TrainOptions(**{**TINY.__dict__, "seed": 1}))
    for (wa, ba), (wb, bb) in zip(a.module.weights()["layers"], b.module.weights()["layers"]):
        assert np.array_equal(wa, wb) and np.array_equal(ba, bb)
    assert not np.array_equal(a.module.weights()["layers"][0][0],
                              c.module.weights()["layers"][0][0])
    assert set(a.train_index).isdisjoint(a.validation_index)
    assert len(a.validation_index) == 60  # 20 % of 300


def test_a_few_lbfgs_steps_fit_lengths_to_a_millimetre(data):
    trained = train_network(data, (8,), "tanh", TINY)
    e = errors(trained.module, data, trained.validation_index)
    assert e["rms_error"] < 1e-3            # m, after 100 L-BFGS iterations
    assert e["derivative_rms_error"] < 5e-3  # moment arms, m


def test_early_stopping_stops_and_keeps_the_best_validation_weights(data):
    # a learning rate far too large makes Adam diverge after its first steps
    options = TrainOptions(epochs=300, learning_rate=5.0, patience=10)
    trained = train_network(data, (8,), "tanh", options)
    h = trained.history
    assert h.stopped_early and len(h.train_loss) < 300
    assert h.best_validation_loss == min(h.validation_loss)
    # the module holds the best weights, not the last ones
    val = data.subset(trained.validation_index)
    std = trained.module.output_std.numpy()
    loss = np.mean(((predict(trained.module, val.inputs) - val.outputs) / std) ** 2)
    assert loss == pytest.approx(h.best_validation_loss, rel=1e-9)


def test_normalisation_uses_the_training_statistics(data):
    trained = train_network(data, (8,), "tanh", TINY)
    x = data.inputs[trained.train_index]
    np.testing.assert_allclose(trained.module.input_mean.numpy(), x.mean(axis=0))
    np.testing.assert_allclose(trained.module.input_std.numpy(), x.std(axis=0))


GEOMETRY_SPEC = """
component = "muscle_geometry"
out = "arm"
[model]
name = "six_muscle_arm"
[inputs]
shoulder = ["-30 deg", "150 deg"]
elbow = ["10 deg", "150 deg"]
[data]
samples = 300
[network]
hidden = [8]
[training]
epochs = 20
lbfgs_steps = 5
derivative_weight = 1.0
"""


def test_ocp_train_writes_a_checkpoint_and_an_export_that_agree(tmp_path, capsys):
    spec = tmp_path / "arm.train.toml"
    spec.write_text(GEOMETRY_SPEC)
    assert main(["train", str(spec), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "moment arm RMS" in out and "20 Adam epochs + 5 L-BFGS steps" in out
    checkpoint = load_checkpoint(tmp_path / "arm.pt", "muscle_geometry")
    surrogate = load_surrogate(tmp_path / "arm.casadi", "muscle_geometry")
    meta = json.loads((tmp_path / "arm.json").read_text())
    assert meta["muscles"] == ["DELTant", "DELTpost", "BRA", "TRIlat", "BIClong", "TRIlong"]
    assert meta["inputs"][1]["range"] == pytest.approx([math.radians(10), math.radians(150)])
    assert meta["training"]["samples"] == 300
    q = np.array([[0.1, 1.2], [2.0, 0.5]])
    expected = predict(checkpoint.networks[0], q)
    got = np.array(surrogate.function.map(2)(q.T)[0]).T
    np.testing.assert_allclose(got, expected, atol=1e-10, rtol=0)
    # the export drops into the reach with one key, trained for a few seconds or not
    problem = ocp.load_problem(
        __import__("conftest").PROBLEMS / "arm_reach_muscles.toml",
        {"model.geometry": str(tmp_path / "arm.casadi")})
    assert problem.model.surrogates["geometry"].path == tmp_path / "arm.casadi"


CONTACT_SPEC = """
component = "contact_normal_force"
[sphere]
radius_m = 0.035
[inputs]
indentation = ["-2 cm", "2 cm"]
indentation_speed = ["-1 m/s", "1 m/s"]
[data]
samples = 400
[network]
hidden = [16, 16]
[training]
epochs = 0
lbfgs_steps = 10
"""


def test_contact_surrogate_follows_the_hunt_crossley_force(tmp_path):
    spec = tmp_path / "heel.train.toml"
    spec.write_text(CONTACT_SPEC)
    assert main(["train", str(spec), "--quiet"]) == 0
    surrogate = load_surrogate(tmp_path / "heel.casadi", "contact_normal_force")
    sphere = ContactSphere("heel", "foot", (0.0, 0.0), 0.035)
    d, v = np.meshgrid(np.linspace(-0.02, 0.02, 21), np.linspace(-1, 1, 21))
    x = np.vstack([d.ravel(), v.ravel()])
    learned = np.array(surrogate.function.map(x.shape[1])(x)).ravel()
    exact = np.array([float(normal_force(sphere, a, b)) for a, b in x.T])
    # a tiny net after 200 iterations: within 2 % of the peak force (about 2900 N)
    assert np.sqrt(np.mean((learned - exact) ** 2)) < 0.02 * exact.max()
    assert surrogate.metadata["sphere"]["radius_m"] == 0.035
    # a stand-in for normal_force(sphere, d, v), also for a smaller (toe) sphere: the
    # Hertz force scales with sqrt(radius), so the same network serves both
    learned_force = learned_normal_force(surrogate)
    toe = ContactSphere("toe", "foot", (0.0, 0.0), 0.015)
    for each in (sphere, toe):
        got = np.array([float(learned_force(each, a, b)) for a, b in x.T[::7]])
        exact = np.array([float(normal_force(each, a, b)) for a, b in x.T[::7]])
        assert np.sqrt(np.mean((got - exact) ** 2)) < 0.02 * 2900 * np.sqrt(
            each.radius_m / 0.035)
    stiffer = ContactSphere("heel", "foot", (0.0, 0.0), 0.035, stiffness_N_m2=4e6)
    with pytest.raises(SurrogateMismatch, match="stiffness_N_m2 = 4000000.0"):
        learned_force(stiffer, 0.01, 0.0)
    # friction does not enter the normal force: another coefficient is accepted
    slippery = ContactSphere("heel", "foot", (0.0, 0.0), 0.035, dynamic_friction=0.3)
    assert float(learned_force(slippery, 0.01, 0.0)) == float(learned_force(sphere, 0.01, 0.0))


def test_exported_function_is_differentiable_twice_in_casadi(tmp_path):
    spec = tmp_path / "arm.train.toml"
    spec.write_text(GEOMETRY_SPEC)
    assert main(["train", str(spec), "--quiet"]) == 0
    f = load_surrogate(tmp_path / "arm.casadi").function
    q = ca.SX.sym("q", 2)
    lengths, _ = f(q)
    hessian = ca.Function("H", [q], [ca.hessian(ca.sum1(lengths), q)[0]])
    value = np.array(hessian([0.3, 1.0]))
    assert np.all(np.isfinite(value)) and np.allclose(value, value.T)


def test_progress_prints_lines_every_tenth_when_not_a_terminal():
    import io

    from learned_components.training import Progress
    stream = io.StringIO()
    progress = Progress(100, "training", stream=stream)
    for step in range(1, 101):
        progress.update(step, 1.0 / step, 2.0 / step, 2.0 / step)
    progress.close("done")
    lines = stream.getvalue().splitlines()
    assert 10 <= len(lines) <= 12 and lines[-1] == "done"
    assert lines[0].startswith("training      1/100  train 1.000e+00  validation 2.000e+00")
