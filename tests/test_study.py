"""Study files, run order and the results store, without solving anything.

Study files expand into runs exactly as numpy would space them; bad input is
rejected before any run starts, naming the study file and the key; every run
can be reproduced with the ``ocp solve --set`` command stored for it.
"""
import itertools
import json
import shlex
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from conftest import PROBLEMS

from ocp.cli import main, parse_set
from ocp.errors import ProblemError
from ocp.study.order import NeighbourOrder
from ocp.study.plots import pareto_indices
from ocp.study.spec import load_study, toml_value
from ocp.study.store import STORE_FILE, Store

FREE_TIME = PROBLEMS / "arm_reach_torque_free_time.toml"


def write_study(folder, sweep: str, fixed: str = '"transcription.intervals" = 15',
                mode: str = "grid", problem=FREE_TIME, name="study.toml"):
    """A study file in ``folder`` sweeping the free-time reach (or ``problem``)."""
    path = folder / name
    path.write_text(f'title = "test study"\nproblem = "{problem}"\nmode = "{mode}"\n'
                    f"[fixed]\n{fixed}\n[sweep]\n{sweep}\n")
    return path


# -- expanding a study into runs ------------------------------------------------------
def test_grid_is_every_combination_with_the_first_key_slowest(tmp_path):
    study = load_study(write_study(tmp_path, '"costs.effort.weight" = [0.5, 2]\n'
                                             '"costs.time.weight" = [1, 3, 9]'))
    expected = list(itertools.product([0.5, 2], [1, 3, 9]))
    assert [(r.sweep["costs.effort.weight"], r.sweep["costs.time.weight"])
            for r in study.runs] == expected
    assert [r.run_id for r in study.runs] == list(range(6))
    assert all(r.overrides["transcription.intervals"] == 15 for r in study.runs)


def test_zip_pairs_the_ith_values(tmp_path):
    study = load_study(write_study(tmp_path, '"costs.effort.weight" = [0.5, 2, 4]\n'
                                             '"costs.time.weight" = [1, 3, 9]', mode="zip"))
    assert [tuple(r.sweep.values()) for r in study.runs] == [(0.5, 1), (2, 3), (4, 9)]


def test_ranges_match_numpy_spacing_with_exact_endpoints(tmp_path):
    study = load_study(write_study(
        tmp_path, '"costs.effort.weight" = {logspace = [0.01, 10, 4]}\n'
                  '"costs.time.weight" = {linspace = [0.5, 2.5, 5]}\n'
                  '"transcription.intervals" = {linspace = [10, 30, 3]}\n'
                  '"model.parameters.forearm_mass_kg" = {linspace = [1.0, 1.5, 2]}',
        fixed=""), validate=False)
    log, lin, mesh, mass = study.axes
    assert log.values == pytest.approx(np.geomspace(0.01, 10, 4), rel=1e-14)
    assert log.values[0] == 0.01 and log.values[-1] == 10  # as written, no rounding
    ratios = np.array(log.values[1:]) / np.array(log.values[:-1])
    assert ratios == pytest.approx(10.0)  # a decade per step
    assert lin.values == pytest.approx(np.linspace(0.5, 2.5, 5), abs=1e-15)
    assert mesh.values == (10, 20, 30) and all(type(v) is int for v in mesh.values)
    assert (log.scale, lin.scale, mesh.scale) == ("log", "linear", "linear")
    assert len(study.runs) == 4 * 5 * 3 * 2


def test_quantity_ranges_keep_their_unit(tmp_path):
    problem = PROBLEMS / "arm_reach_torque.toml"
    study = load_study(write_study(tmp_path, '"time.final" = {linspace = ["400 ms", "800 ms", 3]}',
                                   problem=problem))
    assert study.axes[0].values == ("400 ms", "600 ms", "800 ms")
    assert study.axes[0].unit == "ms"


