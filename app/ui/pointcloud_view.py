"""A QWidget showing a coloured point cloud, rendered with the viewers' z-buffered point splatting
on a worker thread (:mod:`app.ui.tab_worker`; painting only draws the newest image);
drag to orbit, wheel to zoom."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QImage, QMouseEvent, QPainter, QWheelEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.viewers.camera import OrbitCamera
from app.viewers.depth import render_points

from .tab_worker import TabWorker, make_request

BACKGROUND = (38, 42, 48)


def points_factory():
    """(render, close) for the worker: ``spec`` = (points, colours, camera, width, height)."""
    def render(req) -> np.ndarray:
        points, colors, cam, w, h = req.spec
        img, _ = render_points(points, colors, cam.intrinsics(w, h), cam.world_to_camera_cv(), w, h,
                               background=BACKGROUND, point_px=2)
        return img

    return render, lambda: None


class PointCloudView(QWidget):
    """Orbit-able point cloud viewport (software rendered; fine for a few hundred thousand points)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(160, 160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.orbit = OrbitCamera(target=(0.0, 0.9, 0.0), yaw=25.0, pitch=10.0, distance=3.5)
        self.points = np.zeros((0, 3), np.float32)
        self.colors = np.zeros((0, 3), np.uint8)
        self._last: QPointF | None = None
        self.last_image: np.ndarray | None = None
        self.image: QImage | None = None  # newest image from the worker
        self._requested: tuple[int, int] | None = None
        self._worker = TabWorker("pointcloud-render", points_factory, self._image_ready, lambda _msg: None)

    def set_points(self, points: np.ndarray, colors: np.ndarray, recentre: bool = False) -> None:
        self.points = np.asarray(points, np.float32).reshape(-1, 3)
        self.colors = np.asarray(colors, np.uint8).reshape(-1, 3)
        if recentre and len(self.points):
            self.orbit.target = tuple(float(x) for x in np.median(self.points, axis=0))
        self._request()

    def render_image(self, width: int, height: int) -> np.ndarray:
        """Render synchronously (tests, screenshots); the widget itself uses the worker."""
        cam = self.orbit.to_camera()
        img, _ = render_points(self.points, self.colors, cam.intrinsics(width, height), cam.world_to_camera_cv(),
                               width, height, background=BACKGROUND, point_px=2)
        self.last_image = img
        return img

    def _request(self) -> None:
        """Queue a render of the current points and camera at the widget's size (never blocks)."""
        w, h = max(1, self.width()), max(1, self.height())
        self._requested = (w, h)
        self._worker.submit(make_request(0, (self.points, self.colors, self.orbit.to_camera(), w, h)))

    def _image_ready(self, image: QImage, request) -> None:
        self.image = image
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        w, h = max(1, self.width()), max(1, self.height())
        painter = QPainter(self)
        if self.image is not None:
            painter.drawImage(self.rect(), self.image)
        else:
            painter.fillRect(self.rect(), Qt.GlobalColor.darkGray)
        painter.end()
        if self._requested != (w, h):  # resized: render at the new size
            self._request()

    def shutdown(self) -> None:
        self._worker.stop()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self._last = event.position()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._last is None:
            return
        d = event.position() - self._last
        self._last = event.position()
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.orbit.orbit(-0.4 * d.x(), 0.4 * d.y())
        elif event.buttons() & (Qt.MouseButton.RightButton | Qt.MouseButton.MiddleButton):
            self.orbit.pan(-0.003 * d.x() * self.orbit.distance, 0.003 * d.y() * self.orbit.distance)
        self._request()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self._last = None

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        self.orbit.zoom(1.1 if event.angleDelta().y() > 0 else 1 / 1.1)
        self._request()
