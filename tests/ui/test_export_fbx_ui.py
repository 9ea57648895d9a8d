"""Studio: File > Export > FBX runs Blender on the engine (off the GUI thread); without bpy it says how to enable it."""
from __future__ import annotations

import importlib.util

import pytest

from app.engine.export import fbx as fbx_mod
from app.ui.studio_tasks import prepare_clip

from ui_fakes import FakeBody, make_clip, make_window


def _export_menu(win):
    return next(a.menu() for a in win.menuBar().actions()[0].menu().actions()
                if a.menu() is not None and "Export" in a.text())


@pytest.mark.skipif(importlib.util.find_spec("bpy") is None, reason="bpy (Blender as a module) is not installed")
def test_export_fbx_action_writes_the_file_off_the_gui_thread(qtbot, engine, settings, tmp_path):
    win = make_window(qtbot, engine, settings)
    try:
        assert win.actions_.export_fbx in _export_menu(win).actions()
        assert win.actions_.export_fbx.text().startswith("&FBX with body")
        win.set_loaded(prepare_clip(make_clip(12)))
        win.body = FakeBody()  # no skin weights: skeleton only, and the status bar says so
        job = win.files.export_fbx(tmp_path / "wave.fbx")
        assert not job.state.finished  # queued on the engine thread; the window stays responsive
        qtbot.waitUntil(lambda: job.state.finished, timeout=300000)
        assert job.error is None
        qtbot.waitUntil(lambda: "Exported wave.fbx" in win.statusBar().currentMessage(), timeout=5000)
        assert "skeleton only" in win.statusBar().currentMessage()
        assert (tmp_path / "wave.fbx").read_bytes()[:18] == b"Kaydara FBX Binary"
    finally:
        win.close()


def test_fbx_menu_entry_says_how_to_enable_it_without_bpy(qtbot, engine, settings, monkeypatch, tmp_path):
    from PySide6.QtWidgets import QFileDialog

    monkeypatch.setattr(fbx_mod, "bpy_available", lambda: False)
    asked = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a: asked.append(a) or (str(tmp_path / "x.fbx"), ""))
    win = make_window(qtbot, engine, settings)
    try:
        action = win.actions_.export_fbx
        assert "pip install bpy==4.2.0" in action.text() and "pip install bpy==4.2.0" in action.toolTip()
        win.set_loaded(prepare_clip(make_clip(12)))
        action.trigger()
        assert not asked and "pip install bpy==4.2.0" in win.files.last_error
        assert not (tmp_path / "x.fbx").exists()
    finally:
        win.close()