def test_bare_dotted_keys_mean_the_same_as_quoted_ones(tmp_path):
    quoted = load_study(write_study(tmp_path, '"costs.time.weight" = [1, 2]', name="a.toml"))
    bare = load_study(write_study(tmp_path, "costs.time.weight = [1, 2]",
                                  fixed="transcription.intervals = 15", name="b.toml"))
    assert [r.overrides for r in quoted.runs] == [r.overrides for r in bare.runs]
    assert quoted.spec_hash == bare.spec_hash


def test_log_axes_are_normalised_on_a_log_scale(tmp_path):
    study = load_study(write_study(tmp_path, '"costs.time.weight" = [0.1, 1, 10, 100]\n'
                                             '"costs.effort.weight" = [1, 2, 4]'))
    x = study.coordinates()
    assert np.unique(x[:, 0]) == pytest.approx([0, 1 / 3, 2 / 3, 1])  # equal decades
    assert np.unique(x[:, 1]) == pytest.approx([0, 1 / 3, 1])  # linear: 2 is a third of the way


def test_spec_hash_changes_with_the_problem_file_but_not_its_comments(tmp_path):
    problem = tmp_path / "p.toml"
    text = FREE_TIME.read_text()
    problem.write_text(text)
    path = write_study(tmp_path, '"costs.time.weight" = [1, 2]', problem=problem)
    first = load_study(path).spec_hash
    problem.write_text("# a comment\n" + text)
    assert load_study(path).spec_hash == first
    problem.write_text(text.replace("tau_elbow = [-50, 50]", "tau_elbow = [-40, 40]"))
    assert load_study(path).spec_hash != first


# -- reproducing a run alone --------------------------------------------------------------
@pytest.mark.parametrize("value", [0.1, 1 / 3, 1e-5, 2.5e20, 7, -3, "0.5 s", "180 deg",
                                   [0.2, "2 s"], [-50, 50], {"elbow": "90 deg"}, True,
                                   'say "hi"'])
def test_set_reads_back_every_value_a_study_writes(value):
    assert parse_set([f"key={toml_value(value)}"]) == {"key": value}


def test_stored_command_reads_back_to_the_run_overrides(tmp_path):
    study = load_study(write_study(tmp_path, '"costs.effort.weight" = {logspace = [0.1, 10, 3]}\n'
                                             '"time.final" = [["0.2 s", "2 s"], ["0.3 s", "1 s"]]'))
    for run in study.runs:
        argv = shlex.split(study.command(run))
        assert argv[:2] == ["ocp", "solve"] and Path(argv[2]).resolve() == FREE_TIME.resolve()
        sets = [argv[i + 1] for i, a in enumerate(argv) if a == "--set"]
        assert parse_set(sets) == run.overrides


# -- bad input: clear error before any run starts --------------------------------------------
BAD_STUDIES = [
    ("unknown key", '"costs.effort.wieght" = [1, 2]',
     ["sweep.costs.effort.wieght", "did you mean 'weight'"]),
    ("unknown cost term", '"costs.effrt.weight" = [1, 2]',
     ["sweep.costs.effrt.weight", "did you mean 'effort'"]),
    ("unknown section", '"transcriptoin.intervals" = [10, 20]',
     ["sweep.transcriptoin.intervals", "did you mean 'transcription'"]),
    ("unknown parameter", '"model.parameters.forarm_mass_kg" = [1, 2]',
     ["sweep.model.parameters.forarm_mass_kg", "did you mean 'forearm_mass_kg'"]),
    ("empty list", '"costs.time.weight" = []', ["sweep.costs.time.weight", "empty range"]),
    ("empty linspace", '"costs.time.weight" = {linspace = [1, 2, 0]}',
     ["sweep.costs.time.weight", "empty range"]),
    ("logspace of exponents", '"costs.time.weight" = {logspace = [-2, 1, 4]}',
     ["sweep.costs.time.weight", "positive", "not exponents"]),
    ("malformed range", '"costs.time.weight" = {linspace = [1, 2]}',
     ["sweep.costs.time.weight", "[start, stop, count]"]),
    ("misspelt range", '"costs.time.weight" = {linspase = [1, 2, 3]}',
     ["sweep.costs.time.weight", "did you mean 'linspace'"]),
    ("wrong type", '"costs.time.weight" = [1, "heavy"]',
     ["sweep.costs.time.weight", "run 1", "expected a number"]),
    ("wrong unit", '"time.final" = [["0.2 s", "2 s"], ["0.2 kg", "2 s"]]',
     ["sweep.time.final", "run 1", "unit 'kg'"]),
    ("negative weight", '"costs.time.weight" = {linspace = [-1, 1, 3]}',
     ["sweep.costs.time.weight", "run 0", "at least 0"]),
    ("repeated value", '"costs.time.weight" = [1, 2, 1]', ["sweep.costs.time.weight", "repeated"]),
    ("swept and fixed", '"transcription.intervals" = [10, 20]',
     ["fixed.transcription.intervals", "both swept and fixed"]),
]


