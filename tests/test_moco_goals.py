"""Moco's goals in our cost vocabulary, each checked against a closed form.

MocoControlGoal with an exponent and division by displacement, the speeds of
MocoStateTrackingGoal's track_reference_position_derivatives, and
MocoContactTrackingGoal's division by body weight; periodic controls.
"""
import functools
from pathlib import Path

import casadi as ca
import numpy as np
import pytest
from conftest import PROBLEMS

import ocp
from ocp.costs import PointVariables, SquaredControls
from ocp.data.references import body_weight_N, model_name_of_column, with_speed_references
from ocp.engine.nlp import transcribe

GAIT = PROBLEMS / "data" / "gait2d"


def test_cubed_effort_is_the_absolute_value_cubed_and_twice_differentiable():
    model = ocp.build_model("pendulum")
    x, u = ca.SX.sym("x", model.nx), ca.SX.sym("u", model.nu)
    term = SquaredControls("effort", exponent=3)
    L = term.integrand(PointVariables(model, 0, x, u, ca.SX(0, 1)))
    f = ca.Function("f", [x, u], [L, ca.hessian(L, u)[0]])
    for value in (-2.0, -0.3, 0.0, 0.7):
        cost, curvature = (float(v) for v in f([0, 0], [value]))
        assert cost == pytest.approx(abs(value) ** 3, rel=1e-15, abs=1e-300)
        assert curvature == pytest.approx(6 * abs(value), rel=1e-12, abs=1e-300)


def test_cubed_effort_per_distance_integrates_exactly(tmp_path):
    """A constant torque u0 over T while moving D: J = w |u0|^3 T / D."""
    path = tmp_path / "slide.toml"
    path.write_text("""
[model]
file = "slide.py"
[time]
final = "2 s"
[initial]
x = 0
x_speed = 0.5
[costs.effort]
type = "control_effort"
exponent = 3
weight = 10
divide_by_displacement = "x"
[transcription]
method = "hermite-simpson"
intervals = 10
""")
    (tmp_path / "slide.py").write_text('''
import casadi as ca
from ocp import CustomModel
def model(parameters):
    # a cart on a frictionless track pushed by u (N), mass 1 kg
    return CustomModel("slide", ["x", "x_speed"], ["u"],
                       lambda x, u, p: ca.vertcat(x[1], u[0]))
''')
    problem = ocp.load_problem(path)
    tp = transcribe(problem)
    u0, T = -0.2, 2.0
    t = tp.grid * T
    X = np.vstack([0.5 * t + 0.5 * u0 * t ** 2, 0.5 + u0 * t])
    U = np.full((1, tp.n_points), u0)
    w = tp.pack(X, U, np.zeros((0, tp.n_points)), T)
    D = X[0, -1] - X[0, 0]
    assert float(tp.cost_terms(w)[0]) == pytest.approx(10 * abs(u0) ** 3 * T / D, rel=1e-12)


def test_speed_references_are_the_derivative_of_the_positions():
    model = ocp.build_model("pendulum")
    times = np.linspace(0, 1, 50)
    reference = {"pendulum": (times, np.sin(3 * times))}
    out = with_speed_references(reference, model)
    speed_t, speed = out["pendulum_speed"]
    inner = slice(3, -3)  # the ends of an interpolating spline carry its end conditions
    assert np.max(np.abs(speed[inner] - 3 * np.cos(3 * speed_t[inner]))) < 1e-5
    assert np.max(np.abs(speed - 3 * np.cos(3 * speed_t))) < 1e-3


def test_opensim_state_paths_name_the_models_states():
    assert model_name_of_column("/jointset/hip_r/hip_flexion_r/value") == "hip_flexion_r"
    assert model_name_of_column("/jointset/hip_r/hip_flexion_r/speed") == "hip_flexion_r_speed"
    assert model_name_of_column("/forceset/soleus_r/activation") == "soleus_r_activation"
    assert model_name_of_column("ground_force_r_vx") == "ground_force_r_vx"


def test_body_weight_of_mocos_2d_walker_is_its_total_mass_times_gravity():
    """2D_gait.osim: the masses of its twelve bodies, summed from the file."""
    import xml.etree.ElementTree as ET
    model = ocp.load_problem(PROBLEMS / "moco_2d_walking_tracking.toml").model
    masses = [float(b.find("mass").text) for b in
              ET.parse(GAIT / "2D_gait.osim").getroot().iter("Body")]
    assert len(masses) == 12
    assert body_weight_N(model) == pytest.approx(sum(masses) * 9.80665, rel=1e-12)


