"""Streaming video access for forensics: probe, validate and sample frames without ever
holding the whole file in memory.

Frames are decoded one at a time with OpenCV (FFmpeg backend), downscaled to an analysis
size and, for long inputs, subsampled with a stride so at most ``max_frames`` are kept.
Timestamps come from the container, so variable-frame-rate input is detected and
reported instead of silently misread.
"""
from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from app.core.errors import InvalidInputError

log = logging.getLogger(__name__)

VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".gif", ".mpg", ".mpeg", ".wmv", ".flv")
ANALYSIS_MAX_SIDE = 480      # pixel/pose analysis resolution (long side)
MAX_ANALYSIS_FRAMES = 300    # frames kept for analysis (stride beyond that)
MAX_ANALYSIS_SECONDS = 60.0  # longer inputs: the first minute is analysed (with a warning)
NUM_CROPS, CROP_SIZE = 8, 256  # native-resolution crops for the upsampling-spectrum cue
SEQ_FRAMES = 48                # first analysed frames whose native crop is kept (noise-residual cues)


@dataclass
class VideoInfo:
    """Container metadata of one video (as reported by the decoder)."""

    path: str
    name: str
    size_bytes: int
    width: int
    height: int
    fps: float
    frame_count: int          # the container's estimate (may be 0 or wrong)
    duration_s: float
    codec: str = ""
    variable_frame_rate: bool = False
    warnings: list[str] = field(default_factory=list)
    crop_box: tuple[int, int, int, int] | None = None   # (x0, y0, x1, y1) analysed panel of a composite

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class FrameSample:
    """The analysed frames: RGB uint8 [N, h, w, 3] at analysis size, their source
    indices and timestamps (s), and the effective analysis frame rate."""

    frames: np.ndarray
    indices: np.ndarray
    times: np.ndarray
    fps: float
    scale: float              # analysis pixels per source pixel
    warnings: list[str] = field(default_factory=list)
    crops: list[np.ndarray] = field(default_factory=list)  # native-resolution grey centre crops
    seq_crops: list[np.ndarray] = field(default_factory=list)  # the same crop of the first SEQ_FRAMES frames

    @property
    def num_frames(self) -> int:
        return int(self.frames.shape[0])


def _cv2():
    import cv2
    return cv2


def _fourcc(cap) -> str:
    code = int(cap.get(_cv2().CAP_PROP_FOURCC))
    s = "".join(chr((code >> (8 * i)) & 0xFF) for i in range(4))
    return s if s.isprintable() else ""


def _clip_box(box: tuple[int, int, int, int] | None, w: int, h: int, name: str) -> tuple[int, int, int, int] | None:
    if box is None:
        return None
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 - x0 < 16 or y1 - y0 < 16:
        raise InvalidInputError(f"{name}: crop box {tuple(box)} is outside the {w}x{h} frame or too small")
    return x0, y0, x1, y1


def probe_video(path: str | Path, crop_box: tuple[int, int, int, int] | None = None) -> VideoInfo:
    """Open `path` and read its metadata; raise InvalidInputError with one plain line
    when it is missing, not a video, or has no decodable frame. With `crop_box` (x0, y0, x1, y1,
    source pixels) only that panel is analysed and width/height are the panel's."""
    cv2 = _cv2()
    p = Path(path)
    if not p.exists():
        raise InvalidInputError(f"{p.name}: no such file")
    if p.is_dir():
        raise InvalidInputError(f"{p.name}: is a folder, not a video")
    size = p.stat().st_size
    if size == 0:
        raise InvalidInputError(f"{p.name}: empty file (0 bytes)")
    cap = cv2.VideoCapture(str(p))
    try:
        if not cap.isOpened():
            raise InvalidInputError(f"{p.name}: not a readable video")
        ok, frame = cap.read()
        if not ok or frame is None:
            raise InvalidInputError(f"{p.name}: no decodable frames (truncated or not a video)")
        h, w = frame.shape[:2]
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        count = int(max(0, cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0))
        codec = _fourcc(cap)
    finally:
        cap.release()
    warnings: list[str] = []
    if not (0.5 <= fps <= 1000):
        warnings.append(f"container frame rate {fps:g} is implausible; assuming 25 fps")
        fps = 25.0
    box = _clip_box(crop_box, w, h, p.name)
    if box is not None:
        w, h = box[2] - box[0], box[3] - box[1]
    return VideoInfo(path=str(p), name=p.name, size_bytes=size, width=w, height=h, fps=fps,
                     frame_count=count, duration_s=count / fps if count else 0.0, codec=codec, warnings=warnings,
                     crop_box=box)


