"""A large derivative block is compiled fast first (-O0) and again with -O1 in
the background (ocp/engine/compiled.py): both give CasADi's own numbers, the
next load finds the -O1 library, and the first one is dropped."""
import shutil
import time

import casadi as ca
import numpy as np
import pytest

from ocp.engine import compiled


@pytest.fixture
def tiny_tier(tmp_path, monkeypatch):
    if compiled.compiler() is None:
        pytest.skip("no C compiler")
    monkeypatch.setenv("OCP_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(compiled, "TIERED_NODES", 0)  # every block counts as large
    return tmp_path / "compiled"


def block():
    x = ca.SX.sym("x", 3)
    y = ca.vertcat(ca.sin(x[0]) * ca.exp(x[1]), x[2] ** 3 / (1 + x[0] ** 2))
    return ca.Function("jac_test", [x], [ca.jacobian(y, x)])


def test_first_build_is_O0_and_the_next_load_takes_the_O1_library(tiny_tier):
    f = block()
    key = "ab" * 32
    first = compiled.compiled_all([f], [key])[0]
    x0 = np.array([0.3, -0.2, 1.7])
    np.testing.assert_array_equal(ca.DM(first(x0)).full(), ca.DM(f(x0)).full())
    assert list(tiny_tier.glob("*.O0.so"))
    final = tiny_tier / f"jac_test_{key[:32]}.so"
    deadline = time.time() + 120
    while not final.exists() and time.time() < deadline:
        time.sleep(0.2)
    assert final.exists(), "the background -O1 build did not finish in 2 minutes"
    time.sleep(0.5)  # its last step removes the -O0 library and the kept source
    assert not list(tiny_tier.glob("*.O0.so")) and not list(tiny_tier.glob(".*.c"))
    again = compiled.cached_library("jac_test", key)
    np.testing.assert_array_equal(ca.DM(again(x0)).full(), ca.DM(f(x0)).full())


def test_without_a_compiler_the_block_stays_in_the_virtual_machine(tiny_tier, monkeypatch):
    monkeypatch.setattr(compiled, "compiler", lambda: None)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    f = block()
    with pytest.warns(RuntimeWarning, match="no C compiler"):
        assert compiled.compiled_all([f], ["cd" * 32])[0] is f
