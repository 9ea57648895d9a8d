"""The 2.5D and Multi-view tabs and the point-cloud view (pytest-qt, offscreen; need offscreen GL)."""
from __future__ import annotations

import time
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


def _timed(call) -> float:
    t0 = time.perf_counter()
    call()
    return time.perf_counter() - t0


def test_2p5d_tab_renders_rgb_depth_parallax_and_points(qtbot):
    from app.ui.tab_2p5d import Tab2p5d

    tab = Tab2p5d(_source())
    qtbot.addWidget(tab)
    tab.resize(800, 700)
    tab.show()
    qtbot.waitUntil(lambda: tab.shown_frame == 0, timeout=10000)  # the first render may create the GL context
    assert _timed(lambda: tab.set_frame(2)) < 0.02  # the GUI thread only queues the frame
    qtbot.waitUntil(lambda: tab.shown_frame == 2, timeout=5000)
    assert tab.rgb is not None and (tab.depth > 0).any()
    assert tab.rgb_label.pixmap().width() == 256 and tab.depth_label.pixmap().width() == 256
    assert len(tab.points.points) == int((tab.depth > 0).sum())
    qtbot.waitUntil(lambda: tab.parallax_phase is not None, timeout=5000)
    phase = tab.parallax_phase
    tab._wobble_step()
    qtbot.waitUntil(lambda: tab.parallax_phase != phase, timeout=5000)  # the wobble animates
    assert tab.parallax_label.pixmap().width() == 256
    centre_x = tab.points.points[:, 0].mean()
    tab.set_frame(0)
    qtbot.waitUntil(lambda: tab.shown_frame == 0, timeout=5000)
    assert tab.points.points[:, 0].mean() < centre_x  # follows the timeline (frame 0 is 0.2 m left)
    n_points = len(tab.points.points)
    tab.background.setCurrentText("scene")
    qtbot.waitUntil(lambda: (tab.depth > 0).sum() > 2 * n_points, timeout=5000)  # ground and wall have depth
    assert abs(len(tab.points.points) - n_points) < 0.05 * n_points  # ... but are not points of the person
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
    qtbot.waitUntil(lambda: view.image is not None and view._worker.idle(), timeout=5000)  # painted off-thread
    assert (view.image.width(), view.image.height()) == (200, 200)
    view.shutdown()


def test_multiview_tab_grid_orbit_and_splats_off_the_gui_thread(qtbot):
    from app.engine.avatar.model import GaussianAvatar
    from app.ui.tab_multiview import TabMultiview

    src = _source()
    tab = TabMultiview(src)
    qtbot.addWidget(tab)
    tab.resize(900, 420)
    tab.show()
    tab.views.setValue(4)
    qtbot.waitUntil(lambda: tab.last_image is not None, timeout=10000)
    assert _timed(lambda: tab.set_frame(1)) < 0.02  # request only: the views render on the worker
    qtbot.waitUntil(lambda: tab._worker.idle() and tab.shown_frame == 1, timeout=5000)
    area_w, area_h = tab.image.width(), tab.image.height()
    h, w = tab.last_image.shape[:2]
    assert w > h and h <= area_h and w <= area_w  # a wide area gets a wide grid (1 x 4), inside the label
    assert w // 4 == h and h % 16 == 0 and (w > 0.6 * area_w or h > 0.6 * area_h) and tab.last_image.max() > 0
    tab.resize(500, 700)  # a tall area: the cells follow the new size
    qtbot.waitUntil(lambda: tab._worker.idle() and tab.last_image.shape[0] >= tab.last_image.shape[1], timeout=5000)
    tab.resize(700, 420)
    tab.mode.setCurrentText("Orbit")
    qtbot.waitUntil(lambda: tab._worker.idle() and tab.last_image.shape[0] == tab.last_image.shape[1]
                    and tab.last_image.shape[0] > 200, timeout=5000)
    tab.resize(900, 420)
    tab.mode.setCurrentText("Grid")
    avatar = GaussianAvatar.from_mesh(src.vertices[0], src.faces, np.full((8, 3), 0.8, np.float32), 3000)
    tab.set_avatar(avatar, {"held_out_views_train_frames": {"psnr": 30.0}})
    assert tab.source_box.currentText() == "Splats" and "PSNR 30.0" in tab.status.text()
    for frame in (2, 3, 0, 1):  # scrubbing while the splats render never blocks; only the newest is drawn
        assert _timed(lambda: tab.set_frame(frame)) < 0.02
    grid = lambda: tab.last_image.shape[1] == 4 * tab.last_image.shape[0]  # noqa: E731 - the 1 x 4 grid again
    qtbot.waitUntil(lambda: tab._worker.idle() and tab.shown_frame == 1 and grid(), timeout=10000)
    assert tab.last_image.max() > 100
    tab.shutdown()


def test_fit_grid_uses_the_area():
    from app.engine.tasks.multiview import fit_grid, tile_views

    assert fit_grid(8, 1000, 600) == (2, 4, 250)  # wide: 2 x 4 beats 3 x 3 (200 px)
    assert fit_grid(8, 600, 1000) == (4, 2, 250)
    assert fit_grid(1, 300, 200) == (1, 1, 200)
    tiles = tile_views([np.full((10, 10, 3), i, np.uint8) for i in range(5)], cols=4)
    assert tiles.shape == (20, 40, 3) and tiles[15, 5, 0] == 4 and tiles[15, 15].max() == 0
