"""What ``ocp ik`` prints and writes."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ocp.errors import ProblemError
from ocp.sensors.ik_setup import CoordinateTask, read_ik_setup
from ocp.sensors.inverse_kinematics import describe_errors, inverse_kinematics, write_marker_errors

EXIT_OK = 0


def _number(text: str, item: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ProblemError(f"'{item}': '{text}' is not a number") from None


def parse_weights(items) -> dict | None:
    """``--weight MARKER=W`` items -> {marker: weight}."""
    if not items:
        return None
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ProblemError(f"--weight '{item}': expected MARKER=WEIGHT")
        out[name] = _number(value, item)
    return out


def parse_tasks(items) -> list | None:
    """``--coordinate NAME=WEIGHT`` (held at its default) or ``NAME=WEIGHT@VALUE``
    (held at VALUE, rad or m) -> CoordinateTask list."""
    if not items:
        return None
    tasks = []
    for item in items:
        name, sep, rest = item.partition("=")
        if not sep or not name:
            raise ProblemError(f"--coordinate '{item}': expected NAME=WEIGHT or "
                               f"NAME=WEIGHT@VALUE")
        weight, at, value = rest.partition("@")
        tasks.append(CoordinateTask(name, _number(weight, item),
                                    "manual_value" if at else "default_value",
                                    _number(value, item) if at else 0.0))
    return tasks


def run_ik(args) -> int:
    """``ocp ik``: solve, print the summary (and each frame with --errors), write the files."""
    out = Path(args.out) if args.out else None
    if out is None and args.setup and not (args.imu or args.placement):
        out = read_ik_setup(args.setup).output_motion_file
    if out is None:
        raise ProblemError("give --out IK.mot (or a setup file naming its output_motion_file)")
    if args.imu or args.placement:
        from ocp.sensors.imu_ik import imu_inverse_kinematics
        if args.markers or args.weight or args.coordinate or args.smooth:
            raise ProblemError("--imu takes --placement, --setup, --placer-setup and --time; "
                               "--markers, --weight, --coordinate and --smooth are for markers")
        if not args.model:
            raise ProblemError("give the model: ocp ik MODEL.osim --imu ... --placement ...")
        result = imu_inverse_kinematics(args.model, args.imu, args.placement, args.setup,
                                        args.placer_setup,
                                        time_range=tuple(args.time) if args.time else None)
    else:
        result = inverse_kinematics(args.model, args.markers, args.setup,
                                    weights=parse_weights(args.weight),
                                    coordinate_tasks=parse_tasks(args.coordinate),
                                    time_range=tuple(args.time) if args.time else None,
                                    smoothing=args.smooth or 0.0)
    for line in result.ignored:
        print(f"note: {line}")
    imu = result.heading_rad is not None
    rms = np.array([e.rms_m for e in result.errors])
    worst = int(np.argmax([e.max_m for e in result.errors]))
    scale, unit = (180 / np.pi, "deg") if imu else (1e3, "mm")
    print(f"inverse kinematics: {len(result.time_s)} frames ({result.time_s[0]:g} to "
          f"{result.time_s[-1]:g} s), {len(result.markers)} {'IMUs' if imu else 'markers'}, "
          f"{len(result.coordinates)} coordinates; solved in {result.time_solve_s:.2f} s "
          f"(model read and built in {result.time_build_s:.2f} s)")
    if imu:
        print(f"IMUs placed from the calibration pose, heading correction "
              f"{np.degrees(result.heading_rad):.2f} deg about ground y")
    print(f"{'orientation' if imu else 'marker'} error RMS: mean {rms.mean() * scale:.2f} "
          f"{unit}, largest {rms.max() * scale:.2f} {unit}; largest error "
          f"{result.errors[worst].max_m * scale:.2f} {unit} "
          f"({result.errors[worst].worst_marker}, t = {result.time_s[worst]:g} s)")
    if args.errors and not imu:
        for t, line in zip(result.time_s, describe_errors(result.errors)):
            print(f"  t = {t:g} s: {line}")
    out.parent.mkdir(parents=True, exist_ok=True)
    print(f"written      {result.write(out)}")
    if not imu:
        errors = out.with_name(out.stem + "_marker_errors.sto")
        print(f"written      {write_marker_errors(errors, result)}")
    return EXIT_OK
