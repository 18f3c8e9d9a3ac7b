"""The smallest .osim model the reader tests build on: a rod on a pin joint, driven by
a coordinate actuator, with places to add elements."""

#: ``EXTRA`` goes into the <ForceSet> after the motor, ``MODEL_EXTRA`` into <Model>
#: between the joints and the forces, ``BODY_EXTRA`` into the rod's <Body>.
PENDULUM = """<?xml version="1.0" encoding="UTF-8" ?>
<OpenSimDocument Version="40000">
  <Model name="bar">
    <BodySet name="bodyset"><objects>
      <Body name="rod">
        <mass>2</mass><mass_center>0 -0.5 0</mass_center>
        <inertia>0.1 0.1 0.1667 0 0 0</inertia>BODY_EXTRA
      </Body>
    </objects></BodySet>
    <JointSet name="jointset"><objects>
      <PinJoint name="pin">
        <socket_parent_frame>/ground</socket_parent_frame>
        <socket_child_frame>/bodyset/rod</socket_child_frame>
        <coordinates><Coordinate name="angle"><range>-3 3</range></Coordinate></coordinates>
      </PinJoint>
    </objects></JointSet>
    MODEL_EXTRA
    <ForceSet name="forceset"><objects>
      <CoordinateActuator name="motor">
        <coordinate>angle</coordinate><optimal_force>10</optimal_force>
        <min_control>-1</min_control><max_control>1</max_control>
      </CoordinateActuator>
      EXTRA
    </objects></ForceSet>
  </Model>
</OpenSimDocument>
"""


def pendulum_osim(extra: str = "", model_extra: str = "", body_extra: str = "") -> str:
    """The pendulum's .osim text with the given elements in their places."""
    out = PENDULUM
    for key, value in (("MODEL_EXTRA", model_extra), ("BODY_EXTRA", body_extra),
                       ("EXTRA", extra)):   # the longer names first
        out = out.replace(key, value)
    return out
