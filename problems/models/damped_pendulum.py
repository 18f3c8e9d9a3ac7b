"""A user-written model: a pendulum with viscous damping at the pin.

Named from a problem file by ``[model] file = "models/damped_pendulum.py"``;
``[model.parameters]`` arrive as the ``parameters`` dict of ``model()``.
"""
import casadi as ca

import ocp


def model(parameters):
    p = {"mass_kg": 1.0, "length_m": 1.0, "gravity_m_s2": 9.80665,
         "damping_Nms_per_rad": 0.0, **parameters}

    def dynamics(x, u, p):
        angle, speed = x[0], x[1]
        inertia = p["mass_kg"] * p["length_m"] ** 2
        gravity_torque = p["mass_kg"] * p["gravity_m_s2"] * p["length_m"] * ca.sin(angle)
        acceleration = (u[0] - gravity_torque - p["damping_Nms_per_rad"] * speed) / inertia
        return ca.vertcat(speed, acceleration)

    def outputs(x, u, p):
        return {"tip_height": -p["length_m"] * ca.cos(x[0])}

    return ocp.CustomModel(
        "damped_pendulum", ["angle", "angle_speed"], ["torque"], dynamics,
        state_units=["rad", "rad/s"], control_units=["N*m"],
        bounds={"torque": (-20.0, 20.0)}, parameters=p, outputs=outputs)
