"""The 2.5D tab: RGB and depth side by side for the current frame (the depth with a colour scale
in metres), a parallax ("2.5D effect") preview that re-projects the frame with its depth under a
small camera wobble, and the frame's point cloud in an orbit-able viewport. Follows the studio
timeline, which stays under the tab, so it plays along (newest frame only). The mesh render,
depth colour map, point cloud and parallax frames are computed on worker threads
(:mod:`app.ui.tab_worker`); the GUI thread only queues requests and shows results.

"Generate (IDOL)" (:mod:`app.ui.idol_panel`) makes a human video and its depth with the IDOL diffusion
model on the engine thread; the generated RGB and depth colour map then replace the exact render,
following the timeline by time (the clip is at the model's 10 fps), with the parallax preview and the
point cloud built from the generated depth, until "Show exact render" is ticked.

``source`` is any object with ``vertices`` ([T, V, 3] or None), ``faces`` and ``body``
(the studio's :class:`~.studio_state.StudioState`); call :meth:`set_frame` from the timeline.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QImage, QLinearGradient, QPainter, QPixmap
from PySide6.QtWidgets import QComboBox, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from .idol_panel import IdolPanel
from .pointcloud_view import PointCloudView
from .tab_worker import TabWorker, make_request, ensure_body_texture

log = logging.getLogger(__name__)
SIZE = 256
TITLES = {False: ("RGB", "Depth (metres from the camera)", "Parallax", "Point cloud (drag to orbit, wheel to zoom)"),
          True: ("Generated RGB (IDOL)", "Generated depth (metres)", "Parallax (generated depth)",
                 "Point cloud from the generated depth (drag to orbit, wheel to zoom)")}


@dataclass
class FrameSpec:
    camera: Any
    backdrop: Any
    body: Any = None


@dataclass
class ParallaxSpec:
    rgb: np.ndarray
    depth: np.ndarray
    camera: Any
    phase: float


def frame_renderer_factory():
    """(render, close) for the frame worker: mesh RGB + depth + mask, depth colour map and point cloud."""
    state: dict[str, Any] = {"renderer": None, "texture_for": None}

    def render(req) -> np.ndarray:
        from app.viewers.depth import colorize_depth, depth_range, unproject
        from app.viewers.textured import TexturedMeshRenderer

        spec: FrameSpec = req.spec
        if state["renderer"] is None:
            state["renderer"] = TexturedMeshRenderer(SIZE, SIZE)
        r = state["renderer"]
        ensure_body_texture(state, r, spec.body, "2.5D tab")
        rgb, depth, mask = r.render_frame(req.vertices, req.faces, spec.camera, spec.backdrop)
        near, far = depth_range(np.where(mask, depth, 0))
        k = spec.camera.intrinsics(SIZE, SIZE)
        pts, cols = unproject(np.where(mask, depth, 0), k, spec.camera.world_to_camera_cv(), rgb, stride=1)
        lo, hi = max(0.05, near - 0.3), far + 1.0
        req.result.update(rgb=rgb, depth=depth, mask=mask, points=pts, colors=cols, depth_range=(lo, hi),
                          depth_vis=colorize_depth(depth, lo, hi))
        return rgb

    def close() -> None:
        if state["renderer"] is not None:
            state["renderer"].close()

    return render, close


def parallax_factory():
    """(render, close) for the parallax worker: re-project a frame with its depth under a camera wobble."""
    def render(req) -> np.ndarray:
        from app.viewers.depth import reproject, wobble_matrix

        spec: ParallaxSpec = req.spec
        m = spec.camera.world_to_camera_cv()
        valid = spec.depth[spec.depth > 0]
        pivot = float(np.median(valid)) if valid.size else 3.0
        out, _ = reproject(spec.rgb, spec.depth, spec.camera.intrinsics(SIZE, SIZE), m,
                           wobble_matrix(m, spec.phase, 0.04, pivot))
        return out

    return render, lambda: None


def to_pixmap(img: np.ndarray) -> QPixmap:
    img = np.ascontiguousarray(img[..., :3])
    h, w = img.shape[:2]
    return QPixmap.fromImage(QImage(img.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy())


class DepthScale(QWidget):
    """A vertical colour bar for the depth view: the depth map's colours with their distances in metres
    (near at the top, red; far at the bottom, blue; black is no surface)."""

    TICKS = 5

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.near, self.far = 0.5, 5.0
        self.shown = False
        from app.viewers.depth import colorize_depth  # the same map as the image
        t = np.linspace(0.0, 1.0, 64, dtype=np.float32)
        self.colors = colorize_depth(1.0 + t, 1.0, 2.0)  # [64, 3]: near (t = 0) to far
        self.setMinimumWidth(64)
        self.setToolTip("Distance from the camera along its viewing axis, in metres; black: no surface")

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(70, SIZE)

    def set_range(self, near: float, far: float) -> None:
        self.near, self.far, self.shown = float(near), float(far), True
        self.update()

    def tick_labels(self) -> list[str]:
        return [f"{self.near + (self.far - self.near) * k / (self.TICKS - 1):.1f} m" for k in range(self.TICKS)]

    def paintEvent(self, ev) -> None:  # noqa: N802 - Qt API
        if not self.shown:
            return
        p = QPainter(self)
        fm = p.fontMetrics()
        bar = QRectF(2, fm.height(), 14, max(10, self.height() - 2 * fm.height()))
        grad = QLinearGradient(bar.topLeft(), bar.bottomLeft())
        for i, c in enumerate(self.colors):
            grad.setColorAt(i / (len(self.colors) - 1), QColor(int(c[0]), int(c[1]), int(c[2])))
        p.fillRect(bar, grad)
        p.setPen(self.palette().windowText().color())
        p.drawRect(bar)
        for k, text in enumerate(self.tick_labels()):
            y = bar.top() + bar.height() * k / (self.TICKS - 1)
            p.drawLine(int(bar.right()), int(y), int(bar.right()) + 4, int(y))
            p.drawText(int(bar.right()) + 7, int(y + fm.ascent() / 2 - 1), text)
        p.end()


class Tab2p5d(QWidget):
    def __init__(self, source: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source = source
        self.frame = 0
        self.rgb = self.depth = None
        self.shown_frame = -1
        self.parallax_phase: float | None = None
        self._frames = TabWorker("2p5d-frame", frame_renderer_factory, self._frame_ready, self._failed)
        self._parallax = TabWorker("2p5d-parallax", parallax_factory, self._parallax_ready, self._failed)
        self.camera = None
        self._phase = 0.0
        self.rgb_label, self.depth_label, self.parallax_label = QLabel(), QLabel(), QLabel()
        for lab in (self.rgb_label, self.depth_label, self.parallax_label):
            lab.setAlignment(Qt.AlignmentFlag.AlignCenter)
            lab.setMinimumSize(SIZE // 2, SIZE // 2)
        self.generated: Any = None  # the IdolClip shown instead of the exact render (see `showing_generated`)
        self.gen_index = -1
        self.idol = IdolPanel(source, self, view=SIZE)
        self.idol.resultReady.connect(self.set_generated)
        self.idol.showExactChanged.connect(lambda _exact: self._mode_changed())
        self.background = QComboBox()
        self.background.addItems(["grey", "scene", "black", "green"])
        self.background.currentTextChanged.connect(lambda _: self.refresh())
        self.depth_scale = DepthScale()
        self.points = PointCloudView()
        self.status = QLabel("load a motion to see its 2.5D render")
        grid = QGridLayout()
        depth_box = QHBoxLayout()  # the image and its scale together, centred in the column
        depth_box.addStretch(1)
        depth_box.addWidget(self.depth_label)
        depth_box.addWidget(self.depth_scale)
        depth_box.addStretch(1)
        self.titles = [QLabel(t) for t in TITLES[False]]
        for col, w in enumerate((self.rgb_label, depth_box, self.parallax_label)):
            grid.addWidget(self.titles[col], 0, col)
            if isinstance(w, QHBoxLayout):
                grid.addLayout(w, 1, col)
            else:
                grid.addWidget(w, 1, col)
        top = QHBoxLayout()
        top.addWidget(QLabel("Exact render background"))
        top.addWidget(self.background)
        top.addStretch(1)
        top.addWidget(self.status)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.idol)
        layout.addLayout(grid)
        self.titles.append(QLabel(TITLES[False][3]))
        layout.addWidget(self.titles[3])
        layout.addWidget(self.points, 1)
        self.wobble = QTimer(self)
        self.wobble.setInterval(50)
        self.wobble.timeout.connect(self._wobble_step)
        self.wobble.start()

    # --- rendering (on the workers) ---------------------------------------------------------
    def set_frame(self, frame: int) -> None:
        self.frame = int(frame)
        if self.isVisible():
            self.refresh()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        self.refresh()

    def refresh(self) -> None:
        """Queue the current frame on the frame worker (returns at once), or show the generated frame."""
        if self.showing_generated:
            self._show_generated()
            return
        verts = getattr(self.source, "vertices", None)
        faces = getattr(self.source, "faces", None)
        if verts is None or faces is None or len(verts) == 0:
            return
        from app.engine.tasks.render2p5d import parse_background
        from app.viewers.camera import follow, preset

        i = min(max(self.frame, 0), len(verts) - 1)
        v = np.asarray(verts[i])
        camera = follow(preset("follow", v, aspect=1.0), v.mean(0)).to_camera()
        backdrop = parse_background(self.background.currentText())
        backdrop.ground_center = (float(v[:, 0].mean()), float(v[:, 2].mean()))
        spec = FrameSpec(camera, backdrop, getattr(self.source, "body", None))
        self._frames.submit(make_request(i, spec, v, faces, SIZE))

    def _frame_ready(self, image, request) -> None:
        if self.showing_generated:
            return  # a render queued before the generated clip was shown
        r = request.result
        self.rgb, self.depth, self.camera = r["rgb"], r["depth"], request.spec.camera
        self.shown_frame = request.frame
        self.rgb_label.setPixmap(QPixmap.fromImage(image))
        self.depth_label.setPixmap(to_pixmap(r["depth_vis"]))
        self.depth_scale.set_range(*r["depth_range"])
        self.points.set_points(r["points"], r["colors"], recentre=True)  # the orbit follows the body
        self.status.setText(f"frame {request.frame}: {len(r['points']):,} points")
        self._wobble_step()

    # --- the IDOL clip -----------------------------------------------------------------------
    @property
    def showing_generated(self) -> bool:
        return self.generated is not None and not self.idol.show_exact.isChecked()

    def set_generated(self, clip: Any) -> None:
        """Show an :class:`~app.engine.tasks.idol_studio.IdolClip` (None: back to the exact render only)."""
        self.generated, self.gen_index = clip, -1
        self._mode_changed()

    def _mode_changed(self) -> None:
        for label, text in zip(self.titles, TITLES[self.showing_generated]):
            label.setText(text)
        self.gen_index = -1
        self.refresh()

    def _show_generated(self) -> None:
        """The generated frame at the timeline's time (the generated clip runs at the model's rate)."""
        g = self.generated
        clip = getattr(self.source, "clip", None)
        fps = float(getattr(clip, "fps", 0.0) or g.fps)
        i = g.index_at(self.frame / fps)
        self.shown_frame = self.frame
        if i == self.gen_index:
            return
        self.gen_index = i
        self.rgb, self.depth, self.camera = g.rgb[i], g.depth[i], g.cameras[i]
        self.rgb_label.setPixmap(to_pixmap(g.rgb[i]))
        self.depth_label.setPixmap(to_pixmap(g.depth_vis[i]))
        self.depth_scale.set_range(*g.meta["depth_vis_range_m"])
        self.points.set_points(g.points[i], g.colors[i], recentre=True)
        self.status.setText(f"IDOL frame {i + 1}/{g.frames} ({i / g.fps:.1f} s): {len(g.points[i]):,} points")
        self._wobble_step()

    def _failed(self, message: str) -> None:
        self.status.setText(f"2.5D preview unavailable: {message}")

    def _wobble_step(self) -> None:
        """Queue the next parallax frame (re-projection with a small camera wobble) on its worker."""
        if self.rgb is None or self.camera is None or not self.isVisible():
            return
        self._phase = (self._phase + 0.25) % (2 * math.pi)
        spec = ParallaxSpec(self.rgb, self.depth, self.camera, self._phase)
        self._parallax.submit(make_request(self.shown_frame, spec, size=SIZE))

    def _parallax_ready(self, image, request) -> None:
        self.parallax_phase = request.spec.phase
        self.parallax_label.setPixmap(QPixmap.fromImage(image))

    def closeEvent(self, event) -> None:  # noqa: N802
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        self.wobble.stop()
        self._frames.stop()
        self._parallax.stop()
        self.points.shutdown()
