"""Small .osim models for the wrap-object tests: a rod on a pin joint (about z)
and muscles from the ground over one wrap object to the rod, one muscle per
quadrant; also a wrap object that moves with the rod, one switched off, a wrap
range limited to two of three points and a path over two wrap objects.

``python tests/wrap_models.py`` rewrites tests/data/wrap_<kind>.osim. Swept
through the pin's angle (tests/test_paths3d_opensim.py), each path wraps on
some angles and not on others.
"""
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
QUADRANTS = ("all", "+x", "-x", "+y", "-y", "+z", "-z")
#: Shape properties of each wrap type, as .osim text.
SHAPES = {
    "WrapCylinder": "<radius>0.05</radius><length>0.3</length>",
    "WrapSphere": "<radius>0.05</radius>",
    "WrapEllipsoid": "<dimensions>0.06 0.04 0.05</dimensions>",
    "WrapTorus": "<inner_radius>0.03</inner_radius><outer_radius>0.12</outer_radius>",
}
ORIGIN = "0.0 0.3 0.02"        # on the ground
INSERTION = "0.0 -0.3 -0.01"   # on the rod

MODEL = """<?xml version="1.0" encoding="UTF-8" ?>
<OpenSimDocument Version="40000">
  <Model name="wrap_{kind}">
    <Ground name="ground">
      <WrapObjectSet name="wrapobjectset"><objects>{ground_wraps}
      </objects></WrapObjectSet>
    </Ground>
    <BodySet name="bodyset"><objects>
      <Body name="rod">
        <mass>2</mass><mass_center>0 -0.5 0</mass_center>
        <inertia>0.1 0.1 0.1667 0 0 0</inertia>
        <WrapObjectSet name="wrapobjectset"><objects>{rod_wraps}
        </objects></WrapObjectSet>
      </Body>
    </objects></BodySet>
    <JointSet name="jointset"><objects>
      <PinJoint name="pin">
        <socket_parent_frame>/ground</socket_parent_frame>
        <socket_child_frame>/bodyset/rod</socket_child_frame>
        <coordinates><Coordinate name="angle"><range>-3 3</range></Coordinate></coordinates>
      </PinJoint>
    </objects></JointSet>
    <ForceSet name="forceset"><objects>{muscles}
    </objects></ForceSet>
  </Model>
</OpenSimDocument>
"""


def wrap_object(kind, name, quadrant, translation="0.01 0 0", rotation="0.1 -0.05 0.2",
                active="true"):
    return (f"\n        <{kind} name=\"{name}\"><active>{active}</active>"
            f"<xyz_body_rotation>{rotation}</xyz_body_rotation>"
            f"<translation>{translation}</translation><quadrant>{quadrant}</quadrant>"
            f"{SHAPES[kind]}</{kind}>")


def point(name, frame, location):
    return (f"<PathPoint name=\"{name}\"><socket_parent_frame>{frame}</socket_parent_frame>"
            f"<location>{location}</location></PathPoint>")


def muscle(name, points, wraps):
    pws = "".join(f"<PathWrap name=\"pw{k}\"><wrap_object>{w}</wrap_object>"
                  f"<method>{method}</method><range>{rng}</range></PathWrap>"
                  for k, (w, method, rng) in enumerate(wraps))
    return (f"\n      <Millard2012EquilibriumMuscle name=\"{name}\">"
            f"<GeometryPath name=\"geometrypath\"><PathPointSet><objects>{''.join(points)}"
            f"</objects></PathPointSet><PathWrapSet><objects>{pws}</objects></PathWrapSet>"
            "</GeometryPath><max_isometric_force>100</max_isometric_force>"
            "<optimal_fiber_length>0.1</optimal_fiber_length>"
            "<tendon_slack_length>0.2</tendon_slack_length></Millard2012EquilibriumMuscle>")


def model_text(kind: str, method: str = "hybrid") -> str:
    ends = [point("origin", "/ground", ORIGIN), point("insertion", "/bodyset/rod", INSERTION)]
    ground, rod, muscles = [], [], []
    for q in QUADRANTS:
        tag = q.replace("+", "p").replace("-", "m")
        ground.append(wrap_object(kind, f"w_{tag}", q))
        muscles.append(muscle(f"m_{tag}", ends, [(f"w_{tag}", method, "-1 -1")]))
    for name, q in (("obl", "all"), ("obl_py", "+y"), ("obl_mx", "-x")):
        # axes oblique to the muscle: an ellipsoid's fan method, not Frans' axis
        ground.append(wrap_object(kind, f"w_{name}", q, rotation="0.6 0.5 0.7"))
        muscles.append(muscle(f"m_{name}", ends, [(f"w_{name}", method, "-1 -1")]))
    rod.append(wrap_object(kind, "w_rod", "all", translation="0.02 -0.12 0.01",
                           rotation="-0.2 0.1 0.3"))
    muscles.append(muscle("m_rod", ends, [("w_rod", method, "-1 -1")]))
    ground.append(wrap_object(kind, "w_off", "all", active="false"))
    muscles.append(muscle("m_off", ends, [("w_off", method, "-1 -1")]))
    via = point("via", "/bodyset/rod", "0.0 -0.15 0.0")
    muscles.append(muscle("m_range", [ends[0], via, ends[1]], [("w_all", method, "1 2")]))
    muscles.append(muscle("m_two", ends, [("w_all", method, "-1 -1"),
                                          ("w_rod", method, "-1 -1")]))
    return MODEL.format(kind=kind.removeprefix("Wrap").lower(), ground_wraps="".join(ground),
                        rod_wraps="".join(rod), muscles="".join(muscles))


def model_path(kind: str) -> Path:
    return DATA / f"wrap_{kind.removeprefix('Wrap').lower()}.osim"


if __name__ == "__main__":
    for kind in SHAPES:
        model_path(kind).write_text(model_text(kind))
