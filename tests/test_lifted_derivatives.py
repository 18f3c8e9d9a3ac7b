"""graph = "lifted": the NLP's Jacobian and Hessian assembled from per-point blocks
equal CasADi's own derivatives of the whole graph (the second method)."""
import casadi as ca
import numpy as np
import pytest
from conftest import PROBLEMS

import ocp
from ocp.engine.nlp import transcribe


def _whole_graph_derivatives(tp, w0, sigma, lam):
    """CasADi's AD through the whole MX graph, as nlpsol would build it."""
    w, f, g = tp.nlp["x"], tp.nlp["f"], tp.nlp["g"]
    s, l = ca.MX.sym("s"), ca.MX.sym("l", g.shape[0])
    J = ca.Function("J", [w], [ca.jacobian(g, w)])(w0)
    H = ca.Function("H", [w, s, l], [ca.triu(ca.hessian(s * f + ca.dot(l, g), w)[0])])(
        w0, sigma, lam)
    return ca.DM(J).full(), ca.DM(H).full()


def _point_in_bounds(tp, rng):
    lo, hi = tp.lbx, tp.ubx
    u = rng.uniform(0.2, 0.8, lo.size)
    finite = np.isfinite(lo) & np.isfinite(hi)
    return np.where(finite, np.nan_to_num(lo) + u * np.nan_to_num(hi - lo), u)


@pytest.mark.parametrize("name, overrides", [
    ("pendulum_swingup", {}),
    ("arm_reach_torque_free_time", {}),                     # free final time
    ("gait2d_torque", {"transcription.intervals": 6}),       # implicit form, contact, mirror
    ("arm_reach_muscles", {"transcription.intervals": 6}),   # muscles, activation ODE
    ("arm_identify_parameters", {"transcription.intervals": 6}),  # estimated parameters
    ("arm_reach_muscles_gru", {"time.final": "0.05 s",      # a discrete (GRU) step
                               "transcription.intervals": 5}),
    ("moco_2d_walking_predictive", {"transcription.intervals": 4}),  # .osim, cubed effort
    ("gait10dof18musc_inverse", {"transcription.intervals": 4}),  # splines of a fixed time
])
def test_lifted_jacobian_and_hessian_equal_whole_graph_ad(name, overrides):
    rng = np.random.default_rng(1)
    overrides = {**overrides, "solver.compile": False}  # compiled blocks: test below
    mx = transcribe(ocp.load_problem(PROBLEMS / f"{name}.toml", {**overrides,
                                                                  "solver.graph": "mx"}))
    lifted = transcribe(ocp.load_problem(PROBLEMS / f"{name}.toml", {**overrides,
                                                                      "solver.graph": "lifted"}))
    assert set(lifted.solver_functions) == {"jac_g", "hess_lag"}
    w0 = _point_in_bounds(mx, rng)
    lam = rng.normal(size=mx.lbg.size)
    J_ref, H_ref = _whole_graph_derivatives(mx, w0, 0.7, lam)
    g, J = lifted.solver_functions["jac_g"](w0, [])
    H = lifted.solver_functions["hess_lag"](w0, [], 0.7, lam)
    g_ref = ca.Function("g", [mx.nlp["x"]], [mx.nlp["g"]])(w0)
    np.testing.assert_allclose(ca.DM(g).full(), ca.DM(g_ref).full(), rtol=1e-12, atol=1e-9)
    assert np.abs(ca.DM(J).full() - J_ref).max() <= 1e-11 * max(1.0, np.abs(J_ref).max())
    assert np.abs(ca.DM(H).full() - H_ref).max() <= 1e-11 * max(1.0, np.abs(H_ref).max())
    # and the value functions the solution is read with are the same
    np.testing.assert_allclose(ca.DM(lifted.cost_terms(w0)).full(),
                               ca.DM(mx.cost_terms(w0)).full(), rtol=1e-12)


def test_blocks_differentiate_in_the_time_only_when_the_final_time_is_free(monkeypatch):
    """A fixed final time makes each point's time a constant: the blocks leave it out
    (the first input of every per-point function); a free one keeps it."""
    from ocp.engine import lifted
    active = {}
    blocks = lifted._derivative_blocks
    monkeypatch.setattr(lifted, "_derivative_blocks", lambda call, name, vjp: active.update(
        {(problem, name): call.active}) or blocks(call, name, vjp))
    for problem in ("gait10dof18musc_inverse", "arm_reach_torque_free_time"):
        transcribe(ocp.load_problem(PROBLEMS / f"{problem}.toml", {
            "transcription.intervals": 4, "solver.graph": "lifted", "solver.compile": False}))
    fixed = active[("gait10dof18musc_inverse", "path_joint_moments")]
    assert fixed is not None and 0 not in fixed and len(fixed) == 18 + 18 + 10  # a, e, reserves
    assert active[("arm_reach_torque_free_time", "dynamics")] is None


