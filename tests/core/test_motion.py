"""MotionClip basics: slice, resample, face_forward, on_ground."""
from __future__ import annotations

import numpy as np

from app.core.motion import MotionClip, Segment, rest_clip
from app.core.skeleton import SMPL22_NAMES


def _walk(n=31, fps=30.0, heading=0.7):
    t = np.arange(n) / fps
    trans = np.stack([np.sin(heading) * t, 0.9 + 0.02 * np.sin(6 * t), np.cos(heading) * t], -1)
    rots = np.zeros((n, 22, 3))
    rots[:, 0, 1] = heading
    rots[:, 1, 0] = 0.4 * np.sin(4 * t)
    rots[:, 4, 0] = 0.3 + 0.3 * np.cos(4 * t)
    return MotionClip(fps, trans, rots, segments=[Segment(0.0, 0.5, "step"), Segment(0.5, 1.0, "stop")])


def test_slice_clips_segments():
    clip = _walk().slice(10, 25)
    assert clip.num_frames == 15
    assert [round(s.start, 6) for s in clip.segments] == [0.0, round(0.5 - 10 / 30, 6)]
    assert abs(clip.segments[-1].end - 0.5) < 1e-9


def test_resample_keeps_duration_and_endpoints():
    clip = _walk()
    up = clip.resample(60.0)
    assert up.num_frames == 61 and up.fps == 60.0
    np.testing.assert_allclose(up.trans[::2], clip.trans, atol=1e-9)
    np.testing.assert_allclose(up.joints()[::2], clip.joints(), atol=1e-6)
    down = clip.resample(15.0)
    assert down.num_frames == 16


def test_face_forward_and_on_ground():
    clip = _walk().face_forward(0).on_ground()
    assert abs(clip.facing_angle(0)) < 1e-6
    j = clip.joints()
    assert abs(j[..., 1].min()) < 1e-9
    left = SMPL22_NAMES.index("left_wrist")
    assert j[0, left, 0] > j[0, 0, 0]  # left side is +X when facing +Z


def test_rest_clip_stands_on_ground():
    j = rest_clip(3).joints()
    assert abs(j[..., 1].min()) < 1e-9 and j[0, 15, 1] > j[0, 0, 1] > 0.8
