"""Analyses of motions and data: gait events, strides, inverse dynamics, muscle redundancy,
tracking errors."""
