"""Smooth muscle geometry of a 3D .osim model: polynomials fitted to the exact paths.

The exact path of each muscle (``ocp.osim.paths3d``: path points, moving and
conditional points, wrapping) is numpy that branches and iterates; the NLP
needs a smooth function of the coordinates. As PredSim does (Falisse et al.
2019, J R Soc Interface 16:20190402), each muscle's length is fitted by a
polynomial in the coordinates it spans, and its moment arms are minus the
derivative of that polynomial:

1. the coordinates a muscle spans are those of the joints between the bodies
   its path touches (points and wrap objects) up to their common ancestor,
   those that move or switch its points, each mapped to the free coordinates
   it depends on (a coupled coordinate to its independent ones, a locked one
   to none): the hip's three coordinates plus the knee for a biarticular
   thigh muscle;
2. its exact length is sampled over the ranges of those coordinates (the
   others held at their default values; scrambled Halton samples), its exact
   moment arms by central differences of the length (step ``STEP``, poses
   from the model's own spatial tree), and the polynomial is fitted to both
   (``ocp.models.muscles.polynomial_fit.fit_muscle``);
3. the errors are measured on as many held-out, uniformly random samples and
   kept per muscle (``model.geometry_fit``). A fit worse than
   ``FIT_LENGTH_RMS_M`` in length or ``FIT_MOMENT_ARM_RMS_M`` in moment arm
   (RMS) is refused, naming the muscle and how far off it is, unless the
   caller accepts it (``[model] accept_geometry_fit = true``).

Fits are cached on disk (``$OCP_CACHE_DIR/osim_geometry``, see
``ocp.engine.cache``) under a name keyed by the SHA-256 of the file, the
ranges and the sampling options, so a second load reads them.
"""
from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import casadi as ca
import numpy as np

from ocp.engine.cache import cache_folder
from ocp.models.muscles.polynomial_fit import (
    FittedPolynomialGeometry,
    GeometryFitError,
    fit_muscle,
    sample_box,
)
from ocp.models.spatial.reduced import ReducedTree

#: Changes whenever the sampling or the fit changes what a cached file holds.
CACHE_VERSION = "osim-polynomial-3d-2"
#: Central-difference step of the exact moment arms (rad or m): the truncation error
#: (~ step^2 l''') and the rounding error (~ 1e-16 l / step) both stay below 1e-9 m.
STEP = 1e-6


@dataclass(frozen=True)
class FitOptions3D:
    """How many samples a muscle's fit takes (all of it enters the cache key)."""

    samples_per_term: float = 2.0   # training samples per term of the highest degree tried
    min_samples: int = 100          # and at least this many (as many held out)
    seed: int = 0
    step: float = STEP
    #: highest total degree tried by number of coordinates spanned (5 beyond): higher
    #: than the planar fit's, as PredSim's hip muscles need
    max_degree: tuple = ((1, 9), (2, 8), (3, 7), (4, 6))

    def top_degree(self, d: int) -> int:
        return dict(self.max_degree).get(d, 5)


def coordinate_dependencies(rtree: ReducedTree) -> dict:
    """{tree coordinate: the free coordinates it depends on} (coupled: through their
    independent coordinates; locked: none)."""
    coupled = {c.dependent: c.independent for c in rtree.couplings}
    free = set(rtree.coordinates)
    out = {}

    def depends(name, depth=0):
        if name in free:
            return {name}
        if name in coupled and depth < 50:
            return set().union(*(depends(i, depth + 1) for i in coupled[name]))
        return set()
    for c in rtree.tree.coordinates:
        out[c] = depends(c)
    return out


