"""Write a copy of an .osim model with a contact file's spheres added, by OpenSim itself.

    python tests/opensim_add_contacts.py MODEL.osim CONTACTS.csv OUT.osim

Each row of CONTACTS.csv (ocp.osim.contact_file's format) becomes a ContactSphere on
its body and a SmoothSphereHalfSpaceForce against one ContactHalfSpace "floor" on the
ground (orientation (0, 0, -pi/2): OpenSim's floor, surface y = 0), built with
OpenSim's API, not by our reader: the reference for the contacts our muscle-driven
3D model reads from such a file. Runs in its own process (opensim and casadi cannot
share one). Used by tests/test_muscle3d_contacts.py.
"""
import csv
import math
import sys

import opensim as osim


def main(model_path, contacts_path, out_path):
    osim.Logger.setLevelString("error")
    model = osim.Model(model_path)
    floor = osim.ContactHalfSpace(osim.Vec3(0, 0, 0), osim.Vec3(0, 0, -math.pi / 2),
                                  model.getGround(), "floor")
    model.addContactGeometry(floor)
    with open(contacts_path) as f:
        rows = list(csv.DictReader(line for line in f if not line.lstrip().startswith("#")))
    for row in rows:
        body = model.getBodySet().get(row["body"])
        sphere = osim.ContactSphere(float(row["radius_m"]),
                                    osim.Vec3(float(row["x_m"]), float(row["y_m"]),
                                              float(row["z_m"])), body, row["name"])
        model.addContactGeometry(sphere)
        force = osim.SmoothSphereHalfSpaceForce(f"SmoothSphereHalfSpaceForce_{row['name']}",
                                                sphere, floor)
        force.set_stiffness(float(row["stiffness_N_m2"]))
        force.set_dissipation(float(row["dissipation_s_m"]))
        force.set_static_friction(float(row["static_friction"]))
        force.set_dynamic_friction(float(row["dynamic_friction"]))
        force.set_viscous_friction(float(row["viscous_friction_s_m"]))
        force.set_transition_velocity(float(row["transition_velocity_m_s"]))
        model.addForce(force)
    model.finalizeConnections()
    model.printToXML(out_path)


if __name__ == "__main__":
    main(*sys.argv[1:])
