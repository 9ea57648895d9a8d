"""Small widgets of the Forensics tab: drop zone, frame view with pose overlay and person
mask, suspicion timeline synchronised with playback, and the sparse SfM scene in the shared
point-cloud viewport."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPointF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from app.viewers.camera import OrbitCamera
from app.viewers.cloud_layers import SceneFrame, camera_path_layers, interpolate_path, normalize_scene

from .pointcloud_view import PointCloudView

POSE_EDGES = ((11, 13), (13, 15), (12, 14), (14, 16), (11, 12), (11, 23), (12, 24), (23, 24), (23, 25), (25, 27),
              (24, 26), (26, 28), (27, 31), (28, 32))


class DropZone(QLabel):
    """A framed label that accepts one dropped file and emits its path."""

    fileDropped = Signal(str)

    def __init__(self, text: str = "Drop a video here (or use Open…)", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setAcceptDrops(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumHeight(48)
        self.setStyleSheet("QLabel{border:2px dashed #888;border-radius:6px;padding:8px;color:#555}")

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        urls = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.fileDropped.emit(urls[0])
            event.acceptProposedAction()


def to_qimage(rgb: np.ndarray) -> QImage:
    rgb = np.ascontiguousarray(rgb[..., :3], dtype=np.uint8)
    h, w = rgb.shape[:2]
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def compose_frame(frame: np.ndarray, mask: np.ndarray | None, landmarks: np.ndarray | None,
                  show_mask: bool = True, show_pose: bool = True, face: np.ndarray | None = None,
                  hands: list[np.ndarray] | None = None) -> QImage:
    """The frame with the person mask tinted, the BlazePose skeleton, and (when given) the
    FaceMesh points (cyan) and hand landmarks (magenta) drawn on top."""
    img = frame.astype(np.float32)
    if show_mask and mask is not None:
        import cv2
        m = cv2.resize(mask, (frame.shape[1], frame.shape[0]), interpolation=cv2.INTER_LINEAR)[..., None] / 255.0
        img = img * (1 - 0.35 * m) + np.array([40, 120, 255], np.float32) * 0.35 * m
    q = to_qimage(np.clip(img, 0, 255).astype(np.uint8))
    if show_pose and landmarks is not None and np.isfinite(landmarks[[11, 12, 23, 24]]).all():
        p = QPainter(q)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(QPen(QColor(255, 220, 0), max(1.0, frame.shape[1] / 240)))
        for a, b in POSE_EDGES:
            if np.isfinite(landmarks[[a, b]]).all():
                p.drawLine(QPointF(*landmarks[a]), QPointF(*landmarks[b]))
        p.end()
    marks = [(pts, QColor(0, 230, 255)) for pts in ([face] if face is not None else [])]
    marks += [(pts, QColor(255, 60, 220)) for pts in (hands or [])]
    if marks:
        p = QPainter(q)
        r = max(1.0, frame.shape[1] / 480)
        for pts, colour in marks:
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(colour)
            step = 4 if len(pts) > 100 else 1            # every 4th mesh point keeps the face readable
            for x, y in np.asarray(pts)[::step]:
                if np.isfinite(x) and np.isfinite(y):
                    p.drawEllipse(QPointF(float(x), float(y)), r, r)
        p.end()
    return q


class ElidedLabel(QLabel):
    """A one-line label that elides its text ("…") instead of widening the window; the full
    text is in the tooltip."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(60)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802
        self._full = text
        self.setToolTip(text)
        super().setText(text)
        self.update()

    def full_text(self) -> str:
        return self._full

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(min(super().sizeHint().width(), 320), super().sizeHint().height())

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        text = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideMiddle, self.width())
        p.drawText(self.rect(), int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight), text)
        p.end()