def spanned_coordinates(rtree: ReducedTree, path) -> tuple:
    """The free coordinates a muscle path (``MusclePath3D``) depends on, in the tree's
    order: joints between its bodies up to their common ancestor, plus the
    coordinates of its moving and conditional points."""
    parent = {b.name: b.parent for b in rtree.tree.bodies}
    joint = {b.name: b.joint.coordinates for b in rtree.tree.bodies}

    def chain(body):
        out = []
        while body not in (None, "ground"):
            out.append(body)
            body = parent[body]
        return out + ["ground"]
    bodies = {p.body for p in path.points} | {w.wrap.body for w in path.wraps}
    chains = [chain(b) for b in bodies]
    common = set(chains[0]).intersection(*chains[1:])
    ancestor = next(b for b in chains[0] if b in common)
    full = set()
    for ch in chains:
        for b in ch[:ch.index(ancestor)]:
            full.update(joint[b])
    for p in path.points:
        full.update(c for c, _, _ in p.functions if c is not None)
        if p.coordinate is not None:
            full.add(p.coordinate)
    deps = coordinate_dependencies(rtree)
    free = set().union(*(deps.get(c, set()) for c in full)) if full else set()
    return tuple(c for c in rtree.coordinates if c in free)


class ExactPaths:
    """Exact lengths and moment arms of 3D paths over the free coordinates of a tree.

    ``poses`` of every body come from one CasADi function of the free
    coordinates (mapped over all samples at once); the lengths from
    ``MusclePath3D.length``.
    """

    def __init__(self, rtree: ReducedTree, paths: dict, defaults: dict):
        self.rtree, self.paths = rtree, paths
        self.defaults = np.array([defaults[c] for c in rtree.coordinates], float)
        q = ca.SX.sym("q", rtree.n)
        states = rtree.body_states(q)
        self.bodies = list(states)
        out = [rtree.expand(q)[0]]
        for b in self.bodies:
            out += [ca.reshape(states[b].R, 9, 1), states[b].p]
        self.pose_function = ca.Function("poses", [q], [ca.vertcat(*out)])
        self._poses = {}

    def poses(self, points: np.ndarray) -> list:
        """[(q {tree coordinate: value}, poses {body: (R, p)})] at points (N, n_free)."""
        values = np.array(self.pose_function.map(len(points))(points.T)).T
        nf = len(self.rtree.tree.coordinates)
        out = []
        for row in values:
            q = dict(zip(self.rtree.tree.coordinates, row[:nf]))
            poses, k = {}, nf
            for b in self.bodies:
                poses[b] = (row[k:k + 9].reshape(3, 3, order="F"), row[k + 9:k + 12])
                k += 12
            out.append((q, poses))
        return out

    def evaluate(self, muscle: str, coordinates: tuple, samples: np.ndarray, step: float = STEP,
                 key=None) -> tuple[np.ndarray, np.ndarray]:
        """(lengths (N,), moment arms (N, d)) of ``muscle`` at samples (N, d) of its
        ``coordinates`` (the others at their defaults); moment arms = -dl/dq by
        central differences. ``key`` names the samples, to reuse their poses."""
        index = [self.rtree.coordinates.index(c) for c in coordinates]
        n_samples, d = samples.shape
        if key is None or key not in self._poses:
            base = np.tile(self.defaults, (n_samples, 1))
            base[:, index] = samples
            blocks = [base]
            for j in index:
                for sign in (1.0, -1.0):
                    moved = base.copy()
                    moved[:, j] += sign * step
                    blocks.append(moved)
            poses = self.poses(np.vstack(blocks))
            if key is not None:   # the sample sets of the last coordinates only
                self._poses = {k: v for k, v in self._poses.items() if k[1] == key[1]}
                self._poses[key] = poses
        else:
            poses = self._poses[key]
        path = self.paths[muscle]
        values = np.array([path.length(p, q) for q, p in poses]).reshape(1 + 2 * d, n_samples)
        arms = -(values[1::2] - values[2::2]).T / (2 * step)
        return values[0], arms


def sample_count(d: int, options: FitOptions3D) -> int:
    """Training (and held-out) samples of a muscle spanning d coordinates."""
    terms = math.comb(options.top_degree(d) + d, d)
    return max(options.min_samples, math.ceil(options.samples_per_term * terms))