def analysis_size(width: int, height: int, max_side: int = ANALYSIS_MAX_SIDE) -> tuple[int, int, float]:
    """(w, h, scale) of the analysis frames: long side at most `max_side`, even sizes."""
    scale = min(1.0, max_side / max(width, height))
    w = max(16, int(round(width * scale / 2)) * 2)
    h = max(16, int(round(height * scale / 2)) * 2)
    return w, h, w / width


def iter_frames(path: str | Path, *, max_side: int = ANALYSIS_MAX_SIDE, stride: int = 1, limit: int | None = None,
                crop_every: int = 0, crop_size: int = CROP_SIZE, crop_box: tuple[int, int, int, int] | None = None,
                notes: list[str] | None = None, crop_first: int = 0,
                crop_centre: tuple[float, float] | None = None) -> Iterator[tuple[int, float, np.ndarray | None, np.ndarray | None]]:
    """Yield (index, timestamp s, RGB analysis frame or None, native grey crop or None)
    one frame at a time; frames off the stride are only grabbed (not converted). The crop comes
    with every `crop_every`-th kept frame and with each of the first `crop_first` kept frames; it
    is centred on the panel, or on `crop_centre` (analysis pixels) kept inside the panel.

    A stream whose frame size changes midway (some containers allow it) has its later frames
    resized to the first frame's size, so every analysis frame has one shape; a line saying so
    is appended to ``notes``."""
    cv2 = _cv2()
    cap = cv2.VideoCapture(str(path))
    first_size: tuple[int, int] | None = None
    try:
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 25.0) or 25.0
        if not np.isfinite(fps) or fps <= 0:
            fps = 25.0
        i = 0
        while limit is None or i < limit:
            keep = i % stride == 0
            if keep:
                ok, frame = cap.read()
            else:
                ok, frame = cap.grab(), None
            if not ok or (keep and frame is None):
                return
            t = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
            if not np.isfinite(t) or (t <= 0 and i > 0):
                t = i / fps
            rgb = crop = None
            if keep:
                if frame.ndim == 2:
                    frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
                size = (int(frame.shape[1]), int(frame.shape[0]))
                if first_size is None:
                    first_size = size
                elif size != first_size:
                    if notes is not None and not any("frame size changes" in n for n in notes):
                        notes.append(f"frame size changes mid-stream ({first_size[0]}x{first_size[1]} to "
                                     f"{size[0]}x{size[1]} at frame {i}); later frames resized to the first size")
                    frame = cv2.resize(frame, first_size, interpolation=cv2.INTER_AREA)
                if crop_box is not None:
                    x0, y0, x1, y1 = crop_box
                    frame = frame[y0:y1, x0:x1]
                h, w = frame.shape[:2]
                k = i // stride
                aw, ah, _ = analysis_size(w, h, max_side)
                if ((crop_every and k % crop_every == 0) or k < crop_first) and min(h, w) >= 32:
                    c = min(crop_size, h, w)
                    y0, x0 = (h - c) // 2, (w - c) // 2
                    if crop_centre is not None:
                        up = w / aw     # native pixels per analysis pixel
                        x0 = int(np.clip(crop_centre[0] * up - c / 2, 0, w - c))
                        y0 = int(np.clip(crop_centre[1] * up - c / 2, 0, h - c))
                    crop = cv2.cvtColor(frame[y0:y0 + c, x0:x0 + c], cv2.COLOR_BGR2GRAY)
                if (aw, ah) != (w, h):
                    frame = cv2.resize(frame, (aw, ah), interpolation=cv2.INTER_AREA)
                rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            yield i, float(t), rgb, crop
            i += 1
    finally:
        cap.release()


def _plan(info: VideoInfo, max_frames: int, max_seconds: float) -> tuple[int, int, int]:
    """(frame limit, expected frames, stride) of the analysis sampling."""
    limit = int(max_seconds * info.fps) if info.fps > 0 else 10 ** 9
    expected = min(info.frame_count or limit, limit)
    return limit, expected, max(1, int(np.ceil(expected / max_frames)))


def analysis_stride(info: VideoInfo, max_frames: int = MAX_ANALYSIS_FRAMES,
                    max_seconds: float = MAX_ANALYSIS_SECONDS) -> int:
    return _plan(info, max_frames, max_seconds)[2]


