"""The same study in this process, on a local process pool and on a Dask cluster.

Without warm starts every run is the same NLP from the same initial guess, so
the three ways of running it must give the same objectives to round-off; with
warm starts the order differs between backends and the objectives agree to
the solver tolerance.
"""
import pytest
from test_study import write_study

from ocp.cli import main
from ocp.study import load_study, read_runs, run_study

distributed = pytest.importorskip("distributed")

SWEEP = ('"costs.effort.weight" = {logspace = [0.3, 3, 3]}\n'
         '"costs.time.weight" = [1.0, 4.0]')


@pytest.fixture(scope="module")
def cluster():
    """Two single-threaded Dask worker processes on this machine, shut down after."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as local:
        yield local


def objectives(folder) -> dict:
    _, runs = read_runs(folder)
    assert all(r["status"] == "success" for r in runs), [r["message"] for r in runs]
    return {r["run_id"]: r["objective"] for r in runs}


def test_local_pool_and_dask_give_the_same_objectives(tmp_path, cluster):
    path = write_study(tmp_path, SWEEP)
    for name, extra in (("inline", []), ("pool", ["--workers", "2"]),
                        ("dask", ["--scheduler", cluster.scheduler_address])):
        assert main(["study", str(path), "--out", str(tmp_path / name), "--no-warm-start",
                     "--quiet", *extra]) == 0
    inline, pool, dask = (objectives(tmp_path / n) for n in ("inline", "pool", "dask"))
    assert len(inline) == 6
    for run_id, value in inline.items():
        assert pool[run_id] == pytest.approx(value, rel=1e-12)
        assert dask[run_id] == pytest.approx(value, rel=1e-12)
    _, runs = read_runs(tmp_path / "dask")
    assert len({r["worker"] for r in runs}) == 2, "both Dask workers took runs"


def test_warm_started_study_on_dask_matches_the_local_pool(tmp_path, cluster):
    study = load_study(write_study(tmp_path, SWEEP))
    on_dask = run_study(study, tmp_path / "dask", scheduler=cluster.scheduler_address,
                        progress=False)
    on_pool = run_study(study, tmp_path / "pool", workers=2, progress=False)
    assert on_dask.success == on_pool.success == 6
    assert "Dask" in on_dask.backend and "local" in on_pool.backend
    pool = objectives(tmp_path / "pool")
    for run_id, value in objectives(tmp_path / "dask").items():
        assert value == pytest.approx(pool[run_id], rel=1e-7)


def test_unreachable_scheduler_is_a_clear_error_and_writes_nothing(tmp_path, capsys):
    import socket

    import dask

    path = write_study(tmp_path, SWEEP)
    with socket.socket() as s:  # a port on this machine that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        assert main(["study", str(path), "--out", str(tmp_path / "out"), "--quiet",
                     "--scheduler", f"tcp://127.0.0.1:{port}"]) == 2
    err = capsys.readouterr().err
    assert f"127.0.0.1:{port}" in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()
