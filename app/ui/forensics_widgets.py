"""Small widgets of the Forensics tab: drop zone, frame view with pose overlay and person
mask, suspicion timeline synchronised with playback, and a sparse point-cloud view."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

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
                  show_mask: bool = True, show_pose: bool = True) -> QImage:
    """The frame with the person mask tinted and the BlazePose skeleton drawn on top."""
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
    return q


class FrameView(QLabel):
    """Shows a QImage scaled to fit, keeping the aspect ratio."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(320, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._image: QImage | None = None

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
        self.frame = 0

    def set_values(self, values: np.ndarray | None) -> None:
        self.values = np.zeros(0) if values is None else np.asarray(values, float)
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
        p.fillRect(0, 0, w, h, QColor(250, 250, 250))
        n = len(self.values)
        if n:
            bw = w / n
            for i, v in enumerate(self.values):
                if np.isfinite(v):
                    c = QColor.fromHsvF(max(0.0, 0.33 * (1 - v)), 0.8, 0.9)
                    p.fillRect(int(i * bw), int(h * (1 - v)), max(1, int(math.ceil(bw))), int(h * v) + 1, c)
            p.setPen(QPen(QColor(20, 20, 20), 2))
            x = int((self.frame + 0.5) * bw)
            p.drawLine(x, 0, x, h)
        p.setPen(QColor(120, 120, 120))
        p.drawText(4, 12, "suspicion per frame")
        p.end()


class PointCloudView(QWidget):
    """Sparse SfM points and the camera path, orbit by dragging (QPainter projection)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(200, 160)
        self.points = np.zeros((0, 3))
        self.colors = np.zeros((0, 3))
        self.centres = np.zeros((0, 3))
        self.yaw, self.pitch = 0.6, 0.3
        self._last = None

    def set_geometry(self, points: np.ndarray, colors: np.ndarray, centres: np.ndarray) -> None:
        self.points, self.colors, self.centres = (np.asarray(points, float).reshape(-1, 3),
                                                  np.asarray(colors, float).reshape(-1, 3),
                                                  np.asarray(centres, float).reshape(-1, 3))
        self.update()

    def mousePressEvent(self, event) -> None:  # noqa: N802
        self._last = event.position()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if self._last is not None:
            d = event.position() - self._last
            self.yaw += d.x() * 0.01
            self.pitch = float(np.clip(self.pitch + d.y() * 0.01, -1.5, 1.5))
            self._last = event.position()
            self.update()

    def project(self, xyz: np.ndarray, centre: np.ndarray, scale: float) -> np.ndarray:
        cy, sy, cp, sp = math.cos(self.yaw), math.sin(self.yaw), math.cos(self.pitch), math.sin(self.pitch)
        r = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]]) @ np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])
        q = (xyz - centre) @ r.T
        return np.c_[self.width() / 2 + q[:, 0] * scale, self.height() / 2 + q[:, 1] * scale]

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(30, 32, 36))
        if len(self.points) == 0:
            p.setPen(QColor(200, 200, 200))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "no sparse reconstruction")
            p.end()
            return
        allp = np.r_[self.points, self.centres]
        centre = np.median(allp, axis=0)
        extent = np.percentile(np.linalg.norm(allp - centre, axis=1), 90) + 1e-6
        scale = 0.45 * min(self.width(), self.height()) / extent
        for (x, y), c in zip(self.project(self.points, centre, scale), self.colors):
            p.setPen(QColor.fromRgbF(*np.clip(c, 0, 1)))
            p.drawPoint(QPointF(x, y))
        cam = self.project(self.centres, centre, scale)
        p.setPen(QPen(QColor(255, 80, 60), 2))
        for a, b in zip(cam[:-1], cam[1:]):
            p.drawLine(QPointF(*a), QPointF(*b))
        p.end()


def short_path(path: str | Path) -> str:
    return Path(path).name
