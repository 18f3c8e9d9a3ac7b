"""A polynomial muscle-geometry fit is kept on disk and read back to the last bit."""
import casadi as ca
import pytest

from ocp.models.muscles import polynomial_fit
from ocp.models.muscles.polynomial_fit import FIT_CACHE, fit_polynomial_geometry

RANGES = {"hip": (-1.0, 1.0), "knee": (-2.0, 0.5)}


def paths(scale: float):
    """Two muscles: one in both coordinates, one in the knee alone (not polynomial)."""
    q = ca.SX.sym("q", 2)
    lengths = ca.vertcat(0.3 + 0.02 * q[0] - 0.01 * q[0] * q[1] + 0.005 * q[1] ** 3,
                         0.25 + scale * ca.sin(q[1]))
    return ca.Function("exact", [q], [lengths, -ca.jacobian(lengths, q).T])


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("OCP_CACHE_DIR", str(tmp_path))
    return tmp_path / FIT_CACHE


def test_a_second_fit_of_the_same_paths_is_read_back_unchanged(cache, monkeypatch):
    fresh = fit_polynomial_geometry(paths(0.03), ["hip", "knee"], ["a", "b"], RANGES)
    assert len(list(cache.glob("*.json"))) == 1

    def no_fit(*args, **kwargs):
        raise AssertionError("fitted again")

    monkeypatch.setattr(polynomial_fit, "fit_muscle", no_fit)
    again = fit_polynomial_geometry(paths(0.03), ["hip", "knee"], ["a", "b"], RANGES)
    assert again == fresh  # every coefficient and error to the last bit
    assert again[0][1].coordinates == ("knee",) and again[1][1].degree == fresh[1][1].degree
    # other paths, other targets or other ranges are another fit
    with pytest.raises(AssertionError, match="fitted again"):
        fit_polynomial_geometry(paths(0.031), ["hip", "knee"], ["a", "b"], RANGES)
    with pytest.raises(AssertionError, match="fitted again"):
        fit_polynomial_geometry(paths(0.03), ["hip", "knee"], ["a", "b"], RANGES,
                                length_rms_m=1e-5)
    with pytest.raises(AssertionError, match="fitted again"):
        fit_polynomial_geometry(paths(0.03), ["hip", "knee"], ["a", "b"],
                                {**RANGES, "knee": (-2.0, 0.6)})


def test_an_unreadable_cache_entry_is_fitted_again(cache):
    fresh = fit_polynomial_geometry(paths(0.03), ["hip", "knee"], ["a", "b"], RANGES)
    (entry,) = cache.glob("*.json")
    entry.write_text("{not json")
    assert fit_polynomial_geometry(paths(0.03), ["hip", "knee"], ["a", "b"], RANGES) == fresh