def test_measured_data_enter_as_constants_not_in_the_per_point_functions(monkeypatch):
    """The inverse problem's kinematics (lengths, speeds, moment arms, moments at the
    points' times) are constants of the NLP: two windows of the trial give one
    per-point function, so its compiled blocks serve every trial of the model."""
    from ocp.engine import lifted
    functions = []
    blocks = lifted._derivative_blocks
    monkeypatch.setattr(lifted, "_derivative_blocks", lambda call, name, vjp: functions.append(
        (name, call.function.serialize())) or blocks(call, name, vjp))
    for start, final in (("0.5 s", "1.5 s"), ("0.7 s", "1.2 s")):
        transcribe(ocp.load_problem(PROBLEMS / "gait10dof18musc_inverse.toml", {
            "transcription.intervals": 4, "kinematics.start": start, "kinematics.final": final,
            "solver.compile": False}))
    first, second = (f for name, f in functions if name == "path_joint_moments")
    assert first == second


def test_lifted_solve_reaches_the_scalar_graphs_optimum():
    """Same NLP, same optimum: the muscle-driven reach (one optimum) both ways."""
    path = PROBLEMS / "arm_reach_muscles.toml"
    overrides = {"transcription.intervals": 20}
    sx = ocp.solve(ocp.load_problem(path, overrides), check_dynamics=False)
    lifted = ocp.solve(ocp.load_problem(path, {**overrides, "solver.graph": "lifted"}),
                       check_dynamics=False)
    assert sx.success and lifted.success
    assert lifted.objective == pytest.approx(sx.objective, rel=1e-6)
    np.testing.assert_allclose(lifted.states, sx.states, atol=1e-5)


def test_compiled_blocks_give_the_same_numbers_and_are_built_once(tmp_path, monkeypatch):
    """[solver] compile = true: the per-point blocks as machine code (ocp/engine/compiled.py)."""
    import shutil
    if shutil.which("gcc") is None and shutil.which("cc") is None:
        pytest.skip("no C compiler")
    monkeypatch.setenv("OCP_CACHE_DIR", str(tmp_path))
    path = PROBLEMS / "gait2d_torque.toml"
    overrides = {"transcription.intervals": 6, "solver.graph": "lifted"}
    vm = transcribe(ocp.load_problem(path, overrides))
    native = transcribe(ocp.load_problem(path, {**overrides, "solver.compile": True}))
    built = sorted((tmp_path / "compiled").glob("*.so"))
    assert built  # the walker's Jacobian and Hessian blocks are big enough to compile
    rng = np.random.default_rng(2)
    w0, lam = _point_in_bounds(vm, rng), rng.normal(size=vm.lbg.size)
    for name, args in (("jac_g", (w0, [])), ("hess_lag", (w0, [], 0.7, lam))):
        a = vm.solver_functions[name](*args)
        b = native.solver_functions[name](*args)
        a, b = (a[1], b[1]) if name == "jac_g" else (a, b)
        np.testing.assert_allclose(ca.DM(b).full(), ca.DM(a).full(), rtol=1e-13, atol=1e-9)
    # from the cache: the walker's dynamics blocks are neither differentiated
    # nor generated as C again, and give the same numbers
    from ocp.engine import lifted
    rebuilt = []
    build = lifted._point_function
    monkeypatch.setattr(lifted, "_point_function",
                        lambda call: rebuilt.append(call.function.name()) or build(call))
    cached = transcribe(ocp.load_problem(path, {**overrides, "solver.compile": True}))
    assert sorted((tmp_path / "compiled").glob("*.so")) == built
    assert "dynamics" not in rebuilt
    np.testing.assert_array_equal(ca.DM(cached.solver_functions["hess_lag"](w0, [], 0.7, lam)),
                                  ca.DM(native.solver_functions["hess_lag"](w0, [], 0.7, lam)))


def test_compile_needs_the_lifted_graph():
    from ocp.errors import ProblemError
    with pytest.raises(ProblemError, match="lifted") as err:
        ocp.load_problem(PROBLEMS / "pendulum_swingup.toml", {"solver.compile": True})
    assert "solver.compile" in str(err.value)
