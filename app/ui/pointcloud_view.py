"""A QWidget showing a coloured point cloud, rendered with the viewers' z-buffered point splatting
on a worker thread (:mod:`app.ui.tab_worker`; painting only draws the newest image);
drag to orbit, wheel to zoom. Extra depth-tested layers (e.g. a camera path, see
:mod:`app.viewers.cloud_layers`) draw over the cloud; with nothing to draw a message is shown."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QWheelEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.viewers.camera import OrbitCamera, frame_distance
from app.viewers.cloud_layers import Layer, render_layers, robust_bounds

from .tab_worker import TabWorker, make_request

BACKGROUND = (38, 42, 48)


def _render(spec) -> np.ndarray:
    points, colors, layers, cam, w, h, point_px = spec
    img, _ = render_layers([Layer(points, colors, point_px)] + list(layers), cam.intrinsics(w, h),
                           cam.world_to_camera_cv(), w, h, background=BACKGROUND)
    return img


def points_factory():
    """(render, close) for the worker: ``spec`` = (points, colours, layers, camera, width, height, point_px)."""
    return (lambda req: _render(req.spec)), (lambda: None)


class PointCloudView(QWidget):
    """Orbit-able point cloud viewport (software rendered; fine for a few hundred thousand points)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(160, 160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.orbit = OrbitCamera(target=(0.0, 0.9, 0.0), yaw=25.0, pitch=10.0, distance=3.5)
        self.points = np.zeros((0, 3), np.float32)
        self.colors = np.zeros((0, 3), np.uint8)
        self.layers: list[Layer] = []  # drawn over the cloud, depth-tested
        self.point_px = 2
        self.message = ""  # shown instead of the render when there is nothing to draw
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

    def set_layers(self, layers: list[Layer]) -> None:
        """Replace the overlay layers (drawn over the cloud with a shared depth test)."""
        self.layers = list(layers)
        self._request()

    def frame_points(self, points: np.ndarray | None = None, percentile: float = 5.0, margin: float = 1.0) -> None:
        """Aim the orbit at the centre of the robust box of ``points`` (default: the cloud; per-axis
        ``percentile``..100-``percentile``) at the distance where that box fits the view; keeps yaw
        and pitch; the orbit's distance limits follow the box."""
        pts = self.points if points is None else points
        if len(np.asarray(pts).reshape(-1, 3)) == 0:
            return
        lo, hi = robust_bounds(pts, percentile)
        size = float(np.linalg.norm(hi - lo)) or 1.0
        self.orbit.min_distance = min(self.orbit.min_distance, 0.01 * size)
        self.orbit.max_distance = max(self.orbit.max_distance, 100.0 * size)
        self.orbit.target = tuple(float(x) for x in (lo + hi) / 2)
        aspect = max(1, self.width()) / max(1, self.height())
        self.orbit.distance = float(np.clip(frame_distance(lo, hi, self.orbit, aspect, margin),
                                            self.orbit.min_distance, self.orbit.max_distance))
        self._request()

    def _spec(self, w: int, h: int) -> tuple:
        return (self.points, self.colors, tuple(self.layers), self.orbit.to_camera(), w, h, self.point_px)

    def _empty(self) -> bool:
        return len(self.points) == 0 and not self.layers

    def render_image(self, width: int, height: int) -> np.ndarray:
        """Render synchronously (tests, screenshots); the widget itself uses the worker."""
        self.last_image = _render(self._spec(width, height))
        return self.last_image

    def _request(self) -> None:
        """Queue a render of the current points and camera at the widget's size (never blocks)."""
        w, h = max(1, self.width()), max(1, self.height())
        self._requested = (w, h)
        self._worker.submit(make_request(0, self._spec(w, h)))

    def _image_ready(self, image: QImage, request) -> None:
        self.image = image
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        w, h = max(1, self.width()), max(1, self.height())
        painter = QPainter(self)
        if self.message and self._empty():
            painter.fillRect(self.rect(), QColor(*BACKGROUND))
            painter.setPen(QColor(225, 225, 225))
            painter.drawText(self.rect().adjusted(8, 8, -8, -8),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.message)
            painter.end()
            return
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
