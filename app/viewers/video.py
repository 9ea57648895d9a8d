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
from typing import Iterable

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


class VideoWriter:
    """Streaming writer: ``append`` frames, then ``close()`` (returns the path) or ``abort()``.

    ``.mp4``: libx264, yuv420p, odd sizes padded to even, ``quality`` 0-10 (imageio-ffmpeg
    scale); frames go straight to ffmpeg. ``.gif``: an adaptive 256-colour palette per
    frame, scaled down to ``gif_max_width``, looping; the palettized frames (1 byte per
    pixel) are kept until ``close`` because the GIF encoder needs them all. GIF delays
    are whole centiseconds, so its frame rate is approximate.
    Raises InvalidInputError for an unsupported extension, a missing or read-only
    folder, a non-positive fps, no frames, or frames of changing size.
    """

    def __init__(self, path: str | Path, fps: float, *, quality: int = 7,
                 gif_max_width: int = GIF_MAX_WIDTH) -> None:
        self.path = Path(path)
        _check_destination(self.path)
        if not fps or fps <= 0:
            raise InvalidInputError(f"{self.path.name}: frame rate must be positive, got {fps}")
        self.fps = float(fps)
        self.quality = quality
        self.gif_max_width = gif_max_width
        self.kind = self.path.suffix.lower()
        self.tmp = self.path.with_name(f".{self.path.stem}.{uuid.uuid4().hex[:8]}.partial{self.kind}")
        self.frames_written = 0
        self._size: tuple[int, int] | None = None
        self._ffmpeg = None
        self._gif_frames: list = []
        self._done = False

    def append(self, frame: np.ndarray) -> None:
        if self._done:
            raise RuntimeError("VideoWriter is closed")
        rgb = _as_rgb8(frame)
        if self._size is None:
            self._size = rgb.shape[:2]
        elif rgb.shape[:2] != self._size:
            raise InvalidInputError(f"video frames change size: {rgb.shape[1]}x{rgb.shape[0]} "
                                    f"after {self._size[1]}x{self._size[0]}")
        if self.kind == ".mp4":
            self._append_mp4(_even(rgb))
        else:
            self._append_gif(rgb)
        self.frames_written += 1

    def _append_mp4(self, rgb: np.ndarray) -> None:
        if self._ffmpeg is None:
            import imageio_ffmpeg

            h, w = rgb.shape[:2]
            self._ffmpeg = imageio_ffmpeg.write_frames(
                str(self.tmp), (w, h), pix_fmt_in="rgb24", pix_fmt_out="yuv420p", fps=self.fps,
                quality=self.quality, codec="libx264", macro_block_size=1, ffmpeg_log_level="error",
                output_params=["-movflags", "+faststart"])
            self._ffmpeg.send(None)
        self._ffmpeg.send(rgb)

    def _append_gif(self, rgb: np.ndarray) -> None:
        from PIL import Image

        img = Image.fromarray(np.ascontiguousarray(rgb))
        if self.gif_max_width and img.width > self.gif_max_width:
            img = img.resize((self.gif_max_width, max(1, round(img.height * self.gif_max_width / img.width))),
                             Image.Resampling.LANCZOS)
        self._gif_frames.append(img.quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                                             dither=Image.Dither.NONE))

    def close(self) -> Path:
        """Finish the file and move it into place; returns the final path."""
        if self._done:
            return self.path
        try:
            if self.frames_written == 0:
                raise InvalidInputError(f"{self.path.name}: no frames to write")
            if self._ffmpeg is not None:
                self._ffmpeg.close()
                self._ffmpeg = None
            if self._gif_frames:
                first, rest = self._gif_frames[0], self._gif_frames[1:]
                duration_ms = max(20, int(round(1000.0 / self.fps / 10.0)) * 10)
                first.save(self.tmp, format="GIF", save_all=True, append_images=rest,
                           duration=duration_ms, loop=0, optimize=False, disposal=1)
                self._gif_frames = []
            os.replace(self.tmp, self.path)
        except BaseException:
            self.abort()
            raise
        self._done = True
        log.info("wrote %d frames to %s", self.frames_written, self.path)
        return self.path

    def abort(self) -> None:
        """Stop writing and delete the temporary file (the destination is left untouched)."""
        if self._ffmpeg is not None:
            try:
                self._ffmpeg.close()
            except Exception as exc:  # noqa: BLE001 - already failing; just clean up
                log.debug("ffmpeg close during abort: %s", exc)
            self._ffmpeg = None
        self._gif_frames = []
        self.tmp.unlink(missing_ok=True)
        self._done = True

    def __enter__(self) -> "VideoWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def write_video(frames: Iterable[np.ndarray], path: str | Path, fps: float, *, quality: int = 7,
                gif_max_width: int = GIF_MAX_WIDTH) -> int:
    """Write RGB frames ([H, W, 3] uint8, or floats in [0, 1]) to .mp4 or .gif; return the frame count.

    Streams from any iterable; see :class:`VideoWriter` for formats and errors.
    """
    with VideoWriter(path, fps, quality=quality, gif_max_width=gif_max_width) as writer:
        for frame in frames:
            writer.append(frame)
    return writer.frames_written
