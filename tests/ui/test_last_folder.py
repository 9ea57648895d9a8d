"""File dialogs start in the user's last-used folder (kept in QSettings), else Documents or home,
never in the application's own assets folder."""
from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog

from ui_fakes import make_clip, make_window


@pytest.fixture
def win(qtbot, engine, settings):
    w = make_window(qtbot, engine, settings)
    yield w
    w.close()


def _capture_dialogs(monkeypatch, answer: str = "") -> list[str]:
    starts: list[str] = []

    def fake(parent, title, start, filters, *rest):
        starts.append(start)
        return answer, filters.split(";;")[0]

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(fake))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(fake))
    return starts


def test_default_clip_does_not_set_the_dialog_folder(qtbot, win, monkeypatch):
    from app.ui.main_window import DEFAULT_CLIP
    from app.ui.recent_files import default_folder

    win.open_default_clip()
    qtbot.waitUntil(lambda: win.clip is not None, timeout=10000)
    starts = _capture_dialogs(monkeypatch)
    win.files.save_as_dialog()
    win.files.export_video_dialog()
    win.files.open_dialog()
    assert len(starts) == 3
    assert all(Path(s).parent == Path(default_folder()) or s == default_folder() for s in starts), starts
    assert all(str(DEFAULT_CLIP.parent) not in s for s in starts)
    assert win.recent.paths() == []  # the built-in clip is not a "recent file" either


def test_last_folder_persists_in_settings(qtbot, win, engine, settings, tmp_path, monkeypatch):
    from app.core.motion_io import save_motion

    folder = tmp_path / "my motions"
    folder.mkdir()
    save_motion(make_clip(20), folder / "walk.npz")
    win.files.open_path(folder / "walk.npz")
    qtbot.waitUntil(lambda: win.clip is not None, timeout=10000)
    starts = _capture_dialogs(monkeypatch, answer=str(tmp_path / "out" / "x.mp4"))
    win.files.save_as_dialog()
    assert Path(starts[-1]).parent == folder
    (tmp_path / "out").mkdir()
    win.files._ask_export_path("Export video", {"MP4 video (*.mp4)": ".mp4"})  # the user picks out/
    assert win.files.last_dir == str((tmp_path / "out").resolve())
    settings.sync()
    again = make_window(qtbot, engine, settings)  # a later session
    try:
        assert again.files.last_dir == str((tmp_path / "out").resolve())
    finally:
        again.close()


def test_vanished_folder_falls_back_to_documents_or_home(settings, tmp_path):
    from app.ui.recent_files import LastFolder, default_folder

    gone = tmp_path / "gone"
    gone.mkdir()
    folder = LastFolder(settings)
    folder.set(gone)
    assert folder.get() == str(gone.resolve())
    gone.rmdir()
    assert folder.get() == default_folder() and Path(default_folder()).is_dir()
