"""``[model] geometry = "neural"`` for 3D .osim files: muscle paths learned by small networks.

The 3D counterpart of ``ocp.osim.neural_geometry`` (which it uses: the same
training, export, cache and error report). The exact 3D path of each muscle
(``ocp.osim.paths3d``, wrapping included) is numpy evaluated pose by pose, so
it enters the training as a numpy callable over all samples at once:

- a sample q (N, n) of the free coordinates over the fitted box: each muscle's
  length at its own coordinates (``ocp.osim.geometry3d.spanned_coordinates``:
  the joints between the bodies its path touches, the hip's three and the
  knee for a biarticular thigh muscle), the others held at their defaults, and
  its moment arms about them by central differences of the exact length
  (``ocp.osim.geometry3d.ExactPaths``), zero about the others;
- muscles crossing the same coordinates share one network (inputs: those
  coordinates), trained on lengths and moment arms (a Sobolev loss);
- the export is one CasADi function q (n,) -> (lengths (m, 1), moment arms
  (n, m)), the arms minus its Jacobian; :class:`NetworkPathLength` gives each
  muscle its row, and the spatial model evaluates the function once for all
  (``ocp.models.spatial_muscle_driven``).

The errors per muscle are measured on fresh uniform samples of the box (the
``validation_samples`` of the options) and are refused beyond the same targets
as the polynomials' (``accept_geometry_fit`` keeps them).
"""
from __future__ import annotations

from pathlib import Path

import casadi as ca
import numpy as np

from ocp.models.muscles.geometry import NetworkPathLength
from ocp.models.spatial.reduced import ReducedTree
from ocp.osim.geometry3d import ExactPaths, spanned_coordinates
from ocp.osim.neural_geometry import NeuralGeometryOptions, neural_geometry

#: The training options of 3D files: wider than the planar ones (gait2392's hip
#: muscles share one network of 20 outputs: at 16-16 eleven of its 92 muscles missed
#: the targets, at 32-32 three of the hip's twenty), with fewer validation samples
#: (each exact 3D length costs a pose and a wrap per sample).
OPTIONS_3D = NeuralGeometryOptions(hidden=(32, 32), validation_samples=1000)


def exact_sampler(rtree: ReducedTree, paths: dict, defaults: dict):
    """points (N, n) -> (lengths (N, m), moment arms (N, n, m)) of the exact paths, each
    muscle at its spanned coordinates (the others at their defaults)."""
    exact = ExactPaths(rtree, paths, defaults)
    spans = {name: spanned_coordinates(rtree, path) for name, path in paths.items()}
    for name, coords in spans.items():
        if not coords:
            raise ValueError(f"muscle '{name}' spans no free coordinate: its length is "
                             "constant")
    calls = [0]

    def sample(points: np.ndarray):
        calls[0] += 1
        points = np.asarray(points, float)
        lengths = np.zeros((len(points), len(paths)))
        arms = np.zeros((len(points), rtree.n, len(paths)))
        by_span = {}   # the muscles of one span share their poses
        for k, (name, coords) in enumerate(spans.items()):
            by_span.setdefault(coords, []).append((k, name))
        for coords, muscles in by_span.items():
            index = [rtree.coordinates.index(c) for c in coords]
            for k, name in muscles:
                lengths[:, k], arms[:, index, k] = exact.evaluate(
                    name, coords, points[:, index], key=(calls[0], coords))
        return lengths, arms

    return sample


def neural_paths3d(osim_path, rtree: ReducedTree, paths: dict, ranges: dict, defaults: dict,
                   *, units: list, model_name: str, cache: Path | None = None,
                   options: NeuralGeometryOptions = OPTIONS_3D) -> tuple[tuple, tuple]:
    """(NetworkPathLength per muscle, NeuralFitError per muscle), in the order of ``paths``:
    networks trained on the exact paths over ``ranges`` (free coordinate -> (lo, hi)),
    or read from the cache. ``units``: "rad" or "m" per free coordinate."""
    surrogate, errors, _ = neural_geometry(
        osim_path, exact_sampler(rtree, paths, defaults), list(rtree.coordinates), units,
        list(paths), ranges, model_name=model_name, cache=cache, options=options)
    by_muscle = {e.muscle: e for e in errors}
    function = surrogate.function
    q = ca.SX.sym("q", rtree.n)
    lengths = function(q)[0]
    # each muscle's own length: a function of its group's network only (CasADi keeps
    # the operations its output needs), for what looks at one muscle at a time
    geometries = tuple(NetworkPathLength(function, k, by_muscle[name].coordinates,
                                         ca.Function(f"length_{name}", [q], [lengths[k]]))
                       for k, name in enumerate(paths))
    return geometries, tuple(by_muscle[name] for name in paths)


__all__ = ["OPTIONS_3D", "exact_sampler", "neural_paths3d"]
