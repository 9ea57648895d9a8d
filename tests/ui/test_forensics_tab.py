"""Forensics tab: analysis on the engine, stage-by-stage updates, playback sync, save, cancel."""
from __future__ import annotations

import time

import numpy as np
import pytest

from app.engine.forensics import synth


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    from app.viewers.video import write_video
    joints = np.zeros((20, 22, 3))
    joints[:, :, 1] = np.linspace(0, 1.7, 22)[None]
    frames, _ = synth.render_video(joints, synth.SceneSpec(width=160, height=120))
    path = tmp_path_factory.mktemp("fx") / "clip.mp4"
    write_video(frames, path, 20.0)
    return path


@pytest.fixture
def tab(qtbot, engine):
    from app.ui.bridge import EngineBridge
    from app.ui.forensics_tab import ForensicsTab
    bridge = EngineBridge(engine)
    w = ForensicsTab(bridge, use_colmap=False)
    w.quiet_errors = True
    qtbot.addWidget(w)
    return w


def test_inspect_updates_per_stage_plays_in_sync_and_saves(tab, qtbot, video, tmp_path):
    stages = []
    tab._relay.stage.connect(lambda s, name, rep: stages.append(name))
    job = tab.inspect(video)
    qtbot.waitUntil(lambda: job.state.finished and tab.save_button.isEnabled(), timeout=60000)
    assert stages[:3] == ["decode", "body", "pixel"] and "verdict" in stages
    assert tab.table.rowCount() == len(tab.report.cues) > 10
    assert "uncertain" in tab.verdict_label.text() or "likely" in tab.verdict_label.text()
    n = len(tab.report.frames)
    tab.timeline.frameChanged.emit(5)
    assert tab.frame == 5
    tab.set_frame(n + 3, wrap=True)
    assert tab.timeline.frame == tab.frame == 3
    out = tab.save_report(tmp_path / "r.html")
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert tab.save_report(tmp_path / "r.json").stat().st_size > 100


def test_bad_file_shows_a_message_and_cancel_is_quick(tab, qtbot, video, tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_text("nope")
    job = tab.inspect(bad)
    qtbot.waitUntil(lambda: job.state.finished, timeout=10000)
    assert "bad.mp4" in tab.status.text()
    job = tab.inspect(video)
    qtbot.waitUntil(lambda: job.state.value == "running", timeout=10000)
    t0 = time.monotonic()
    tab.cancel()
    assert job.wait(2.0)
    assert time.monotonic() - t0 < 1.0 and job.state.value in ("cancelled", "done")
