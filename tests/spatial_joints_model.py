"""A synthetic .osim model with one joint of every type read into a spatial tree.

A chain ground -Free-> b1 -Ball-> b2 -Gimbal-> b3 -Universal-> b4 -Pin-> b5
-Slider-> b6 -Planar-> b7 -Weld-> b8 -Custom-> b9, each joint between rotated,
offset frames, bodies with off-centre masses and full inertia tensors, markers
on offset frames, and a CustomJoint whose axes hold PolynomialFunction,
PiecewiseLinearFunction, NaturalCubicSpline, MultiplierFunction and a
LinearFunction of two coordinates. Used by tests/test_osim3d_opensim.py and
tests/test_spatial_tree.py.
"""
from __future__ import annotations

JOINTS = [("FreeJoint", 6), ("BallJoint", 3), ("GimbalJoint", 3), ("UniversalJoint", 2),
          ("PinJoint", 1), ("SliderJoint", 1), ("PlanarJoint", 3), ("WeldJoint", 0),
          ("CustomJoint", 2)]

CUSTOM_AXES = """
<SpatialTransform>
 <TransformAxis name="rotation1"><coordinates>j9_0</coordinates><axis>0.3 0.5 0.8</axis>
  <PolynomialFunction><coefficients>0.1 0.9 0.05</coefficients></PolynomialFunction></TransformAxis>
 <TransformAxis name="rotation2"><coordinates>j9_0 j9_1</coordinates><axis>1 0 0</axis>
  <LinearFunction><coefficients>0.5 -0.7 0.1</coefficients></LinearFunction></TransformAxis>
 <TransformAxis name="rotation3"><coordinates>j9_1</coordinates><axis>0 1 0</axis>
  <MultiplierFunction><function><NaturalCubicSpline><x>-2 -1 0 1 2</x>
   <y>-1.5 -0.8 0.1 0.7 1.9</y></NaturalCubicSpline></function><scale>0.8</scale>
  </MultiplierFunction></TransformAxis>
 <TransformAxis name="translation1"><coordinates>j9_0</coordinates><axis>1 0 0</axis>
  <PiecewiseLinearFunction><x>-2 -0.5 0.3 2</x><y>0.01 -0.02 0.03 0.05</y>
  </PiecewiseLinearFunction></TransformAxis>
 <TransformAxis name="translation2"><coordinates></coordinates><axis>0 1 0</axis>
  <Constant><value>0.04</value></Constant></TransformAxis>
 <TransformAxis name="translation3"><coordinates>j9_1</coordinates><axis>0 0 1</axis>
  <SimmSpline><x>-2 -1 0 1 2</x><y>0.0 0.01 0.03 0.02 0.05</y></SimmSpline>
 </TransformAxis>
</SpatialTransform>"""


def frame(name, parent, k):
    t = f"{0.05 * k:.3f} {-0.1 + 0.02 * k:.3f} {0.03 * (k % 3):.3f}"
    o = f"{0.2 + 0.1 * k:.3f} {-0.3 + 0.05 * k:.3f} {0.4 - 0.07 * k:.3f}"
    return (f"<PhysicalOffsetFrame name=\"{name}\"><socket_parent>{parent}</socket_parent>"
            f"<translation>{t}</translation><orientation>{o}</orientation>"
            f"</PhysicalOffsetFrame>")


def joints_model_text() -> str:
    bodies, joints, markers = [], [], []
    parent = "/ground"
    for k, (kind, count) in enumerate(JOINTS, start=1):
        body = f"b{k}"
        bodies.append(f"<Body name=\"{body}\"><mass>{1 + 0.5 * k}</mass>"
                      f"<mass_center>{0.02 * k} {-0.1} {0.01 * (k % 4)}</mass_center>"
                      f"<inertia>{0.05 + 0.01 * k} {0.07} {0.06 + 0.005 * k} 0.004 -0.003 "
                      f"0.002</inertia></Body>")
        coords = "".join(f"<Coordinate name=\"j{k}_{i}\"><range>-1 1</range>"
                         f"<default_value>0.1</default_value></Coordinate>"
                         for i in range(count))
        joints.append(f"<{kind} name=\"j{k}\"><socket_parent_frame>p{k}</socket_parent_frame>"
                      f"<socket_child_frame>c{k}</socket_child_frame>"
                      f"<coordinates>{coords}</coordinates>"
                      f"{CUSTOM_AXES if kind == 'CustomJoint' else ''}<frames>"
                      f"{frame(f'p{k}', parent, k)}{frame(f'c{k}', f'/bodyset/{body}', k + 3)}"
                      f"</frames></{kind}>")
        markers.append(f"<Marker name=\"m{k}\"><socket_parent_frame>/jointset/j{k}/c{k}"
                       f"</socket_parent_frame><location>0.1 {0.02 * k} -0.05</location></Marker>")
        parent = f"/bodyset/{body}"
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<OpenSimDocument Version=\"40000\">"
            "<Model name=\"joints\"><gravity>0 -9.80665 0</gravity><Ground name=\"ground\"/>"
            f"<BodySet name=\"bodyset\"><objects>{''.join(bodies)}</objects></BodySet>"
            f"<JointSet name=\"jointset\"><objects>{''.join(joints)}</objects></JointSet>"
            f"<MarkerSet name=\"markerset\"><objects>{''.join(markers)}</objects></MarkerSet>"
            "</Model></OpenSimDocument>\n")