def test_body_weight_of_a_3d_model_is_its_total_mass_times_gravity():
    """gait2392's scaled subject (3D, subtalar and mtp locked: a reduced tree): the masses
    of its bodies summed from the file, times the length of its gravity vector."""
    import xml.etree.ElementTree as ET
    problem = PROBLEMS / "gait3d_tracking.toml"
    model = ocp.load_problem(problem).model
    root = ET.parse(PROBLEMS / "data/walking3d/subject01_skeleton.osim").getroot()
    masses = [float(b.find("mass").text) for b in root.iter("Body")]
    gravity = np.linalg.norm([float(g) for g in root.find(".//gravity").text.split()])
    assert len(masses) == 12 and gravity == pytest.approx(9.80665)
    assert body_weight_N(model) == pytest.approx(sum(masses) * gravity, rel=1e-12)


def test_moco_tracking_problem_holds_mocos_terms():
    problem = ocp.load_problem(PROBLEMS / "moco_2d_walking_tracking.toml")
    terms = {t.name: t for t in problem.costs}
    assert terms["control_effort"].weight == 10 and terms["control_effort"].exponent == 2
    states = terms["state_tracking"].reference
    # ten coordinates and their ten speeds, as Moco's MocoTrack tracks them
    assert len(states) == 20 and "pelvis_tx_speed" in states
    grf = terms["contact_tracking"]
    assert set(grf.reference) == {"grf_x_r", "grf_y_r", "grf_x_l", "grf_y_l"}
    assert grf.scale == pytest.approx(1 / body_weight_N(problem.model))
    assert "reserve_lumbar" in problem.periodic
    # the guess is the (filtered) reference kinematics; the cost follows them
    # through a quintic spline, which passes through the samples
    guess_t, guess = problem.guess_references["hip_flexion_r"]
    times, hip = states["hip_flexion_r"]
    assert np.interp(guess_t, times, hip) == pytest.approx(guess, abs=1e-12)


def test_periodic_control_constrains_the_last_control_to_the_first(tmp_path):
    # only the constraint rows matter here: no compiled derivative blocks
    problem = ocp.load_problem(PROBLEMS / "moco_2d_walking_predictive.toml",
                               {"solver.compile": False})
    tp = transcribe(problem)
    n = tp.nx + tp.nu + tp.nz
    g = ca.Function("g", [tp.nlp["x"]], [tp.nlp["g"]])
    rng = np.random.default_rng(1)
    w = rng.uniform(0.1, 0.2, tp.nlp["x"].shape[0])
    k = tp.nx + problem.model.control_names.index("reserve_lumbar")
    base = np.array(g(w)).ravel()
    w2 = w.copy()
    w2[(tp.n_points - 1) * n + k] += 1.0   # the lumbar control at the end
    changed = np.nonzero(np.abs(np.array(g(w2)).ravel() - base) > 1e-12)[0]
    # it enters the periodicity constraint (and the implicit dynamics of its point)
    assert any(abs((np.array(g(w2)).ravel() - base)[i] - 1.0) < 1e-12 for i in changed)


def test_linear_control_midpoints_restrict_the_control_to_piecewise_linear():
    """Moco's interpolate_control_midpoints: u_mid = (u_k + u_k+1) / 2.

    A restriction of the free-midpoint NLP, so its optimum can only be
    higher, and both converge to the same continuous optimum.
    """
    from ocp.transcriptions import HermiteSimpson
    costs = {}
    for midpoints in ("free", "linear"):
        problem = ocp.load_problem(PROBLEMS / "pendulum_swingup.toml")
        problem.transcription = HermiteSimpson(50, control_midpoints=midpoints)
        solution = ocp.solve(problem)
        assert solution.success
        costs[midpoints] = solution.objective
        u = solution.control("tau_pendulum")
        if midpoints == "linear":
            assert np.max(np.abs(u[1::2] - 0.5 * (u[0:-1:2] + u[2::2]))) < 1e-8
        else:
            assert np.max(np.abs(u[1::2] - 0.5 * (u[0:-1:2] + u[2::2]))) > 1e-3
    assert costs["linear"] >= costs["free"] - 1e-9
    assert costs["linear"] == pytest.approx(costs["free"], rel=1e-2)


def test_control_midpoints_is_a_hermite_simpson_option_only(tmp_path):
    text = (PROBLEMS / "pendulum_swingup.toml").read_text().replace(
        'method = "hermite-simpson"', 'method = "trapezoidal"\ncontrol_midpoints = "linear"')
    path = tmp_path / "p.toml"
    path.write_text(text)
    with pytest.raises(ocp.ProblemError, match="control_midpoints.*hermite-simpson"):
        ocp.load_problem(path)


MOCO_TRACKING = PROBLEMS.parent / "tests" / "data" / "moco_2d_walking_tracking_solution.sto"
MOCO_PREDICTIVE = PROBLEMS.parent / "tests" / "data" / "moco_2d_walking_predictive_solution.sto"


@functools.cache
def terms_at_mocos_solution(problem_name: str = "moco_2d_walking_tracking",
                            solution: Path = MOCO_TRACKING) -> dict:
    """Our problem file's weighted terms at Moco 4.6's own solution of it."""
    return _at_mocos_solution(problem_name, solution)[0]


