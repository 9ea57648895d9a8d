"""Scene-geometry and pixel cues on rendered footage with real geometry (a textured room, a
moving camera, a capsule person) and on its manipulated versions."""
from __future__ import annotations

import numpy as np
import pytest

from app.engine.forensics import pixel_cues, pose_cues, sfm_cues, synth
from app.engine.jobs import drain

W, H, T = 240, 180, 30


@pytest.fixture(scope="module")
def joints() -> np.ndarray:
    from app.engine.corpus.real_mocap import load_real_corpus
    w = next(w for w in load_real_corpus() if "walk" in w.texts[0] and w.clip.num_frames >= T)
    return w.clip.joints()[:T]


@pytest.fixture(scope="module")
def real(joints):
    return synth.render_video(joints, synth.SceneSpec(width=W, height=H))


def _sfm(frames, masks, colmap=True):
    return drain(sfm_cues.sfm_cues(frames, (masks * 255).astype(np.uint8), use_colmap=colmap))[0]


def _pix(frames, masks):
    stats = drain(pixel_cues.flow_stats(frames, (masks * 255).astype(np.uint8)))
    return {k: v[0] for k, v in pixel_cues.pixel_cues(stats, 20.0, [f.mean(-1).astype(np.uint8) for f in frames[::4]]).items()}


def test_rigid_scene_reconstructs_and_warped_background_does_not(joints, real):
    rigid = _sfm(*real)
    assert rigid["registered_share"][0] >= 0.8
    assert rigid["reprojection_error"][0] < 1.0
    warped = _sfm(*synth.render_video(joints, synth.SceneSpec(width=W, height=H), warp=0.08))
    # OpenCV two-view geometry (seeded): deterministic
    assert warped["epipolar_residual"][0] > rigid["epipolar_residual"][0] * 1.5
    assert warped["background_rigidity"][0] <= rigid["background_rigidity"][0]
    # pycolmap's mapping varies run to run (its threads), so any single SfM measure can miss the warp on one
    # run (reprojection error once came out 0.345 vs 0.362); ask for at least two of the four to see it
    def worse(key, higher=True):
        a, b = warped[key][0], rigid[key][0]
        return a is None or (b is not None and (a > b if higher else a < b))
    seen = [worse("reprojection_error"), worse("registered_share", higher=False), worse("camera_path_jerk"),
            worse("focal_consistency")]
    assert sum(seen) >= 2, seen


def test_static_camera_reports_geometry_as_not_measurable(joints):
    cams = synth.camera_path(T, joints, static=True)
    frames, masks = synth.render_video(joints, synth.SceneSpec(width=W, height=H), cams=cams)
    cues = _sfm(frames, masks, colmap=False)
    assert all(v[0] is None for v in cues.values())
    assert "static" in cues["epipolar_residual"][2]


def test_frame_interpolation_raises_noise_instability(real):
    frames, masks = real
    base, interp = _pix(frames, masks), _pix(synth.interpolate_frames(frames), masks)
    assert interp["noise_instability"] > base["noise_instability"] * 1.5


def test_boiling_texture_raises_warp_residual(real):
    """Content that changes from frame to frame without moving (generator 'boiling')."""
    frames, masks = real
    boiled = synth.boil_texture(frames, amplitude=14.0)
    assert _pix(boiled, masks)["warp_residual"] > _pix(frames, masks)["warp_residual"] * 1.2


def test_flicker_cue_sees_brightness_pumping(real):
    frames, masks = real
    gain = 1.0 + 0.06 * np.sin(np.arange(T) * 2.1)
    pumped = np.clip(frames * gain[:, None, None, None], 0, 255).astype(np.uint8)
    assert _pix(pumped, masks)["flicker"] > 2 * _pix(frames, masks)["flicker"]


def test_upsampled_frames_show_spectral_peaks(real):
    import cv2
    frames, _ = real
    crops = [f.mean(-1).astype(np.uint8) for f in frames[::4]]
    up = [cv2.resize(cv2.resize(c, (c.shape[1] * 2 // 3, c.shape[0] * 2 // 3), interpolation=cv2.INTER_AREA),
                     (c.shape[1], c.shape[0]), interpolation=cv2.INTER_LINEAR) for c in crops]
    base, _ = pixel_cues.spectral_peaks(crops)
    peaks, _ = pixel_cues.spectral_peaks(up)
    assert peaks > base


def test_pasted_subject_slides_its_feet(joints, real):
    """A person pasted in without parallax does not move with the ground: foot sliding rises."""
    def sliding(frames, masks):
        track = drain(pose_cues.track_pose(frames))
        assert track.present_share > 0.8
        im = np.where(track.visibility[..., None] >= 0.5, track.image, np.nan)
        feet = np.nanmean(im[:, [pose_cues.LAN, pose_cues.RAN]], axis=1)
        stats = drain(pixel_cues.flow_stats(frames, track.masks, feet))
        return pose_cues.pose_cues(track, 20.0, stats["bg_shift"])["foot_sliding"][0]

    cams = synth.camera_path(T, joints, move=2.0)
    ok = synth.render_video(joints, synth.SceneSpec(width=W, height=H), cams=cams)
    pasted = synth.render_video(joints, synth.SceneSpec(width=W, height=H), cams=cams, paste_from_first=True)
    assert sliding(*pasted) > sliding(*ok)
