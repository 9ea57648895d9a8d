"""Several people (detection rounds linked into tracks, the main person, BlazePose crops) and
the frames where the appearance drifted."""
from __future__ import annotations

import numpy as np
import pytest

from app.engine.forensics import people as ppl
from app.engine.forensics.drift import drift_frames, next_drift
from app.engine.forensics.scoring import Cue


def _box(cx: float, cy: float, w: float, h: float) -> np.ndarray:
    return np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])


def test_two_walkers_become_two_tracks_and_the_larger_is_main():
    at = np.arange(0, 50, 5)
    dets = []
    for r, f in enumerate(at):
        near = _box(100 + 2 * f, 200, 80, 200)      # large, seen throughout
        far = _box(400 - f, 150, 30, 80)             # small, walking the other way
        boxes = [near, far] if r != 4 else [far]     # the near one is missed once
        dets.append(np.array(boxes))
    tr = ppl.link(dets, at, 50)
    assert len(tr.boxes) == 2 and tr.max_people == 2
    main = tr.main_boxes()
    assert main is not None and np.nanmean(main[:, 2] - main[:, 0]) > 60
    assert np.isfinite(main[20]).all()               # the missed round is interpolated
    assert np.isnan(main[49]).all()                  # after the last detection: unknown


def test_one_off_detections_are_not_people():
    at = np.arange(0, 30, 5)
    dets = [np.array([_box(100, 100, 50, 120)]) for _ in at]
    dets[2] = np.vstack([dets[2], _box(300, 100, 50, 120)])   # a single false alarm
    tr = ppl.link(dets, at, 30)
    assert len(tr.boxes) == 1 and tr.max_people == 1


def test_crop_box_stays_inside_the_frame():
    assert ppl.crop_box(_box(10, 10, 40, 100), 320, 240) == (0, 0, 85, 85)
    assert ppl.crop_box(np.full(4, np.nan), 320, 240) is None


def test_nobody_on_a_blank_frame():
    with ppl.PersonFinder() as finder:
        assert len(ppl.detect(np.zeros((240, 320, 3), np.uint8), finder)) == 0
    tr = ppl.link([np.zeros((0, 4))] * 3, np.arange(3), 3)
    assert tr.main is None and tr.max_people == 0


@pytest.mark.parametrize("clip,crowd", [("real/real_mmaction2_demo_skeleton.mp4", True),
                                        ("real/tune-a-video_man-skiing.mp4", False)])
def test_people_on_real_footage(shared_dir, clip, crowd):
    """Two people in a lab are two tracks; a lone skier is one (development clips, when present)."""
    from app.engine.forensics.video_io import probe_video, sample_frames
    from app.engine.jobs import drain

    path = shared_dir / "data" / "videos" / "dev" / clip
    if not path.is_file():
        pytest.skip("no development set in ../shared")
    sample = drain(sample_frames(probe_video(path), max_frames=60))
    tr = drain(ppl.track_people(sample.frames, sample.fps))
    assert (tr.max_people >= 2) == crowd and tr.main is not None
    if crowd:   # BlazePose on the main person's crop (sizes vary frame to frame): landmarks land in the box
        from app.engine.forensics.pose_cues import track_pose
        boxes = tr.main_boxes()
        track = drain(track_pose(sample.frames, boxes=boxes))
        assert track.present_share > 0.5
        ok = track.present & np.isfinite(boxes).all(axis=1)
        hips = 0.5 * (track.image[ok, 23] + track.image[ok, 24])
        b = boxes[ok]
        inside = (hips[:, 0] > b[:, 0] - 20) & (hips[:, 0] < b[:, 2] + 20) & (hips[:, 1] > b[:, 1]) & (hips[:, 1] < b[:, 3] + 20)
        assert inside.mean() > 0.8
        assert track.masks.max() > 128


def test_square_crop_maps_back_to_the_frame():
    from app.engine.forensics.pose_cues import CROP_SIDE, _square_crop, _uncrop_mask

    frame = np.zeros((120, 200, 3), np.uint8)
    frame[40:60, 150:170] = 255
    img, (x0, y0, sx, sy) = _square_crop(frame, (130, 20, 200, 120))       # 70 x 100 crop, padded to 100 x 100
    assert img.shape == (CROP_SIDE, CROP_SIDE, 3) and (x0, y0, sx, sy) == (130, 20, 100, 100)
    ys, xs = np.nonzero(img[..., 0] > 128)
    cx, cy = xs.mean() / CROP_SIDE * sx + x0, ys.mean() / CROP_SIDE * sy + y0
    assert abs(cx - 160) < 2 and abs(cy - 50) < 2
    m = _uncrop_mask((img[..., 0] > 128).astype(np.float32), x0, y0, sx, 200, 120)
    assert m.shape == (120, 200) and m[50, 160] > 0.5 and m[50, 100] == 0


def _cue(name: str, curve: np.ndarray, hi: float | None) -> Cue:
    return Cue(name=name, group="surface", label=name.replace("_", " "), value=float(np.nanmedian(curve)),
               per_frame=curve, reference=None if hi is None else {"lo": 0.0, "hi": hi})


def test_a_texture_jump_marks_its_frames_and_an_even_clip_marks_none():
    rng = np.random.default_rng(0)
    n = 40
    steady = 0.3 + 0.02 * rng.normal(size=n)
    jump = steady.copy()
    jump[[12, 13, 30]] = 1.5
    jump[5] = np.nan
    mask, why = drift_frames({"texture_boil": _cue("texture_boil", jump, 0.6)}, n)
    assert list(np.flatnonzero(mask)) == [12, 13, 30] and why[12] == "texture boil" and why[0] == ""
    none, _ = drift_frames({"texture_boil": _cue("texture_boil", steady, 0.6)}, n)
    assert not none.any()
    # a jump inside the real range is the clip's own variation, not drift
    small = steady.copy()
    small[20] = 0.5
    assert not drift_frames({"texture_boil": _cue("texture_boil", small, 0.6)}, n)[0].any()
    assert next_drift(mask, 13) == 30 and next_drift(mask, 30) == 12 and next_drift(none, 0) is None
