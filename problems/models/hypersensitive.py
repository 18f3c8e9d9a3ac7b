"""The hyper-sensitive problem of Rao and Mease (2000): x' = -x^3 + u.

A dimensionless test of meshes: over a long horizon the optimal x drops from
its initial value to near 0 within a few time units, stays there, and rises
to its final value in the last few, so all the motion is at both ends.
Named from ``problems/hypersensitive.toml``.
"""
import ocp


def model(parameters):
    def dynamics(x, u, p):
        return -x[0] ** 3 + u[0]

    return ocp.CustomModel("hypersensitive", ["x"], ["u"], dynamics,
                           state_units=["-"], control_units=["-"], parameters=dict(parameters))


def lagrangian(v):
    """The running cost (x^2 + u^2) / 2 at one point."""
    return 0.5 * (v.x[0] ** 2 + v.u[0] ** 2)