def native_sequence(info: VideoInfo, max_frames: int = MAX_ANALYSIS_FRAMES,
                    max_seconds: float = MAX_ANALYSIS_SECONDS, centre: tuple[float, float] | None = None,
                    with_frames: bool = False) -> list[np.ndarray] | tuple[list[np.ndarray], np.ndarray]:
    """Only the native grey crops of the first SEQ_FRAMES analysis frames, exactly as
    :func:`sample_frames` keeps them in ``seq_crops`` (same stride), decoding no further; centred
    on `centre` (analysis pixels) when given. Their frame rate is ``info.fps / analysis_stride(info)``
    (the container's). With `with_frames`, also those RGB analysis frames [n, h, w, 3]."""
    limit, _, stride = _plan(info, max_frames, max_seconds)
    out, frames = [], []
    for _, _, rgb, crop in iter_frames(info.path, stride=stride, limit=min(limit, stride * SEQ_FRAMES),
                                       crop_box=info.crop_box, crop_first=SEQ_FRAMES, crop_centre=centre):
        if crop is not None:
            out.append(crop)
        if rgb is not None:
            frames.append(rgb)
    return (out, np.stack(frames) if frames else np.zeros((0, 1, 1, 3), np.uint8)) if with_frames else out


def sample_frames(info: VideoInfo, *, max_frames: int = MAX_ANALYSIS_FRAMES, max_seconds: float = MAX_ANALYSIS_SECONDS,
                  max_side: int = ANALYSIS_MAX_SIDE, cancel=None) -> Iterator[float | FrameSample]:
    """Generator: decode the video once, keep at most `max_frames` analysis frames (a fixed
    stride chosen from the container's frame count) from the first `max_seconds`. Yields
    progress fractions and returns a :class:`FrameSample`."""
    warnings: list[str] = []
    limit, expected, stride = _plan(info, max_frames, max_seconds)
    if info.frame_count and info.frame_count > limit:
        warnings.append(f"long video ({info.duration_s:.0f} s): only the first {max_seconds:.0f} s are analysed")
    if stride > 1:
        warnings.append(f"every {stride}th frame analysed ({info.fps / stride:.1f} fps)")
    frames, idx, times, crops, seq = [], [], [], [], []
    scale = 1.0
    n_seen = 0
    crop_every = max(1, min(expected // stride, max_frames) // NUM_CROPS)
    last_yield = time.monotonic()
    for i, t, rgb, crop in iter_frames(info.path, max_side=max_side, stride=stride, limit=limit,
                                       crop_every=crop_every, crop_box=info.crop_box, notes=warnings,
                                       crop_first=SEQ_FRAMES):
        n_seen = i + 1
        if rgb is not None:
            frames.append(rgb)
            idx.append(i)
            times.append(t)
            scale = rgb.shape[1] / info.width
            k = len(frames) - 1
            if crop is not None and k % crop_every == 0 and min(crop.shape) >= 64 and len(crops) < NUM_CROPS:
                crops.append(crop)
            if crop is not None and k < SEQ_FRAMES:
                seq.append(crop)
            if len(frames) >= max_frames:
                break
        now = time.monotonic()
        if i % 15 == 0 or now - last_yield > 0.1:  # 4K frames decode slowly: stay cancellable
            last_yield = now
            yield min(0.99, i / max(1, expected))
    if not frames:
        raise InvalidInputError(f"{info.name}: no decodable frames")
    if info.frame_count and n_seen < 0.9 * min(info.frame_count, limit) and len(frames) < max_frames:
        warnings.append(f"only {n_seen} of {info.frame_count} frames decodable (truncated file?)")
    times_a = np.asarray(times, dtype=np.float64)
    fps = info.fps / stride
    if len(times_a) >= 4:
        dt = np.diff(times_a)
        good = dt > 0
        if good.sum() >= 3:
            med = float(np.median(dt[good]))
            if med > 0 and float(np.std(dt[good])) > 0.2 * med:
                info.variable_frame_rate = True
                warnings.append("variable frame rate: motion cues use the container timestamps")
            if med > 0:
                fps = 1.0 / med
    return FrameSample(frames=np.stack(frames), indices=np.asarray(idx), times=times_a, fps=float(fps),
                       scale=float(scale), warnings=warnings, crops=crops, seq_crops=seq)


def list_videos(folder: str | Path) -> list[Path]:
    """Video-like files in `folder` (sorted, not recursive); other files are skipped."""
    f = Path(folder)
    return sorted(p for p in f.iterdir() if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES
                  and not p.name.startswith("."))


def file_size_text(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


__all__ = ["VideoInfo", "FrameSample", "probe_video", "iter_frames", "sample_frames", "native_sequence", "analysis_size",
           "list_videos", "file_size_text"]
