"""Turning a viewport RenderRequest into pixels: the offscreen GL renderer, or a
QPainter fallback (skeleton, grid) when no OpenGL platform is usable.

Both factories run on the render thread; the GL context lives and dies there.
"""
from __future__ import annotations

import logging
from typing import Any, Callable

import numpy as np
from PySide6.QtCore import QLineF, QPointF
from PySide6.QtGui import QColor, QImage, QPainter, QPen

from app.viewers.scene import BACKGROUND, CONTACT_COLOR, GRID_COLOR, FrameScene

from .render_thread import RenderRequest

log = logging.getLogger(__name__)


_TILED: dict = {}  # (id(faces), copies) -> (faces, tiled faces): the same array each frame keeps GPU topology


def _tiled_faces(faces: np.ndarray, num_vertices: int, copies: int) -> np.ndarray:
    key = (id(faces), num_vertices, copies)
    hit = _TILED.get(key)
    if hit is None or hit[0] is not faces:
        tiled = np.concatenate([np.asarray(faces) + k * num_vertices for k in range(copies)]).astype(np.int32)
        _TILED.clear()
        _TILED[key] = hit = (faces, tiled)
    return hit[1]


def _with_lanes(req: RenderRequest, has_mesh: bool) -> tuple:
    """Vertices, faces, joints, parents, joint colours and per-body vertex counts with side-by-side
    lanes merged in (the selected body first)."""
    verts, joints, parents, faces = req.vertices, req.joints, req.parents, req.faces
    if req.offset is not None:
        off = np.asarray(req.offset, dtype=np.float32)
        verts = None if verts is None else verts + off
        joints = None if joints is None else joints + off
    colors, splits = None, ()
    if not req.extras:
        return verts, faces, joints, parents, colors, splits
    if has_mesh:
        extra_v = [v for v, _ in req.extras if v is not None and len(v) == len(verts)]
        if extra_v:
            splits = (len(verts),) * (1 + len(extra_v))
            verts = np.concatenate([verts] + extra_v)
            faces = _tiled_faces(req.faces, len(req.vertices), 1 + len(extra_v))
    if joints is not None and parents is not None and (req.flags.get("skeleton") or not has_mesh):
        n = len(joints)
        base = FrameScene(joints=joints).resolved_joint_colors()
        extra_j = [j for _, j in req.extras if j is not None and len(j) == n]
        joints = np.concatenate([joints] + extra_j)
        parents = tuple(p if p < 0 else p + k * n for k in range(1 + len(extra_j)) for p in req.parents)
        colors = np.tile(base, (1 + len(extra_j), 1))
    return verts, faces, joints, parents, colors, splits


def build_scene(req: RenderRequest) -> FrameScene:
    """The FrameScene of a request (body, overlays, grid, shadow, contacts; side-by-side lanes merged)."""
    flags = req.flags
    has_mesh = req.vertices is not None and req.faces is not None
    show_skeleton = bool(flags.get("skeleton")) or not has_mesh  # without a mesh, show the skeleton
    verts, faces, joints, parents, colors, splits = _with_lanes(req, has_mesh)
    return FrameScene(
        vertices=verts if has_mesh else None,
        faces=faces if has_mesh else None,
        joints=joints if (show_skeleton or flags.get("contacts") or flags.get("shadow")) else None,
        parents=parents,
        joint_colors=colors,
        body_splits=splits,
        show_skeleton=show_skeleton,
        show_grid=bool(flags.get("grid", True)),
        show_shadow=bool(flags.get("shadow", True)),
        contacts=req.contacts if flags.get("contacts") else None,
    )


class BodyLook:
    """The viewport's "textured" look on the render thread: the body's skin/clothing texture (the one the
    2.5D and Multi-view tabs use), tiled over side-by-side bodies; clay when off or unavailable."""

    def __init__(self) -> None:
        self.body: Any = None
        self.texture: Any = None  # app.engine.avatar.appearance.BodyTexture of `body`, or None
        self.key: tuple | None = None  # what the renderer was given: (texture id, bodies, vertices per body)

    def _texture_of(self, body: Any) -> Any:
        if body is not self.body:
            self.body, self.texture = body, None
            if body is not None:
                try:
                    from .tab_worker import shared_body_texture

                    self.texture = shared_body_texture(body)
                except Exception as exc:  # noqa: BLE001 - bodies without UVs stay in clay
                    log.info("viewport: body %s has no texture (%s)", getattr(body, "name", "?"), exc)
        return self.texture

    def apply(self, renderer: Any, req: RenderRequest, scene: FrameScene) -> bool:
        """Give `renderer` the texture for this scene (or take it away); True when textured."""
        tex = self._texture_of(req.body) if req.flags.get("textured") else None
        key = None
        if tex is not None and scene.vertices is not None:
            total = len(scene.vertices)
            copies = len(scene.body_splits) or 1
            per = total // copies
            if per * copies == total and len(tex.vertex_index) and int(tex.vertex_index.max()) < per:
                key = (id(tex), copies, per)
        if key != self.key:
            if key is None:
                renderer.clear_texture()
            else:
                copies, per = key[1], key[2]
                nuv = len(tex.uv)
                renderer.set_texture(tex.texture, np.tile(tex.uv, (copies, 1)),
                                     np.concatenate([tex.uv_faces + k * nuv for k in range(copies)]),
                                     np.concatenate([tex.vertex_index + k * per for k in range(copies)]))
            self.key = key
        return key is not None


def gl_renderer_factory() -> tuple[Callable[[RenderRequest], np.ndarray], Callable[[], None]]:
    """A (textured) MeshRenderer created on the calling (render) thread, resized to each request."""
    from app.viewers.textured import TexturedMeshRenderer

    renderer = TexturedMeshRenderer(64, 64)  # fails here (at thread start) rather than on the first frame
    look = BodyLook()

    def render(req: RenderRequest) -> np.ndarray:
        if (renderer.width, renderer.height) != (req.width, req.height):
            renderer.resize(req.width, req.height)
        scene = build_scene(req)
        look.apply(renderer, req, scene)
        return renderer.render(scene, req.camera)

    return render, renderer.close


def _qcolor(rgb: tuple[float, float, float]) -> QColor:
    return QColor.fromRgbF(*rgb)


def painter_render(req: RenderRequest) -> np.ndarray:
    """A GL-free picture: ground grid lines, contacts and the skeleton as lines (side-by-side lanes too)."""
    has_mesh = req.vertices is not None and req.faces is not None
    verts, _, joints, parents = _with_lanes(req, has_mesh)[:4]
    if req.extras and not (req.flags.get("skeleton") or not has_mesh):  # skeletons of every lane anyway
        joints, parents = _with_lanes(RenderRequest(**{**req.__dict__, "flags": {**req.flags, "skeleton": True}}),
                                      has_mesh)[2:4]
    req = RenderRequest(**{**req.__dict__, "vertices": verts, "joints": joints, "parents": parents,
                           "offset": None, "extras": []})
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
