"""Squared accelerations of an explicit model on the lifted graph reuse the
dynamics' derivative blocks (ocp/engine/nlp.py): no blocks of their own, and
the NLP's Jacobian and Hessian still equal CasADi's AD of the whole graph."""
import casadi as ca
import numpy as np
from conftest import PROBLEMS

import ocp
from ocp.engine import lifted
from ocp.engine.nlp import transcribe

WALK = PROBLEMS / "gait2d_torque.toml"
EXPLICIT = {"transcription.intervals": 4, "transcription.dynamics": "explicit",
            "solver.compile": False, "costs.smoothness.reuse_dynamics_blocks": True}


def test_accelerations_cost_has_no_blocks_and_exact_derivatives(monkeypatch):
    built = []
    blocks = lifted._derivative_blocks
    monkeypatch.setattr(lifted, "_derivative_blocks",
                        lambda call, name, vjp: built.append(name) or blocks(call, name, vjp))
    problem = ocp.load_problem(WALK, {**EXPLICIT, "solver.graph": "lifted"})
    assert "squared_accelerations" in {type(c).toml_name for c in problem.costs}
    tp = transcribe(problem)
    assert "dynamics" in built and not any("smooth" in n or "accel" in n for n in built), built
    mx = transcribe(ocp.load_problem(WALK, {**EXPLICIT, "solver.graph": "mx"}))
    rng = np.random.default_rng(3)
    lo, hi = mx.lbx, mx.ubx
    u = rng.uniform(0.2, 0.8, lo.size)
    finite = np.isfinite(lo) & np.isfinite(hi)
    w0 = np.where(finite, np.nan_to_num(lo) + u * np.nan_to_num(hi - lo), u)
    lam = rng.normal(size=mx.lbg.size)
    w, f, g = mx.nlp["x"], mx.nlp["f"], mx.nlp["g"]
    s, m = ca.MX.sym("s"), ca.MX.sym("m", g.shape[0])
    J_ref = ca.DM(ca.Function("J", [w], [ca.jacobian(g, w)])(w0)).full()
    H_ref = ca.DM(ca.Function("H", [w, s, m], [ca.triu(ca.hessian(s * f + ca.dot(m, g), w)[0])])(
        w0, 0.7, lam)).full()
    J = ca.DM(tp.solver_functions["jac_g"](w0, [])[1]).full()
    H = ca.DM(tp.solver_functions["hess_lag"](w0, [], 0.7, lam)).full()
    assert np.abs(J - J_ref).max() <= 1e-11 * max(1.0, np.abs(J_ref).max())
    assert np.abs(H - H_ref).max() <= 1e-11 * max(1.0, np.abs(H_ref).max())
    np.testing.assert_allclose(ca.DM(tp.cost_terms(w0)).full(), ca.DM(mx.cost_terms(w0)).full(),
                               rtol=1e-12)
