"""Causal graph, do() interventions and their two answers (ocp.causal)."""
import math

import numpy as np
import pytest
from conftest import PROBLEMS

import ocp
from ocp import Problem, ProblemError, SquaredControls
from ocp.causal import causal_graph
from ocp.causal.answers import REOPTIMISED, open_loop, simulator, what_if
from ocp.causal.interventions import (
    ExternalLoad,
    LockJoint,
    RemoveMuscle,
    ScaleMaxForce,
    SetSignal,
    intervene,
)
from ocp.cli import main
from ocp.models.library import build_model
from ocp.solution import Solution

ARM = "problems/arm_reach_muscles.toml"


def _arm_moment_arms(model, samples=200):
    """max |r| (coordinates, muscles) over postures spanning the joints' range."""
    rng = np.random.default_rng(3)
    postures = rng.uniform(-math.pi, math.pi, (samples, model.tree.n))
    return np.max([np.abs(np.array(model.geometry(q)[1])) for q in postures], axis=0)


def test_arm_graph_is_acyclic_and_force_edges_follow_the_moment_arms():
    model = build_model("six_muscle_arm")
    graph = causal_graph(model)
    assert graph.is_acyclic
    arms = _arm_moment_arms(model)
    for j, m in enumerate(model.muscles):
        assert graph.has_edge(f"{m.name}_excitation(t)", f"{m.name}_activation(t+dt)")
        assert graph.has_edge(f"{m.name}_activation(t)", f"{m.name}_force(t)")
        for i, c in enumerate(model.tree.coordinates):
            crosses = arms[i, j] > 1e-9
            assert graph.has_edge(f"{m.name}_force(t)", f"{c}_moment(t)") == crosses, (m.name, c)
            if crosses:  # the chain on to the joint's motion
                assert graph.has_path(f"{m.name}_activation(t)", f"{c}_speed(t+dt)")
    # the elbow-only muscles never reach the shoulder moment
    assert not graph.has_path("BRA_activation(t)", "shoulder_moment(t)")
    # the horizontal arm has no gravity: no edge from the shoulder angle to any acceleration
    assert "shoulder(t)" not in graph.parents("elbow_acceleration(t)")


def test_gait_graph_is_acyclic_and_each_actuator_reaches_its_joint():
    model = build_model("gait2d_torque")
    graph = causal_graph(model)
    assert graph.is_acyclic
    for c in model.actuated:
        assert graph.has_edge(f"tau_{c}(t)", f"{c}_moment(t)")
        assert graph.has_path(f"tau_{c}(t)", f"{c}(t+dt)") is False  # q moves one step later
        assert graph.has_path(f"tau_{c}(t)", f"{c}_speed(t+dt)")
    # contact forces depend on the state and push on the pelvis
    assert graph.has_edge("heel_r_contact_force(t)", "pelvis_ty_acceleration(t)")
    assert "pelvis_ty(t)" in graph.parents("heel_r_contact_force(t)")


def test_pendulum_graph_acceleration_depends_on_angle_not_speed():
    graph = causal_graph(build_model("pendulum"))
    assert graph.parents("pendulum_acceleration(t)") == ["pendulum(t)", "pendulum_moment(t)"]


def _resting(model, time, states):
    return Solution(time=time, states=states, controls=np.zeros((time.size, model.nu)),
                    state_names=list(model.state_names),
                    control_names=list(model.control_names), status="success",
                    objective=0.0, cost_terms={}, final_time=float(time[-1]), iterations=0,
                    solve_time_s=0.0)


@pytest.mark.parametrize("intervention", [ExternalLoad("pendulum", 2.0),
                                          SetSignal("tau_pendulum", 2.0)])
