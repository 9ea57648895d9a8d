"""The sensor-noise cues read a native crop centred on the person, not the panel's centre."""
from __future__ import annotations

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2")

from app.engine.forensics.residual_cues import box_centre  # noqa: E402
from app.engine.forensics.video_io import CROP_SIZE, analysis_size, native_sequence, probe_video  # noqa: E402


def test_box_centre_is_the_median_centre_of_the_seen_landmarks() -> None:
    image = np.zeros((3, 33, 2))
    image[:, :, 0] = np.linspace(100, 200, 33)        # x from 100 to 200: centre 150
    image[:, :, 1] = np.linspace(40, 80, 33)          # y centre 60
    image[1] += 1000                                  # one frame far away
    seen = np.ones((3, 33), bool)
    assert box_centre(image, seen) == pytest.approx((150.0, 60.0))   # the median ignores the outlier frame
    seen[:] = False
    assert box_centre(image, seen) is None


def test_native_crop_follows_the_given_centre(tmp_path) -> None:
    w, h = 1280, 720
    x = np.tile(np.arange(w, dtype=np.float32) / w * 250, (h, 1))    # brightness encodes the column
    frame = np.repeat(x.astype(np.uint8)[..., None], 3, axis=2)
    path = tmp_path / "ramp.avi"
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (w, h))
    for _ in range(6):
        out.write(frame)
    out.release()
    info = probe_video(path)
    centred = native_sequence(info)
    aw, _, _ = analysis_size(w, h)
    right, frames = native_sequence(info, centre=(0.8 * aw, 0.5 * aw * h / w), with_frames=True)
    edge = native_sequence(info, centre=(aw - 1.0, 0.0))
    assert len(centred) == len(right) == len(frames) == 6 and right[0].shape == (CROP_SIZE, CROP_SIZE)
    col = lambda c: float(c.mean()) / 250 * w   # noqa: E731 - the mean column of a crop
    assert col(centred[0]) == pytest.approx(w / 2, abs=15)
    assert col(right[0]) == pytest.approx(0.8 * w, abs=15)
    assert col(edge[0]) == pytest.approx(w - CROP_SIZE / 2, abs=15)             # kept inside the panel
    assert frames.shape[1:] == (analysis_size(w, h)[1], aw, 3)