def cache_key(osim_bytes: bytes, ranges: dict, options: FitOptions3D) -> str:
    payload = json.dumps({"version": CACHE_VERSION,
                          "osim": hashlib.sha256(osim_bytes).hexdigest(),
                          "ranges": {c: [repr(float(v)) for v in r]
                                     for c, r in sorted(ranges.items())},
                          "options": asdict(options)}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def fit_paths(rtree: ReducedTree, paths: dict, ranges: dict, defaults: dict,
              options: FitOptions3D | None = None, progress=None) -> tuple[tuple, tuple]:
    """(FittedPolynomialGeometry per muscle, GeometryFitError per muscle), in the
    order of ``paths``. ``ranges``: free coordinate -> (lo, hi); ``defaults``:
    free coordinate -> value held when a muscle does not span it. Raises
    ValueError for a muscle that spans no free coordinate."""
    options = options or FitOptions3D()
    exact = ExactPaths(rtree, paths, defaults)
    geometries, errors = [], []
    for name, path in paths.items():
        start = time.perf_counter()
        coords = spanned_coordinates(rtree, path)
        if not coords:
            raise ValueError(f"muscle '{name}' spans no free coordinate: its length is "
                             "constant")
        box = [tuple(float(v) for v in ranges[c]) for c in coords]
        n = sample_count(len(coords), options)
        train = sample_box(box, n, options.seed)
        check = sample_box(box, n, options.seed + 1, kind="uniform")
        lengths, arms = exact.evaluate(name, coords, train, options.step, ("train", coords))
        check_lengths, check_arms = exact.evaluate(name, coords, check, options.step,
                                                   ("check", coords))
        centers = np.array([(lo + hi) / 2 for lo, hi in box])
        halves = np.array([(hi - lo) / 2 for lo, hi in box])
        geometry, error = fit_muscle(name, coords, centers, halves,
                                     (train, lengths, arms), (check, check_lengths, check_arms),
                                     max_degree=options.top_degree(len(coords)))
        geometries.append(geometry)
        errors.append(error)
        if progress is not None:
            progress(error, time.perf_counter() - start)
    return tuple(geometries), tuple(errors)


def cached_fit(osim_path, rtree: ReducedTree, paths: dict, ranges: dict, defaults: dict, *,
               options: FitOptions3D | None = None, cache: Path | None = None,
               progress=None) -> tuple[tuple, tuple, bool]:
    """(geometries, errors, fitted now?): :func:`fit_paths`, read from the cache when
    the same file was fitted over the same ranges before."""
    options = options or FitOptions3D()
    osim_path = Path(osim_path)
    ranges = {c: tuple(float(v) for v in ranges[c]) for c in rtree.coordinates if c in ranges}
    key = cache_key(osim_path.read_bytes(), ranges, options)
    stem = osim_path.stem.replace(".", "_")
    file = (cache or cache_folder("osim_geometry")) / f"{stem}_polynomial3d_{key[:16]}.json"
    muscles = list(paths)
    if file.exists():
        try:
            data = json.loads(file.read_text())
            if data["muscles"] == muscles:
                return (tuple(_geometry(g) for g in data["geometries"]),
                        tuple(_error(e) for e in data["errors"]), False)
        except (OSError, ValueError, KeyError, TypeError):
            pass   # unreadable: fitted again and rewritten
    geometries, errors = fit_paths(rtree, paths, ranges, defaults, options, progress)
    file.parent.mkdir(parents=True, exist_ok=True)
    tmp = file.with_suffix(".tmp")
    tmp.write_text(json.dumps({"muscles": muscles, "file": str(osim_path),
                               "geometries": [asdict(g) for g in geometries],
                               "errors": [asdict(e) for e in errors]}))
    tmp.replace(file)
    return geometries, errors, True


def _geometry(d: dict) -> FittedPolynomialGeometry:
    return FittedPolynomialGeometry(tuple(d["coordinates"]), tuple(d["centers_rad"]),
                                    tuple(d["half_widths_rad"]),
                                    tuple(tuple(e) for e in d["exponents"]),
                                    tuple(d["coefficients_m"]))


def _error(d: dict) -> GeometryFitError:
    return GeometryFitError(**{**d, "coordinates": tuple(d["coordinates"])})


__all__ = ["CACHE_VERSION", "STEP", "ExactPaths", "FitOptions3D", "cached_fit",
           "coordinate_dependencies", "fit_paths", "sample_count", "spanned_coordinates"]
