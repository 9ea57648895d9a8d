"""The viewport's render thread: owns its renderer (GL contexts are per thread) and
renders only the latest request, so a slow frame never queues up stale work.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

log = logging.getLogger(__name__)


@dataclass
class RenderRequest:
    """Everything needed to draw one viewport frame (arrays are shared, never mutated)."""

    frame: int
    width: int
    height: int
    camera: Any  # app.viewers.camera.Camera (a snapshot; the GUI keeps its own)
    vertices: np.ndarray | None = None  # [V, 3] float32 of this frame
    faces: np.ndarray | None = None
    joints: np.ndarray | None = None  # [J, 3] of this frame
    parents: tuple[int, ...] | None = None
    contacts: np.ndarray | None = None  # [4] bool, feet on the ground
    flags: dict[str, bool] = field(default_factory=dict)  # skeleton, grid, shadow, contacts
    serial: int = 0
    offset: np.ndarray | None = None  # [3] world shift of the body and joints (side-by-side lane)
    extras: list = field(default_factory=list)  # side-by-side: (vertices [V,3] | None, joints [J,3]) shifted
    body: Any = None  # the body model, for its skin/clothing texture when flags["textured"]


RenderFn = Callable[[RenderRequest], np.ndarray]  # -> uint8 [H, W, 3]
RendererFactory = Callable[[], tuple[RenderFn, Callable[[], None]]]  # (render, close), called on the thread


def to_qimage(rgb: np.ndarray) -> QImage:
    """A QImage that owns a copy of an RGB uint8 array."""
    rgb = np.ascontiguousarray(rgb[..., :3], dtype=np.uint8)
    h, w = rgb.shape[:2]
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


class RenderSignals(QObject):
    """Signals emitted from the render thread (delivered queued to GUI-thread receivers)."""

    imageReady = Signal(QImage, object)  # image, RenderRequest
    failed = Signal(str)


class RenderThread(threading.Thread):
    """Renders the most recent request; `submit` never blocks the caller."""

    def __init__(self, factory: RendererFactory) -> None:
        super().__init__(name="viewport-render", daemon=True)
        self.signals = RenderSignals()
        self._factory = factory
        self._cond = threading.Condition()
        self._pending: RenderRequest | None = None
        self._stopping = False
        self.busy = False
        self.last_ms = 0.0
        self.avg_ms = 0.0
        self.frames_rendered = 0
        self.requests_dropped = 0

    def submit(self, request: RenderRequest) -> None:
        """Replace any not-yet-started request with this one."""
        with self._cond:
            if self._pending is not None:
                self.requests_dropped += 1
            self._pending = request
            self._cond.notify()

    def stop(self, timeout: float = 5.0) -> None:
        with self._cond:
            self._stopping = True
            self._pending = None
            self._cond.notify()
        if self.is_alive():
            self.join(timeout)

    def idle(self) -> bool:
        with self._cond:
            return self._pending is None and not self.busy

    def run(self) -> None:
        try:
            render, close = self._factory()
        except Exception as exc:  # noqa: BLE001 - report, never crash the GUI
            log.exception("viewport renderer could not start")
            self.signals.failed.emit(f"viewport renderer could not start: {exc}".splitlines()[0])
            return
        try:
            while True:
                with self._cond:
                    while self._pending is None and not self._stopping:
                        self._cond.wait()
                    if self._stopping:
                        return
                    req, self._pending = self._pending, None
                    self.busy = True
                try:
                    t0 = time.perf_counter()
                    rgb = render(req)
                    image = to_qimage(rgb)
                    self.last_ms = (time.perf_counter() - t0) * 1000.0
                    self.avg_ms = self.last_ms if self.frames_rendered == 0 else 0.8 * self.avg_ms + 0.2 * self.last_ms
                    self.frames_rendered += 1
                    self.signals.imageReady.emit(image, req)
                except Exception as exc:  # noqa: BLE001
                    log.exception("viewport frame %d failed", req.frame)
                    self.signals.failed.emit(f"render failed: {exc}".splitlines()[0])
                finally:
                    with self._cond:
                        self.busy = False
        finally:
            try:
                close()
            except Exception:  # noqa: BLE001
                log.debug("closing the viewport renderer failed", exc_info=True)
