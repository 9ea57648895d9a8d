"""Turning a viewport RenderRequest into pixels: the offscreen GL renderer, or a
QPainter fallback (skeleton, grid) when no OpenGL platform is usable.

Both factories run on the render thread; the GL context lives and dies there.
"""
from __future__ import annotations

import logging
from typing import Callable

import numpy as np
from PySide6.QtCore import QLineF, QPointF
from PySide6.QtGui import QColor, QImage, QPainter, QPen

from app.viewers.scene import BACKGROUND, CONTACT_COLOR, GRID_COLOR, FrameScene

from .render_thread import RenderRequest

log = logging.getLogger(__name__)


def build_scene(req: RenderRequest) -> FrameScene:
    """The FrameScene of a request (body, overlays, grid, shadow, contacts)."""
    flags = req.flags
    has_mesh = req.vertices is not None and req.faces is not None
    show_skeleton = bool(flags.get("skeleton")) or not has_mesh  # without a mesh, show the skeleton
    return FrameScene(
        vertices=req.vertices if has_mesh else None,
        faces=req.faces if has_mesh else None,
        joints=req.joints if (show_skeleton or flags.get("contacts") or flags.get("shadow")) else None,
        parents=req.parents,
        show_skeleton=show_skeleton,
        show_grid=bool(flags.get("grid", True)),
        show_shadow=bool(flags.get("shadow", True)),
        contacts=req.contacts if flags.get("contacts") else None,
    )


def gl_renderer_factory() -> tuple[Callable[[RenderRequest], np.ndarray], Callable[[], None]]:
    """A MeshRenderer created on the calling (render) thread, resized to each request."""
    from app.viewers.mesh_renderer import MeshRenderer

    renderer = MeshRenderer(64, 64)  # fails here (at thread start) rather than on the first frame

    def render(req: RenderRequest) -> np.ndarray:
        if (renderer.width, renderer.height) != (req.width, req.height):
            renderer.resize(req.width, req.height)
        return renderer.render(build_scene(req), req.camera)

    return render, renderer.close


def _qcolor(rgb: tuple[float, float, float]) -> QColor:
    return QColor.fromRgbF(*rgb)


def painter_render(req: RenderRequest) -> np.ndarray:
    """A GL-free picture: ground grid lines, contacts and the skeleton as lines."""
    w, h = req.width, req.height
    img = QImage(w, h, QImage.Format.Format_RGB888)
    img.fill(_qcolor(BACKGROUND))
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    cam = req.camera

    def line(a: np.ndarray, b: np.ndarray, pen: QPen) -> None:
        uv, depth = cam.project(np.stack([a, b]), w, h)
        if np.isfinite(uv).all():
            p.setPen(pen)
            p.drawLine(QLineF(QPointF(*uv[0]), QPointF(*uv[1])))

    if req.flags.get("grid", True):
        pen = QPen(_qcolor(GRID_COLOR), 1)
        cx, cz = (0.0, 0.0) if req.joints is None else (round(float(req.joints[0, 0])), round(float(req.joints[0, 2])))
        for k in range(-6, 7):
            line(np.array([cx + k, 0, cz - 6.0]), np.array([cx + k, 0, cz + 6.0]), pen)
            line(np.array([cx - 6.0, 0, cz + k]), np.array([cx + 6.0, 0, cz + k]), pen)
    if req.vertices is not None:
        pts = np.asarray(req.vertices)[:: max(1, len(req.vertices) // 3000)]
        uv, _ = cam.project(pts, w, h)
        p.setPen(QPen(QColor(205, 195, 185), 2))
        for u, v in uv[np.isfinite(uv).all(axis=1)]:
            p.drawPoint(QPointF(u, v))
    if req.joints is not None and req.parents is not None:
        pen = QPen(QColor("#f0ece4"), 3)
        for j, parent in enumerate(req.parents):
            if parent >= 0:
                line(req.joints[parent], req.joints[j], pen)
    if req.contacts is not None and req.joints is not None and req.flags.get("contacts"):
        from app.core.skeleton import FOOT_JOINTS
        p.setPen(QPen(_qcolor(CONTACT_COLOR), 6))
        for on, j in zip(req.contacts, FOOT_JOINTS):
            if on and j < len(req.joints):
                uv, _ = cam.project(req.joints[j] * np.array([1, 0, 1]), w, h)
                if np.isfinite(uv).all():
                    p.drawPoint(QPointF(*uv))
    p.end()
    ptr = img.constBits()
    arr = np.frombuffer(ptr, dtype=np.uint8).reshape(h, img.bytesPerLine())[:, : 3 * w]
    return arr.reshape(h, w, 3).copy()


def painter_renderer_factory() -> tuple[Callable[[RenderRequest], np.ndarray], Callable[[], None]]:
    return painter_render, lambda: None


def default_renderer_factory() -> tuple[Callable[[RenderRequest], np.ndarray], Callable[[], None]]:
    """GL when it works on this thread, else the QPainter fallback."""
    try:
        return gl_renderer_factory()
    except Exception as exc:  # noqa: BLE001 - no GL: keep a usable (if plain) viewport
        log.warning("offscreen OpenGL unavailable (%s); using the simple 2D viewport", exc)
        return painter_renderer_factory()
