"""The 3D viewport widget: mouse camera control, presets, and images from the render thread.

The widget never renders itself: it posts a :class:`RenderRequest` (frame, camera,
overlays, size) to a :class:`RenderThread`, which renders only the newest request and
hands back a QImage that ``paintEvent`` scales into the widget.
"""
from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QResizeEvent, QWheelEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.viewers.camera import OrbitCamera, preset

from .render_thread import RendererFactory, RenderRequest, RenderThread
from .scene_render import default_renderer_factory

log = logging.getLogger(__name__)

ORBIT_DEG_PER_PX = 0.4
MIN_SCALE, MAX_SCALE = 0.5, 1.0
TARGET_MS = 30.0  # above this the render resolution drops (playback >= 30 fps)


class Viewport(QWidget):
    """Shows the body (and overlays) of the current frame."""

    statsChanged = Signal(str)
    renderFailed = Signal(str)
    laneClicked = Signal(int)  # side-by-side mode: a click on sample lane k

    def __init__(self, factory: RendererFactory | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(320, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.joints: np.ndarray | None = None  # [T, J, 3]
        self.parents: tuple[int, ...] | None = None
        self.contacts: np.ndarray | None = None  # [T, 4]
        self.vertices: np.ndarray | None = None  # [T, V, 3]
        self.faces: np.ndarray | None = None
        self.preview: tuple[int, np.ndarray] | None = None  # (frame, [V, 3]) re-shaped ahead of the clip
        self.mesh_joints: np.ndarray | None = None  # the body's joints [T, J, 3] matching `vertices`
        self.mesh_contacts: np.ndarray | None = None
        self.frame = 0
        self.flags = {"skeleton": False, "grid": True, "shadow": True, "contacts": False, "textured": True}
        self.body: Any = None  # the body model (its texture, when flags["textured"])
        self.preset_name = "follow"
        self.orbit = OrbitCamera()
        self.render_scale = 1.0
        self.playing = False
        self.image: QImage | None = None
        self.shown_frame = -1
        self.banner: str | None = None
        self.banner_fraction: float | None = None
        self._serial = 0
        self._frames_since_adapt = 0
        self._drag: tuple[QPointF, Qt.MouseButton, bool] | None = None
        self._press: QPointF | None = None
        self.lanes: list = []  # app.ui.sample_compare.SampleLane, side-by-side samples (>= 2)
        self.lane_selected = 0
        self._shown_times: list[float] = []
        self.thread = RenderThread(factory or default_renderer_factory)
        self.thread.signals.imageReady.connect(self._image_ready)
        self.thread.signals.failed.connect(self._render_failed)
        self.thread.start()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(1280, 720)

    # --- content -------------------------------------------------------------
    def set_motion(self, joints: np.ndarray, parents: tuple[int, ...], contacts: np.ndarray | None = None,
                   reset_camera: bool = True) -> None:
        """A new clip's joints [T, J, 3]; the mesh is cleared until `set_mesh`."""
        self.joints, self.parents, self.contacts = joints, tuple(parents), contacts
        self.vertices, self.preview, self.mesh_joints, self.mesh_contacts = None, None, None, None
        self.lanes = []  # a new clip leaves side-by-side mode (the prompt panel sets it again)
        self.frame = min(self.frame, len(joints) - 1)
        if reset_camera:
            self.set_preset(self.preset_name)
        else:
            self.request_render()

    def set_mesh(self, vertices: np.ndarray | None, faces: np.ndarray | None,
                 joints: np.ndarray | None = None, contacts: np.ndarray | None = None) -> None:
        """Per-frame vertices [T, V, 3] (or None for the skeleton only), with the body's own
        joints [T, J, 3] and contacts [T, 4] if known (overlays then line up with the mesh)."""
        self.vertices, self.faces = vertices, faces
        self.mesh_joints, self.mesh_contacts = joints, contacts
        self.preview = None
        self.request_render()

    def set_preview(self, frame: int, vertices: np.ndarray) -> None:
        """Vertices of one frame with a new body shape, shown until the next `set_mesh`."""
        self.preview = (int(frame), vertices)
        self.request_render()

    def set_lanes(self, lanes: list, selected: int = 0, reset_camera: bool = True) -> None:
        """Show 2+ samples side by side (the current clip is lane `selected`); [] for one body."""
        lanes = list(lanes) if len(lanes) >= 2 else []
        if lanes and (self.joints is None or len(lanes[selected].joints) != len(self.joints)):
            lanes = []
        changed = bool(lanes) != bool(self.lanes) or selected != self.lane_selected
        self.lanes, self.lane_selected = lanes, int(selected)
        if reset_camera and changed:
            self.set_preset(self.preset_name)
        else:
            self.request_render()

    def _lanes_active(self) -> bool:
        return bool(self.lanes) and self.joints is not None and \
            len(self.lanes[self.lane_selected].joints) == len(self.joints)

    def set_frame(self, frame: int) -> None:
        self.frame = int(frame)
        self.request_render()

    def set_flag(self, name: str, on: bool) -> None:
        self.flags[name] = bool(on)
        self.request_render()

    def set_body(self, body: Any) -> None:
        """The body model whose skin/clothing texture the "textured" look uses (None: clay)."""
        self.body = body
        self.request_render()

    def set_playing(self, playing: bool) -> None:
        self.playing = playing
        self._shown_times.clear()

    def set_banner(self, text: str | None, fraction: float | None = None) -> None:
        """A progress banner over the view (None hides it)."""
        self.banner, self.banner_fraction = text, fraction
        self.update()

    # --- camera ----------------------------------------------------------------
    def aspect(self) -> float:
        return max(1, self.width()) / max(1, self.height())

    def set_preset(self, name: str) -> None:
        """front / side / top / follow, framing the whole clip (follow: one frame's extent)."""
        self.preset_name = name
        if self.joints is not None and len(self.joints):
            joints = self.joints
            if self._lanes_active():  # frame every lane, the selected one first (follow tracks it)
                order = [self.lane_selected] + [i for i in range(len(self.lanes)) if i != self.lane_selected]
                joints = np.concatenate([self.lanes[i].joints + self.lanes[i].offset for i in order], axis=1)
            pts = joints if name == "follow" else joints.reshape(-1, 3)
            self.orbit = preset(name, pts, aspect=self.aspect())
        self.request_render()

    def camera_for_frame(self, frame: int):
        """The Camera used to draw `frame` (the follow preset tracks the pelvis over the ground)."""
        orbit = self.orbit
        joints = self.joints
        if self.mesh_joints is not None and joints is not None and len(self.mesh_joints) == len(joints):
            joints = self.mesh_joints  # the body's pelvis (its stride follows its own leg length)
        if self.preset_name == "follow" and joints is not None and len(joints):
            f = int(np.clip(frame, 0, len(joints) - 1))
            delta = np.asarray(joints[f, 0] - joints[0, 0], dtype=float)
            delta[1] = 0.0
            orbit = replace(orbit, target=tuple(float(x) for x in np.asarray(orbit.target) + delta))
        return orbit.to_camera()

    # --- rendering -----------------------------------------------------------------
    def render_size(self) -> tuple[int, int]:
        ratio = self.devicePixelRatioF() * self.render_scale
        return max(16, int(self.width() * ratio)) // 2 * 2, max(16, int(self.height() * ratio)) // 2 * 2

    def make_request(self) -> RenderRequest:
        f = self.frame
        w, h = self.render_size()
        self._serial += 1
        n = 0 if self.joints is None else len(self.joints)
        fi = int(np.clip(f, 0, max(0, n - 1)))
        verts, joints, contacts = None, self.joints, self.contacts
        if self.vertices is not None and len(self.vertices) == n and n:
            verts = self.vertices[fi]
            if self.preview is not None and self.preview[0] == fi:
                verts = self.preview[1]
            if self.mesh_joints is not None and len(self.mesh_joints) == n:
                joints, contacts = self.mesh_joints, self.mesh_contacts
        offset, extras = None, []
        if n and self._lanes_active():
            sel = self.lanes[self.lane_selected]
            offset = sel.offset
            if verts is None and self.faces is not None:  # the window is still posing: use the lane's body
                verts = sel.frame_vertices(fi, shifted=False)
            extras = [(lane.frame_vertices(fi), lane.frame_joints(fi)) for i, lane in enumerate(self.lanes)
                      if i != self.lane_selected]
        return RenderRequest(
            frame=f, width=w, height=h, camera=self.camera_for_frame(f), vertices=verts, faces=self.faces,
            joints=None if not n else joints[fi], parents=self.parents,
            contacts=None if contacts is None or not n else contacts[fi],
            flags=dict(self.flags), serial=self._serial, offset=offset, extras=extras, body=self.body)

    def request_render(self) -> None:
        if self.isVisible() or self.testAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen):
            self.thread.submit(self.make_request())

    def _image_ready(self, image: QImage, req: RenderRequest) -> None:
        self.image, self.shown_frame = image, req.frame
        now = time.monotonic()
        if self.playing:
            self._shown_times = [t for t in self._shown_times if now - t < 1.0] + [now]
        self._adapt_scale()
        self.update()
        fps = len(self._shown_times) if self.playing else 0
        self.statsChanged.emit(f"{req.width}x{req.height}  render {self.thread.avg_ms:.0f} ms"
                               + (f"  {fps} fps" if fps else ""))

    def _adapt_scale(self) -> None:
        """While playing, size the render so one frame takes about TARGET_MS; full size when paused."""
        if not self.playing:
            if self.render_scale < MAX_SCALE:
                self.render_scale = MAX_SCALE
                self.request_render()
            return
        self._frames_since_adapt += 1
        if self._frames_since_adapt < 6:
            return
        self._frames_since_adapt = 0
        ms = max(1.0, self.thread.avg_ms)
        # render time grows roughly with the pixel count, i.e. with scale squared
        wanted = float(np.clip(self.render_scale * np.sqrt(TARGET_MS * 0.8 / ms), MIN_SCALE, MAX_SCALE))
        if abs(wanted - self.render_scale) >= 0.05:
            self.render_scale = round(wanted / 0.05) * 0.05

    def _render_failed(self, message: str) -> None:
        log.warning("%s", message)
        self.renderFailed.emit(message)

    def displayed_fps(self) -> int:
        now = time.monotonic()
        return sum(1 for t in self._shown_times if now - t < 1.0)

    # --- Qt events --------------------------------------------------------------------
    def paintEvent(self, ev: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#30343b"))
        if self.image is not None:
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            p.drawImage(QRectF(self.rect()), self.image)
        if self._lanes_active():
            self._paint_lane_labels(p)
        if self.banner:
            self._paint_banner(p)
        p.end()

    def lane_label_rects(self) -> list[QRectF]:
        """Widget rectangles of the sample labels over the heads (side-by-side mode)."""
        if not self._lanes_active():
            return []
        f = int(np.clip(self.shown_frame if self.shown_frame >= 0 else self.frame, 0, len(self.joints) - 1))
        cam = self.camera_for_frame(f)
        heads = np.stack([lane.frame_joints(f).max(axis=0) * [0, 1, 0] + lane.frame_joints(f)[0] * [1, 0, 1]
                          + [0.0, 0.22, 0.0] for lane in self.lanes])
        uv, _ = cam.project(heads, max(1, self.width()), max(1, self.height()))
        return [QRectF(u - 15, v - 13, 30, 24) if np.isfinite([u, v]).all() else QRectF()
                for u, v in uv]

    def lane_at(self, pos: QPointF) -> int | None:
        """The lane whose body (or label) is under a widget position, if any."""
        if not self._lanes_active():
            return None
        for k, r in enumerate(self.lane_label_rects()):
            if r.adjusted(-6, -6, 6, 6).contains(pos):
                return k
        f = int(np.clip(self.shown_frame if self.shown_frame >= 0 else self.frame, 0, len(self.joints) - 1))
        cam = self.camera_for_frame(f)
        best, best_d = None, 1e9
        for k, lane in enumerate(self.lanes):
            uv, _ = cam.project(lane.frame_joints(f), max(1, self.width()), max(1, self.height()))
            uv = uv[np.isfinite(uv).all(axis=1)]
            if not len(uv):
                continue
            lo, hi = uv.min(axis=0) - 25, uv.max(axis=0) + 25
            if lo[0] <= pos.x() <= hi[0] and lo[1] <= pos.y() <= hi[1]:
                d = abs(pos.x() - (lo[0] + hi[0]) / 2)
                if d < best_d:
                    best, best_d = k, d
        return best

    def _paint_lane_labels(self, p: QPainter) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = p.font()
        font.setBold(True)
        font.setPointSizeF(max(9.0, font.pointSizeF() + 1))
        p.setFont(font)
        for k, r in enumerate(self.lane_label_rects()):
            if r.isEmpty():
                continue
            sel = k == self.lane_selected
            p.setPen(QColor("#ffffff") if sel else Qt.PenStyle.NoPen)
            p.setBrush(QColor("#e0533d") if sel else QColor(20, 22, 26, 190))
            p.drawRoundedRect(r, 6, 6)
            p.setPen(QColor("#ffffff") if sel else QColor("#c8ccd2"))
            p.drawText(r, Qt.AlignmentFlag.AlignCenter, self.lanes[k].label)

    def _paint_banner(self, p: QPainter) -> None:
        w = min(self.width() - 40, 460)
        box = QRectF((self.width() - w) / 2, 24, w, 58)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(20, 22, 26, 215))
        p.drawRoundedRect(box, 8, 8)
        p.setPen(QColor("#f0f0f0"))
        p.drawText(box.adjusted(14, 8, -14, -26), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                   self.banner)
        bar = QRectF(box.left() + 14, box.bottom() - 20, box.width() - 28, 8)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("#555a63"))
        p.drawRoundedRect(bar, 4, 4)
        if self.banner_fraction is not None:
            p.setBrush(QColor("#4e9af1"))
            p.drawRoundedRect(QRectF(bar.left(), bar.top(), bar.width() * max(0.02, self.banner_fraction),
                                     bar.height()), 4, 4)

    def resizeEvent(self, ev: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(ev)
        self.request_render()

    def showEvent(self, ev) -> None:  # noqa: N802
        super().showEvent(ev)
        self.request_render()

    def mousePressEvent(self, ev: QMouseEvent) -> None:  # noqa: N802
        shift = bool(ev.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        self._drag = (ev.position(), ev.button(), shift)
        self._press = ev.position() if ev.button() == Qt.MouseButton.LeftButton and not shift else None
        self.setFocus()

    def mouseMoveEvent(self, ev: QMouseEvent) -> None:  # noqa: N802
        if self._drag is None:
            return
        last, button, shift = self._drag
        pos = ev.position()
        dx, dy = pos.x() - last.x(), pos.y() - last.y()
        self._drag = (pos, button, shift)
        if button == Qt.MouseButton.MiddleButton or (button == Qt.MouseButton.LeftButton and shift):
            metres_per_px = 2.0 * self.orbit.distance * np.tan(np.radians(self.orbit.fov_y_deg) / 2) / max(1, self.height())
            self.orbit.pan(-dx * metres_per_px, dy * metres_per_px)
        elif button == Qt.MouseButton.LeftButton:
            self.orbit.orbit(-dx * ORBIT_DEG_PER_PX, dy * ORBIT_DEG_PER_PX)
        else:
            return
        self.request_render()

    def mouseReleaseEvent(self, ev: QMouseEvent) -> None:  # noqa: N802
        self._drag = None
        press, self._press = self._press, None
        if press is not None and (ev.position() - press).manhattanLength() < 5:  # a click, not an orbit
            lane = self.lane_at(ev.position())
            if lane is not None:
                self.laneClicked.emit(lane)

    def wheelEvent(self, ev: QWheelEvent) -> None:  # noqa: N802
        steps = ev.angleDelta().y() / 120.0
        if steps:
            self.orbit.zoom(1.15 ** steps)
            self.request_render()

    def shutdown(self) -> None:
        """Stop the render thread (the window calls this on close)."""
        self.thread.stop()
