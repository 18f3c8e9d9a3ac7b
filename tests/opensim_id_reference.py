"""Runs OpenSim's InverseDynamicsTool on a setup file; prints JSON.

Usage: python opensim_id_reference.py SETUP.xml OUT_FOLDER. The setup's files
are taken relative to its folder (as the GUI does);
the tool writes OUT_FOLDER/opensim_id.sto. Output: {"sto": path, "time_s": the
tool's run() time (setup read and model loaded inside it, as a user runs it)}.

Run in its own process: the opensim wheel bundles a CasADi library that cannot
share a process with casadi. Used by tests/test_id_tool_opensim.py and
benchmarks/bench_id.py.
"""
import json
import os
import sys
import time

import opensim as osim

setup, out = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
osim.Logger.setLevelString("error")
started = time.perf_counter()
tool = osim.InverseDynamicsTool(setup)
# run() loads the model before it changes to the setup's folder (the GUI sets it there)
tool.setModelFileName(os.path.join(os.path.dirname(setup), tool.getModelFileName()))
tool.setResultsDir(out)
tool.setOutputGenForceFileName("opensim_id.sto")
tool.run()
elapsed = time.perf_counter() - started
print(json.dumps({"sto": os.path.join(out, "opensim_id.sto"), "time_s": elapsed}))
