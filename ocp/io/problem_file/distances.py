"""``[constraints.NAME] type = "distance"``: keep two body origins apart (PredSim's
distance constraints)."""
from __future__ import annotations

from dataclasses import dataclass

import casadi as ca

from ocp.errors import suggestion
from ocp.io.tables import TableReader
from ocp.problem import PathConstraint

#: the ground axes a plane name keeps
AXES = {"x": "x", "y": "y", "z": "z", "xy": "xy", "xz": "xz", "yz": "yz", "xyz": "xyz"}


@dataclass(frozen=True)
class DistanceConstraint:
    """``lower <= |p_a - p_b| <= upper`` at every point, between the origins of two bodies.

    ``bodies = [a, b]``: two bodies of a 3D model whose origins are outputs
    (``<body>_origin_x``, ``_y``, ``_z``); ``plane`` the ground axes the
    distance is measured in (``"xz"``: seen from above, as PredSim's
    ``S.bounds.distanceConstraints`` with ``direction = "xz"``); ``lower`` and
    ``upper`` in m. As PredSim, the squared distance is bounded by the squared
    limits (smooth where the points meet). It keeps the feet, tibiae and hands
    of a predicted walk from crossing through each other, which the contact
    model alone does not prevent.
    """

    name: str
    bodies: tuple
    plane: str = "xz"
    lower: float = 0.0
    upper: float = float("inf")

    @classmethod
    def from_table(cls, name: str, reader: TableReader, model) -> DistanceConstraint:
        reader.only({"type", "bodies", "plane", "lower", "upper"})
        bodies = reader.strings("bodies")
        if bodies is None or len(bodies) != 2:
            raise reader.error("bodies", "expected two body names, e.g. [\"calcn_r\", \"calcn_l\"]")
        outputs = set(model.output_units()) if model is not None else None
        for body in bodies:
            if outputs is not None and f"{body}_origin_x" not in outputs:
                known = sorted(n[:-len("_origin_x")] for n in outputs if n.endswith("_origin_x"))
                raise reader.error("bodies", f"'{body}' is not a body whose origin the model "
                                   "outputs" + (suggestion(body, known) if known else
                                                " (a 3D .osim model has them)"))
        plane = reader.string("plane", "xz", choices=tuple(AXES))
        lower = reader.number("lower", 0.0, unit="m", minimum=0.0)
        upper = reader.number("upper", float("inf"), unit="m")
        if not upper > lower:
            raise reader.error("upper", f"must exceed lower ({lower} m), got {upper} m")
        return cls(name, tuple(bodies), plane, lower, upper)

    def squared_distance(self, v):
        a, b = self.bodies
        return ca.sum1(ca.vertcat(*[(v.output(f"{a}_origin_{k}") - v.output(f"{b}_origin_{k}"))
                                    ** 2 for k in AXES[self.plane]]))

    def path_constraint(self) -> PathConstraint:
        return PathConstraint(self.name, self.squared_distance, self.lower ** 2, self.upper ** 2)
