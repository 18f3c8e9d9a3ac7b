"""Evaluate OpenSim's DeGrooteFregly2016Muscle curves on grids; print JSON.

Run in its own process (the opensim wheel bundles a CasADi library that
cannot share a process with casadi). Used by tests/test_muscle_curves.py.
"""
import json
import sys

import opensim as osim


def main():
    grid = json.loads(sys.argv[1])
    muscle = osim.DeGrooteFregly2016Muscle()
    muscle.set_max_isometric_force(1.0)
    out = {
        "active_force_length": [muscle.calcActiveForceLengthMultiplier(x)
                                for x in grid["lengths"]],
        "passive_force_length": [muscle.calcPassiveForceMultiplier(x)
                                 for x in grid["lengths"]],
        "force_velocity": [muscle.calcForceVelocityMultiplier(v) for v in grid["velocities"]],
        "tendon_force_length": [muscle.calcTendonForceMultiplier(x)
                                for x in grid["tendon_lengths"]],
    }
    # normalised fibre force a f_L f_V + f_PE over the (length, velocity) grid
    a = grid["activation"]
    out["fiber_force"] = [[a * muscle.calcActiveForceLengthMultiplier(x)
                           * muscle.calcForceVelocityMultiplier(v)
                           + muscle.calcPassiveForceMultiplier(x)
                           for v in grid["velocities"]] for x in grid["lengths"]]
    out["tendon_strain_at_one_norm_force"] = muscle.get_tendon_strain_at_one_norm_force()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
