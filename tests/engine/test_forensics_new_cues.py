"""The cues added for the manipulations that used to pass as real: image-space limb
asymmetry (bone drift), stance-phase foot/ground parallax (pasted subject), temporal
alternation (frame interpolation), and the motion-likelihood cue's clean degradation."""
from __future__ import annotations

import numpy as np
import pytest

from app.engine.forensics import likelihood as lk
from app.engine.forensics import pixel_cues, synth
from app.engine.forensics import pose_cues as pc
from app.engine.forensics.reference import SMPL_TO_BLAZE, simulate_landmarks
from app.viewers.camera import Camera
from app.engine.jobs import drain


def test_bone_drift_raises_image_limb_asymmetry(walk):
    def cue(j):
        world, image, present, bg = simulate_landmarks(j, np.random.default_rng(3), tracking=False)
        return pc.landmark_cues(world, image, present, 20.0, bg)["image_limb_asymmetry"][0]

    base, drift = cue(walk), cue(synth.drift_bones(walk, 0.35))
    assert base < 0.08
    assert drift > base + 0.08


def _project(joints: np.ndarray, cams: list[Camera], w: int = 480, h: int = 270) -> np.ndarray:
    image = np.full((len(joints), 33, 2), np.nan)
    idx_b, idx_s = list(SMPL_TO_BLAZE), list(SMPL_TO_BLAZE.values())
    for i, cam in enumerate(cams):
        image[i, idx_b] = cam.project(joints[i, idx_s], w, h)[0]
    return image


def _ground_flow(joints: np.ndarray, cams: list[Camera], w: int = 480, h: int = 270) -> np.ndarray:
    """Image motion of the ground point under the feet between consecutive cameras."""
    bg = np.zeros((len(joints), 2))
    for i in range(1, len(joints)):
        g = 0.5 * (joints[i, 7] + joints[i, 8])
        g[1] = 0.0
        bg[i] = cams[i].project(g[None], w, h)[0][0] - cams[i - 1].project(g[None], w, h)[0][0]
    return bg


def test_pasted_subject_raises_foot_sliding(walk):
    cams = synth.camera_path(len(walk), walk, move=2.0)
    world = simulate_landmarks(walk, np.random.default_rng(0), tracking=False)[0]
    present = np.ones(len(walk), bool)
    bg = _ground_flow(walk, cams)
    real = pc.landmark_cues(world, _project(walk, cams), present, 20.0, bg)["foot_sliding"][0]
    pasted = pc.landmark_cues(world, _project(walk, [cams[0]] * len(walk)), present, 20.0, bg)["foot_sliding"][0]
    assert real is not None and pasted is not None
    assert pasted > real + 0.1


def test_frame_interpolation_raises_temporal_alternation(walk):
    j = walk[:16]
    frames, masks = synth.render_video(j, synth.SceneSpec(width=96, height=72), cams=synth.camera_path(16, j, move=1.0))

    def cue(fr):
        stats = drain(pixel_cues.flow_stats(fr, (masks * 255).astype(np.uint8)))
        return pixel_cues.pixel_cues(stats, 20.0, [])["temporal_alternation"][0]

    base, interp = cue(frames), cue(synth.interpolate_frames(frames))
    assert interp > base + 0.3


def test_ik_reproduces_bone_directions(walk):
    full = lk.complete_joints(lk.core_from_smpl(walk))
    rec = lk.joints_to_clip(full).joints()
    for a, b in ((1, 4), (4, 7), (16, 18), (18, 20), (0, 3), (9, 12)):
        u = full[:, b] - full[:, a]
        v = rec[:, b] - rec[:, a]
        cos = (u * v).sum(-1) / np.linalg.norm(u, axis=-1) / np.linalg.norm(v, axis=-1)
        assert cos.min() > 0.999


def test_motion_likelihood_degrades_cleanly(walk, monkeypatch, tmp_path):
    world = np.zeros((80, 33, 3))
    few = lk.likelihood_cue(world[:10], np.ones(10, bool), 20.0)["motion_likelihood"]
    assert few[0] is None and "too few" in few[2]
    none = lk.likelihood_cue(world, np.zeros(80, bool), 20.0)["motion_likelihood"]
    assert none[0] is None and none[2] == "no person detected"
    monkeypatch.setattr(lk, "BANK_PATH", tmp_path / "missing.npz")
    nobank = lk.likelihood_cue(world, np.ones(80, bool), 20.0)["motion_likelihood"]
    assert nobank[0] is None and "bank" in nobank[2]
    fake_bank = {"embeddings": np.zeros((3, 4), np.float32), "groups": np.array(["a", "b", "c"])}
    monkeypatch.setattr(lk, "load_evaluator", lambda: (None, "motion evaluator unavailable (no torch)"))
    noev = lk.likelihood_cue(world, np.ones(80, bool), 20.0, bank=fake_bank)["motion_likelihood"]
    assert noev[0] is None and "unavailable" in noev[2]


def test_pipeline_wrapper_turns_failures_into_a_reason(monkeypatch):
    from app.engine.forensics import pipeline

    def boom(*a, **k):
        raise RuntimeError("broken model")

    monkeypatch.setattr(lk, "likelihood_cue", boom)
    track = pc.PoseTrack(np.zeros((5, 33, 3)), np.zeros((5, 33, 2)), np.ones((5, 33)), np.ones(5, bool),
                         np.zeros((5, 4, 4), np.uint8))
    v, pf, why = pipeline.motion_likelihood(track, 20.0)["motion_likelihood"]
    assert v is None and pf is None and "failed" in why


def test_motion_likelihood_separates_real_from_random_motion(walk):
    ev, why = lk.load_evaluator()
    bank, why2 = lk.load_bank()
    if ev is None or bank is None:
        pytest.skip(why or why2)
    core = lk.core_from_smpl(walk)
    present = np.ones(len(walk), bool)
    real = lk.likelihood_cue(np.zeros((80, 33, 3)), present, 20.0, bank=bank, evaluator=ev, core=core)
    rng = np.random.default_rng(0)
    noisy = core + np.cumsum(rng.normal(0, 0.03, core.shape), axis=0)   # limbs wander off
    fake = lk.likelihood_cue(np.zeros((80, 33, 3)), present, 20.0, bank=bank, evaluator=ev, core=noisy)
    assert real["motion_likelihood"][0] is not None
    assert fake["motion_likelihood"][0] > real["motion_likelihood"][0]
