"""Sensor-noise residual cues on the studio's own manipulations: camera-like noise (fresh each
frame, white, growing with brightness) against painted noise (smoothed, frozen, on an
8-pixel latent grid, boiling), and the decode path that feeds them."""
from __future__ import annotations

import numpy as np
import pytest

from app.engine.forensics.residual_cues import RESIDUAL_CUES, residual_cues

T, S = 24, 160


def _scene(seed: int = 0) -> np.ndarray:
    """A static, mostly smooth scene: brightness ramp, soft blobs and a few edges."""
    import cv2
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:S, 0:S].astype(np.float32)
    img = 40 + 170 * x / S
    blobs = cv2.GaussianBlur(rng.normal(0, 30, (S, S)).astype(np.float32), (0, 0), 12)
    img = img + blobs
    img[60:100, 60:64] += 40
    return np.clip(img, 20, 235)


def _camera(seed: int = 1) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    base = _scene()
    return [np.clip(base + rng.normal(0, 1, base.shape) * np.sqrt(0.08 * base), 0, 255).round().astype(np.uint8)
            for _ in range(T)]


def _painted(seed: int = 1, frozen: float = 0.9) -> list[np.ndarray]:
    """Brightness-independent, smooth noise that mostly persists from frame to frame."""
    import cv2
    rng = np.random.default_rng(seed)
    base = _scene()
    n = rng.normal(0, 1, base.shape).astype(np.float32)
    out = []
    for _ in range(T):
        n = frozen * n + np.sqrt(1 - frozen ** 2) * rng.normal(0, 1, base.shape).astype(np.float32)
        sm = cv2.GaussianBlur(n, (0, 0), 0.8)
        out.append(np.clip(base + 2.2 * sm / sm.std(), 0, 255).round().astype(np.uint8))
    return out


