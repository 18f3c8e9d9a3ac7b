"""Muscle-tendon lengths fitted by polynomials in the coordinates a muscle crosses.

The field's practice for smooth muscle geometry in gradient-based optimal
control (van den Bogert et al. 2013, Procedia IUTAM 2:297; Falisse et al.
2019, J R Soc Interface 16:20190402, polynomials of the joint angles fitted
to OpenSim's paths): for each muscle,

1. find the coordinates it crosses: those with a nonzero moment arm
   (|r| > ``CROSSED_ARM_M``) somewhere on samples of the exact path over the
   ranges;
2. fit l_MT(q) = sum_k c_k prod_j x_j^e_kj, with x_j = (q_j - centre_j) /
   half_width_j in [-1, 1] over the fitted range, by linear least squares
   on the lengths AND the moment arms together (the rows of r_j = -dl/dq_j
   use the derivative of the same monomials), so the one fitted function has
   the right slope as well as the right value;
3. raise the total degree of the monomials from 1 until the RMS length error
   is below ``length_rms_m`` and the worst moment-arm error below
   ``moment_arm_max_m``, up to ``MAX_DEGREE`` (9 for one coordinate, 7 for
   two, 5 for three or more).

Moment arms of the fitted geometry are -dl/dq by automatic differentiation
of the one polynomial (``MuscleDrivenTree``), so they never disagree with
the lengths. Where the exact path has a kink (a conditional path point that
switches), no smooth function follows it; the worst moment-arm error then
sits at the kink and is reported.

The samples are a scrambled Halton sequence over all coordinates (seeded:
deterministic), whose projection on any subset of coordinates is again
evenly spread; the errors reported are measured on separate, uniformly
random validation samples.
"""
from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import casadi as ca
import numpy as np

#: A coordinate is crossed when some sample has a moment arm above this (m or m/m).
CROSSED_ARM_M = 1e-6
#: Highest total degree tried, by number of crossed coordinates (Falisse et al. 2019
#: go up to 9 for one coordinate).
MAX_DEGREE = {1: 9, 2: 7}
MAX_DEGREE_MANY = 5
#: Default targets: RMS length error and worst moment-arm error over the samples (m).
LENGTH_RMS_M = 1e-4
MOMENT_ARM_MAX_M = 1e-3
#: Cache kind (ocp/engine/cache.py) of fits already made: fitting the 18 muscles of
#: Moco's 2D walker took 0.5 s of CPU on one BLAS thread and 3 s on two busy cores
#: (OpenBLAS's threads spin on these small least-squares problems); reading it back
#: takes milliseconds.
FIT_CACHE = "polynomial_geometry"


@dataclass(frozen=True)
class FittedPolynomialGeometry:
    """l_MT = sum_k c_k prod_j ((q_j - centre_j) / half_width_j)^e_kj (m).

    ``coordinates`` are the crossed coordinates (their order is that of
    ``centers_rad``, ``half_widths_rad`` and the columns of ``exponents``);
    ``exponents`` is a tuple of per-term tuples; ``coefficients_m`` the c_k.
    """

    coordinates: tuple
    centers_rad: tuple
    half_widths_rad: tuple
    exponents: tuple
    coefficients_m: tuple

    def length(self, tree, q):
        index = {c: i for i, c in enumerate(tree.coordinates)}
        x = [(q[index[c]] - c0) / w for c, c0, w in
             zip(self.coordinates, self.centers_rad, self.half_widths_rad)]
        top = max((max(e) for e in self.exponents if e), default=0)
        powers = [[1] + [None] * top for _ in x]
        for j, xj in enumerate(x):
            for p in range(1, top + 1):
                powers[j][p] = powers[j][p - 1] * xj
        total = 0
        for c, e in zip(self.coefficients_m, self.exponents):
            term = c
            for j, p in enumerate(e):
                if p:
                    term = term * powers[j][p]
            total = total + term
        return total


@dataclass(frozen=True)
class GeometryFitError:
    """How well one muscle's polynomial reproduces the exact path (m, on validation samples)."""

    muscle: str
    coordinates: tuple
    degree: int
    terms: int
    length_rms_m: float
    length_max_m: float
    moment_arm_rms_m: float
    moment_arm_max_m: float

    def describe(self) -> str:
        return (f"{self.muscle}: degree {self.degree} in {', '.join(self.coordinates)} "
                f"({self.terms} terms), length RMS {self.length_rms_m * 1e3:.3f} mm "
                f"(max {self.length_max_m * 1e3:.3f} mm), moment arm RMS "
                f"{self.moment_arm_rms_m * 1e3:.3f} mm, worst {self.moment_arm_max_m * 1e3:.3f} mm")


def monomial_exponents(d: int, degree: int) -> list[tuple]:
    """All exponent tuples of d variables with total degree <= degree (graded order)."""
    out = []
    for total in range(degree + 1):
        for e in itertools.product(range(total + 1), repeat=d):
            if sum(e) == total:
                out.append(e)
    return out


