"""The 2.5D tab: RGB and depth side by side for the current frame, a parallax ("2.5D effect")
preview that re-projects the frame with its depth under a small camera wobble, and the
frame's point cloud in an orbit-able viewport. Follows the studio timeline.

``source`` is any object with ``vertices`` ([T, V, 3] or None), ``faces`` and ``body``
(the main window); call :meth:`set_frame` from the timeline.
"""
from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QComboBox, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from .pointcloud_view import PointCloudView

log = logging.getLogger(__name__)
SIZE = 256


def to_pixmap(img: np.ndarray) -> QPixmap:
    img = np.ascontiguousarray(img[..., :3])
    h, w = img.shape[:2]
    return QPixmap.fromImage(QImage(img.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy())


class Tab2p5d(QWidget):
    def __init__(self, source: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source = source
        self.frame = 0
        self._renderer = None
        self._texture_for = None
        self.rgb = self.depth = None
        self.camera = None
        self._phase = 0.0
        self.rgb_label, self.depth_label, self.parallax_label = QLabel(), QLabel(), QLabel()
        for lab in (self.rgb_label, self.depth_label, self.parallax_label):
            lab.setAlignment(Qt.AlignmentFlag.AlignCenter)
            lab.setMinimumSize(SIZE // 2, SIZE // 2)
        self.background = QComboBox()
        self.background.addItems(["grey", "scene", "black", "green"])
        self.background.currentTextChanged.connect(lambda _: self.refresh())
        self.points = PointCloudView()
        self.status = QLabel("load a motion to see its 2.5D render")
        grid = QGridLayout()
        for col, (title, w) in enumerate((("RGB", self.rgb_label), ("Depth", self.depth_label),
                                          ("Parallax", self.parallax_label))):
            grid.addWidget(QLabel(title), 0, col)
            grid.addWidget(w, 1, col)
        top = QHBoxLayout()
        top.addWidget(QLabel("Background"))
        top.addWidget(self.background)
        top.addStretch(1)
        top.addWidget(self.status)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(grid)
        layout.addWidget(QLabel("Point cloud (drag to orbit, wheel to zoom)"))
        layout.addWidget(self.points, 1)
        self.wobble = QTimer(self)
        self.wobble.setInterval(50)
        self.wobble.timeout.connect(self._wobble_step)
        self.wobble.start()

    # --- rendering -----------------------------------------------------------------------
    def _ensure_renderer(self):
        from app.viewers.textured import TexturedMeshRenderer

        if self._renderer is None:
            self._renderer = TexturedMeshRenderer(SIZE, SIZE)
        body = getattr(self.source, "body", None)
        if body is not None and self._texture_for is not body:
            self._texture_for = body
            try:
                from app.engine.avatar.appearance import body_texture

                t = body_texture(body)
                self._renderer.set_texture(t.texture, t.uv, t.uv_faces, t.vertex_index)
            except Exception as exc:  # noqa: BLE001 - untextured bodies render in clay
                log.info("2.5D tab: no texture (%s)", exc)
        return self._renderer

    def set_frame(self, frame: int) -> None:
        self.frame = int(frame)
        if self.isVisible():
            self.refresh()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        self.refresh()

    def refresh(self) -> None:
        verts = getattr(self.source, "vertices", None)
        faces = getattr(self.source, "faces", None)
        if verts is None or faces is None or len(verts) == 0:
            return
        from app.engine.tasks.render2p5d import parse_background
        from app.viewers.camera import follow, preset
        from app.viewers.depth import colorize_depth, depth_range, unproject

        i = min(max(self.frame, 0), len(verts) - 1)
        v = verts[i]
        orbit = preset("follow", v, aspect=1.0)
        self.camera = follow(orbit, v.mean(0)).to_camera()
        backdrop = parse_background(self.background.currentText())
        backdrop.ground_center = (float(v[:, 0].mean()), float(v[:, 2].mean()))
        try:
            rgb, depth, mask = self._ensure_renderer().render_frame(v, faces, self.camera, backdrop)
        except Exception as exc:  # noqa: BLE001 - no GL: say so instead of crashing the studio
            self.status.setText(f"2.5D preview unavailable: {exc}")
            return
        self.rgb, self.depth = rgb, depth
        near, far = depth_range(np.where(mask, depth, 0))
        self.rgb_label.setPixmap(to_pixmap(rgb))
        self.depth_label.setPixmap(to_pixmap(colorize_depth(depth, max(0.05, near - 0.3), far + 1.0)))
        k = self.camera.intrinsics(SIZE, SIZE)
        pts, cols = unproject(np.where(mask, depth, 0), k, self.camera.world_to_camera_cv(), rgb, stride=1)
        self.points.set_points(pts, cols, recentre=self.points.points.size == 0)
        self.status.setText(f"frame {i}: {len(pts):,} points")
        self._wobble_step()

    def _wobble_step(self) -> None:
        if self.rgb is None or self.camera is None or not self.isVisible():
            return
        from app.viewers.depth import reproject, wobble_matrix

        self._phase = (self._phase + 0.25) % (2 * math.pi)
        m = self.camera.world_to_camera_cv()
        k = self.camera.intrinsics(SIZE, SIZE)
        valid = self.depth[self.depth > 0]
        pivot = float(np.median(valid)) if valid.size else 3.0
        out, _ = reproject(self.rgb, self.depth, k, m, wobble_matrix(m, self._phase, 0.04, pivot))
        self.parallax_label.setPixmap(to_pixmap(out))

    def closeEvent(self, event) -> None:  # noqa: N802
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        self.wobble.stop()
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
