"""Rotations for spatial trees: axis-angle matrices, skew and vee, OpenSim's body-fixed X-Y-Z.

Conventions: a rotation matrix ``R`` maps coordinates in a child frame to its
parent (``x_parent = R x_child``). Each function accepts CasADi scalars (SX or
MX) or plain floats; ``numpy_*`` functions work on numbers only, for the
constant offsets that are folded into expressions as numbers.
"""
from __future__ import annotations

import math

import casadi as ca
import numpy as np

#: Entries smaller than this in a constant rotation are set to exact zero, so
#: that CasADi drops the products they would multiply (1e-16 of a metre or a
#: radian is far below every tolerance the tests hold).
ROUND_OFF = 1e-15


def skew(v):
    """The 3x3 matrix [v]x with [v]x w = v x w; v: 3-vector (CasADi or numbers)."""
    return ca.vertcat(ca.horzcat(0, -v[2], v[1]),
                      ca.horzcat(v[2], 0, -v[0]),
                      ca.horzcat(-v[1], v[0], 0))


def vee(m):
    """The 3-vector of the skew-symmetric part of a 3x3 matrix (inverse of :func:`skew`)."""
    return 0.5 * ca.vertcat(m[2, 1] - m[1, 2], m[0, 2] - m[2, 0], m[1, 0] - m[0, 1])


def axis_angle(axis, angle):
    """Rotation by ``angle`` (rad, CasADi scalar) about the unit ``axis`` (3 numbers).

    Rodrigues: R = I + sin a [k]x + (1 - cos a) [k]x^2. Zero entries of the axis
    stay structural zeros, so a rotation about x costs two trigonometric terms.
    """
    k = np.asarray(axis, float)
    k = k / np.linalg.norm(k)
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    kx2 = kx @ kx
    s, c = ca.sin(angle), ca.cos(angle)
    rows = []
    for i in range(3):
        row = []
        for j in range(3):
            entry = (1.0 if i == j else 0.0)
            if kx[i, j] != 0:
                entry = entry + s * kx[i, j]
            if kx2[i, j] != 0:
                entry = entry + (1 - c) * kx2[i, j]
            row.append(entry)
        rows.append(ca.horzcat(*row))
    return ca.vertcat(*rows)


def numpy_axis_angle(axis, angle: float) -> np.ndarray:
    """:func:`axis_angle` for numbers: a (3, 3) numpy array."""
    k = np.asarray(axis, float)
    k = k / np.linalg.norm(k)
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + math.sin(angle) * kx + (1 - math.cos(angle)) * kx @ kx


def body_fixed_xyz(angles) -> np.ndarray:
    """OpenSim's frame orientation (``PhysicalOffsetFrame.orientation``): body-fixed
    X-Y-Z rotations, R = Rx(a) Ry(b) Rz(c); numbers in, (3, 3) numpy array out."""
    a, b, c = (float(v) for v in angles)
    rotation = (numpy_axis_angle((1, 0, 0), a) @ numpy_axis_angle((0, 1, 0), b)
                @ numpy_axis_angle((0, 0, 1), c))
    return clean(rotation)


def clean(matrix) -> np.ndarray:
    """A numpy array with entries below :data:`ROUND_OFF` in magnitude set to 0."""
    out = np.array(matrix, float)
    out[np.abs(out) < ROUND_OFF] = 0.0
    return out
