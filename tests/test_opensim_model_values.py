"""The OpenSim reference script (tests/opensim_model_values.py) on the three 3D models.

Checks of OpenSim's numbers against themselves and closed forms, so that the
comparisons of ``ocp models --evaluate`` rest on a reference that is read right:
the VALUES.json shape, a symmetric positive definite mass matrix whose
pelvis-translation block is the total mass, the weight in the vertical
pelvis force at rest, the pelvis origin at the pelvis translations, and
OpenSim's moment arms equal to minus the derivative of its lengths where no
wrapping is involved. Skipped when OpenSim or ../shared/data/models3d is absent.
"""
import numpy as np
import pytest
from opensim_values import FALISSE, GAIT2392, HAS_OPENSIM, RAJAGOPAL, reference_values

pytestmark = pytest.mark.skipif(not HAS_OPENSIM, reason="opensim is not installed")

#: total mass (kg) of each model, from ../shared/data/README.md (rounded there)
MASS_KG = {GAIT2392: 75.165, RAJAGOPAL: 75.337, FALISSE: 62.0}
GRAVITY = 9.80665


@pytest.mark.parametrize("model", [GAIT2392, RAJAGOPAL, FALISSE],
                         ids=["gait2392", "Rajagopal2016", "Falisse2022"])
def test_opensim_values_have_the_issue_format_and_consistent_dynamics(model):
    """Two random states and the first posture at rest (reference_values)."""
    if not model.exists():
        pytest.skip(f"{model} is absent")
    states, values = reference_values(model)
    names = values["coordinates"]
    assert names == states["coordinates"]       # the file's order
    n = len(names)
    assert len(values["samples"]) == 3
    for sample, given in zip(values["samples"], states["samples"]):
        assert set(sample) == {"mass_matrix", "bias_and_gravity_tau", "muscle_tendon_length",
                               "moment_arms", "moment_arms_from_length", "marker_positions",
                               "body_origin_positions", "contact_forces"}
        m = np.array(sample["mass_matrix"])
        assert m.shape == (n, n)
        assert np.abs(m - m.T).max() <= 1e-12 * np.abs(m).max()
        assert np.linalg.eigvalsh(m).min() > 0
        translations = [names.index(c) for c in ("pelvis_tx", "pelvis_ty", "pelvis_tz")]
        block = m[np.ix_(translations, translations)]
        assert np.allclose(block, np.eye(3) * block[0, 0], rtol=0, atol=1e-9)
        assert block[0, 0] == pytest.approx(MASS_KG[model], abs=1e-3)
        assert len(sample["bias_and_gravity_tau"]) == n
        pelvis = sample["body_origin_positions"]["pelvis"]
        assert pelvis == pytest.approx([given["q"][i] for i in translations], abs=1e-12)
        assert set(sample["muscle_tendon_length"]) == set(sample["moment_arms"])
        for muscle, length in sample["muscle_tendon_length"].items():
            assert 0.02 < length < 1.0, muscle
            assert set(sample["moment_arms"][muscle]) == set(names)
    rest = values["samples"][-1]["bias_and_gravity_tau"]
    total = values["samples"][-1]["mass_matrix"][names.index("pelvis_ty")][names.index("pelvis_ty")]
    # at rest only gravity remains: the vertical pelvis force carries the whole weight
    assert rest[names.index("pelvis_ty")] == pytest.approx(total * GRAVITY, rel=1e-12)
    assert abs(rest[names.index("pelvis_tx")]) <= 1e-9 * total * GRAVITY
    assert abs(rest[names.index("pelvis_tz")]) <= 1e-9 * total * GRAVITY


def test_opensim_moment_arms_are_minus_the_derivative_of_its_lengths_on_gait2392():
    """gait2392's paths: computeMomentArm and minus the central difference of the length
    agree to the difference's own error (~1e-10 m)."""
    if not GAIT2392.exists():
        pytest.skip(f"{GAIT2392} is absent")
    _, values = reference_values(GAIT2392)
    worst = 0.0
    for sample in values["samples"]:
        for muscle, arms in sample["moment_arms"].items():
            for c, arm in arms.items():
                worst = max(worst, abs(arm - sample["moment_arms_from_length"][muscle][c]))
    print(f"\ngait2392: worst |computeMomentArm + dL/dq| {worst:.1e} m")
    assert worst < 1e-6
