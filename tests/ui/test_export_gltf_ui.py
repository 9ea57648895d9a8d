"""Studio: File > Export > glTF writes the shown clip (skeleton only when no body with skin weights)."""
from __future__ import annotations

import json

from app.ui.studio_tasks import prepare_clip

from ui_fakes import FakeBody, make_clip, make_window


def test_export_gltf_action_and_skeleton_only_note(qtbot, engine, settings, tmp_path):
    win = make_window(qtbot, engine, settings)
    try:
        export_menu = next(a.menu() for a in win.menuBar().actions()[0].menu().actions()
                           if a.menu() is not None and "Export" in a.text())
        assert win.actions_.export_gltf in export_menu.actions()
        win.set_loaded(prepare_clip(make_clip(24)))
        win.body = FakeBody()  # no skin weights: the file is skeleton-only and the status bar says so
        job = win.files.export_gltf(tmp_path / "wave.gltf")
        qtbot.waitUntil(lambda: job.state.finished, timeout=10000)
        qtbot.waitUntil(lambda: "Exported wave.gltf" in win.statusBar().currentMessage(), timeout=5000)
        assert "skeleton only" in win.statusBar().currentMessage()
        doc = json.loads((tmp_path / "wave.gltf").read_text())
        assert len(doc["nodes"]) == 22 and "meshes" not in doc
        assert len(doc["animations"][0]["channels"]) == 23
    finally:
        win.close()


def test_export_dialogs_complete_the_suffix(qtbot, engine, settings, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    win = make_window(qtbot, engine, settings)
    try:
        win.set_loaded(prepare_clip(make_clip(12)))
        asked, written = [], []
        answers = iter([(str(tmp_path / "a"), "glTF with embedded buffer (*.gltf)"),
                        (str(tmp_path / "b.GLB"), "glTF with embedded buffer (*.gltf)"),
                        (str(tmp_path / "c"), "Animated GIF (*.gif)"), ("", "")])
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a: asked.append(a[2]) or next(answers))
        monkeypatch.setattr(win.files, "export_gltf", written.append)
        monkeypatch.setattr(win.files, "export_video", written.append)
        win.files.export_gltf_dialog()
        win.files.export_gltf_dialog()
        win.files.export_video_dialog()
        win.files.export_video_dialog()  # cancelled: nothing written
        assert [str(p) for p in written] == [str(tmp_path / "a.gltf"), str(tmp_path / "b.GLB"), str(tmp_path / "c.gif")]
        assert asked[0].endswith(".glb") and asked[2].endswith(".mp4")  # the default suggestion per dialog
    finally:
        win.close()
