"""Background rendering for the 2.5D and Multi-view tabs.

A :class:`TabWorker` wraps :class:`~app.ui.render_thread.RenderThread` (a dedicated thread that
renders only the newest request and hands QImages back through queued signals), so a tab's
``refresh`` only builds a request and returns: mesh renders, splat renders, depth colour maps,
point clouds and parallax re-projections all run off the GUI thread.
"""
from __future__ import annotations

import itertools
import logging
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from PySide6.QtGui import QImage

from .render_thread import RendererFactory, RenderRequest, RenderThread

log = logging.getLogger(__name__)
_serials = itertools.count(1)


@dataclass
class TabRequest(RenderRequest):
    """A render request with a free-form ``spec`` (what to draw) and a ``result`` dict the worker fills
    with extra outputs (depth, points...) that travel back to the GUI with the image."""

    spec: Any = None
    result: dict[str, Any] = field(default_factory=dict)


def make_request(frame: int, spec: Any, vertices: np.ndarray | None = None, faces: np.ndarray | None = None,
                 size: int = 0) -> TabRequest:
    return TabRequest(frame=int(frame), width=size, height=size, camera=None, vertices=vertices, faces=faces,
                      spec=spec, serial=next(_serials))


def qimage_to_array(image: QImage) -> np.ndarray:
    """RGB888 QImage -> uint8 [H, W, 3] copy."""
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    h, w, bpl = image.height(), image.width(), image.bytesPerLine()
    buf = np.frombuffer(image.constBits(), np.uint8, count=h * bpl).reshape(h, bpl)
    return buf[:, : 3 * w].reshape(h, w, 3).copy()


class TabWorker:
    """Owns one render thread: ``submit`` never blocks; ``on_ready(image, request)`` runs on the GUI thread."""

    def __init__(self, name: str, factory: RendererFactory, on_ready: Callable[[QImage, TabRequest], None],
                 on_failed: Callable[[str], None]) -> None:
        self.thread = RenderThread(factory)
        self.thread.name = name
        self.thread.signals.imageReady.connect(on_ready)
        self.thread.signals.failed.connect(on_failed)
        self.submitted = 0
        self._started = False

    def submit(self, request: TabRequest) -> None:
        if not self._started:
            self.thread.start()
            self._started = True
        self.submitted += 1
        self.thread.submit(request)

    def idle(self) -> bool:
        return self.thread.idle()

    def stop(self) -> None:
        if self._started:
            self.thread.stop()


_texture_lock = threading.Lock()
_textures: dict[int, tuple[Any, Any]] = {}  # id(body) -> (body, BodyTexture): the render threads share one


def shared_body_texture(body: Any) -> Any:
    """The body's skin/clothing texture (app.engine.avatar.appearance.BodyTexture), composed once per body
    for every render thread (the viewport, 2.5D and Multi-view); raises when the body has none (no UVs)."""
    with _texture_lock:  # a second thread waits for the first one's texture instead of composing its own
        hit = _textures.get(id(body))
        if hit is not None and hit[0] is body:
            return hit[1]
        from app.engine.avatar.appearance import body_texture

        texture = body_texture(body)
        if len(_textures) >= 4:
            _textures.clear()
        _textures[id(body)] = (body, texture)
        return texture


def ensure_body_texture(state: dict[str, Any], renderer: Any, body: Any, who: str) -> None:
    """Give `renderer` the body's texture once per body (worker-side; untextured bodies render in clay)."""
    if body is None or state.get("texture_for") is body:
        return
    state["texture_for"] = body
    try:
        t = shared_body_texture(body)
        renderer.set_texture(t.texture, t.uv, t.uv_faces, t.vertex_index)
    except Exception as exc:  # noqa: BLE001 - untextured bodies render in clay
        log.info("%s: no texture (%s)", who, exc)
