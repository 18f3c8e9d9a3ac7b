"""A dimensionless problem (``units = "none"``) is plotted without seconds (issue #24).

The report already prints its times without units; the plots' time axes said
``time [s]``. Every x-axis label of states.png, controls.png and costs.png is
recorded while they are drawn.
"""
import dataclasses

import casadi as ca
import matplotlib.axes
import pytest

import ocp
from ocp.io.plotting import plot_solution


@pytest.fixture(scope="module")
def solution():
    model = ocp.CustomModel("decay", ["x"], ["u"], lambda x, u, p: ca.vertcat(-x[0] + u[0]))
    problem = ocp.Problem(model=model, final_time=2.0, transcription=ocp.HermiteSimpson(4))
    problem.initial["x"] = 1.0
    problem.minimize(ocp.SquaredControls("effort"))
    problem.units = "none"
    return ocp.solve(problem)


def time_labels(solution, folder, monkeypatch) -> list[str]:
    labels = []
    original = matplotlib.axes.Axes.set_xlabel

    def record(ax, label, *args, **kwargs):
        labels.append(label)
        return original(ax, label, *args, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "set_xlabel", record)
    paths = plot_solution(solution, folder)
    assert {p.name for p in paths} == {"states.png", "controls.png", "costs.png"}
    return [label for label in labels if label.startswith("time")]


def test_a_dimensionless_problem_has_no_seconds_on_its_time_axes(solution, tmp_path,
                                                                 monkeypatch):
    assert solution.units == "none"
    labels = time_labels(solution, tmp_path, monkeypatch)
    assert len(labels) == 3 and set(labels) == {"time"}


def test_a_problem_in_si_units_keeps_its_seconds(solution, tmp_path, monkeypatch):
    si = dataclasses.replace(solution, units="si")
    assert set(time_labels(si, tmp_path, monkeypatch)) == {"time [s]"}
