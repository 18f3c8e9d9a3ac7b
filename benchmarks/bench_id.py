"""``ocp id`` (issue 21) beside OpenSim's InverseDynamicsTool, one run each.

    nice python benchmarks/bench_id.py [--opensim]

Two trials: subject01's walk on the planar gait10dof18musc model
(tests/data/subject01_walk_Setup_ID.xml: 151 frames, 10 coordinates, 6 Hz)
and the 3D trial of ../shared/data/walking3d with its own ID setup (0.4 to
1.6 s, 23 coordinates, 6 Hz), whose coordinates file is made first by
inverse kinematics from its IK setup (OpenSim's tool with --opensim, else
``ocp ik``; not timed). Ours: ``inverse_dynamics_tool`` (the .osim read, the
CasADi function built, the filter, splines and every frame); with
``--opensim`` also OpenSim's ``run()`` (model loading included, in its own
process: the opensim wheel bundles a CasADi library that cannot share a
process with casadi; tests/opensim_id_reference.py), the ratio and the
largest difference of a column as a share of its range. Machines here are
shared: compare within one run.
"""
import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
WALK3D = ROOT.parent / "shared" / "data" / "walking3d"
SETUP_2D = ROOT / "tests" / "data" / "subject01_walk_Setup_ID.xml"


def opensim(script: str, *args, cwd) -> dict:
    done = subprocess.run([sys.executable, str(ROOT / "tests" / script), *map(str, args)],
                          capture_output=True, text=True, check=True, cwd=cwd)
    return json.loads(done.stdout.strip().splitlines()[-1])


def setup_3d(folder: Path, with_opensim: bool) -> Path:
    """The 3D ID setup in ``folder``, beside the IK result it names."""
    ik = folder / "subject01_walk1_ik.mot"
    if with_opensim:
        Path(opensim("opensim_ik_reference.py", WALK3D / "subject01_Setup_IK.xml", folder,
                     cwd=folder)["mot"]).rename(ik)
    else:
        from ocp.sensors.inverse_kinematics import inverse_kinematics
        inverse_kinematics(None, None, WALK3D / "subject01_Setup_IK.xml").write(ik)
    text = (WALK3D / "subject01_Setup_InverseDynamics.xml").read_text()
    for name in ("subject01_simbody.osim", "subject01_walk1_grf.xml"):
        text = text.replace(f" {name} ", f" {WALK3D / name} ")
    setup = folder / "subject01_Setup_InverseDynamics.xml"
    setup.write_text(text)
    return setup


def run(label: str, setup: Path, folder: Path, with_opensim: bool) -> None:
    from ocp.analysis.id_tool import inverse_dynamics_tool
    from ocp.data.opensim_text import read_storage

    started = time.perf_counter()
    result = inverse_dynamics_tool(setup=setup)
    ours = time.perf_counter() - started
    print(f"{label}: {len(result.time_s)} frames, {len(result.coordinates)} coordinates")
    print(f"  ocp inverse_dynamics_tool(): {ours:.3f} s (read and build "
          f"{result.time_build_s:.3f} s, frames {result.time_solve_s:.4f} s)")
    if not with_opensim:
        return
    reference = opensim("opensim_id_reference.py", setup, folder / "opensim", cwd=folder)
    theirs = read_storage(reference["sto"])
    worst, name = 0.0, ""
    for c in theirs.columns:
        error = np.max(np.abs(result.values[:, result.columns.index(c)] - theirs.column(c)))
        worst, name = max((worst, name), (error / np.ptp(theirs.column(c)), c))
    print(f"  OpenSim InverseDynamicsTool.run(): {reference['time_s']:.3f} s; ratio OpenSim / "
          f"ocp {reference['time_s'] / ours:.2f}")
    print(f"  largest difference: {100 * worst:.2g} % of the range of {name}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opensim", action="store_true",
                        help="also run OpenSim's tool (subprocess) and compare")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        run("planar walk (gait10dof18musc, subject01)", SETUP_2D, folder, args.opensim)
        if WALK3D.exists():
            run("3D walk (subject01_simbody, walking3d)", setup_3d(folder, args.opensim),
                folder, args.opensim)


if __name__ == "__main__":
    main()