def _at_mocos_solution(problem_name: str, solution: Path):
    """(terms, problem, outputs by name) of our problem file at a Moco solution file."""
    from ocp.data.files import read_tables
    problem = ocp.load_problem(PROBLEMS / f"{problem_name}.toml",
                               {"solver.compile": False})  # values only, no derivatives
    tp = transcribe(problem)
    table = next(iter(read_tables(solution).values()))
    columns = {model_name_of_column(c): c for c in table.columns}
    for c in table.columns:  # /soleus_r/activation, /soleus_r (excitation), /lumbarAct
        parts = c.strip("/").split("/")
        if parts[-1] == "activation" and len(parts) == 2:
            columns[parts[0] + "_activation"] = c
        elif len(parts) == 1 and parts[0] != "time":
            columns[parts[0] + "_excitation"] = c
    columns["reserve_lumbar"] = "/lumbarAct"
    m = problem.model
    X = np.array([table.column(columns[n]) for n in m.state_names])
    U = np.array([table.column(columns[n]) for n in m.control_names])
    assert X.shape[1] == tp.n_points
    w = tp.pack(X, U, np.zeros((tp.nz, tp.n_points)), table.time_s[-1])
    outputs = dict(zip(tp.output_names, np.array(tp.outputs(w))))
    return dict(zip(tp.cost_names, np.array(tp.cost_terms(w)).ravel())), problem, outputs


def test_our_tracking_terms_at_mocos_own_solution_are_mocos_terms():
    """Moco 4.6's solution of its 2D walking tracking problem, scored by our problem file.

    The effort term (same trajectory, same quadrature, same piecewise-linear
    controls) must agree to Moco's printed digits; so must the state and
    contact terms (next tests).
    """
    ours = terms_at_mocos_solution()
    print(f"\nours at Moco's solution: {ours}")
    assert ours["control_effort"] == pytest.approx(0.797298, rel=2e-6)
    assert ours["state_tracking"] == pytest.approx(0.355344, rel=5e-3)
    assert ours["contact_tracking"] == pytest.approx(0.377731, rel=5e-2)
    assert sum(ours.values()) == pytest.approx(1.530373, rel=1e-2)


def test_our_state_tracking_term_at_mocos_solution_is_mocos_to_its_printed_digits():
    """MocoStateTrackingGoal at Moco's own solution: 0.355344 (six printed digits).

    Our reference is Moco's: OpenSim's TabOpLowPassFilter(6) of the coordinates
    (lowpass_filter = "opensim"), speeds from the derivative of their GCV
    splines, and GCV splines between the samples (interpolation = "gcv"), each
    matched to OpenSim within 1e-9 in tests/test_natural_spline_opensim.py. The
    same trajectory and quadrature then leave only Moco's rounding to six
    digits: within 5e-7 absolute (measured 0.35534416).
    """
    assert terms_at_mocos_solution()["state_tracking"] == pytest.approx(0.355344, abs=5e-7)


def test_our_contact_tracking_term_at_mocos_solution_is_mocos_to_its_printed_digits():
    """MocoContactTrackingGoal at Moco's own solution: 0.377731 (six printed digits).

    The .osim contact spheres take OpenSim's friction law (friction_law =
    "opensim"; ocp's tanh law gave 0.380650, +0.77 %); its one smoothed kink,
    |v_rel - 1| < 0.1, holds no loaded sphere at Moco's mesh points, so our
    ground reactions are OpenSim's to rounding there and only Moco's rounding
    to six digits is left: within 5e-7 absolute (measured 0.37773114, as from
    OpenSim's own forces in tests/test_natural_spline_opensim.py).
    """
    assert terms_at_mocos_solution()["contact_tracking"] == pytest.approx(0.377731, abs=5e-7)


def test_our_effort_per_metre_at_mocos_predictive_solution_is_mocos_objective():
    """Moco 4.6's predictive solution (tests/data: 411 iterations, objective 0.134854,
    step 0.50105 s): our cubed effort divided by the pelvis's displacement gives
    Moco's objective to its six printed digits (Moco divides by the centre of
    mass's displacement; with the legs swapped at the end both move alike)."""
    terms, problem, outputs = _at_mocos_solution("moco_2d_walking_predictive", MOCO_PREDICTIVE)
    assert terms["effort"] == pytest.approx(0.134854, abs=5e-7)
    # Moco's own optimum lands with a first vertical GRF peak of about 1.59 body
    # weights (our contact forces are OpenSim's, test_osim_opensim.py)
    from ocp.analysis.gait_analysis import grf_humps
    fr, fl = outputs["grf_y_r"], outputs["grf_y_l"]
    half = np.linspace(0.0, 50.0, fr.size)
    humps = grf_humps(np.concatenate([half, 50.0 + half[1:]]), np.concatenate([fr, fl[1:]]),
                      body_weight_N(problem.model))
    print(f"\nMoco's predictive solution: vertical GRF peaks {humps.peaks_bw} BW")
