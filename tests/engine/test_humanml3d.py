"""HumanML3D-style 263-dim features: layout, round trips, invariances, contacts, torch recovery."""
from __future__ import annotations

import logging
import time

import numpy as np
import pytest

from app.core.motion import MotionClip, rest_clip
from app.core.rotations import axis_angle_to_matrix, matrix_to_axis_angle
from app.core.skeleton import smpl22_skeleton
from app.engine.repr import humanml3d as hml
from app.engine.repr.humanml3d import (FEATURE_DIM, FOOT_CONTACT, canonicalize, clip_to_features,
                                       features_to_clip, features_to_joints, heading_angles)

log = logging.getLogger(__name__)


def walking_clip(frames: int = 200, fps: float = 20.0, turn: float = 1.5, yaw0: float = 0.7,
                 start=(3.0, -2.0), seed: int = 0) -> MotionClip:
    """A synthetic curved walk: turning root with pitch/roll sway, swinging limbs, noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(frames) / fps
    ph = 2 * np.pi * t
    yaw = yaw0 + turn * t / t[-1]
    zeros = np.zeros(frames)
    rots = np.zeros((frames, 22, 3))
    sway = np.stack([0.1 * np.sin(ph), zeros, 0.05 * np.cos(ph)], -1)
    heading = axis_angle_to_matrix(np.stack([zeros, yaw, zeros], -1))
    rots[:, 0] = matrix_to_axis_angle(heading @ axis_angle_to_matrix(sway))
    rots[:, 1, 0], rots[:, 2, 0] = 0.5 * np.sin(ph), -0.5 * np.sin(ph)
    rots[:, 4, 0], rots[:, 5, 0] = 0.6 * (1 + np.sin(ph + 1)), 0.6 * (1 - np.sin(ph + 1))
    rots[:, 16, 2], rots[:, 17, 2] = -1.2 + 0.3 * np.sin(ph), 1.2 + 0.3 * np.sin(ph)
    rots[:, 3, 1], rots[:, 18, 1] = 0.2 * np.sin(ph), 0.4 * np.cos(ph)
    rots += rng.normal(0.0, 0.03, rots.shape)
    trans = np.zeros((frames, 3))
    trans[:, 1] = 0.9 + 0.02 * np.sin(2 * ph)
    trans[:, 0] = start[0] + np.cumsum(1.2 / fps * np.sin(yaw))
    trans[:, 2] = start[1] + np.cumsum(1.2 / fps * np.cos(yaw))
    return MotionClip(fps, trans, rots)


@pytest.fixture(scope="module")
def clip() -> MotionClip:
    return walking_clip()


def test_layout_and_shapes(clip):
    feats = clip_to_features(clip)
    assert feats.shape == (clip.num_frames - 1, FEATURE_DIM) and feats.dtype == np.float32
    assert np.isfinite(feats).all()
    assert hml.ROT6D.start == 67 and hml.LOCAL_VEL.start == 193 and FOOT_CONTACT.start == 259
    # the 6D part is the clip's own local rotations of joints 1..21
    rot6d = feats[:, hml.ROT6D].reshape(-1, 21, 6)
    np.testing.assert_allclose(rot6d[:, :, :3], clip.rotmats()[:-1, 1:, :, 0], atol=1e-6)
    # root height is the world root height, per-frame root speed matches the clip
    np.testing.assert_allclose(feats[:, 3], clip.trans[:-1, 1], atol=1e-6)
    step = np.linalg.norm(np.diff(clip.trans[:, [0, 2]], axis=0), axis=-1)
    np.testing.assert_allclose(np.linalg.norm(feats[:, 1:3], axis=-1), step, atol=1e-6)


def test_joints_round_trip(clip):
    feats = clip_to_features(clip)
    target = canonicalize(clip).joints()[:-1]     # the last frame is dropped (T-1 features)
    err = np.abs(features_to_joints(feats) - target).max()
    log.info("features_to_joints max error %.2e m", err)
    assert err < 1e-4


def test_clip_round_trip(clip):
    feats = clip_to_features(clip)
    back = features_to_clip(feats, clip.fps)
    assert back.num_frames == clip.num_frames - 1 and back.fps == clip.fps
    err = np.abs(back.joints() - canonicalize(clip).joints()[:-1]).max()
    log.info("features_to_clip joints max error %.2e m", err)
    assert err < 1e-3
    # local rotations of joints 1..21 are exactly the clip's
    np.testing.assert_allclose(back.rotmats()[:, 1:], clip.rotmats()[:-1, 1:], atol=1e-5)
    # and the root keeps its pitch/roll sway (Kabsch fit), not just the heading
    can = canonicalize(clip)
    np.testing.assert_allclose(back.rotmats()[:, 0], can.rotmats()[:-1, 0], atol=1e-4)


def test_limbs_from_positions_follow_the_joints_and_keep_the_twist(clip):
    """limbs="positions": exact on clean features; with wrong rotations the bones still point at the
    predicted joints (a generator's RIC positions), and a pure twist error stays in the rotations."""
    feats = clip_to_features(clip)
    target = features_to_joints(feats)
    exact = features_to_clip(feats, clip.fps, limbs="positions")
    assert np.abs(exact.joints() - target).max() < 1e-4
    noisy = feats.copy()
    noisy[:, hml.ROT6D] += np.random.default_rng(0).normal(0.0, 0.2, noisy[:, hml.ROT6D].shape)
    by_rot = np.abs(features_to_clip(noisy, clip.fps).joints() - target).max()
    by_pos = np.abs(features_to_clip(noisy, clip.fps, limbs="positions").joints() - target).max()
    log.info("noisy rotations: max joint error %.3f m (rotations) vs %.2e m (positions)", by_rot, by_pos)
    assert by_rot > 0.2 and by_pos < 1e-4
    # twist the left forearm (elbow, joint 18) about its own bone: positions cannot see it, it is kept
    twisted = clip.rotmats().copy()
    bone = clip.skeleton.offsets[20] / np.linalg.norm(clip.skeleton.offsets[20])
    twisted[:, 18] = twisted[:, 18] @ axis_angle_to_matrix(bone * 0.8)
    tw = MotionClip(clip.fps, clip.trans, matrix_to_axis_angle(twisted))
    back = features_to_clip(clip_to_features(tw), clip.fps, limbs="positions")
    np.testing.assert_allclose(back.rotmats()[:, 18], tw.rotmats()[:-1, 18], atol=1e-4)
    with pytest.raises(ValueError, match="limbs"):
        features_to_clip(feats, clip.fps, limbs="ik")


def test_round_trip_through_yaw_wrap():
    clip = walking_clip(frames=120, turn=7.0, yaw0=2.5, seed=1)   # spins past +-pi
    feats = clip_to_features(clip)
    assert np.abs(feats[:, 0]).max() < 0.1                          # half yaw step, no 2*pi jumps
    target = canonicalize(clip).joints()[:-1]
    assert np.abs(features_to_joints(feats) - target).max() < 1e-4
    assert np.abs(features_to_clip(feats, clip.fps).joints() - target).max() < 1e-3


def test_canonical_clip_recovers_its_own_joints():
    clip = canonicalize(walking_clip(frames=60, seed=3))
    assert abs(heading_angles(clip.joints(), clip.fps)[0]) < 1e-9
    np.testing.assert_allclose(clip.trans[0, [0, 2]], 0.0, atol=1e-12)
    feats = clip_to_features(clip)
    assert np.abs(features_to_joints(feats) - clip.joints()[:-1]).max() < 1e-4


def test_features_invariant_to_yaw_and_horizontal_shift(clip):
    moved = clip.rotated_about_y(2.3)
    moved.trans = moved.trans + np.array([5.0, 0.0, -7.0])
    np.testing.assert_allclose(clip_to_features(moved), clip_to_features(clip), atol=2e-5)


def test_custom_skeleton_round_trip():
    skel = smpl22_skeleton().scaled(1.1)
    base = walking_clip(frames=50, seed=5)
    clip = MotionClip(base.fps, base.trans, base.rotations, skel)
    back = features_to_clip(clip_to_features(clip), clip.fps, skeleton=skel)
    assert np.abs(back.joints() - canonicalize(clip).joints()[:-1]).max() < 1e-3


def test_batched_numpy_recovery(clip):
    feats = clip_to_features(clip)
    batch = np.stack([feats[:100], feats[50:150]])
    joints = features_to_joints(batch)
    assert joints.shape == (2, 100, 22, 3)
    np.testing.assert_allclose(joints[0], features_to_joints(feats[:100]), atol=1e-12)


def test_torch_recovery_matches_numpy_and_is_differentiable(clip):
    import torch
    from app.engine.repr.humanml3d_torch import features_to_joints as torch_joints
    feats = clip_to_features(clip)
    batch = np.stack([feats[:120], feats[40:160]])
    ref = features_to_joints(batch)
    out = torch_joints(torch.from_numpy(batch).double())
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-9)
    out32 = torch_joints(torch.from_numpy(batch))
    assert out32.dtype == torch.float32 and np.abs(out32.numpy() - ref).max() < 1e-4
    x = torch.from_numpy(feats[:30].copy()).requires_grad_(True)
    torch_joints(x).square().sum().backward()
    grad = x.grad.numpy()
    assert np.isfinite(grad).all()
    assert np.abs(grad[:, :4]).sum() > 0 and np.abs(grad[:, hml.RIC]).sum() > 0
    assert np.abs(grad[:, hml.ROT6D]).sum() == 0   # recover_from_ric ignores rotations


