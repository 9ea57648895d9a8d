"""The Multi-view tab: a grid of N ring cameras (or one camera orbiting the body) following the timeline.

Before an avatar is fitted the views show the textured mesh; "Fit avatar" runs the Gaussian
avatar fit as an engine job (through ``source.bridge`` when the main window provides one)
and the views then show the splat renders.
"""
from __future__ import annotations

import logging
from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget

from .tab_2p5d import to_pixmap

log = logging.getLogger(__name__)
VIEW = 160


class TabMultiview(QWidget):
    def __init__(self, source: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source = source
        self.frame = 0
        self.avatar = None
        self.metrics: dict = {}
        self._renderer = None
        self._texture = None
        self._texture_for = None
        self._job = None
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
        from app.engine.avatar.fit import rig_for

        n = self.views.value()
        cams, _, _ = rig_for(verts, n)
        if self.mode.currentText() == "Orbit":
            from app.engine.avatar.model import ring_cameras

            lo, hi = verts.reshape(-1, 3).min(0), verts.reshape(-1, 3).max(0)
            radius = float(np.linalg.norm(np.asarray(cams[0].eye) - np.asarray(cams[0].target)))
            cams = ring_cameras((lo + hi) / 2, radius, 1, yaw0_deg=(self.frame * 3.0) % 360.0)
        return cams

    def refresh(self) -> None:
        verts = getattr(self.source, "vertices", None)
        faces = getattr(self.source, "faces", None)
        if verts is None or faces is None or len(verts) == 0:
            self.status.setText("load a motion first")
            return
        from app.engine.tasks.multiview import tile_views

        i = min(max(self.frame, 0), len(verts) - 1)
        cams = self._cameras(np.asarray(verts))
        size = VIEW if len(cams) > 1 else 2 * VIEW
        try:
            if self.source_box.currentText() == "Splats" and self.avatar is not None:
                from app.engine.tasks.multiview import render_views

                imgs = render_views(self.avatar, verts[i], cams, size)
            else:
                imgs = self._mesh_views(verts[i], faces, cams, size)
        except Exception as exc:  # noqa: BLE001 - keep the studio alive without GL
            self.status.setText(f"views unavailable: {exc}")
            return
        self.last_image = tile_views(imgs)
        self.image.setPixmap(to_pixmap(self.last_image))

    def _mesh_views(self, v, faces, cams, size: int) -> list[np.ndarray]:
        from app.viewers.textured import Backdrop, TexturedMeshRenderer

        if self._renderer is None or self._renderer.width != size:
            if self._renderer is not None:
                self._renderer.close()
            self._renderer = TexturedMeshRenderer(size, size)
            self._texture_for = None
        body = getattr(self.source, "body", None)
        if body is not None and self._texture_for is not body:
            self._texture_for = body
            try:
                from app.engine.avatar.appearance import body_texture

                t = body_texture(body)
                self._texture = t
                self._renderer.set_texture(t.texture, t.uv, t.uv_faces, t.vertex_index)
            except Exception as exc:  # noqa: BLE001
                log.info("multi-view: no texture (%s)", exc)
        self._renderer.set_lights("studio", world=True)
        backdrop = Backdrop("color", color=(0.0, 0.0, 0.0))
        return [self._renderer.render_frame(v, faces, cam, backdrop)[0] for cam in cams]

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
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
