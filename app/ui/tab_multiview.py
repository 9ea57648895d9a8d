"""The Multi-view tab: a grid of N ring cameras (or one camera orbiting the body) following the timeline.

All rendering runs on a worker thread (:mod:`app.ui.tab_worker`): ``refresh`` only queues the
newest frame and the image is shown when it arrives, so the GUI never waits for GL or splats.
Before an avatar is fitted the views show the textured mesh; "Fit avatar" runs the Gaussian
avatar fit as an engine job (through ``source.bridge`` when the main window provides one)
and the views then show the splat renders.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QSpinBox, QVBoxLayout,
                               QWidget)

from .tab_worker import TabWorker, make_request, qimage_to_array, ensure_body_texture

log = logging.getLogger(__name__)
VIEW = 160  # cell size before the tab has been laid out
MIN_VIEW, MAX_VIEW = 96, 384  # cells follow the tab's size within these bounds


@dataclass
class ViewsSpec:
    """What the worker draws: ``cameras`` at ``size`` px, splats of ``avatar`` if set, else the mesh."""

    cameras: list
    size: int
    avatar: Any = None
    body: Any = None
    cols: int | None = None


def views_renderer_factory():
    """(render, close) for the worker thread: splat views, or textured-mesh views (GL lives on the thread)."""
    state: dict[str, Any] = {"renderer": None, "texture_for": None}

    def mesh_views(req, spec: ViewsSpec) -> list[np.ndarray]:
        from app.viewers.textured import Backdrop, TexturedMeshRenderer

        r = state["renderer"]
        if r is None or r.width != spec.size:
            if r is not None:
                r.close()
            r = state["renderer"] = TexturedMeshRenderer(spec.size, spec.size)
            state["texture_for"] = None
        ensure_body_texture(state, r, spec.body, "multi-view")
        r.set_lights("studio", world=True)
        backdrop = Backdrop("color", color=(0.0, 0.0, 0.0))
        return [r.render_frame(req.vertices, req.faces, cam, backdrop)[0] for cam in spec.cameras]

    def render(req) -> np.ndarray:
        from app.engine.tasks.multiview import render_views, tile_views

        spec: ViewsSpec = req.spec
        imgs = (render_views(spec.avatar, req.vertices, spec.cameras, spec.size) if spec.avatar is not None
                else mesh_views(req, spec))
        return tile_views(imgs, spec.cols)

    def close() -> None:
        if state["renderer"] is not None:
            state["renderer"].close()

    return render, close


class TabMultiview(QWidget):
    def __init__(self, source: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source = source
        self.frame = 0
        self.avatar = None
        self.metrics: dict = {}
        self._job = None
        self.shown_frame = -1
        self._rig_key: tuple | None = None
        self._rig: tuple = ()
        self._worker = TabWorker("multiview-render", views_renderer_factory, self._image_ready, self._render_failed)
        self.views = QSpinBox()
        self.views.setRange(1, 16)
        self.views.setValue(8)
        self.views.valueChanged.connect(lambda _: self.refresh())
        self.mode = QComboBox()
        self.mode.addItems(["Grid", "Orbit"])
        self.mode.currentTextChanged.connect(lambda _: self.refresh())
        self.source_box = QComboBox()
        self.source_box.addItems(["Mesh", "Splats"])
        self.source_box.currentTextChanged.connect(lambda _: self.refresh())
        self.fit_button = QPushButton("Fit avatar")
        self.fit_button.clicked.connect(self.start_fit)
        self.status = QLabel("")
        self.image = QLabel()
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # the pixmap must not drive the layout (cells follow the label's size, not the other way round)
        self.image.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        bar = QHBoxLayout()
        for w in (QLabel("Views"), self.views, self.mode, QLabel("Show"), self.source_box, self.fit_button):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.status)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.image, 1)
        self.last_image: np.ndarray | None = None

    def set_frame(self, frame: int) -> None:
        self.frame = int(frame)
        if self.isVisible():
            self.refresh()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        self.refresh()

    def _cameras(self, verts: np.ndarray) -> list:
        """The ring (or the orbit camera of this frame); the rig is cached per clip, since its bounds
        scan every vertex of every frame (tens of ms for a long clip, too slow for each frame)."""
        from app.engine.avatar.fit import rig_for

        n = self.views.value()
        key = (id(verts), verts.shape, n, float(verts.reshape(-1)[0]), float(verts.reshape(-1)[-1]))
        if self._rig_key != key:
            self._rig = rig_for(verts, n)
            self._rig_key = key
        cams, _, center = self._rig
        if self.mode.currentText() == "Orbit":
            from app.engine.avatar.model import ring_cameras

            radius = float(np.linalg.norm(np.asarray(cams[0].eye) - np.asarray(cams[0].target)))
            cams = ring_cameras(center, radius, 1, yaw0_deg=(self.frame * 3.0) % 360.0)
        return cams

    def refresh(self) -> None:
        """Queue the current frame's views on the render worker (returns at once)."""
        verts = getattr(self.source, "vertices", None)
        faces = getattr(self.source, "faces", None)
        if verts is None or faces is None or len(verts) == 0:
            self.status.setText("load a motion first")
            return
        i = min(max(self.frame, 0), len(verts) - 1)
        cams = self._cameras(verts if isinstance(verts, np.ndarray) else np.asarray(verts))
        size, cols = self._cell_layout(len(cams))
        splats = self.source_box.currentText() == "Splats" and self.avatar is not None
        spec = ViewsSpec(cams, size, self.avatar if splats else None, getattr(self.source, "body", None), cols)
        self._worker.submit(make_request(i, spec, np.asarray(verts[i]), faces, size))

    def _cell_layout(self, n: int) -> tuple[int, int | None]:
        """Cell size and columns that fill the image area (multiples of 16 px, bounded)."""
        from app.engine.tasks.multiview import fit_grid

        w, h = self.image.width(), self.image.height()
        if w < MIN_VIEW or h < MIN_VIEW:  # not laid out yet
            return (VIEW if n > 1 else 2 * VIEW), None
        _, cols, cell = fit_grid(n, w, h)
        return int(min(max(cell // 16 * 16, MIN_VIEW), MAX_VIEW if n > 1 else 2 * MAX_VIEW)), cols

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        if self.isVisible():
            self.refresh()  # the worker keeps only the newest request, so a drag-resize stays cheap

    def _image_ready(self, image, request) -> None:
        self.last_image = qimage_to_array(image)
        self.shown_frame = request.frame
        self.image.setPixmap(QPixmap.fromImage(image))

    def _render_failed(self, message: str) -> None:
        self.status.setText(f"views unavailable: {message}")

    # --- fitting -----------------------------------------------------------------------
    def start_fit(self, steps: int = 150) -> None:
        verts = getattr(self.source, "vertices", None)
        body = getattr(self.source, "body", None)
        bridge = getattr(self.source, "bridge", None)
        if verts is None or body is None or bridge is None:
            self.status.setText("load a motion on a body first")
            return
        from app.engine.avatar.appearance import body_texture
        from app.engine.avatar.fit import FitConfig, fit_avatar

        tex = body_texture(body)
        config = FitConfig(views=self.views.value(), steps=steps, size=192, num_gaussians=10000)
        self.fit_button.setEnabled(False)
        self.status.setText("fitting avatar...")
        self._job = bridge.run("Fit Gaussian avatar", fit_avatar, tex, body.rest_vertices(), body.faces,
                               np.asarray(verts), config, on_done=self._fit_done, on_error=self._fit_failed,
                               on_cancel=lambda: self._fit_failed("cancelled"))

    def _fit_done(self, result) -> None:
        self.fit_button.setEnabled(True)
        self.set_avatar(result.avatar, result.metrics)

    def _fit_failed(self, message: str) -> None:
        self.fit_button.setEnabled(True)
        self.status.setText(f"fit failed: {message}")

    def set_avatar(self, avatar, metrics: dict | None = None) -> None:
        self.avatar = avatar
        self.metrics = metrics or {}
        held = self.metrics.get("held_out_views_train_frames", {})
        self.status.setText(f"avatar: {len(avatar):,} Gaussians" + (
            f", held-out PSNR {held['psnr']:.1f} dB" if "psnr" in held else ""))
        self.source_box.setCurrentText("Splats")
        self.refresh()

    def shutdown(self) -> None:
        self._worker.stop()
