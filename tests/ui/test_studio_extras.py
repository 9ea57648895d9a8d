"""Recent files, first-start banner, saving, and the GL-free viewport's camera controls."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent

from app.engine.jobs import Progress
from app.ui import main_window as mw
from app.ui.app import parse_args
from app.ui.recent_files import RecentFiles, RecentFilesMenu
from app.ui.scene_render import painter_renderer_factory
from app.ui.studio_tasks import prepare_clip
from app.ui.viewport import Viewport
from ui_fakes import FakeBody, make_clip


def test_recent_files(qapp, settings, tmp_path):
    recent = RecentFiles(settings, limit=3)
    for name in ("a.bvh", "b.npz", "c.bvh", "a.bvh", "d.npz"):
        recent.add(tmp_path / name)
    assert [Path(p).name for p in recent.paths()] == ["d.npz", "a.bvh", "c.bvh"]
    recent.remove(tmp_path / "a.bvh")
    assert [Path(p).name for p in recent.paths()] == ["d.npz", "c.bvh"]
    opened = []
    menu = RecentFilesMenu(recent, opened.append)
    menu.actions()[0].trigger()
    assert opened == [str((tmp_path / "d.npz").resolve())]


def test_parse_args():
    args = parse_args(["walk.bvh", "--no-body"])
    assert args.path == "walk.bvh" and args.no_body


@pytest.fixture
def win(qtbot, engine, settings):
    w = mw.MainWindow(engine=engine, settings=settings, renderer_factory=painter_renderer_factory,
                      bodies={"anny": None})
    w.quiet_errors = True
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.close()


def test_first_start_shows_progress_banner(qtbot, win, monkeypatch):
    import app.engine.tasks.body_tasks as body_tasks

    body = FakeBody()

    def slow_prepare(name):
        for i in range(1, 4):
            yield Progress(i / 4, f"building model data {i}/3")
            import time
            time.sleep(0.15)
        return body

    monkeypatch.setattr(mw, "anny_prepared", lambda: False)
    monkeypatch.setattr(body_tasks, "load_body", slow_prepare)
    win.set_loaded(prepare_clip(make_clip(12)), autoplay=True)
    win.start_body("anny")
    assert win.viewport.banner.startswith("Preparing body model (one-time)")
    qtbot.waitUntil(lambda: (win.viewport.banner_fraction or 0) > 0.2, timeout=5000)
    row = win.jobs_panel.row(win._body_job)
    assert row is not None and row.progress.value() > 0
    qtbot.waitUntil(lambda: win.vertices is not None, timeout=5000)
    assert win.viewport.banner is None and win.body is body
    qtbot.waitUntil(lambda: win.timeline.playing, timeout=2000)  # then plays the clip


def test_save_as_npz_and_bvh(qtbot, win, tmp_path):
    from app.core.motion_io import load_motion

    win.set_loaded(prepare_clip(make_clip(15)))
    for name in ("out.npz", "out.bvh"):
        with qtbot.waitSignal(win.bridge.jobFinished, timeout=10000):
            win.files.save_path(tmp_path / name)
        assert (tmp_path / name).is_file()
        assert load_motion(tmp_path / name).num_frames == 15
    with qtbot.waitSignal(win.bridge.jobFinished, timeout=10000):
        win.files.save_path(tmp_path / "smpl.npz", "smpl")
    assert (tmp_path / "smpl.npz").is_file()
    assert win.files.last_error is None


def test_viewport_mouse_camera(qtbot):
    vp = Viewport(painter_renderer_factory)
    qtbot.addWidget(vp)
    vp.resize(400, 300)
    vp.show()
    qtbot.waitExposed(vp)
    lc = prepare_clip(make_clip(20))
    vp.set_motion(lc.joints, lc.clip.skeleton.parents, lc.contacts)
    qtbot.waitUntil(lambda: vp.image is not None, timeout=5000)
    yaw, target, dist = vp.orbit.yaw, vp.orbit.target, vp.orbit.distance
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=QPoint(100, 100))
    qtbot.mouseMove(vp, QPoint(160, 100))
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=QPoint(160, 100))
    assert vp.orbit.yaw != yaw and vp.orbit.target == target
    qtbot.mousePress(vp, Qt.MouseButton.MiddleButton, pos=QPoint(100, 100))
    qtbot.mouseMove(vp, QPoint(130, 120))
    qtbot.mouseRelease(vp, Qt.MouseButton.MiddleButton, pos=QPoint(130, 120))
    assert vp.orbit.target != target
    wheel = QWheelEvent(QPointF(50, 50), QPointF(vp.mapToGlobal(QPoint(50, 50))), QPoint(0, 0), QPoint(0, 120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    vp.wheelEvent(wheel)
    assert vp.orbit.distance < dist
    # follow camera tracks the pelvis over the ground (the clip walks along +X)
    vp.set_preset("follow")
    c0, c1 = vp.camera_for_frame(0), vp.camera_for_frame(19)
    assert c1.target[0] - c0.target[0] == pytest.approx(lc.joints[19, 0, 0] - lc.joints[0, 0, 0], abs=1e-6)
    n = vp.thread.frames_rendered
    vp.set_frame(5)
    qtbot.waitUntil(lambda: vp.thread.frames_rendered > n and vp.shown_frame == 5, timeout=5000)
    vp.shutdown()
    assert not vp.thread.is_alive()


def test_viewport_preview_frame_overrides_stale_mesh(qtbot):
    vp = Viewport(painter_renderer_factory)
    qtbot.addWidget(vp)
    lc = prepare_clip(make_clip(6))
    vp.set_motion(lc.joints, lc.clip.skeleton.parents, lc.contacts, reset_camera=False)
    body = FakeBody()
    mesh = body.pose(lc.clip, range(6))
    vp.set_mesh(mesh, body.faces)
    vp.set_frame(2)
    assert np.array_equal(vp.make_request().vertices, mesh[2])
    shaped = mesh[2] * 1.1
    vp.set_preview(2, shaped)
    assert vp.make_request().vertices is shaped
    vp.set_frame(3)
    assert np.array_equal(vp.make_request().vertices, mesh[3])
    vp.set_mesh(mesh, body.faces)
    assert vp.preview is None
    vp.shutdown()


def test_skin_task_uses_body_joints_for_overlays(qtbot):
    from app.engine.jobs import run_task
    from app.ui.studio_tasks import skin_task
    from ui_fakes import FakeJointBody

    clip = make_clip(70)  # more than one chunk
    res = run_task(skin_task, FakeJointBody(), clip, {"height": 0.5}, 3)
    assert res.vertices.shape == (70, 4, 3) and res.joints.shape == (70, 22, 3)
    assert res.contacts is not None and res.contacts.shape == (70, 4) and res.clip_serial == 3
    vp = Viewport(painter_renderer_factory)
    qtbot.addWidget(vp)
    lc = prepare_clip(clip)
    vp.set_motion(lc.joints, clip.skeleton.parents, lc.contacts, reset_camera=False)
    vp.set_frame(10)
    assert np.allclose(vp.make_request().joints, lc.joints[10])
    vp.set_mesh(res.vertices, res.faces, res.joints, res.contacts)
    assert np.allclose(vp.make_request().joints, res.joints[10])  # overlays follow the body
    vp.shutdown()
