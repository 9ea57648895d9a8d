"""Video export: mp4 and gif written atomically and read back."""
from __future__ import annotations

import imageio.v3 as iio
import numpy as np
import pytest
from PIL import Image

from app.core.errors import InvalidInputError
from app.viewers.video import write_video


def _frames(n: int, h: int = 121, w: int = 161):
    for i in range(n):
        img = np.zeros((h, w, 3), np.uint8)
        img[:, : (i * 9) % w] = (200, 80, 40)
        img[h // 2:, :, 2] = 255
        yield img


def test_mp4_roundtrip_frame_count_and_even_size(tmp_path):
    out = tmp_path / "clip.mp4"
    assert write_video(_frames(12), out, fps=24) == 12
    frames = iio.imread(out, index=None)
    assert frames.shape[0] == 12
    assert frames.shape[1:] == (122, 162, 3)  # odd sizes padded to even for yuv420p
    # colours survive encoding (bottom half is blue-ish)
    assert frames[5, 100:, :, 2].mean() > 200 and frames[5, 100:, :, 0].mean() < 60
    assert [p.name for p in tmp_path.iterdir()] == ["clip.mp4"]  # no temp file left behind


def test_gif_roundtrip_frame_count(tmp_path):
    out = tmp_path / "clip.gif"
    assert write_video(_frames(10), out, fps=10) == 10
    with Image.open(out) as im:
        assert im.n_frames == 10
        assert im.size == (161, 121)
        assert im.info.get("duration") == 100
    assert [p.name for p in tmp_path.iterdir()] == ["clip.gif"]


def test_gif_large_frames_are_scaled_down(tmp_path):
    out = tmp_path / "big.gif"
    write_video(_frames(2, 200, 1280), out, fps=30, gif_max_width=320)
    with Image.open(out) as im:
        assert im.size == (320, 50)


def test_rejects_bad_destinations(tmp_path):
    with pytest.raises(InvalidInputError, match="unsupported"):
        write_video(_frames(2), tmp_path / "clip.avi", fps=30)
    with pytest.raises(InvalidInputError, match="does not exist"):
        write_video(_frames(2), tmp_path / "missing" / "clip.mp4", fps=30)
    with pytest.raises(InvalidInputError, match="no frames"):
        write_video(iter([]), tmp_path / "clip.mp4", fps=30)
    with pytest.raises(InvalidInputError):
        write_video(_frames(2), tmp_path / "clip.mp4", fps=0)
    assert list(tmp_path.iterdir()) == []


def test_failure_mid_stream_leaves_nothing(tmp_path):
    def broken():
        yield from _frames(3)
        raise RuntimeError("renderer died")

    for name in ("clip.mp4", "clip.gif"):
        with pytest.raises(RuntimeError):
            write_video(broken(), tmp_path / name, fps=30)
    with pytest.raises(InvalidInputError, match="change size"):
        write_video(iter([np.zeros((10, 10, 3), np.uint8), np.zeros((12, 10, 3), np.uint8)]),
                    tmp_path / "x.mp4", fps=30)
    assert list(tmp_path.iterdir()) == []


def test_video_writer_append_close_and_abort(tmp_path):
    from app.viewers.video import VideoWriter

    w = VideoWriter(tmp_path / "a.mp4", fps=30)
    for frame in _frames(5, 64, 64):
        w.append(frame.astype(np.float32) / 255.0)  # float frames in [0, 1] are accepted
    assert not (tmp_path / "a.mp4").exists()       # nothing visible until close
    assert w.close() == tmp_path / "a.mp4"
    assert iio.imread(tmp_path / "a.mp4", index=None).shape[0] == 5
    aborted = VideoWriter(tmp_path / "b.gif", fps=30)
    aborted.append(np.zeros((8, 8, 3), np.uint8))
    aborted.abort()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mp4"]
