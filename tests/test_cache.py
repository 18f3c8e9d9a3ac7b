"""The cache of compiled blocks and neural geometry: listed and cleared by kind."""
import os

import pytest

from ocp.cli import main
from ocp.engine.cache import cache_folder, cache_usage, clear_cache


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("OCP_CACHE_DIR", str(tmp_path))
    compiled = cache_folder("compiled")
    compiled.mkdir()
    (compiled / "jac_a.so").write_bytes(b"x" * 1000)
    (compiled / "hess_a.so").write_bytes(b"x" * 2500)
    geometry = cache_folder("osim_geometry") / "model_neural_0123"
    geometry.mkdir(parents=True)
    (geometry / "net.casadi").write_bytes(b"y" * 700)
    return tmp_path


def test_the_cache_folder_follows_ocp_cache_dir(cache):
    assert cache_folder("compiled") == cache / "compiled"


def test_usage_counts_every_file_and_byte_of_a_kind(cache):
    assert cache_usage("compiled") == (2, 3500)
    assert cache_usage("osim_geometry") == (1, 700)  # in a subfolder


def test_clearing_one_kind_leaves_the_other(cache):
    assert clear_cache("compiled") == (2, 3500)
    assert cache_usage("compiled") == (0, 0)
    assert not (cache / "compiled").exists()
    assert cache_usage("osim_geometry") == (1, 700)


def test_an_unknown_kind_is_refused_with_the_known_ones(cache):
    with pytest.raises(ValueError, match="compiled"):
        clear_cache("everything")


def test_the_command_lists_then_clears(cache, capsys):
    assert main(["cache"]) == 0
    listed = capsys.readouterr().out
    assert "compiled" in listed and "2 files" in listed and "0.0 MB" in listed
    assert main(["cache", "--clear", "--kind", "osim_geometry"]) == 0
    assert "removed     1 files" in capsys.readouterr().out
    assert os.listdir(cache) == ["compiled"]
