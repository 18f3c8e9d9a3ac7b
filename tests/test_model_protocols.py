"""Models declare what they are (ocp.models.protocols), are immutable, and change by replace().

Each built-in model kind, a model read from an .osim file and the wrappers
satisfy a closed list of capability protocols; replace() returns a new model
whose dynamics follow the change while the original's stay the same numbers;
and capability probes (getattr/hasattr on a capability name) are gone from the
engine and the features.
"""
import ast
import copy
import dataclasses
from pathlib import Path

import numpy as np
import pytest
from osim_pendulum import pendulum_osim

from ocp.causal.interventions import IntervenedModel, LockJoint, SetSignal
from ocp.estimation import model_numbers, with_values
from ocp.models import MODEL_KINDS, CustomModel
from ocp.models.learned_activation import learned_activation
from ocp.models.library import (
    build_model,
    default_muscles,
    is_muscle_model,
    model_names,
    parameter_names,
)
from ocp.models.protocols import (
    CAPABILITY_NAMES,
    ContactModel,
    DiscreteStepModel,
    LearnableDynamicsModel,
    MuscleModel,
    OsimModel,
    RestConditionsModel,
    SurrogateModel,
    TreeModel,
    WrapperModel,
    capabilities,
)
from ocp.osim import build_osim_model

ROOT = Path(__file__).resolve().parents[1]
GAIT2D_OSIM = ROOT / "problems" / "data" / "gait2d" / "2D_gait.osim"
GRU = ROOT / "problems" / "surrogates" / "emg_activation_gru.casadi"

TORQUE_DRIVEN = {TreeModel, ContactModel, SurrogateModel, LearnableDynamicsModel}
MUSCLE_DRIVEN = {TreeModel, ContactModel, MuscleModel, SurrogateModel}
#: model kind -> the protocols it satisfies, no more, no fewer
EXPECTED = {
    "pendulum": TORQUE_DRIVEN,
    "double_pendulum": TORQUE_DRIVEN,
    "acrobot": TORQUE_DRIVEN,
    "triple_pendulum": TORQUE_DRIVEN,
    "two_link_arm": TORQUE_DRIVEN,
    "sliding_mass": TORQUE_DRIVEN,
    "gait2d_torque": TORQUE_DRIVEN,
    "six_muscle_arm": MUSCLE_DRIVEN,
}


def dynamics_at_a_fixed_state(model) -> np.ndarray:
    """x' (nx, 1) at x = linspace(0.1, 0.9), u = linspace(0.1, 0.9)."""
    x = np.linspace(0.1, 0.9, model.nx)
    u = np.linspace(0.1, 0.9, model.nu)
    return np.array(model.dynamics_function()(x, u))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_built_in_model_satisfies_exactly_its_protocols(name):
    assert set(capabilities(build_model(name))) == EXPECTED[name]


def test_every_registered_kind_has_an_expected_list():
    assert set(model_names()) == set(EXPECTED)


def test_models_read_from_osim_files_are_osim_models(tmp_path):
    path = tmp_path / "bar.osim"
    path.write_text(pendulum_osim())
    assert set(capabilities(build_osim_model(path))) == TORQUE_DRIVEN | {OsimModel}
    gait = build_osim_model(GAIT2D_OSIM)
    assert set(capabilities(gait)) == MUSCLE_DRIVEN | {OsimModel}
    assert gait.geometry_method == "exact" and gait.geometry_fit == ()


def test_wrappers_declare_what_they_wrap():
    arm = build_model("six_muscle_arm")
    gru = learned_activation(arm, GRU)
    assert set(capabilities(gru)) == MUSCLE_DRIVEN | {WrapperModel, DiscreteStepModel,
                                                      RestConditionsModel}
    assert gru.tree is arm.tree and gru.muscles == arm.muscles
    assert set(gru.surrogates) == {"activation"}
    signal = SetSignal("BRA_excitation", 0.2)
    assert set(capabilities(IntervenedModel(arm, signals=[signal]))) == \
        {TreeModel, MuscleModel, WrapperModel}
    pendulum = build_model("pendulum")
    locked = IntervenedModel(pendulum, locks=[LockJoint("pendulum", 0.3)])
    assert set(capabilities(locked)) == {TreeModel, WrapperModel}
    assert type(copy.copy(locked)) is type(locked)
    custom = CustomModel("decay", ["x"], ["u"], lambda x, u, p: -x + u)
    assert capabilities(custom) == ()
    assert set(capabilities(IntervenedModel(custom))) == {WrapperModel}



def at_time(model, expression, x, u, t) -> np.ndarray:
    """``expression(x, u, t)`` (a function of CasADi symbols) at numbers x, u, t."""
    import casadi as ca
    xs, us, ts = ca.SX.sym("x", model.nx), ca.SX.sym("u", model.nu), ca.SX.sym("t")
    f = ca.Function("f", [xs, us, ts], [expression(xs, us, ts)])
    return np.array(f(x, u, t)).ravel()


