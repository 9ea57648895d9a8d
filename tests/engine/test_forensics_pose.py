"""Body-motion cues react to their manipulations (landmark level, real mocap through a camera)."""
from __future__ import annotations

import numpy as np

from app.engine.forensics import pose_cues as pc
from app.engine.forensics import synth
from app.engine.forensics.reference import simulate_landmarks


def _cues(joints: np.ndarray, seed: int = 0, **kw) -> dict:
    world, image, present, bg = simulate_landmarks(joints, np.random.default_rng(seed), tracking=False, **kw)
    return {k: v[0] for k, v in pc.landmark_cues(world, image, present, 20.0, bg).items()}


def test_real_motion_gives_every_cue(walk):
    c = _cues(walk)
    assert all(v is not None and np.isfinite(v) for v in c.values()), c
    assert c["swap_rate"] == 0.0
    assert c["joint_angle_violations"] < 0.2


def test_bone_drift_raises_bone_variation_and_asymmetry(walk):
    base, drift = _cues(walk), _cues(synth.drift_bones(walk, 0.4))
    assert drift["bone_length_cv"] > base["bone_length_cv"] * 1.3
    assert drift["lr_asymmetry"] > base["lr_asymmetry"] * 1.3


def test_jitter_raises_jerk_and_high_frequencies(walk):
    base, jit = _cues(walk), _cues(synth.jitter_joints(walk, 0.04))
    assert jit["jerk"] > base["jerk"] + 0.1
    assert jit["motion_hf_ratio"] > base["motion_hf_ratio"]


def test_limb_swap_and_backward_knees_are_counted(walk):
    world, image, present, bg = simulate_landmarks(walk, np.random.default_rng(0), tracking=False)
    image2 = image.copy()
    image2[40:, [pc.LWR, pc.RWR]] = image[40:, [pc.RWR, pc.LWR]]
    image2[40:, [pc.LAN, pc.RAN]] = image[40:, [pc.RAN, pc.LAN]]
    base = pc.landmark_cues(world, image, present, 20.0, bg)
    swapped = pc.landmark_cues(world, image2, present, 20.0, bg)
    assert swapped["swap_rate"][0] > base["swap_rate"][0]
    bent = world.copy()
    for hip, knee, ank in ((pc.LHIP, pc.LKN, pc.LAN), (pc.RHIP, pc.RKN, pc.RAN)):
        fwd = world[:, knee + 6] - world[:, ank]  # foot tip - ankle
        fwd /= np.linalg.norm(fwd, axis=-1, keepdims=True)
        bent[:, knee] = 0.5 * (world[:, hip] + world[:, ank]) - 0.15 * fwd
    bad = pc.landmark_cues(bent, image, present, 20.0, bg)
    assert bad["joint_angle_violations"][0] > base["joint_angle_violations"][0] + 0.5


def test_foot_sliding_rises_when_camera_motion_is_not_cancelled(walk):
    world, image, present, bg = simulate_landmarks(walk, np.random.default_rng(1), tracking=True)
    ok = pc.landmark_cues(world, image, present, 20.0, bg)["foot_sliding"][0]
    slid = image.copy()
    slid[:, [pc.LAN, pc.RAN, pc.LFT, pc.RFT], 0] += np.linspace(0, 60, len(image))[:, None]
    bad = pc.landmark_cues(world, slid, present, 20.0, bg)["foot_sliding"][0]
    assert bad > ok


def test_no_person_is_not_measured_with_a_reason():
    t = 20
    out = pc.landmark_cues(np.full((t, 33, 3), np.nan), np.full((t, 33, 2), np.nan), np.zeros(t, bool), 20.0)
    assert all(v[0] is None and v[2] == "no person detected" for v in out.values())
