"""Cost-weight studies: one problem file solved across a sweep of its keys.

    from ocp.study import load_study, run_study, write_report
    study = load_study("problems/studies/reach_weights.toml")   # validates every run
    result = run_study(study, "results/reach_weights", workers=2)
    write_report("results/reach_weights")                       # tables and plots

Modules: :mod:`~ocp.study.spec` (study file -> runs), :mod:`~ocp.study.store`
(SQLite results store), :mod:`~ocp.study.order` (nearest-neighbour order and
warm starts), :mod:`~ocp.study.backends` (this process, local pool, Dask),
:mod:`~ocp.study.worker` (one run in a worker), :mod:`~ocp.study.runner`
(the loop), :mod:`~ocp.study.cross_check` (each run's solution scored under
the others' weights), :mod:`~ocp.study.integrity` (the store checks itself),
:mod:`~ocp.study.report` and :mod:`~ocp.study.plots` (output);
:mod:`~ocp.study.multistart` and :mod:`~ocp.study.starts`: one problem from
several initial guesses on the same backends (``ocp solve --starts``).
"""
from ocp.study.multistart import MultiStart, solve_from_starts
from ocp.study.report import write_report
from ocp.study.runner import StudyResult, run_study
from ocp.study.spec import Axis, Run, Study, load_study
from ocp.study.store import read_runs

__all__ = ["Axis", "MultiStart", "Run", "Study", "StudyResult", "load_study", "read_runs",
           "run_study", "solve_from_starts", "write_report"]
