"""Make ``walking3d/``: the subject's skeleton and the joint angles of its walking trial.

From OpenSim's gait2392 example pipeline (opensim-models, ``Pipelines/Gait2392_Simbody``,
read from ``../shared/data/walking3d``; credits in ``walking3d/CREDITS.md``):

- ``subject01_skeleton.osim``: the subject's scaled gait2392 model
  (``subject01_simbody.osim``) with its ForceSet emptied (the 92 muscles
  removed) and the subtalar and mtp coordinates locked at their default (0),
  where the pipeline's IK setup holds them (weight 1000): bodies, joints,
  markers and the other coordinates unchanged. A torque-driven model needs
  nothing else; the toes' tiny inertia about the mtp axis would otherwise make
  the dynamics stiff for no gain.
- ``subject01_walk1_ik.mot``: ``ocp ik`` of the walking trial with the pipeline's
  own IK setup (``subject01_Setup_IK.xml``: 0.5 to 2.5 s, its marker weights
  and coordinate tasks), degrees. tests/test_marker_ik.py checks this method
  against OpenSim's InverseKinematicsTool (0.03 degrees RMS apart).
- ``subject01_walk1.trc`` and ``subject01_Setup_IK.xml``: the trial's markers and
  the IK setup (its marker weights), copied for ``gait3d_marker_tracking.toml``.

Run ``python problems/data/make_walking3d.py`` to write both again; the tests
check that the shipped files equal a fresh run.
"""
from __future__ import annotations

import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parents[1].parent / "shared" / "data" / "walking3d"
OUT = HERE / "walking3d"


#: Coordinates locked in the skeleton (held at their default by the IK setup too).
LOCKED = ("subtalar_angle_r", "mtp_angle_r", "subtalar_angle_l", "mtp_angle_l")


def skeleton_text(model_text: str) -> str:
    """The model with an empty ForceSet and the LOCKED coordinates locked."""
    pattern = re.compile(r"(<ForceSet name=\"forceset\">\s*)<objects>.*?\n\t\t\t</objects>",
                         re.S)
    text, count = pattern.subn(r"\1<objects />", model_text)
    if count != 1:
        raise ValueError("expected one ForceSet with objects")
    for name in LOCKED:
        start = text.index(f'<Coordinate name="{name}">')
        end = text.index("</Coordinate>", start)
        block = text[start:end]
        if block.count("<locked>false</locked>") != 1:
            raise ValueError(f"expected one <locked>false</locked> in coordinate {name}")
        text = text[:start] + block.replace("<locked>false</locked>",
                                            "<locked>true</locked>") + text[end:]
    return text


def main() -> None:
    from ocp.sensors.inverse_kinematics import inverse_kinematics

    OUT.mkdir(exist_ok=True)
    model = SOURCE / "subject01_simbody.osim"
    (OUT / "subject01_skeleton.osim").write_text(skeleton_text(model.read_text()))
    result = inverse_kinematics(None, None, SOURCE / "subject01_Setup_IK.xml")
    print(result.write(OUT / "subject01_walk1_ik.mot"))
    for name in ("subject01_walk1.trc", "subject01_Setup_IK.xml"):   # marker tracking
        (OUT / name).write_bytes((SOURCE / name).read_bytes())


if __name__ == "__main__":
    main()
