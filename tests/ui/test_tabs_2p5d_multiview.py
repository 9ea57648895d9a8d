"""The 2.5D and Multi-view tabs and the point-cloud view (pytest-qt, offscreen; need offscreen GL)."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from conftest import gl_available

pytestmark = pytest.mark.skipif(not gl_available(), reason="no offscreen OpenGL")


def _source(frames: int = 4) -> SimpleNamespace:
    import trimesh

    box = trimesh.creation.box((0.5, 1.6, 0.3))
    v = np.asarray(box.vertices, np.float32) + [0.0, 0.8, 0.0]
    verts = np.stack([v + [0.1 * i, 0.0, 0.0] for i in range(frames)])
    return SimpleNamespace(vertices=verts, faces=np.asarray(box.faces, np.int32), body=None, bridge=None)


def test_2p5d_tab_renders_rgb_depth_parallax_and_points(qtbot):
    from app.ui.tab_2p5d import Tab2p5d

    tab = Tab2p5d(_source())
    qtbot.addWidget(tab)
    tab.resize(800, 700)
    tab.show()
    tab.set_frame(2)
    assert tab.rgb is not None and (tab.depth > 0).any()
    assert tab.rgb_label.pixmap().width() == 256 and tab.depth_label.pixmap().width() == 256
    assert len(tab.points.points) == int((tab.depth > 0).sum())
    phase = tab._phase
    tab._wobble_step()
    assert tab._phase != phase and tab.parallax_label.pixmap().width() == 256  # the wobble animates
    centre_x = tab.points.points[:, 0].mean()
    tab.set_frame(0)
    assert tab.points.points[:, 0].mean() < centre_x  # follows the timeline (frame 0 is 0.2 m left)
    tab.background.setCurrentText("scene")
    assert (tab.depth > 0).sum() > len(tab.points.points)  # ground and wall have depth, not points
    tab.shutdown()


def test_pointcloud_view_orbits_with_the_mouse(qtbot):
    from app.ui.pointcloud_view import PointCloudView

    view = PointCloudView()
    qtbot.addWidget(view)
    view.resize(200, 200)
    view.show()
    rng = np.random.default_rng(0)
    view.set_points(rng.normal([0, 0.9, 0], 0.2, (500, 3)), rng.integers(0, 255, (500, 3)), recentre=True)
    first = view.render_image(200, 200).copy()
    yaw = view.orbit.yaw
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=QPoint(100, 100))
    qtbot.mouseMove(view, QPoint(150, 100))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=QPoint(150, 100))
    assert view.orbit.yaw != yaw
    assert not np.array_equal(view.render_image(200, 200), first)


def test_multiview_tab_grid_orbit_and_splats(qtbot):
    from app.engine.avatar.model import GaussianAvatar
    from app.ui.tab_multiview import TabMultiview

    src = _source()
    tab = TabMultiview(src)
    qtbot.addWidget(tab)
    tab.show()
    tab.views.setValue(4)
    tab.set_frame(1)
    assert tab.last_image.shape == (2 * 160, 2 * 160, 3) and tab.last_image.max() > 0
    tab.mode.setCurrentText("Orbit")
    assert tab.last_image.shape == (320, 320, 3)
    tab.mode.setCurrentText("Grid")
    avatar = GaussianAvatar.from_mesh(src.vertices[0], src.faces, np.full((8, 3), 0.8, np.float32), 300)
    tab.set_avatar(avatar, {"held_out_views_train_frames": {"psnr": 30.0}})
    assert tab.source_box.currentText() == "Splats" and "PSNR 30.0" in tab.status.text()
    assert tab.last_image.shape == (320, 320, 3) and tab.last_image.max() > 100
    tab.shutdown()
