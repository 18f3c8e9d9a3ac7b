"""A first solve does not wait for the C compiler (ocp/engine/compiled.py,
START_UNCOMPILED): large derivative blocks missing from the cache start in
CasADi's virtual machine while a background process compiles them, each
switching to its library once it is there. The reference is the same NLP's
derivatives from CasADi's virtual machine alone: equal before the switch and
after it, and the next build loads the libraries without differentiating."""
import time

import casadi as ca
import numpy as np
import pytest
from conftest import PROBLEMS

import ocp
from ocp.engine import compiled
from ocp.engine.nlp import transcribe

PENDULUM = PROBLEMS / "pendulum_swingup.toml"
SMALL = {"transcription.intervals": 10, "solver.graph": "lifted"}


@pytest.fixture
def every_block_large(tmp_path, monkeypatch):
    if compiled.compiler() is None:
        pytest.skip("no C compiler")
    monkeypatch.setenv("OCP_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(compiled, "TIERED_NODES", 0)  # every block goes to the background
    monkeypatch.setattr(compiled, "START_UNCOMPILED", True)
    return tmp_path / "compiled"


def wait_for(folder, count, timeout=120.0):
    deadline = time.monotonic() + timeout
    while len(list(folder.glob("*.so"))) < count or list(folder.glob(".*.c")):
        assert time.monotonic() < deadline, "the background compiler did not finish"
        time.sleep(0.2)


def test_blocks_start_interpreted_and_switch_to_the_compiled_library(every_block_large,
                                                                      recwarn):
    vm = transcribe(ocp.load_problem(PENDULUM, SMALL))
    started = time.perf_counter()
    first = transcribe(ocp.load_problem(PENDULUM, {**SMALL, "solver.compile": True}))
    assert any("in the background" in str(w.message) for w in recwarn.list)
    switching = [f for f in compiled.LIVE if f.library.parent == every_block_large]
    assert switching and not any(f.switched for f in switching)  # the solve did not wait
    rng = np.random.default_rng(3)
    w0 = rng.uniform(-0.3, 0.3, vm.lbx.size)
    lam = rng.normal(size=vm.lbg.size)

    def derivatives(tp):
        return (ca.DM(tp.solver_functions["jac_g"](w0, [])[1]).full(),
                ca.DM(tp.solver_functions["hess_lag"](w0, [], 0.7, lam)).full())

    reference = derivatives(vm)
    for a, b in zip(derivatives(first), reference):  # interpreted: CasADi's own numbers
        np.testing.assert_array_equal(a, b)
    wait_for(every_block_large, len(switching))
    elapsed = time.perf_counter() - started
    for a, b in zip(derivatives(first), reference):  # compiled: the same to rounding
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-9)
    assert all(f.switched for f in switching), f"not switched after {elapsed:.1f} s"
    # the next build finds every library: nothing is differentiated or compiled again
    count = len(compiled.LIVE)
    again = transcribe(ocp.load_problem(PENDULUM, {**SMALL, "solver.compile": True}))
    assert len(compiled.LIVE) == count
    for a, b in zip(derivatives(again), reference):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-9)


def test_a_switching_block_tells_casadi_what_depends_on_what(tmp_path):
    # CasADi takes a callback's Jacobian pattern as dense unless told: on the
    # torque walk at 50 intervals that was 3 GB of pattern while building the NLP
    x, mu = ca.SX.sym("x", 4), ca.SX.sym("mu", 2)
    y = ca.vertcat(ca.sin(x[0]) * x[1], x[2] * x[3])
    f = ca.Function("hess_t", [x, mu], [ca.hessian(ca.dot(mu, y), x)[0]])
    block = compiled.switching(f, tmp_path / "never.so", 30, ())
    mapped = f.map(30)
    for i in range(2):
        assert block.jac_sparsity(0, i) == mapped.jac_sparsity(0, i)
        assert block.jac_sparsity(0, i).nnz() < 0.1 * block.jac_sparsity(0, i).numel()
