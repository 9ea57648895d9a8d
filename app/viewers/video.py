"""Write rendered frames to .mp4 (H.264, yuv420p) or .gif, streaming and atomically.

Frames are consumed one at a time from any iterable (a generator rendering on
the fly works). Output goes to a hidden temporary file in the destination folder
and is renamed into place only after the last frame was written, so a failed or
cancelled export never leaves a complete-looking file behind.
"""
from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from app.core.errors import InvalidInputError

log = logging.getLogger(__name__)

VIDEO_EXTENSIONS = (".mp4", ".gif")
GIF_MAX_WIDTH = 640


def _as_rgb8(frame: np.ndarray) -> np.ndarray:
    f = np.asarray(frame)
    if f.ndim == 2:
        f = np.repeat(f[..., None], 3, axis=2)
    if f.ndim != 3 or f.shape[2] not in (3, 4):
        raise InvalidInputError(f"video frames must be [H, W, 3] images, got shape {f.shape}")
    f = f[..., :3]
    if f.dtype != np.uint8:
        scale = 255.0 if np.issubdtype(f.dtype, np.floating) else 1.0
        f = np.clip(np.rint(f * scale), 0, 255).astype(np.uint8)
    return f


def _even(frame: np.ndarray) -> np.ndarray:
    """Pad by one edge pixel where needed so width and height are even (yuv420p needs it)."""
    h, w = frame.shape[:2]
    if h % 2 == 0 and w % 2 == 0:
        return np.ascontiguousarray(frame)
    return np.pad(frame, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")


def _check_destination(path: Path) -> None:
    if path.suffix.lower() not in VIDEO_EXTENSIONS:
        raise InvalidInputError(f"{path.name}: unsupported video type {path.suffix or '(none)'}; "
                                f"use {' or '.join(VIDEO_EXTENSIONS)}")
    folder = path.parent
    if not folder.is_dir():
        raise InvalidInputError(f"{path.name}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InvalidInputError(f"{path.name}: folder {folder} is not writable")


def write_video(frames: Iterable[np.ndarray], path: str | Path, fps: float, *, quality: int = 7,
                gif_max_width: int = GIF_MAX_WIDTH) -> int:
    """Write RGB frames ([H, W, 3] uint8, or floats in [0, 1]) to ``path``; return the frame count.

    ``.mp4``: libx264, yuv420p, odd sizes padded to even, ``quality`` 0-10 (imageio-ffmpeg
    scale). ``.gif``: adaptive palette per frame, scaled down to ``gif_max_width``, loops
    forever; GIF frame delays are whole centiseconds, so fps is approximate.
    Raises InvalidInputError for an unsupported extension, a missing or read-only
    folder, no frames, or frames of changing size.
    """
    path = Path(path)
    _check_destination(path)
    if not fps or fps <= 0:
        raise InvalidInputError(f"{path.name}: frame rate must be positive, got {fps}")
    tmp = path.with_name(f".{path.stem}.{uuid.uuid4().hex[:8]}.partial{path.suffix.lower()}")
    try:
        if path.suffix.lower() == ".mp4":
            count = _write_mp4(iter(frames), tmp, fps, quality)
        else:
            count = _write_gif(iter(frames), tmp, fps, gif_max_width)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    log.info("wrote %d frames to %s", count, path)
    return count


def _write_mp4(frames: Iterator[np.ndarray], tmp: Path, fps: float, quality: int) -> int:
    import imageio_ffmpeg

    first = next(frames, None)
    if first is None:
        raise InvalidInputError("no frames to write")
    first = _even(_as_rgb8(first))
    h, w = first.shape[:2]
    writer = imageio_ffmpeg.write_frames(
        str(tmp), (w, h), pix_fmt_in="rgb24", pix_fmt_out="yuv420p", fps=float(fps),
        quality=quality, codec="libx264", macro_block_size=1, ffmpeg_log_level="error",
        output_params=["-movflags", "+faststart"])
    writer.send(None)
    count = 0
    try:
        frame = first
        while frame is not None:
            if frame.shape[:2] != (h, w):
                raise InvalidInputError(f"video frames change size: {frame.shape[1]}x{frame.shape[0]} "
                                        f"after {w}x{h}")
            writer.send(frame)
            count += 1
            nxt = next(frames, None)
            frame = None if nxt is None else _even(_as_rgb8(nxt))
    finally:
        writer.close()
    return count


def _write_gif(frames: Iterator[np.ndarray], tmp: Path, fps: float, max_width: int) -> int:
    from PIL import Image

    state = {"count": 0, "size": None}

    def palettized() -> Iterator["Image.Image"]:
        for frame in frames:
            rgb = _as_rgb8(frame)
            if state["size"] is None:
                state["size"] = rgb.shape[:2]
            elif rgb.shape[:2] != state["size"]:
                raise InvalidInputError("video frames change size")
            img = Image.fromarray(np.ascontiguousarray(rgb))
            if max_width and img.width > max_width:
                img = img.resize((max_width, max(1, round(img.height * max_width / img.width))),
                                 Image.Resampling.LANCZOS)
            state["count"] += 1
            yield img.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)

    stream = palettized()
    first = next(stream, None)
    if first is None:
        raise InvalidInputError("no frames to write")
    duration_ms = max(20, int(round(1000.0 / fps / 10.0)) * 10)
    first.save(tmp, format="GIF", save_all=True, append_images=stream, duration=duration_ms,
               loop=0, optimize=False, disposal=1)
    return state["count"]
