"""Awkward inputs for the forensic inspector: 4K, variable frame rate and very long videos.

The files are made in the test with the ffmpeg binary bundled with imageio-ffmpeg (tiny,
``-preset ultrafast``), so each test runs in a few seconds.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest

from app.engine.forensics import video_io
from app.engine.forensics.pipeline import run_inspection
from app.engine.forensics.video_io import ANALYSIS_MAX_SIDE, MAX_ANALYSIS_SECONDS, probe_video, sample_frames
from app.engine.jobs import drain


def _ffmpeg(out: Path, *args: str) -> Path:
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args,
           "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(out)]
    subprocess.run(cmd, check=True, timeout=60)
    return out


def test_4k_input_is_downscaled_and_analysed(tmp_path):
    path = _ffmpeg(tmp_path / "uhd.mp4", "-f", "lavfi", "-i", "testsrc2=size=3840x2160:rate=30", "-frames:v", "2")
    rep = run_inspection(path, reference={}, use_colmap=False, with_pose=False, keep_frames=True)
    assert (rep.video.width, rep.video.height) == (3840, 2160)
    assert rep.complete and rep.num_frames == 2
    assert rep.frames.shape[1:] == (270, ANALYSIS_MAX_SIDE, 3)  # streamed down to the analysis size
    sample = drain(sample_frames(probe_video(path)))
    assert sample.crops and sample.crops[0].shape == (256, 256)  # native-resolution crops for the spectrum cue
    assert sample.scale == pytest.approx(ANALYSIS_MAX_SIDE / 3840)


def test_variable_frame_rate_keeps_container_timestamps(tmp_path):
    # 20 frames at 30 fps, then frames 4x further apart (7.5 fps): a variable-frame-rate mp4
    path = _ffmpeg(tmp_path / "vfr.mp4", "-t", "2", "-f", "lavfi", "-i", "testsrc2=size=96x64:rate=30",
                   "-vf", "setpts='if(lt(N,20),N,20+(N-20)*4)/30/TB'", "-fps_mode", "vfr")
    rep = run_inspection(path, reference={}, use_colmap=False, with_pose=False)
    assert rep.video.variable_frame_rate
    assert any("variable frame rate" in w for w in rep.warnings)
    dt = np.diff(rep.times)
    assert dt[:15] == pytest.approx(1 / 30, abs=0.004)
    assert dt[-5:] == pytest.approx(4 / 30, abs=0.004)  # the real gaps, not index / average fps
    assert rep.times[-1] == pytest.approx((20 + 39 * 4) / 30, abs=0.01)  # 60 frames spanning 5.9 s


def test_very_long_input_is_limited_to_the_first_minute(tmp_path):
    # ten minutes at 5 fps and 64x48: 3000 frames, encoded in well under a second
    path = _ffmpeg(tmp_path / "long.mp4", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=5", "-t", "600")
    info = probe_video(path)
    assert info.duration_s == pytest.approx(600, abs=1)
    rep = run_inspection(path, reference={}, use_colmap=False, with_pose=False)
    assert rep.complete
    assert rep.times[-1] <= MAX_ANALYSIS_SECONDS
    assert rep.frame_indices.max() < MAX_ANALYSIS_SECONDS * 5
    assert any("only the first 60 s are analysed" in w for w in rep.warnings)


def test_sampling_streams_with_a_stride_and_a_bounded_frame_count(tmp_path, monkeypatch):
    """Frames are read one at a time; only `max_frames` are ever kept (memory is bounded)."""
    path = _ffmpeg(tmp_path / "clip.mp4", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=30", "-t", "4")
    seen = []
    real_iter = video_io.iter_frames

    def spy(*args, **kwargs):
        for item in real_iter(*args, **kwargs):
            seen.append(item[0])
            yield item

    monkeypatch.setattr(video_io, "iter_frames", spy)
    sample = drain(sample_frames(probe_video(path), max_frames=10, max_seconds=2.0))
    assert sample.num_frames == 10
    assert list(sample.indices) == list(range(0, 60, 6))  # stride 6 over the first 2 s (60 frames)
    assert max(seen) < 60  # never decoded past the analysis window
    assert any("every 6th frame" in w for w in sample.warnings)
    assert any("only the first 2 s" in w for w in sample.warnings)


def test_every_stage_yields_often_so_cancel_is_prompt(tmp_path):
    """The engine cancels between yields: no stage may run a second without yielding."""
    import time

    from app.engine.forensics.pipeline import inspect_video
    path = _ffmpeg(tmp_path / "hd.mp4", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30", "-t", "1.5")
    gen = inspect_video(path, reference={}, use_colmap=False)
    gaps, last = [], time.monotonic()
    while True:
        try:
            next(gen)
        except StopIteration as stop:
            rep = stop.value
            break
        now = time.monotonic()
        gaps.append(now - last)
        last = now
    assert rep.complete and rep.num_frames == 45
    assert max(gaps) < 1.0, f"longest stretch without a yield: {max(gaps):.2f} s"


class _SizeChangingCapture:
    """A stand-in for cv2.VideoCapture whose frames shrink from 160x120 to 96x64 at frame 6
    (containers such as MPEG-TS or WebM allow it; some OpenCV builds pass the new size through)."""

    def __init__(self, _path: str) -> None:
        self.i = 0

    def isOpened(self) -> bool:
        return True

    def get(self, prop: int) -> float:
        import cv2
        return {cv2.CAP_PROP_FPS: 10.0, cv2.CAP_PROP_FRAME_COUNT: 12.0,
                cv2.CAP_PROP_POS_MSEC: self.i * 100.0}.get(prop, 0.0)

    def read(self):
        if self.i >= 12:
            return False, None
        self.i += 1
        h, w = (120, 160) if self.i <= 6 else (64, 96)
        return True, np.full((h, w, 3), 10 * self.i, np.uint8)

    def grab(self) -> bool:
        return self.read()[0]

    def release(self) -> None:
        pass


def test_frame_size_change_mid_stream_is_resized_with_a_warning(tmp_path, monkeypatch):
    import cv2
    path = tmp_path / "resized.ts"
    path.write_bytes(b"stand-in")
    monkeypatch.setattr(cv2, "VideoCapture", _SizeChangingCapture)
    info = probe_video(path)
    assert (info.width, info.height) == (160, 120)
    sample = drain(sample_frames(info))
    assert sample.frames.shape == (12, 120, 160, 3)
    assert any("frame size changes mid-stream (160x120 to 96x64 at frame 6)" in w for w in sample.warnings)
