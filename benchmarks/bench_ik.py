"""Marker and IMU inverse kinematics (issue 22) beside OpenSim's tools, in one run.

    nice python benchmarks/bench_ik.py [--repeat 3] [--only markers imu]

The 3D walking trial of ../shared/data/walking3d with its own setup file
(subject01_Setup_IK.xml: 121 frames, 31 weighted markers, four coordinate
tasks). For each repeat: OpenSim's tool (``run()``, model loading included, in
its own process: the opensim wheel bundles a CasADi library that cannot share
a process with casadi; tests/opensim_ik_reference.py) and ours
(``inverse_kinematics``, the .osim read, the CasADi functions built and every
frame solved), then the whole ``ocp ik`` command and OpenSim's script as
processes (wall clock, Python start and imports included). Prints the times,
their ratio, the largest coordinate RMS difference (degrees, mm) and the
largest per-frame difference of marker RMS error (mm).

IMUs: OpenSense's tutorial (../shared/data/imu, 10.5 to 17 s at 100 Hz, 651
frames, 8 IMUs on Rajagopal 2015): IMUPlacer then IMUInverseKinematicsTool
(tests/opensense_reference.py, model loading included) beside
``imu_inverse_kinematics`` (placement and IK), the time ratio and the largest
coordinate RMS difference (degrees). Machines here are shared: compare within
one run.
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
WALK = ROOT.parent / "shared" / "data" / "walking3d"
SETUP = WALK / "subject01_Setup_IK.xml"
REFERENCE = ROOT / "tests" / "opensim_ik_reference.py"


def opensim(folder: Path) -> tuple:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, str(REFERENCE), str(SETUP), str(folder)],
                          capture_output=True, text=True, check=True, cwd=folder)
    wall = time.perf_counter() - started
    return json.loads(done.stdout.strip().splitlines()[-1]), wall


IMU = ROOT.parent / "shared" / "data" / "imu"


def imu(repeat: int):
    from ocp.data.opensim_text import read_storage
    from ocp.sensors.imu_ik import imu_inverse_kinematics

    model, placer = IMU / "Rajagopal2015_opensense.osim", IMU / "imuPlacer_Setup.xml"
    setup = IMU / "imuInverseKinematics_Setup.xml"
    ours_s, theirs_s = [], []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for _ in range(repeat):
            done = subprocess.run([sys.executable, str(ROOT / "tests" / "opensense_reference.py"),
                                   str(model), str(placer), str(setup), str(folder)],
                                  capture_output=True, text=True, check=True, cwd=folder)
            reference = json.loads(done.stdout.strip().splitlines()[-1])
            theirs_s.append(reference["time_s"])
            started = time.perf_counter()
            result = imu_inverse_kinematics(model, None, IMU / "placement_orientations.sto",
                                            setup, placer)
            ours_s.append(time.perf_counter() - started)
        result.write(folder / "ours.mot")
        mine, theirs = read_storage(folder / "ours.mot"), read_storage(reference["motion"])
    worst, name = 0.0, ""
    for j, column in enumerate(theirs.columns):
        if np.ptp(theirs.values[:, j]) == 0 or column.endswith("_beta"):
            continue
        ours = np.interp(theirs.time_s, mine.time_s, mine.values[:, mine.columns.index(column)])
        rms = float(np.sqrt(np.mean((ours - theirs.values[:, j]) ** 2)))
        worst, name = max((worst, name), (rms, column))
    print(f"IMU walk: {len(result.time_s)} frames, {len(result.markers)} IMUs; {repeat} runs, "
          f"best of each")
    print(f"  OpenSense IMUPlacer + IMUInverseKinematicsTool: {min(theirs_s):.3f} s")
    print(f"  ocp imu_inverse_kinematics():                   {min(ours_s):.3f} s (read, "
          f"placed and built {result.time_build_s:.3f} s, frames {result.time_solve_s:.3f} s, "
          f"{np.mean(result.iterations):.1f} iterations per frame)")
    print(f"  ratio OpenSense / ocp: {min(theirs_s) / min(ours_s):.2f}")
    print(f"  largest coordinate RMS difference: {worst:.3f} deg ({name})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", nargs="+", choices=["markers", "imu"],
                        default=["markers", "imu"])
    args = parser.parse_args()
    if "markers" in args.only:
        markers(args.repeat)
    if "imu" in args.only:
        imu(args.repeat)


def markers(repeat: int):
    from ocp.data.opensim_text import read_storage
    from ocp.sensors.inverse_kinematics import inverse_kinematics, write_marker_errors

    if not SETUP.exists():
        sys.exit(f"{SETUP} is absent")
    args = argparse.Namespace(repeat=repeat)
    ours_s, theirs_s, ours_wall, theirs_wall = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for _ in range(args.repeat):
            reference, wall = opensim(folder)
            theirs_s.append(reference["time_s"])
            theirs_wall.append(wall)
            started = time.perf_counter()
            result = inverse_kinematics(None, None, SETUP)
            ours_s.append(time.perf_counter() - started)
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "ocp", "ik", "--setup", str(SETUP), "--out",
                            str(folder / "ours.mot")], check=True, capture_output=True,
                           cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": ""})
            ours_wall.append(time.perf_counter() - started)
        result.write(folder / "ours.mot")
        write_marker_errors(folder / "ours_errors.sto", result)
        mine, theirs = read_storage(folder / "ours.mot"), read_storage(reference["mot"])
        rms = np.sqrt(np.mean((mine.values - theirs.values) ** 2, axis=0))
        angles = [r for r, u in zip(rms, theirs.units) if u != "m"]
        lengths = [r for r, u in zip(rms, theirs.units) if u == "m"]
        e_mine = read_storage(folder / "ours_errors.sto")
        e_theirs = read_storage(reference["errors"])
        column = "marker_error_RMS"
        marker = np.max(np.abs(e_mine.values[:, e_mine.columns.index(column)]
                               - e_theirs.values[:, e_theirs.columns.index(column)]))
    print(f"walking trial: {len(result.time_s)} frames, {len(result.markers)} markers, "
          f"{len(result.coordinates)} coordinates; {args.repeat} runs, best of each")
    print(f"  OpenSim InverseKinematicsTool.run(): {min(theirs_s):.3f} s")
    print(f"  ocp inverse_kinematics():            {min(ours_s):.3f} s "
          f"(read and build {result.time_build_s:.3f} s, frames {result.time_solve_s:.3f} s, "
          f"{np.mean(result.iterations):.1f} iterations per frame)")
    print(f"  ratio OpenSim / ocp: {min(theirs_s) / min(ours_s):.2f}")
    print(f"  whole processes: OpenSim script {min(theirs_wall):.2f} s, `ocp ik` "
          f"{min(ours_wall):.2f} s (ratio {min(theirs_wall) / min(ours_wall):.2f})")
    print(f"  largest coordinate RMS difference: {max(angles):.4f} deg, "
          f"{max(lengths) * 1e3:.4f} mm; largest marker RMS difference {marker * 1e3:.4f} mm")


if __name__ == "__main__":
    main()