class FrameView(QLabel):
    """Shows a QImage scaled to fit, keeping the aspect ratio. Its size hint never follows the
    pixmap (a QLabel's would), so a large video cannot push the window wider than the screen."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(320, 180)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self._image: QImage | None = None

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(640, 360)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(320, 180)

    def set_image(self, image: QImage | None) -> None:
        self._image = image
        self._rescale()

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._rescale()

    def _rescale(self) -> None:
        if self._image is None:
            self.clear()
            return
        self.setPixmap(QPixmap.fromImage(self._image).scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                                             Qt.TransformationMode.SmoothTransformation))


class SuspicionTimeline(QWidget):
    """Per-frame suspicion curve with a playhead; clicking or dragging seeks."""

    frameChanged = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumHeight(60)
        self.values = np.zeros(0)
        self.marks = np.zeros(0, bool)
        self.frame = 0

    def set_values(self, values: np.ndarray | None, marks: np.ndarray | None = None) -> None:
        """The suspicion curve and (optional) frames to mark: where the appearance drifted."""
        self.values = np.zeros(0) if values is None else np.asarray(values, float)
        self.marks = (np.zeros(len(self.values), bool) if marks is None or len(marks) != len(self.values)
                      else np.asarray(marks, bool))
        self.frame = min(self.frame, max(0, len(self.values) - 1))
        self.update()

    def set_frame(self, frame: int) -> None:
        self.frame = int(frame)
        self.update()

    def _seek(self, x: float) -> None:
        n = len(self.values)
        if n:
            f = int(np.clip(round(x / max(1, self.width() - 1) * (n - 1)), 0, n - 1))
            if f != self.frame:
                self.set_frame(f)
                self.frameChanged.emit(f)

    def mousePressEvent(self, event) -> None:  # noqa: N802
        self._seek(event.position().x())

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        self._seek(event.position().x())

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        w, h = self.width(), self.height()
        pal = self.palette()
        p.fillRect(0, 0, w, h, pal.color(QPalette.ColorRole.Base))   # follows the light or dark theme
        n = len(self.values)
        if n:
            bw = w / n
            for i, v in enumerate(self.values):
                if np.isfinite(v):
                    c = QColor.fromHsvF(max(0.0, 0.33 * (1 - v)), 0.8, 0.9)
                    p.fillRect(int(i * bw), int(h * (1 - v)), max(1, int(math.ceil(bw))), int(h * v) + 1, c)
            drift = QColor(255, 140, 0)
            for i in np.flatnonzero(self.marks):       # appearance drift: orange ticks along the top
                p.fillRect(int(i * bw), 0, max(2, int(math.ceil(bw))), 8, drift)
            p.setPen(QPen(pal.color(QPalette.ColorRole.Text), 2))
            x = int((self.frame + 0.5) * bw)
            p.drawLine(x, 0, x, h)
        p.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
        label = ("suspicion per frame" + (" · orange: appearance drifted" if self.marks.any() else "")
                 if n and np.isfinite(self.values).any() else "suspicion per frame (shown when the analysis is done)")
        p.drawText(4, 20, label)
        p.end()


class SceneGeometryView(PointCloudView):
    """The shared point-cloud viewport showing a sparse SfM reconstruction: its points, the camera
    path (cyan at the start -> magenta at the end, a marker per registered camera) and, in white,
    the camera of the current playback frame. SfM's arbitrary frame is normalised
    (:func:`~app.viewers.cloud_layers.normalize_scene`), so any scale is framed alike."""

    EMPTY = "no 3D reconstruction: {}"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(200, 160)
        self.orbit = OrbitCamera(target=(0.0, 0.0, 0.0), yaw=35.0, pitch=25.0, distance=3.5)
        self.point_px = 3
        self.frame = 0
        self.centres = np.zeros((0, 3))
        self.centre_frames: np.ndarray | None = None
        self.scene_frame: SceneFrame | None = None
        self.message = self.EMPTY.format("nothing analysed yet")
        self.auto_frame = True  # re-frame on resize until the user zooms or pans

    def set_geometry(self, points: np.ndarray, colors: np.ndarray, centres: np.ndarray,
                     centre_frames: np.ndarray | None = None, reason: str = "") -> None:
        """Show a reconstruction (``colors`` in [0, 1] or 0-255); ``centre_frames`` are the playback
        frames of the ``centres`` (for the highlight); with no points and no cameras the view shows
        "no 3D reconstruction: <reason>"."""
        pts = np.asarray(points, np.float64).reshape(-1, 3)
        cen = np.asarray(centres, np.float64).reshape(-1, 3)
        col = np.asarray(colors, np.float64).reshape(-1, 3)
        if len(col) != len(pts):
            col = np.full((len(pts), 3), 200.0)
        elif len(col) and col.max() <= 1.0:
            col = col * 255.0
        ok = np.isfinite(pts).all(1)
        pts, col = pts[ok], col[ok]
        keep = np.isfinite(cen).all(1)
        cen = cen[keep]
        frames = None if centre_frames is None else np.asarray(centre_frames, np.float64).reshape(-1)
        if frames is not None and len(frames) == len(keep):
            frames = frames[keep]
        self.centre_frames = frames if frames is not None and len(frames) == len(cen) else None
        if len(pts) == 0 and len(cen) == 0:
            self.scene_frame, self.centres, self.layers = None, cen, []
            self.message = self.EMPTY.format(reason or "structure from motion found no 3D points")
            self.set_points(np.zeros((0, 3)), np.zeros((0, 3)))
            self.update()
            return
        self.message = ""
        self.scene_frame = normalize_scene(pts, cen)
        self.centres = self.scene_frame.apply(cen)
        self.points = self.scene_frame.apply(pts).astype(np.float32)
        self.colors = np.clip(np.rint(col), 0, 255).astype(np.uint8)
        self.orbit.yaw, self.orbit.pitch = 35.0, 25.0
        self.auto_frame = True
        self._frame()
        self._update_layers()

    def _frame(self) -> None:
        self.frame_points(np.r_[self.points, self.centres])

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self.auto_frame and self.scene_frame is not None:
            self._frame()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if event.buttons() & (Qt.MouseButton.RightButton | Qt.MouseButton.MiddleButton):
            self.auto_frame = False
        super().mouseMoveEvent(event)

    def wheelEvent(self, event) -> None:  # noqa: N802
        self.auto_frame = False
        super().wheelEvent(event)

    def set_frame(self, frame: int) -> None:
        """Move the white highlight to the camera of playback frame ``frame`` (interpolated)."""
        if int(frame) != self.frame:
            self.frame = int(frame)
            if self.centre_frames is not None and len(self.centres):
                self._update_layers()

    def highlight(self) -> np.ndarray | None:
        if self.centre_frames is None:
            return None
        return interpolate_path(self.centres, self.centre_frames, self.frame)

    def _update_layers(self) -> None:
        self.set_layers(camera_path_layers(self.centres, self.centre_frames, self.highlight()))


def short_path(path: str | Path) -> str:
    return Path(path).name