def test_open_loop_pendulum_matches_the_closed_form(intervention):
    """No gravity, point mass m l^2 = 2 kg m^2: theta = theta0 + tau t^2 / (2 m l^2)."""
    model = build_model("pendulum", {"gravity_m_s2": 0.0, "mass_kg": 2.0})
    problem = Problem(model=model, final_time=1.0)
    problem.minimize(SquaredControls("effort"))
    time = np.linspace(0.0, 1.0, 21)
    states = np.column_stack([np.full_like(time, 0.3), np.zeros_like(time)])
    answer, replay = open_loop(problem, _resting(model, time, states), [intervention])
    np.testing.assert_allclose(replay.state("pendulum"), 0.3, atol=1e-12)
    np.testing.assert_allclose(answer.state("pendulum"), 0.3 + 2.0 * time ** 2 / 4.0, atol=1e-7)
    np.testing.assert_allclose(answer.state("pendulum_speed"), 2.0 * time / 2.0, atol=1e-7)


def test_time_varying_load_matches_scipy_reference():
    """A ramp torque tau = 3 t on the gravity pendulum, against a plain scipy model."""
    from scipy.integrate import solve_ivp
    model = build_model("pendulum")
    problem = Problem(model=model, final_time=1.0)
    problem.minimize(SquaredControls("effort"))
    time = np.linspace(0.0, 1.0, 11)
    load = ExternalLoad("pendulum", ((0.0, 1.0), (0.0, 3.0)))
    states = np.zeros((time.size, 2))
    answer, _ = open_loop(problem, _resting(model, time, states), [load])
    g = 9.80665
    ref = solve_ivp(lambda t, y: [y[1], -g * math.sin(y[0]) + 3.0 * t], (0, 1), [0.0, 0.0],
                    t_eval=time, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(answer.state("pendulum"), ref.y[0], atol=1e-6)


@pytest.fixture(scope="module")
def arm_reach():
    problem = ocp.load_problem(ARM, {"transcription.intervals": 20})
    return problem, ocp.solve(problem)


def test_removing_brachialis_synergist_takes_over_and_open_loop_deviates(arm_reach):
    problem, original = arm_reach
    assert original.success
    result = what_if(problem, original, [RemoveMuscle("BRA")])
    ol, ro = result.comparisons
    assert ro.status == "success"
    assert "BRA_activation" not in result.reoptimised.state_names
    # the biceps (the other elbow flexor) does more of the work
    before, after = ro.activation_integrals["BIClong"]
    assert after > 1.05 * before
    assert "BIClong" in ro.takes_over and "BRA" not in ro.takes_over
    # the reach is met again, at a higher cost
    assert result.reoptimised.cost_terms["activation"] > original.cost_terms["activation"]
    assert max(ro.final_misses.values()) < 1e-6
    # with the same excitations and no brachialis the elbow falls behind
    assert ol.angle_differences["elbow"]["final"] < -math.radians(1.0)
    assert ol.final_misses["hand_y"] > 1e-3


def test_weakness_with_the_same_layout_reuses_the_multipliers(arm_reach):
    problem, original = arm_reach
    result = what_if(problem, original, [ScaleMaxForce("BRA", 0.5)], answers=(REOPTIMISED,))
    assert result.reoptimised.success
    assert result.reoptimised.iterations < original.iterations


def _shoulder_turn():
    model = build_model("two_link_arm")
    problem = Problem(model=model, final_time=0.5, transcription=ocp.HermiteSimpson(20))
    problem.initial.update(shoulder=math.radians(30), elbow=math.radians(60),
                           shoulder_speed=0.0, elbow_speed=0.0)
    problem.final.update(hand_x=0.05, hand_y=0.45, shoulder_speed=0.0, elbow_speed=0.0)
    problem.minimize(SquaredControls("effort"))
    return problem


def test_locked_elbow_stays_put_and_costs_more():
    problem = _shoulder_turn()
    original = ocp.solve(problem)
    assert original.success
    lock = LockJoint("elbow", math.radians(60))
    with pytest.raises(ProblemError, match="contradicts final.elbow"):
        intervene(_with_final_elbow(problem), [lock])
    problem.final.pop("hand_x")
    problem.final.pop("hand_y")
    problem.final["shoulder"] = math.radians(70)
    original = ocp.solve(problem)
    result = what_if(problem, original, [lock])
    ol, ro = result.comparisons
    assert ro.status == "success"
    np.testing.assert_allclose(result.reoptimised.state("elbow"), math.radians(60), atol=1e-9)
    np.testing.assert_allclose(result.open_loop.state("elbow"), math.radians(60), atol=1e-12)
    assert result.reoptimised.objective > 1.001 * original.objective


def _with_final_elbow(problem):
    import dataclasses
    return dataclasses.replace(problem, final={**problem.final, "elbow": math.radians(80)})


def _write(tmp_path, text, name="p.toml"):
    base = open(ARM).read().replace('intervals = 50', 'intervals = 10')
    path = tmp_path / name
    path.write_text(base + "\n" + text)
    return path


@pytest.mark.parametrize("text, key, words", [
    ('[intervention.a]\ndo = "set"\nnode = "BRA_excitaton"\nvalue = 0.2\n',
     "intervention.a.node", "did you mean 'BRA_excitation'"),
    ('[intervention.a]\ndo = "set"\nnode = "BRA_excitation"\nvalue = 1.5\n',
     "intervention.a.value", "outside its bounds"),
    ('[intervention.a]\ndo = "lock_joint"\ncoordinate = "elbow"\nangle = "170 deg"\n',
     "intervention.a.angle", "outside the bounds"),
    ('[intervention.a]\ndo = "lock_joint"\ncoordinate = "elbow"\nangle = "60 deg"\n',
     "intervention.a", "contradicts initial.elbow"),
    ('[intervention.a]\ndo = "scale_max_isometric_force"\nmuscle = "BRAA"\nfactor = 0.5\n',
     "intervention.a.muscle", "did you mean 'BRA'"),
    ('[intervention.a]\ndo = "weaken"\n', "intervention.a.do", "unknown intervention"),
    ('[intervention.a]\ndo = "remove_muscle"\nmuscle = "BRA"\nfactor = 2\n',
     "intervention.a", "unknown key 'factor'"),
])
def test_bad_interventions_name_file_and_key(tmp_path, capsys, text, key, words):
    path = _write(tmp_path, text)
    with pytest.raises(ProblemError) as info:
        ocp.load_problem(path)
    assert info.value.key.startswith(key) and words in str(info.value)
    assert str(path) in str(info.value)
    assert main(["causal-graph", str(path), "--out", str(tmp_path / "g.png")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err


def test_problem_file_interventions_are_parsed(tmp_path):
    path = _write(tmp_path, '[intervention]\nanswers = ["open-loop"]\n'
                  '[intervention.weak]\ndo = "scale_max_isometric_force"\nmuscle = "BRA"\n'
                  'factor = 0.5\n[intervention.drive]\ndo = "set"\nnode = "TRIlat_excitation"\n'
                  'time = [0, 0.6]\nvalues = [0, 0.2]\n[intervention.push]\n'
                  'do = "external_load"\ncoordinate = "shoulder"\nvalue = "0.5 N*m"\n')
    problem = ocp.load_problem(path)
    assert problem.interventions == [ScaleMaxForce("BRA", 0.5),
                                     SetSignal("TRIlat_excitation", ((0.0, 0.6), (0.0, 0.2))),
                                     ExternalLoad("shoulder", 0.5)]
    assert problem.interventions.answers == ("open-loop",)


def test_cli_causal_graph_prints_and_draws(tmp_path, capsys):
    png = tmp_path / "graph.png"
    assert main(["causal-graph", ARM, "--out", str(png)]) == 0
    out = capsys.readouterr().out
    assert "acyclic" in out and "BRA_force(t) <- elbow(t), elbow_speed(t), BRA_activation(t)" in out
    assert png.stat().st_size > 10_000


def test_cli_solve_reports_both_answers(tmp_path, capsys):
    path = _write(tmp_path, '[intervention.weak]\ndo = "scale_max_isometric_force"\n'
                  'muscle = "BRA"\nfactor = 0.5\n')
    assert main(["solve", str(path), "--quiet", "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "open-loop answer" in out and "re-optimised answer" in out and "takes over" in out
    assert (tmp_path / "out" / "what_if.json").exists()
    assert Solution.load(tmp_path / "out" / "reoptimised").success


def test_confounded_regression_misses_the_effect_the_model_predicts():
    """A hidden task variable drives agonist and antagonist together.

    Observational trials: target h ~ U(0, 1); BRA (agonist) excitation
    amplitude 0.04 + 0.08 h, TRIlat (antagonist) amplitude 0.02 + 0.12 h
    (co-contraction grows with the target). The estimand is the average effect
    of do(agonist amplitude = x) on the peak elbow angle, per unit amplitude,
    between x0 = 0.06 and x1 = 0.10, with the antagonist as observed.
    """
    model = build_model("six_muscle_arm", None, None, passive_fiber_force=False)
    problem = Problem(model=model, final_time=0.4)
    problem.minimize(SquaredControls("e"))
    t = np.linspace(0.0, 0.4, 41)
    bump = np.exp(-((t - 0.12) / 0.06) ** 2)
    x0 = np.zeros(model.nx)
    x0[:2] = math.radians(30), math.radians(90)
    names = list(model.control_names)
    rng = np.random.default_rng(7)
    hidden = rng.uniform(0.0, 1.0, 6)
    simulate = simulator(model)

    def controls(agonist, antagonist):
        u = np.zeros((len(names), t.size))
        u[names.index("BRA_excitation")] = agonist * bump
        u[names.index("TRIlat_excitation")] = antagonist * bump
        return lambda s: np.array([np.interp(s, t, row) for row in u])

    def peak(states):
        return float(np.max(states[:, 1]))

    agonists = 0.04 + 0.08 * hidden + 0.005 * rng.standard_normal(hidden.size)
    antagonists = 0.02 + 0.12 * hidden
    observed = [peak(simulate(t, x0, controls(a, b))) for a, b in
                zip(agonists, antagonists)]
    naive = np.polyfit(agonists, observed, 1)[0]
    lo, hi = 0.06, 0.10
    direct = np.mean([peak(simulate(t, x0, controls(hi, b))) -
                      peak(simulate(t, x0, controls(lo, b))) for b in antagonists]) / (hi - lo)
    # the model's interventional prediction: do(BRA_excitation = x(t)) on the model
    runs = {x: simulator(intervene(problem, [SetSignal(
        "BRA_excitation", (tuple(t), tuple(x * bump)))]).model) for x in (lo, hi)}
    xs = np.append(x0, 0.0)  # the intervention clock starts at 0
    # the agonist's own input (0 here) is ignored under do(): the model reads the set value
    predicted = np.mean([peak(runs[hi](t, xs, controls(0.0, b))) -
                         peak(runs[lo](t, xs, controls(0.0, b))) for b in antagonists]) / (hi - lo)
    print(f"effect of the agonist on the peak elbow angle (rad per unit excitation): "
          f"direct {direct:.4g}, model do() {predicted:.4g}, naive regression {naive:.4g}")
    assert abs(naive - direct) > 0.2 * abs(direct)
    assert abs(predicted - direct) < 0.02 * abs(direct)


def test_a_strength_intervention_on_an_osim_walker_keeps_its_feet_and_bounds():
    """do(max force x 1) must leave the model's dynamics exactly as they were;
    the rebuilt walker once lost its contact spheres (and its ground)."""
    import dataclasses

    import numpy as np

    from ocp.causal.interventions import intervene
    problem = ocp.load_problem(PROBLEMS / "moco_2d_walking_weak_soleus.toml")
    same = intervene(problem, [dataclasses.replace(problem.interventions[0], factor=1.0)])
    a, b = problem.model, same.model
    assert len(b.contacts) == len(a.contacts) == 4
    assert b.default_bounds() == a.default_bounds()
    x = np.random.default_rng(0).uniform(0.05, 0.3, a.nx)
    u = np.full(a.nu, 0.3)
    assert np.array(b.dynamics(x, u)) == pytest.approx(np.array(a.dynamics(x, u)), abs=1e-9)
    weak = intervene(problem, problem.interventions).model
    i = [m.name for m in weak.muscles].index("soleus_r")
    assert weak.muscles[i].parameters.max_isometric_force_N == pytest.approx(
        0.5 * a.muscles[i].parameters.max_isometric_force_N)
