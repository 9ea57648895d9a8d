"""FileActions works from the shared studio state, without a main window (napari-style model/Qt split)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QUrl
from PySide6.QtWidgets import QWidget

from app.ui.bridge import EngineBridge
from app.ui.file_actions import FileActions
from app.ui.recent_files import RecentFiles
from app.ui.studio_state import StudioState
from ui_fakes import make_clip


def _actions(qtbot, engine, settings):
    parent = QWidget()
    qtbot.addWidget(parent)
    state = StudioState(EngineBridge(engine, parent), settings, parent)
    videos: list[Path] = []
    files = FileActions(state, RecentFiles(settings), viewport=None, recognize=videos.append, parent=parent,
                        quiet=lambda: True)
    return state, files, videos


def test_open_shows_the_clip_through_the_state_and_remembers_the_file(qtbot, engine, settings, tmp_path):
    from app.core import motion_io
    state, files, _ = _actions(qtbot, engine, settings)
    path = tmp_path / "wave.npz"
    motion_io.save_motion(make_clip(24), path)
    shown, messages = [], []
    state.showClipRequested.connect(lambda loaded, autoplay: shown.append((loaded, autoplay)))
    state.messageRequested.connect(lambda text, ms: messages.append(text))
    files.open_path(path, autoplay=True)
    qtbot.waitUntil(lambda: bool(shown), timeout=10000)
    loaded, autoplay = shown[0]
    assert loaded.clip.num_frames == 24 and autoplay
    assert state.unsaved_clip is None  # a clip read from a file is not "unsaved"
    assert messages[0] == "Opening wave.npz…"
    assert files.recent.paths()[0] == str(path) and files.last_dir == str(tmp_path)


def test_errors_go_to_the_status_line_and_nothing_is_shown(qtbot, engine, settings, tmp_path):
    state, files, _ = _actions(qtbot, engine, settings)
    shown, messages = [], []
    state.showClipRequested.connect(lambda *a: shown.append(a))
    state.messageRequested.connect(lambda text, ms: messages.append(text))
    files.open_path(tmp_path / "missing.bvh")
    qtbot.waitUntil(lambda: files.last_error is not None, timeout=10000)
    assert not shown and files.error_box is None  # quiet: no message box
    assert messages[-1] == files.last_error and "missing.bvh" in files.last_error
    files.save_path(tmp_path / "out.npz")  # nothing shown: nothing to save
    assert files.last_error == "there is no motion to save"


def test_videos_go_to_the_recogniser_except_on_the_forensics_tab(qtbot, engine, settings):
    state, files, videos = _actions(qtbot, engine, settings)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile("/tmp/dance.mp4")])
    assert files.accepts_drop(mime) and files.drop(mime)
    assert videos == [Path("/tmp/dance.mp4")]
    state.set_tab("Forensics")  # there a dropped video is the forensics tab's to inspect
    assert not files.accepts_drop(mime) and not files.drop(mime)