def _design(x: np.ndarray, exponents, half_widths) -> tuple[np.ndarray, np.ndarray]:
    """Values (N, K) and d/dq (d, N, K) of the monomials at normalised points x (N, d)."""
    e = np.array(exponents)                                  # (K, d)
    n, d = x.shape
    top = int(e.max()) if e.size else 0
    powers = x[:, :, None] ** np.arange(top + 1)[None, None, :]   # (N, d, top+1)
    values = np.ones((n, len(e)))
    for j in range(d):
        values *= powers[:, j, e[:, j]]
    derivatives = np.empty((d, n, len(e)))
    for j in range(d):
        dj = np.ones((n, len(e)))
        for i in range(d):
            if i == j:
                lowered = np.maximum(e[:, j] - 1, 0)
                dj *= e[:, j][None, :] * powers[:, j, lowered]
            else:
                dj *= powers[:, i, e[:, i]]
        derivatives[j] = dj / half_widths[j]
    return values, derivatives


def evaluate_exact(exact, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lengths (N, m) and moment arms (N, n, m) of ``exact`` q (n,) -> (l (m,), r (n, m)).

    ``exact`` is a CasADi Function, or a numpy callable taking all the points
    (N, n) at once and returning (lengths (N, m), moment arms (N, n, m)).
    """
    if not isinstance(exact, ca.Function):
        lengths, arms = exact(points)
        return np.asarray(lengths, float), np.asarray(arms, float)
    n_points, n = points.shape
    lengths, arms = exact.map(n_points)(points.T)
    lengths = np.array(lengths).T
    m = lengths.shape[1]
    # the mapped (n, m) moment-arm matrices sit side by side: (n, n_points * m)
    arms = np.array(arms).reshape(n, m, n_points, order="F").transpose(2, 0, 1)
    return lengths, arms


def fit_box(coordinates: list, ranges: dict) -> list:
    """[(lo, hi), ...] in the coordinates' order: the box a geometry fit samples.

    Raises ValueError for a range that is infinite or empty.
    """
    box = [tuple(float(v) for v in ranges[c]) for c in coordinates]
    for c, (lo, hi) in zip(coordinates, box):
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise ValueError(f"coordinate '{c}': the range to fit must be finite with "
                             f"lower < upper, got [{lo}, {hi}]")
    return box


def sample_box(ranges: list, samples: int, seed: int, kind: str = "halton") -> np.ndarray:
    """``samples`` points (samples, d) in the box [(lo, hi)]: Halton or uniform random."""
    lo, hi = np.array(ranges, dtype=float).T
    if kind == "halton":
        from scipy.stats import qmc  # here, not at import: a third of import ocp
        unit = qmc.Halton(d=len(ranges), scramble=True, seed=seed).random(samples)
    else:
        unit = np.random.default_rng(seed).uniform(size=(samples, len(ranges)))
    return lo + unit * (hi - lo)


def _fit_one(x, lengths, arms, half_widths, degree):
    """Coefficients and exponents of the least-squares fit of one degree."""
    exponents = monomial_exponents(x.shape[1], degree)
    values, derivatives = _design(x, exponents, half_widths)
    # r_j = -dl/dq_j: rows of -derivatives against the moment arms
    a = np.vstack([values] + [-derivatives[j] for j in range(x.shape[1])])
    b = np.concatenate([lengths] + [arms[:, j] for j in range(x.shape[1])])
    coefficients = np.linalg.lstsq(a, b, rcond=None)[0]
    return exponents, coefficients


def _errors(x, lengths, arms, half_widths, exponents, coefficients):
    values, derivatives = _design(x, exponents, half_widths)
    dl = values @ coefficients - lengths
    dr = np.stack([-derivatives[j] @ coefficients - arms[:, j]
                   for j in range(x.shape[1])], axis=1)
    return dl, dr


def fit_polynomial_geometry(exact: ca.Function, coordinates, muscles, ranges: dict, *,
                            samples: int = 2000, validation_samples: int = 2000,
                            length_rms_m: float = LENGTH_RMS_M,
                            moment_arm_max_m: float = MOMENT_ARM_MAX_M, seed: int = 0):
    """Polynomial geometry of every muscle, fitted to ``exact`` over ``ranges``.

    ``exact``: q (n,) -> (lengths (m,), moment arms (n, m)) in m, the model's
    own paths (e.g. ``MuscleDrivenTree.geometry``). ``coordinates``: the n
    coordinate names in q's order; ``muscles``: the m muscle names;
    ``ranges``: coordinate -> (lo, hi) (rad or m), the box fitted.
    Returns (tuple of FittedPolynomialGeometry, tuple of GeometryFitError),
    one per muscle; the errors are measured on fresh uniform samples.
    Raises ValueError for a muscle that crosses no coordinate in the ranges.
    """
    coordinates, muscles = list(coordinates), list(muscles)
    box = fit_box(coordinates, ranges)
    train = sample_box(box, samples, seed)
    check = sample_box(box, validation_samples, seed + 1, kind="uniform")
    lengths, arms = evaluate_exact(exact, train)
    check_lengths, check_arms = evaluate_exact(exact, check)
    key = _fit_key(coordinates, muscles, length_rms_m, moment_arm_max_m,
                   (train, lengths, arms, check, check_lengths, check_arms))
    cached = _cached_fit(key)
    if cached is not None:
        return cached
    centers = np.array([(lo + hi) / 2 for lo, hi in box])
    halves = np.array([(hi - lo) / 2 for lo, hi in box])
    geometries, errors = [], []
    for k, name in enumerate(muscles):
        crossed = [j for j in range(len(coordinates))
                   if np.abs(arms[:, j, k]).max() > CROSSED_ARM_M]
        if not crossed:
            raise ValueError(f"muscle '{name}' crosses no coordinate over the fitted ranges")
        geometry, error = fit_muscle(
            name, [coordinates[j] for j in crossed], centers[crossed], halves[crossed],
            (train[:, crossed], lengths[:, k], arms[:, crossed, k]),
            (check[:, crossed], check_lengths[:, k], check_arms[:, crossed, k]),
            length_rms_m=length_rms_m, moment_arm_max_m=moment_arm_max_m)
        geometries.append(geometry)
        errors.append(error)
    _store_fit(key, geometries, errors)
    return tuple(geometries), tuple(errors)


def _fit_key(coordinates, muscles, length_rms_m, moment_arm_max_m, samples) -> str:
    """Digest of everything a fit is made from: the exact paths at the samples, the
    names, the targets and this module's code (a changed fit is never read back)."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update(json.dumps([list(coordinates), list(muscles), length_rms_m,
                              moment_arm_max_m, np.__version__]).encode())
    for a in samples:
        digest.update(np.ascontiguousarray(a, dtype=float).tobytes())
    return digest.hexdigest()


