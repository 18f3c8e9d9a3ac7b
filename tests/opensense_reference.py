"""Runs OpenSense (IMUPlacer, then IMUInverseKinematicsTool) on the tutorial data; prints JSON.

Usage: python opensense_reference.py MODEL.osim PLACER_SETUP.xml IK_SETUP.xml OUT_FOLDER.
The setups' files are taken relative to their folders. Writes OUT_FOLDER/placed.osim
and the tool's motion file there. Output: {"motion": path, "heading_deg": ...,
"time_s": placer and IK tool together (model loading included)}.

Run in its own process: the opensim wheel bundles a CasADi library that cannot
share a process with casadi. Used by tests/test_imu_ik.py and benchmarks/bench_ik.py.
"""
import json
import os
import sys
import time

import opensim as osim

model, placer_setup, ik_setup, out = (os.path.abspath(a) for a in sys.argv[1:5])
osim.Logger.setLevelString("error")
started = time.perf_counter()
placer = osim.IMUPlacer(placer_setup)
placer.set_model_file(model)
placer.set_orientation_file_for_calibration(
    os.path.join(os.path.dirname(placer_setup), placer.get_orientation_file_for_calibration()))
placer.run(False)
placed = placer.getCalibratedModel()
placed.printToXML(os.path.join(out, "placed.osim"))
tool = osim.IMUInverseKinematicsTool(ik_setup)
tool.set_model_file(os.path.join(out, "placed.osim"))
tool.set_orientations_file(
    os.path.join(os.path.dirname(ik_setup), tool.get_orientations_file()))
tool.set_results_directory(out)
tool.set_output_motion_file(os.path.join(out, "opensense_motion.sto"))
tool.run(False)
elapsed = time.perf_counter() - started
print(json.dumps({"motion": os.path.join(out, "opensense_motion.sto"), "time_s": elapsed}))
