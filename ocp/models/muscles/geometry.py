"""Muscle-tendon length as a smooth function of the joint coordinates.

Moment arms are never stored: they are r_j = -d l_MT / d q_j from automatic
differentiation of the one length function, so lengths, lengthening speeds
and moment arms can never disagree.
"""
from __future__ import annotations

from dataclasses import dataclass

import casadi as ca
import numpy as np

from ocp.errors import ProblemError, suggestion
from ocp.models.multibody import KinematicTree, point_positions


@dataclass(frozen=True)
class PathGeometry:
    """A straight-line path through points fixed in segments.

    ``points`` are ``(segment, (x, y))`` in that segment's frame (m); the
    segment ``None`` is the ground. The length is the sum of the distances
    between consecutive points: smooth while no two consecutive points meet.
    """

    points: tuple

    def check(self, tree: KinematicTree, muscle: str) -> None:
        """Every point's segment is one of ``tree``'s (or the ground): a ProblemError
        on ``muscles.MUSCLE.path`` otherwise."""
        names = [s.name for s in tree.segments]
        for segment, _ in self.points:
            if segment is not None and segment not in names:
                raise ProblemError(f"muscle '{muscle}': no segment '{segment}' in the model; "
                                   f"segments: 'ground', {', '.join(map(repr, names))}"
                                   + suggestion(segment, names + ["ground"]),
                                   f"muscles.{muscle}.path", value=segment)

    def length(self, tree: KinematicTree, q):
        positions = point_positions(tree, q, [(seg, xy) for seg, xy in self.points])
        total = 0
        for a, b in zip(positions[:-1], positions[1:]):
            total = total + ca.norm_2(b - a)
        return total


@dataclass(frozen=True)
class NetworkPathLength:
    """Muscle ``index``'s length (m) from ``function`` q (n,) -> (lengths (m, 1), ...):
    one function (learned networks, ``ocp.osim.neural_geometry3d``) for every muscle
    of a model, which the model evaluates once for all (``path_geometry``);
    ``coordinates``: those the muscle crosses; ``own``: q (n,) -> this muscle's length
    alone (its row of ``function``, for what looks at one muscle at a time)."""

    function: ca.Function
    index: int
    coordinates: tuple
    own: ca.Function

    def length(self, tree, q):
        return self.own(q)


@dataclass(frozen=True)
class PolynomialGeometry:
    """l_MT = sum_k c_k prod_j q_j^e_kj: the polynomial fits the field uses.

    ``terms`` is a tuple of ``(coefficient_m, {coordinate: exponent})``.
    """

    terms: tuple

    def check(self, tree: KinematicTree, muscle: str) -> None:
        """Every term's coordinates are ``tree``'s: a ProblemError on
        ``muscles.MUSCLE.length_polynomial`` otherwise."""
        for _, exponents in self.terms:
            for coordinate in exponents:
                if coordinate not in tree.coordinates:
                    raise ProblemError(
                        f"muscle '{muscle}': no coordinate '{coordinate}' in the model"
                        + suggestion(coordinate, tree.coordinates),
                        f"muscles.{muscle}.length_polynomial", value=coordinate)

    def length(self, tree: KinematicTree, q):
        index = {c: i for i, c in enumerate(tree.coordinates)}
        total = 0
        for coefficient, exponents in self.terms:
            term = coefficient
            for coordinate, power in exponents.items():
                term = term * q[index[coordinate]] ** power
            total = total + term
        return total


def moment_arms(length, q):
    """r = -d l / d q, (n, 1), from the length expression and the coordinates q."""
    return -ca.jacobian(length, q).T


def crossed_coordinates(geometry: ca.Function, tree: KinematicTree,
                        samples: int = 16) -> list[list[str]]:
    """The coordinates each muscle's path length changes with (the joints it crosses),
    from a model's geometry function (q -> lengths (m, 1), moment arms (n, m)): one
    list per muscle.

    Checked numerically at a fixed set of postures in [-pi, pi]: a path whose
    points all ride on one segment is symbolically a function of that
    segment's angle but never changes length.
    """
    postures = np.random.default_rng(0).uniform(-np.pi, np.pi, (samples, tree.n))
    arms = np.abs(np.array(geometry.map(samples)(postures.T)[1]))   # (n, samples * m)
    largest = arms.reshape(tree.n, samples, -1).max(axis=1)          # (n, m)
    return [[c for i, c in enumerate(tree.coordinates) if largest[i, k] > 1e-9]
            for k in range(largest.shape[1])]
