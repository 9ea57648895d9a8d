"""The studio window with a GL-free viewport: open, errors, drag-and-drop, shortcuts, re-skinning."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent


from ui_fakes import FakeBody, make_clip, make_window


@pytest.fixture
def win(qtbot, engine, settings):
    w = make_window(qtbot, engine, settings)
    yield w
    w.close()


def _write_clip(path: Path, frames: int = 30) -> Path:
    from app.core import motion_io
    motion_io.save_motion(make_clip(frames), path)
    return path


def _mime(*names: str) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(f"/tmp/{n}") for n in names])
    return mime


def test_open_file_then_bad_file_keeps_clip(qtbot, win, tmp_path):
    good = _write_clip(tmp_path / "wave.npz", 30)
    with qtbot.waitSignal(win.bridge.jobFinished, timeout=10000):
        win.files.open_path(good)
    qtbot.waitUntil(lambda: win.clip is not None, timeout=5000)
    assert win.clip.num_frames == 30 and win.timeline.num_frames == 30
    assert len(win.timeline.strip.segments) == 2
    assert win.recent.paths()[0] == str(good.resolve())
    bad = tmp_path / "broken.npz"
    bad.write_text("not a zip")
    kept = win.clip
    with qtbot.waitSignal(win.bridge.jobFinished, timeout=10000):
        win.files.open_path(bad)
    qtbot.waitUntil(lambda: win.files.last_error is not None, timeout=5000)
    assert win.clip is kept
    assert "broken.npz" in win.files.last_error and "\n" not in win.files.last_error
    assert "Traceback" not in win.statusBar().currentMessage()
    assert win.statusBar().currentMessage() == win.files.last_error


def test_error_box_is_non_modal(qtbot, win, tmp_path):
    win.quiet_errors = False
    with qtbot.waitSignal(win.bridge.jobFinished, timeout=10000):
        win.files.open_path(tmp_path / "missing.bvh")
    qtbot.waitUntil(lambda: win.files.error_box is not None, timeout=5000)
    box = win.files.error_box
    assert box.isVisible() and not box.isModal()
    assert box.text() == "missing.bvh: file not found"
    box.close()


def test_drag_and_drop_filter(win):
    assert win.files.accepts_drop(_mime("a.bvh"))
    assert win.files.accepts_drop(_mime("b.NPZ"))
    assert not win.files.accepts_drop(_mime("c.txt"))
    assert win.files.accepts_drop(_mime("c.txt", "d.mp4"))  # a video: its body is tracked and its actions recognised
    assert not win.files.accepts_drop(QMimeData())
    for mime, accepted in ((_mime("walk.bvh"), True), (_mime("notes.txt"), False)):
        ev = QDragEnterEvent(QPoint(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                             Qt.KeyboardModifier.NoModifier)
        ev.setAccepted(False)
        win.dragEnterEvent(ev)
        assert ev.isAccepted() == accepted


def test_default_clip_loads_and_plays(qtbot, win):
    win.start(prepare_body=False)
    qtbot.waitUntil(lambda: win.clip is not None, timeout=10000)
    qtbot.waitUntil(lambda: win.timeline.playing, timeout=3000)
    qtbot.waitUntil(lambda: win.viewport.image is not None, timeout=5000)
    assert win.viewport.image.width() > 100


def test_shortcuts(qtbot, win):
    win.set_loaded(__import__("app.ui.studio_tasks", fromlist=["x"]).prepare_clip(make_clip(60)))
    win.activateWindow()
    win.timeline.setFocus()
    a = win.actions_
    assert a.skeleton.shortcut().toString() == "K" and a.export_video.shortcut().toString() == "Ctrl+E"
    a.skeleton.trigger()
    assert win.viewport.flags["skeleton"] and win.body_panel.checkboxes["skeleton"].isChecked()
    a.grid.trigger()
    assert not win.viewport.flags["grid"]
    a.cameras["side"].trigger()
    assert win.viewport.preset_name == "side" and abs(win.viewport.orbit.yaw - 90) < 1e-6
    a.step_forward_10.trigger()
    assert win.timeline.frame == 10
    a.end.trigger()
    assert win.timeline.frame == 59
    a.loop.trigger()
    assert not win.timeline.loop
    a.play.trigger()
    assert win.timeline.playing


def test_phenotype_change_reskins_in_background(qtbot, win):
    from app.ui.studio_tasks import prepare_clip

    win.set_loaded(prepare_clip(make_clip(20)))
    body = FakeBody()
    win._body_ready(body)
    qtbot.waitUntil(lambda: win.vertices is not None, timeout=5000)
    first = win.vertices.copy()
    assert first.shape == (20, 4, 3) and win.viewport.vertices is win.vertices
    win.body_panel.sliders["height"].setValue(100)  # debounced: nothing yet
    assert win.vertices is not None and np.allclose(win.vertices, first)
    qtbot.waitUntil(lambda: not np.allclose(win.vertices, first), timeout=5000)
    assert body.phenotype["height"] == 1.0
    assert win.job_states()["Shape preview"].value == "done"  # the shown frame was re-shaped first
    assert np.allclose(win.vertices, first / 1.0 * 1.5, atol=1e-5)


def test_smpl_listed_disabled_with_reason(win):
    panel = win.body_panel
    assert panel.is_available("anny") and not panel.is_available("smpl")
    i = panel.model_box.findData("smpl")
    assert "not installed" in panel.model_box.itemData(i, Qt.ItemDataRole.ToolTipRole)
    assert panel.current_body() == "anny"


def test_no_tab_squeezes_the_docks_on_a_1600_px_screen(qtbot, win):
    """Every tab fits beside the two docks at 1600 px: a tab whose minimum width passed ~1,000 px (the
    2.5D tab's IDOL controls in one row: 1,172 px) squeezed the Jobs dock to 100 px on first start."""
    from PySide6.QtWidgets import QTabWidget
    tabs = win.findChildren(QTabWidget)[0]
    widths = {tabs.tabText(i): tabs.widget(i).minimumSizeHint().width() for i in range(tabs.count())}
    assert max(widths.values()) <= 900, widths
    assert win.centralWidget().minimumSizeHint().width() <= 1000