@pytest.mark.parametrize("sweep, expected", [b[1:] for b in BAD_STUDIES],
                         ids=[b[0] for b in BAD_STUDIES])
def test_bad_sweep_is_rejected_before_any_run(tmp_path, capsys, sweep, expected):
    path = write_study(tmp_path, sweep)
    out = tmp_path / "out"
    assert main(["study", str(path), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, "one line, no traceback"
    assert str(path) in err
    for fragment in expected:
        assert fragment in err
    assert not out.exists(), "nothing is solved or written for bad input"


@pytest.mark.parametrize("text, expected", [
    ('problem = "nowhere.toml"\n[sweep]\n"costs.time.weight" = [1]', ["problem", "does not exist"]),
    (f'problem = "{FREE_TIME}"\nswep = 1\n[sweep]\n"costs.time.weight" = [1]',
     ["swep", "did you mean 'sweep'"]),
    (f'problem = "{FREE_TIME}"\nmode = "zipped"\n[sweep]\n"costs.time.weight" = [1]',
     ["mode", "did you mean 'zip'"]),
    (f'problem = "{FREE_TIME}"\nmode = "zip"\n[sweep]\n"costs.time.weight" = [1, 2]\n'
     '"costs.effort.weight" = [1, 2, 3]', ["sweep", "differ in length", "costs.effort.weight: 3"]),
    (f'problem = "{FREE_TIME}"\n', ["sweep", "required"]),
    (f'problem = "{FREE_TIME}"\n[sweep\n', ["not valid TOML"]),
], ids=["missing problem", "unknown study key", "unknown mode", "zip lengths", "no sweep",
        "malformed"])
def test_bad_study_file_names_file_and_key(tmp_path, capsys, text, expected):
    path = tmp_path / "study.toml"
    path.write_text(text)
    assert main(["study", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert str(path) in err
    for fragment in expected:
        assert fragment in err
    assert not (tmp_path / "out").exists()


def test_zero_workers_is_bad_input(tmp_path, capsys):
    path = write_study(tmp_path, '"costs.time.weight" = [1, 2]')
    assert main(["study", str(path), "--out", str(tmp_path / "out"), "--workers", "0"]) == 2
    assert "--workers must be at least 1" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_dry_run_lists_every_run_and_its_command(tmp_path, capsys):
    path = write_study(tmp_path, '"costs.time.weight" = [1, 2, 4]')
    assert main(["study", str(path), "--dry-run", "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    assert printed.count("ocp solve") == 3 and "costs.time.weight=4" in printed
    assert not (tmp_path / "out").exists()


# -- the store -------------------------------------------------------------------------
def test_store_of_another_study_is_refused_before_anything_runs(tmp_path, capsys):
    out = tmp_path / "out"
    first = load_study(write_study(tmp_path, '"costs.time.weight" = [1, 2]', name="a.toml"))
    Store.open(out, first, resume=False).close()
    before = (out / STORE_FILE).read_bytes()
    other = write_study(tmp_path, '"costs.time.weight" = [1, 3]', name="b.toml")
    assert main(["study", str(other), "--out", str(out), "--resume"]) == 2
    err = capsys.readouterr().err
    assert str(out) in err and "another study" in err and "a.toml" in err
    assert (out / STORE_FILE).read_bytes() == before


def test_existing_store_needs_resume_and_one_study_process_at_a_time(tmp_path):
    out = tmp_path / "out"
    study = load_study(write_study(tmp_path, '"costs.time.weight" = [1, 2]'))
    store = Store.open(out, study, resume=False)
    with pytest.raises(ProblemError, match="another 'ocp study'"):
        Store.open(out, study, resume=True)
    store.close()
    with pytest.raises(ProblemError, match="--resume"):
        Store.open(out, study, resume=False)
    Store.open(out, study, resume=True).close()


def test_store_rows_start_pending_with_their_command(tmp_path):
    out = tmp_path / "out"
    study = load_study(write_study(tmp_path, '"costs.time.weight" = [1, 2]'))
    Store.open(out, study, resume=False).close()
    conn = sqlite3.connect(out / STORE_FILE)
    rows = conn.execute("SELECT run_id, status, attempts, overrides, command FROM runs").fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [(0, "pending", 0), (1, "pending", 0)]
    assert json.loads(rows[1][3]) == {"transcription.intervals": 15, "costs.time.weight": 2}
    assert "--set costs.time.weight=2" in rows[1][4]
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# -- order of the runs and their warm starts ----------------------------------------------------
def test_order_starts_at_the_centre_and_grows_from_succeeded_runs():
    x = np.array([[i / 4] for i in range(5)])  # five runs on a line
    order = NeighbourOrder(x, range(5))
    assert order.next() == 2 and order.neighbour(2) is None
    order.finished(2, True)
    first, second = order.next(), order.next()
    assert {first, second} == {1, 3}
    assert order.neighbour(first) == 2 and order.neighbour(second) == 2
    order.finished(1, False)  # a failed run is never a starting point
    assert order.neighbour(0) == 2


def test_extra_workers_seed_far_from_running_runs_and_each_run_starts_once():
    x = np.array(list(itertools.product(np.linspace(0, 1, 4), repeat=2)))
    order = NeighbourOrder(x, range(16))
    seeds = [order.next(), order.next()]
    assert np.linalg.norm(x[seeds[0]] - x[seeds[1]]) == pytest.approx(
        np.max(np.linalg.norm(x - x[seeds[0]], axis=1)))  # the farthest from the first, both cold
    started = list(seeds)
    for run in seeds:
        order.finished(run, True)
    while (run := order.next()) is not None:
        source = order.neighbour(run)
        done = np.flatnonzero(order.succeeded)
        assert np.linalg.norm(x[run] - x[source]) == pytest.approx(
            np.min(np.linalg.norm(x[done] - x[run], axis=1)))  # nearest succeeded run
        order.finished(run, True)
        started.append(run)
    assert sorted(started) == list(range(16))


def test_without_warm_start_runs_go_in_id_order():
    order = NeighbourOrder(np.random.default_rng(0).random((6, 2)), [4, 1, 5], warm_start=False)
    assert [order.next(), order.next(), order.next(), order.next()] == [1, 4, 5, None]
    assert order.neighbour(4) is None


def test_pareto_front_matches_brute_force_dominance():
    rng = np.random.default_rng(3)
    a, b = rng.random(60), rng.random(60)
    dominated = {i for i in range(60) for j in range(60)
                 if a[j] <= a[i] and b[j] <= b[i] and (a[j] < a[i] or b[j] < b[i])}
    assert set(pareto_indices(a, b).tolist()) == set(range(60)) - dominated