def test_foot_contacts_standing_and_jumping():
    still = rest_clip(40, fps=20.0)
    wave = still.copy()
    wave.rotations[:, 16, 2] = -1.0 + 0.5 * np.sin(np.arange(40) / 3.0)   # arms move, feet stay
    assert (clip_to_features(wave)[:, FOOT_CONTACT] == 1.0).all()
    jump = still.copy()
    jump.trans[:, 1] += 0.4 * np.sin(np.linspace(0, np.pi, 40))           # airborne mid-clip
    contacts = clip_to_features(jump)[:, FOOT_CONTACT]
    assert (contacts[15:25] == 0.0).all() and (contacts[0] == 1.0).all()
    slide = still.copy()
    slide.trans[:, 0] += np.arange(40) * 0.1                                # 2 m/s sliding
    assert (clip_to_features(slide)[:, FOOT_CONTACT] == 0.0).all()


def test_rejects_bad_input(clip):
    with pytest.raises(ValueError):
        clip_to_features(clip.slice(0, 1))
    with pytest.raises(ValueError):
        features_to_clip(np.zeros((5, 100)), 20.0)


def test_speed_200_frames(clip):
    clip_to_features(clip)
    best = float("inf")
    for _ in range(5):
        fresh = clip.copy()                      # no cached joints: include forward kinematics
        start = time.perf_counter()
        feats = clip_to_features(fresh)
        best = min(best, time.perf_counter() - start)
    start = time.perf_counter()
    features_to_clip(feats, clip.fps)
    inverse = time.perf_counter() - start
    log.info("200 frames: clip_to_features %.1f ms, features_to_clip %.1f ms", best * 1e3, inverse * 1e3)
    assert best < 0.02