def test_wrappers_pass_the_time_on_to_their_base():
    """A non-autonomous base (x' = u + sin t, output 1 - cos t) keeps seeing the real
    time through a do() intervention; a learned activation passes it on as well."""
    import casadi as ca
    pushed = CustomModel("pushed", ["x"], ["u"], lambda x, u, p, t: ca.vertcat(u[0] + ca.sin(t)),
                         outputs=lambda x, u, p, t: {"drift": 1 - ca.cos(t)})
    wrapped = IntervenedModel(pushed, signals=[SetSignal("u", 0.5)])
    assert wrapped.time_dependent and not IntervenedModel(build_model("pendulum")).time_dependent
    for t in (0.0, 1.0, 2.5):
        assert at_time(wrapped, wrapped.dynamics_at, 0.3, 9.0, t) == \
            pytest.approx(0.5 + np.sin(t), rel=1e-15)
        drift = at_time(wrapped, lambda x, u, t: wrapped.outputs_at(x, u, t)["drift"],
                        0.3, 9.0, t)
        assert drift == pytest.approx(1 - np.cos(t), rel=1e-15)
    arm = build_model("six_muscle_arm")

    class PushedArm(type(arm)):  # every rate of the arm plus t, an output "clock" = t
        time_dependent = True

        def dynamics_at(self, x, u, t):
            return self.dynamics(x, u) + t

        def outputs_at(self, x, u, t):
            return {**self.outputs(x, u), "clock": t}

    gru = learned_activation(PushedArm(**arm.arguments()), GRU)
    assert gru.time_dependent and not learned_activation(arm, GRU).time_dependent
    x, u = np.linspace(0.1, 0.9, gru.nx), np.linspace(0.1, 0.9, gru.nu)
    moved = at_time(gru, lambda x, u, t: gru.dynamics_at(x, u, t) - gru.dynamics(x, u),
                    x, u, 0.7)
    rows = [i for i, n in enumerate(gru.state_names)
            if i < arm.nx and not n.endswith("_activation")]
    assert np.allclose(moved[rows], 0.7, rtol=0, atol=1e-12)
    others = [i for i in range(gru.nx) if i not in rows]  # discrete: activations, hidden
    assert others and np.all(moved[others] == 0.0)
    assert at_time(gru, lambda x, u, t: gru.outputs_at(x, u, t)["clock"], x, u, 0.7) == 0.7


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_replace_returns_a_new_model_and_leaves_the_original_unchanged(name):
    model = build_model(name)
    before = dynamics_at_a_fixed_state(model)
    first = model.tree.segments[-1]
    heavier = dataclasses.replace(first, mass_kg=2.0 * first.mass_kg + 1.0)
    tree = dataclasses.replace(model.tree, segments=model.tree.segments[:-1] + (heavier,))
    new = model.replace(tree=tree)
    assert new is not model and type(new) is type(model)
    assert new.tree is tree and model.tree is not tree
    assert not np.allclose(dynamics_at_a_fixed_state(new), before)
    assert np.array_equal(dynamics_at_a_fixed_state(model), before)


def test_models_cannot_be_changed_after_they_are_built():
    model = build_model("pendulum")
    with pytest.raises(AttributeError, match="immutable"):
        model.tree = None
    with pytest.raises(AttributeError, match="immutable"):
        del model.contacts
    with pytest.raises(TypeError, match="replace"):
        model.replace(no_such_argument=1.0)


def test_estimated_values_give_a_new_model(tmp_path):
    model = build_model("six_muscle_arm")
    before = dynamics_at_a_fixed_state(model)
    name = "muscle.BRA.max_isometric_force"
    new = with_values(model, {name: 2.0 * model_numbers(model)[name].value})
    assert new is not model
    assert model_numbers(new)[name].value == 2.0 * model_numbers(model)[name].value
    assert np.array_equal(dynamics_at_a_fixed_state(model), before)
    wrapped = learned_activation(model, GRU)
    rebuilt = with_values(wrapped, {name: 1000.0})
    assert rebuilt.base is not model and model_numbers(rebuilt)[name].value == 1000.0
    assert model_numbers(wrapped)[name].value == model_numbers(model)[name].value


def test_learned_dynamics_give_a_new_model():
    from ocp.models.surrogate import TREE_DYNAMICS, load_surrogate
    model = build_model("double_pendulum")
    surrogate = load_surrogate(ROOT / "problems" / "surrogates" / "double_pendulum_graph.casadi",
                               TREE_DYNAMICS)
    learned = model.with_learned_dynamics(surrogate)
    assert learned.learned_dynamics is not None and set(learned.surrogates) == {"dynamics"}
    assert model.learned_dynamics is None and model.surrogates == {}


def test_model_kinds_declare_their_parameters():
    table = MODEL_KINDS.markdown_table()
    for name in model_names():
        assert f"`{name}`" in table
        kind = MODEL_KINDS[name]
        assert parameter_names(name) == [f.name for f in dataclasses.fields(kind)]
    assert "`mass_kg` (kg)" in table and "`contact_stiffness_N_m2` (N/m^2)" in table
    assert is_muscle_model("six_muscle_arm") and not is_muscle_model("acrobot")
    assert list(default_muscles("six_muscle_arm")) == [m.name for m in
                                                       build_model("six_muscle_arm").muscles]
    with pytest.raises(KeyError):
        build_model("no_such_model")
    with pytest.raises(TypeError):
        build_model("pendulum", {"no_such_parameter": 1.0})


def capability_probes(root: Path) -> list[str]:
    """``file:line`` of every getattr/hasattr whose attribute is a capability name."""
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                    and node.func.id in ("getattr", "hasattr") and len(node.args) >= 2 \
                    and isinstance(node.args[1], ast.Constant) \
                    and node.args[1].value in CAPABILITY_NAMES:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_at_most_five_capability_probes_are_left():
    probes = capability_probes(ROOT / "ocp") + capability_probes(ROOT / "learned_components")
    assert len(probes) <= 5, probes
