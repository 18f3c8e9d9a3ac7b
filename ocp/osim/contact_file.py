"""Contact spheres from a small CSV file, for a 3D model whose .osim file has none.

gait2392 has no foot-ground contact; Falisse et al. 2019 (J R Soc Interface
16:20190402) put six smooth spheres on each foot of it. A contact file lists such
spheres, one a row, against OpenSim's floor (the ground rotated -pi/2 about z,
surface y = 0), each with the parameters of a SmoothSphereHalfSpaceForce::

    # comments: the source of the numbers
    name,body,x_m,y_m,z_m,radius_m,stiffness_N_m2,dissipation_s_m,static_friction,dynamic_friction,viscous_friction_s_m,transition_velocity_m_s
    s1_r,calcn_r,0.0019,-0.0219,-0.0038,0.032,1e6,2,0.8,0.8,0.5,0.2

(x, y, z) is the sphere's centre in the body's frame (m). The remaining
parameters (constant_contact_force, hertz_smoothing, hunt_crossley_smoothing)
take OpenSim's defaults (``ocp.osim.forces.SMOOTH_CONTACT_DEFAULTS``). The
spheres are :class:`ocp.models.spatial.contact.SpatialContact`s, as the file's
own SmoothSphereHalfSpaceForces would be (``ocp.osim.contacts3d``).
"""
from __future__ import annotations

import csv
import math
from pathlib import Path

from ocp.errors import ProblemError
from ocp.models.spatial.contact import HalfSpace, SpatialContact
from ocp.osim.forces import SMOOTH_CONTACT_DEFAULTS, opensim_sphere

__all__ = ["COLUMNS", "read_contact_file"]

#: the columns of a contact file, in this order
COLUMNS = ("name", "body", "x_m", "y_m", "z_m", "radius_m", "stiffness_N_m2",
           "dissipation_s_m", "static_friction", "dynamic_friction", "viscous_friction_s_m",
           "transition_velocity_m_s")
#: columns that must be positive (the others: finite and not negative, but the centre)
POSITIVE = ("radius_m", "stiffness_N_m2", "transition_velocity_m_s")
#: the law's columns and their OpenSim property names (ocp.osim.forces.SMOOTH_CONTACT_DEFAULTS)
FILE_TO_OPENSIM = {"stiffness_N_m2": "stiffness", "dissipation_s_m": "dissipation",
                   "static_friction": "static_friction", "dynamic_friction": "dynamic_friction",
                   "viscous_friction_s_m": "viscous_friction",
                   "transition_velocity_m_s": "transition_velocity"}


def _error(path: Path, line: int, message: str) -> ProblemError:
    return ProblemError(f"{path}, line {line}: {message}", "model.contacts")


def read_contact_file(path, bodies) -> tuple:
    """The SpatialContacts of a contact file (module docstring), in file order.

    ``bodies``: the model's body names; a sphere on another body, a duplicated
    name, a missing or misspelt column, or a value that is not a number in its
    range raise ProblemError naming the file, line, column and value.
    """
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ProblemError(f"{path}: cannot read the contact file ({exc.strerror})",
                           "model.contacts") from None
    rows = [(k + 1, line) for k, line in enumerate(text.splitlines())
            if line.strip() and not line.lstrip().startswith("#")]
    if not rows:
        raise ProblemError(f"{path}: no header and no spheres; expected the columns "
                           f"{','.join(COLUMNS)}", "model.contacts")
    header_line, header = rows[0]
    names = [h.strip() for h in next(csv.reader([header]))]
    if tuple(names) != COLUMNS:
        raise _error(path, header_line, f"expected the columns {','.join(COLUMNS)}, got "
                                        f"{','.join(names)}")
    out, seen = [], set()
    for line, row in rows[1:]:
        cells = [c.strip() for c in next(csv.reader([row]))]
        if len(cells) != len(COLUMNS):
            raise _error(path, line, f"expected {len(COLUMNS)} values, got {len(cells)}")
        name, body = cells[0], cells[1]
        if name in seen:
            raise _error(path, line, f"sphere '{name}' is given twice")
        seen.add(name)
        if body not in bodies:
            raise _error(path, line, f"sphere '{name}': body '{body}' is not a body of the "
                                     f"model; bodies: {', '.join(bodies)}")
        values = {}
        for column, cell in zip(COLUMNS[2:], cells[2:]):
            try:
                value = float(cell)
            except ValueError:
                value = math.nan
            ok = math.isfinite(value) and (value > 0 if column in POSITIVE else
                                           column in ("x_m", "y_m", "z_m") or value >= 0)
            if not ok:
                raise _error(path, line, f"sphere '{name}': {column} = '{cell}'; expected a "
                                         + ("positive" if column in POSITIVE else
                                            "finite" if column.endswith(("x_m", "y_m", "z_m"))
                                            else "non-negative") + " number")
            values[column] = value
        law = {**SMOOTH_CONTACT_DEFAULTS,
               **{key: values[column] for column, key in FILE_TO_OPENSIM.items()}}
        sphere = opensim_sphere(name, body, (values["x_m"], values["y_m"], values["z_m"]),
                                values["radius_m"], law)
        out.append(SpatialContact(sphere, HalfSpace()))
    if not out:
        raise _error(path, header_line, "no spheres after the header")
    return tuple(out)