def _grid(seed: int = 1) -> list[np.ndarray]:
    """Noise decoded from an 8x coarser latent (block-wise constant detail)."""
    import cv2
    rng = np.random.default_rng(seed)
    base = _scene()
    out = []
    for _ in range(T):
        lat = rng.normal(0, 2.5, (S // 8, S // 8)).astype(np.float32)
        up = cv2.resize(lat, (S, S), interpolation=cv2.INTER_NEAREST)
        out.append(np.clip(base + up + rng.normal(0, 0.5, base.shape), 0, 255).round().astype(np.uint8))
    return out


def _boiling(seed: int = 1) -> list[np.ndarray]:
    """Camera-like noise whose strength is re-painted per region every frame."""
    import cv2
    rng = np.random.default_rng(seed)
    base = _scene()
    out = []
    for _ in range(T):
        gain = cv2.resize(rng.uniform(0.3, 3.0, (8, 8)).astype(np.float32), (S, S), interpolation=cv2.INTER_NEAREST)
        out.append(np.clip(base + gain * rng.normal(0, 1, base.shape), 0, 255).round().astype(np.uint8))
    return out


def _v(cues: dict, name: str) -> float:
    v = cues[name][0]
    assert v is not None, f"{name}: {cues[name][2]}"
    return v


def test_camera_noise_reads_as_camera():
    c = residual_cues(_camera())
    assert set(c) == set(RESIDUAL_CUES)
    assert abs(_v(c, "residual_temporal_corr")) < 0.15          # drawn afresh every frame
    assert _v(c, "noise_brightness_slope") > 0.4                  # shot noise: variance grows with brightness
    assert 0.5 < _v(c, "residual_level") < 6
    assert c["residual_temporal_corr"][1] is not None and len(c["residual_temporal_corr"][1]) == T


def test_painted_noise_is_persistent_smooth_and_flat_in_brightness():
    cam, painted = residual_cues(_camera()), residual_cues(_painted())
    assert _v(painted, "residual_temporal_corr") > _v(cam, "residual_temporal_corr") + 0.4
    assert _v(painted, "residual_spatial_corr") > _v(cam, "residual_spatial_corr") + 0.1
    assert abs(_v(painted, "noise_brightness_slope")) < 0.25


def test_latent_grid_leaves_a_peak_at_one_eighth():
    cam, grid = residual_cues(_camera()), residual_cues(_grid())
    assert _v(grid, "latent_grid_peak") > _v(cam, "latent_grid_peak") + 0.3


def test_boiling_noise_energy_accelerates():
    cam, boil = residual_cues(_camera()), residual_cues(_boiling())
    assert _v(boil, "residual_energy_accel") > 2 * _v(cam, "residual_energy_accel")


def test_jittering_frames_raise_the_second_difference_ratio():
    import cv2
    base = _scene()
    smooth = [np.clip(np.roll(base, i, axis=1), 0, 255).astype(np.uint8) for i in range(T)]
    rng = np.random.default_rng(3)
    jitter = [np.clip(np.roll(base, i + int(rng.integers(-3, 4)), axis=1), 0, 255).astype(np.uint8) for i in range(T)]
    a, b = residual_cues(smooth), residual_cues(jitter)
    assert _v(b, "frame_accel_ratio") > 1.5 * _v(a, "frame_accel_ratio")
    assert cv2 is not None


def test_too_small_or_too_short_is_not_measured_with_a_reason():
    tiny = residual_cues([np.zeros((20, 20), np.uint8)] * 5)
    assert all(v is None and "small" in why for v, _, why in tiny.values())
    short = residual_cues(_camera()[:2])
    assert short["residual_temporal_corr"][0] is None or short["residual_energy_accel"][0] is None
    assert short["residual_energy_accel"][0] is None and "frames" in short["residual_energy_accel"][2]
    assert residual_cues([])["residual_level"][0] is None


def test_pipeline_and_fit_cache_see_the_same_native_frames(tmp_path):
    """The fit's cheap cache path (native_sequence) keeps exactly the crops the inspector keeps."""
    from app.engine.forensics.video_io import SEQ_FRAMES, native_sequence, probe_video, sample_frames
    from app.engine.jobs import drain
    from app.viewers.video import write_video

    rng = np.random.default_rng(0)
    frames = np.stack([np.clip(_scene()[..., None] + rng.normal(0, 3, (S, S, 1)), 0, 255).repeat(3, -1)
                       for _ in range(60)]).astype(np.uint8)
    path = tmp_path / "noisy.mp4"
    write_video(frames, path, 25.0)
    info = probe_video(path)
    sample = drain(sample_frames(info))
    seq = native_sequence(probe_video(path))
    assert len(seq) == len(sample.seq_crops) == min(SEQ_FRAMES, sample.num_frames)
    assert all(np.array_equal(a, b) for a, b in zip(seq, sample.seq_crops))
    cues = residual_cues(seq)
    assert cues["residual_level"][0] is not None


def test_second_differences_mean_the_same_at_any_frame_rate():
    """One smooth pan filmed at 32 and at 8 fps: the D3-style cues step at ~8 fps, so they agree."""
    base = _scene()
    fast = [np.roll(base, i, axis=1).astype(np.uint8) for i in range(48)]          # 1 px per frame at 32 fps
    slow = [np.roll(base, 4 * i, axis=1).astype(np.uint8) for i in range(12)]      # 4 px per frame at 8 fps
    a, b = residual_cues(fast, 32.0), residual_cues(slow, 8.0)
    assert _v(a, "frame_accel_ratio") == pytest.approx(_v(b, "frame_accel_ratio"), rel=0.25, abs=0.02)
    naive = residual_cues(fast, 8.0)     # treating the 32 fps clip as 8 fps compares 1-px steps instead
    assert abs(_v(naive, "frame_accel_ratio") - _v(b, "frame_accel_ratio")) > \
        abs(_v(a, "frame_accel_ratio") - _v(b, "frame_accel_ratio"))


def test_step_does_not_flip_on_frame_rate_float_noise(tmp_path):
    """The inspector passes the timestamp frame rate, the fit cache the container's: at 12 fps
    (a half-way step, 12 / 8 = 1.5) both must step alike, or the app's cue values differ from
    the values the shipped model was fitted on."""
    from app.engine.forensics.residual_cues import accel_step
    from app.engine.forensics.video_io import analysis_stride, probe_video, sample_frames
    from app.engine.jobs import drain
    from app.viewers.video import write_video

    assert accel_step(12.0) == accel_step(11.999999999999998) == accel_step(12.000000000000002) == 2
    assert accel_step(30.0) == accel_step(29.999999999999996) == 4
    assert accel_step(8.0) == 1 and accel_step(None) == 1 and accel_step(float("nan")) == 1
    seq = _camera()
    a, b = residual_cues(seq, 12.0), residual_cues(seq, 11.999999999999998)
    for name in ("residual_energy_accel", "frame_accel_ratio"):
        assert _v(a, name) == _v(b, name)

    rng = np.random.default_rng(0)
    frames = np.stack([np.clip(_scene()[..., None] + rng.normal(0, 3, (S, S, 1)), 0, 255).repeat(3, -1)
                       for _ in range(30)]).astype(np.uint8)
    path = tmp_path / "twelve.mp4"
    write_video(frames, path, 12.0)
    info = probe_video(path)
    app_fps, fit_fps = drain(sample_frames(info)).fps, info.fps / analysis_stride(info)
    assert app_fps == pytest.approx(fit_fps, rel=1e-6)
    assert accel_step(app_fps) == accel_step(fit_fps)
