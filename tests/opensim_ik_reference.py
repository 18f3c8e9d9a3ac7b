"""Runs OpenSim's InverseKinematicsTool on a setup file; prints JSON.

Usage: python opensim_ik_reference.py SETUP.xml OUT_FOLDER. The setup's model
and marker files are taken relative to its folder (as the OpenSim GUI does);
the tool writes OUT_FOLDER/opensim_ik.mot and its marker errors there. Output:
{"mot": path, "errors": path of the _ik_marker_errors.sto, "time_s": the
tool's run() time (setup read and model loaded inside it, as a user runs it)}.

Run in its own process: the opensim wheel bundles a CasADi library that cannot
share a process with casadi. Used by tests/test_marker_ik.py and
benchmarks/bench_ik.py.
"""
import json
import os
import sys
import time

import opensim as osim

setup, out = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
osim.Logger.setLevelString("error")
started = time.perf_counter()
tool = osim.InverseKinematicsTool(setup)
folder = os.path.dirname(setup)
tool.set_model_file(os.path.join(folder, tool.get_model_file()))
tool.set_marker_file(os.path.join(folder, tool.get_marker_file()))
tool.setResultsDir(out)
tool.setOutputMotionFileName(os.path.join(out, "opensim_ik.mot"))
tool.run()
elapsed = time.perf_counter() - started
print(json.dumps({"mot": os.path.join(out, "opensim_ik.mot"),
                  "errors": os.path.join(out, tool.getName() + "_ik_marker_errors.sto"),
                  "time_s": elapsed}))