def _cached_fit(key: str):
    """(geometries, errors) fitted before to the same samples, or None."""
    from ocp.engine.cache import cache_folder
    try:
        stored = json.loads((cache_folder(FIT_CACHE) / f"{key}.json").read_text())
        geometries = tuple(FittedPolynomialGeometry(
            tuple(g["coordinates"]), tuple(g["centers_rad"]), tuple(g["half_widths_rad"]),
            tuple(tuple(e) for e in g["exponents"]), tuple(g["coefficients_m"]))
            for g in stored["geometries"])
        errors = tuple(GeometryFitError(**{**e, "coordinates": tuple(e["coordinates"])})
                       for e in stored["errors"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return geometries, errors


def _store_fit(key: str, geometries, errors) -> None:
    """Keep a fit for the next reading of the same model (JSON floats read back exactly)."""
    from ocp.engine.cache import cache_folder
    folder = cache_folder(FIT_CACHE)
    text = json.dumps({"geometries": [dataclasses.asdict(g) for g in geometries],
                       "errors": [dataclasses.asdict(e) for e in errors]})
    try:
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / f"{key}.{os.getpid()}.tmp"
        partial.write_text(text)
        os.replace(partial, folder / f"{key}.json")
    except OSError:  # a read-only cache: fit again next time
        pass


def fit_muscle(name: str, coordinates, centers, halves, train, check, *,
               length_rms_m: float = LENGTH_RMS_M, moment_arm_max_m: float = MOMENT_ARM_MAX_M,
               max_degree: int | None = None):
    """(FittedPolynomialGeometry, GeometryFitError) of one muscle in ``coordinates``.

    ``train`` and ``check``: (q (N, d), lengths (N,), moment arms (N, d)) of the
    exact path at the samples fitted and at the held-out ones the errors are
    measured on; ``centers``, ``halves`` (d,): the centre and half-width of each
    coordinate's fitted range. The total degree rises from 1 until the training
    RMS length error is within ``length_rms_m`` and the worst moment-arm error
    within ``moment_arm_max_m``, up to ``max_degree`` (default ``MAX_DEGREE``).
    """
    centers, halves = np.asarray(centers, float), np.asarray(halves, float)
    q, lengths, arms = train
    qc, check_lengths, check_arms = check
    x, xc = (q - centers) / halves, (qc - centers) / halves
    top = max_degree or MAX_DEGREE.get(x.shape[1], MAX_DEGREE_MANY)
    for degree in range(1, top + 1):
        exponents, coefficients = _fit_one(x, lengths, arms, halves, degree)
        dl, dr = _errors(x, lengths, arms, halves, exponents, coefficients)
        if np.sqrt(np.mean(dl ** 2)) <= length_rms_m and np.abs(dr).max() <= moment_arm_max_m:
            break
    dl, dr = _errors(xc, check_lengths, check_arms, halves, exponents, coefficients)
    names = tuple(coordinates)
    geometry = FittedPolynomialGeometry(
        names, tuple(map(float, centers)), tuple(map(float, halves)),
        tuple(tuple(int(p) for p in e) for e in exponents), tuple(map(float, coefficients)))
    error = GeometryFitError(
        name, names, degree, len(exponents), float(np.sqrt(np.mean(dl ** 2))),
        float(np.abs(dl).max()), float(np.sqrt(np.mean(dr ** 2))), float(np.abs(dr).max()))
    return geometry, error
