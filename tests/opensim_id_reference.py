"""Runs OpenSim's InverseDynamicsTool; prints JSON.

Usage: python opensim_id_reference.py MODEL.osim COORDINATES.mot LOADS.xml CUTOFF_HZ
START END OUT_FOLDER. The tool is set up as its setup file would set it
(forces_to_exclude: Muscles) and writes OUT_FOLDER/opensim_id.sto. Output:
{"sto": path, "time_s": the tool's run() time (model loaded inside it, as a
user runs it)}.

Run in its own process: the opensim wheel bundles a CasADi library that cannot
share a process with casadi. Used by tests/test_id_tool_opensim.py and
benchmarks/bench_id.py.
"""
import json
import os
import sys
import time

import opensim as osim

model, coordinates, loads = (os.path.abspath(a) for a in sys.argv[1:4])
cutoff, start, end = (float(a) for a in sys.argv[4:7])
out = os.path.abspath(sys.argv[7])
osim.Logger.setLevelString("error")
tool = osim.InverseDynamicsTool()
tool.setModelFileName(model)
tool.setCoordinatesFileName(coordinates)
tool.setExternalLoadsFileName(loads)
tool.setLowpassCutoffFrequency(cutoff)
tool.setStartTime(start)
tool.setEndTime(end)
excluded = osim.ArrayStr()
excluded.append("Muscles")
tool.setExcludedForces(excluded)
tool.setResultsDir(out)
tool.setOutputGenForceFileName("opensim_id.sto")
started = time.perf_counter()
tool.run()
elapsed = time.perf_counter() - started
print(json.dumps({"sto": os.path.join(out, "opensim_id.sto"), "time_s": elapsed}))
