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
    stages, labels = [], []
    tab._relay.stage.connect(lambda s, name, rep: stages.append(name))
    tab._relay.stage.connect(lambda s, name, rep: labels.append((name, tab.verdict_label.text(),
                                                                 tab.verdict_label.styleSheet())))
    job = tab.inspect(video)
    qtbot.waitUntil(lambda: job.state.finished and tab.save_button.isEnabled(), timeout=60000)
    assert stages[:4] == ["decode", "body", "appearance", "pixel"] and "verdict" in stages
    partial = [(t, css) for name, t, css in labels[1:] if name not in ("verdict",)]
    assert partial and all(t == "analysing…" and "color" not in css for t, css in partial)
    assert tab.table.rowCount() == len(tab.report.cues) > 10
    # a noise-free capsule render is not camera footage: never "likely real" (the calibrated model now reads
    # its missing sensor noise as generated; before the noise cues it said "uncertain": no person found)
    assert tab.verdict_label.text().split(" — ")[0] in ("uncertain", "likely generated")
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
    assert time.monotonic() - t0 < 1.0 and job.state.value == "cancelled"


def test_partial_report_says_analysing_without_verdict_colour(tab):
    from app.engine.forensics.pipeline import ForensicReport
    from app.engine.forensics.scoring import Verdict
    from app.engine.forensics.video_io import VideoInfo

    rep = ForensicReport(video=VideoInfo("x.mp4", "x.mp4", 1, 64, 64, 25.0, 10, 0.4),
                         verdict=Verdict(1.0, "likely real", 0.9, 0.3), stages_done=["decode", "body"])
    tab._fill(rep)
    assert tab.verdict_label.text() == "analysing…"
    assert "color" not in tab.verdict_label.styleSheet()
    assert "decode, body" in tab.reasons.text()
    rep.complete = True
    tab._fill(rep)
    assert tab.verdict_label.text().startswith("likely real") and "color" in tab.verdict_label.styleSheet()


def test_large_video_and_long_status_do_not_widen_the_tab(tab, qtbot):
    from app.ui.forensics_widgets import to_qimage

    tab.resize(900, 600)
    tab.show()
    qtbot.waitExposed(tab)
    before = tab.sizeHint().width()
    tab.view.set_image(to_qimage(np.zeros((1080, 1920, 3), np.uint8)))
    tab.status.setText("too few frames with a person (8) for motion dynamics; " * 6)
    tab.verdict_label.setText("likely generated — " + "x" * 300)
    qtbot.wait(50)
    assert tab.sizeHint().width() <= before + 10
    assert tab.minimumSizeHint().width() < 900
    assert tab.status.toolTip().startswith("too few frames")


def test_empty_timeline_follows_the_dark_theme(qtbot):
    from PySide6.QtGui import QColor, QPalette
    from app.ui.forensics_widgets import SuspicionTimeline

    t = SuspicionTimeline()
    pal = t.palette()
    pal.setColor(QPalette.ColorRole.Base, QColor(30, 30, 30))
    t.setPalette(pal)
    t.resize(200, 60)
    img = t.grab().toImage()
    assert QColor(img.pixel(100, 40)).lightness() < 80


def test_save_report_failure_is_shown_not_swallowed(tab, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog, QMessageBox
    from app.engine.forensics.pipeline import ForensicReport
    from app.engine.forensics.scoring import Verdict
    from app.engine.forensics.video_io import VideoInfo

    tab.report = ForensicReport(video=VideoInfo("a$_$b.mp4", "a$_$b.mp4", 1, 64, 64, 25.0, 10, 0.4),
                                verdict=Verdict(0.5, "uncertain", 0.0, 0.5), complete=True)
    target = tmp_path / "no such folder" / "r.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    boxes = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: boxes.append(a[2]))
    tab.quiet_errors = False
    tab._save_dialog()
    assert tab.status.text().startswith("Report not saved: r.pdf: cannot write")
    assert len(boxes) == 1 and "r.pdf" in boxes[0]
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "a$_$b.pdf"), ""))
    tab._save_dialog()
    assert (tmp_path / "a$_$b.pdf").read_bytes()[:4] == b"%PDF" and tab.status.text() == "Report saved: a$_$b.pdf"
    assert len(boxes) == 1


def test_drift_frames_are_marked_on_the_timeline_and_the_button_jumps_to_them(tab, qtbot, tmp_path):
    from app.engine.forensics.pipeline import ForensicReport
    from app.engine.forensics.scoring import Verdict
    from app.engine.forensics.video_io import VideoInfo

    n = 30
    drift = np.zeros(n, bool)
    drift[[7, 21]] = True
    why = ["texture boil" if d else "" for d in drift]
    rep = ForensicReport(video=VideoInfo("x.mp4", "x.mp4", 1, 64, 48, 25.0, n, 1.2),
                         verdict=Verdict(0.4, "uncertain", 0.2, 0.5, timeline=np.full(n, 0.2)),
                         frames=np.zeros((n, 48, 64, 3), np.uint8), complete=True, drift=drift, drift_why=why)
    tab.report = rep
    tab._fill(rep)
    assert tab.drift_button.isEnabled() and "(2)" in tab.drift_button.text()
    assert tab.timeline.marks.sum() == 2
    tab.drift_button.click()
    assert tab.frame == 7 and tab.timeline.frame == 7 and "texture boil" in tab.drift_label.full_text()
    tab.drift_button.click()
    assert tab.frame == 21
    tab.timeline.resize(300, 60)
    img = tab.timeline.grab().toImage()
    from PySide6.QtGui import QColor
    c = QColor(img.pixel(int((7 + 0.5) * img.width() / n), 3))
    assert c.red() > 200 and c.blue() < 80            # the orange drift tick above frame 7
    rep.drift = np.zeros(n, bool)
    tab._fill(rep)
    assert not tab.drift_button.isEnabled()
