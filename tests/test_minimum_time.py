"""Minimum-time rest-to-rest motion of a mass: T* = 2 sqrt(m D / F_max)."""
import math

import pytest

import ocp

PROBLEM = """
title = "Minimum-time slide"
[model]
name = "sliding_mass"
[model.parameters]
mass_kg = {mass}
max_force_N = {force}
[time]
final = [0.1, 20.0]
[initial]
position = 0
position_speed = 0
[final]
position = {distance}
position_speed = 0
[costs.time]
type = "final_time"
[transcription]
method = "{method}"
intervals = 40
"""


@pytest.mark.parametrize("method", ["trapezoidal", "hermite-simpson", "radau"])
def test_minimum_time_slide_matches_bang_bang_closed_form(tmp_path, method):
    mass, force, distance = 2.0, 3.0, 1.5
    path = tmp_path / "slide.toml"
    path.write_text(PROBLEM.format(mass=mass, force=force, distance=distance, method=method))
    solution = ocp.solve(ocp.load_problem(path))
    expected = 2 * math.sqrt(mass * distance / force)
    assert solution.success
    assert abs(solution.final_time - expected) / expected < 1e-3
    # bang-bang: full force forward in the first half, full brake in the second
    u = solution.control("force_position")
    first = solution.time < 0.45 * solution.final_time
    last = solution.time > 0.55 * solution.final_time
    assert min(u[first]) > 0.99 * force and max(u[last]) < -0.99 * force
