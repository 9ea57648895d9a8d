"""Motion blur against limb speed (`blur_cues`): a camera blurs a fast hand, a painter need not."""
from __future__ import annotations

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2")

from app.engine.forensics.blur_cues import ENDS, blur_anisotropy, blur_cues, end_velocities  # noqa: E402

WRIST = ENDS[0]
SIZE = 200
HALF = 14


def _clip(blur: bool, seed: int = 0, amplitude: float = 60.0):
    """A textured 'hand' square swinging across a flat frame (x = A sin(w t)); with `blur` each frame
    integrates the motion over the exposure (horizontal box as long as the frame's displacement)."""
    rng = np.random.default_rng(seed)
    m = 32
    x = SIZE / 2 + amplitude * np.sin(0.45 * np.arange(m + 2))
    frames, lms = [], np.full((m, 33, 2), np.nan)
    vis = np.zeros((m, 33))
    for t in range(m):
        img = np.full((SIZE, SIZE), 128.0, np.float32)
        tex = rng.uniform(40, 215, (2 * HALF + 1, 2 * HALF + 1)).astype(np.float32)   # fresh detail each frame
        cx, cy = int(round(x[t + 1])), SIZE // 2
        img[cy - HALF:cy + HALF + 1, cx - HALF:cx + HALF + 1] = tex
        if blur:
            k = 2 * int(round(abs(x[t + 2] - x[t]) / 4)) + 1   # odd, centred on the hand
            img = cv2.blur(img, (k, 1))
        frames.append(np.repeat(np.clip(img, 0, 255).astype(np.uint8)[..., None], 3, axis=2))
        lms[t, WRIST] = (cx, cy)
        vis[t, WRIST] = 1.0
    return frames, lms, vis


def _value(frames, lms, vis, fps: float = 10.0):
    vel = end_velocities(lms, vis, np.arange(len(frames)), fps, 1.0)
    return blur_cues(frames, lms, vis, vel, np.full(len(frames), 40.0))["blur_speed_coupling"]


def test_a_camera_blurring_fast_motion_reads_strongly_negative() -> None:
    value, curve, reason = _value(*_clip(blur=True))
    assert reason == "" and value is not None
    assert value < -0.6                       # fast frames keep less fine detail
    assert curve is not None and curve.shape == (32,) and np.nanmean(curve) < 0


def test_a_hand_painted_sharp_at_any_speed_shows_no_coupling() -> None:
    values = [_value(*_clip(blur=False, seed=s))[0] for s in range(3)]
    assert all(v is not None and v > -0.4 for v in values)
    blurred = [_value(*_clip(blur=True, seed=s))[0] for s in range(3)]
    assert max(blurred) < min(values)


def test_a_still_hand_or_no_body_is_not_measured() -> None:
    frames, lms, vis = _clip(blur=True, amplitude=0.0)
    value, _, reason = _value(frames, lms, vis)
    assert value is None and "moved" in reason
    value, _, reason = _value(frames[:4], lms[:4], vis[:4])
    assert value is None and reason


def test_end_velocity_needs_both_neighbours_in_view() -> None:
    lms = np.zeros((5, 33, 2))
    lms[:, WRIST, 0] = [0, 2, 4, 6, 8]        # 2 px per frame
    vis = np.ones((5, 33))
    vis[3, WRIST] = 0.0
    vel = end_velocities(lms, vis, np.arange(5), 10.0, 2.0)
    assert np.isnan(vel[0, 0]).all() and np.isnan(vel[4, 0]).all()   # no neighbour on one side
    assert vel[1, 0] == pytest.approx([2 * 10 * 2.0, 0.0])            # px/frame x fps x scale
    assert np.isnan(vel[2, 0]).all()                                  # frame 3 unseen


def test_a_limb_end_at_the_frame_edge_is_skipped_not_an_error() -> None:
    grey = np.random.default_rng(0).uniform(0, 255, (60, 60)).astype(np.float32)
    for x, y in ((5, 30), (6, 30), (54, 30), (30, 54), (0, 0), (59, 59)):
        v = blur_anisotropy(grey, np.array([x, y], float), 5, np.array([1.0, 0.0]))
        assert np.isnan(v) or np.isfinite(v)
    assert np.isfinite(blur_anisotropy(grey, np.array([30.0, 30.0]), 5, np.array([1.0, 0.0])))
