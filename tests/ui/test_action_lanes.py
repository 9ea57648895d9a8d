"""Action lanes in the studio: generated motion is labelled (asked vs seen, disagreement marked),
auto-labelling can be turned off, Motion > Recognise actions labels an opened file, a dropped /
opened video shows the tracked body with its actions (stub tracker), and the lanes paint.

A stub recogniser (what it sees is set by the test) and the tiny random-weight ATOM pipeline."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QUrl
from PySide6.QtGui import QColor

from app.core.motion import MotionClip
from app.core.motion_io import save_motion
from app.engine.recognition.pipeline import RecognitionResult
from app.ui.recognition_lane import STATUS_COLORS
from ui_fakes import generate_in_panel, make_clip


class StubRecognizer:
    labels = ["walk", "jump", "wave", "raise_arms"]
    cfg = SimpleNamespace(unknown_threshold=0.5)

    def __init__(self, plan) -> None:
        self.plan = plan  # [(start fraction, end fraction, label)]
        self.calls = 0

    def recognize(self, clip: MotionClip) -> RecognitionResult:
        self.calls += 1
        d = clip.duration
        acts = [{"label": lab, "start_s": a * d, "end_s": b * d, "confidence": 0.8} for a, b, lab in self.plan]
        return RecognitionResult([{"label": "walk", "probability": 0.9}], 0.1, acts, model="stub", duration_s=d)


@pytest.fixture
def win(t2m_window):
    t2m_window.recognition.pipeline = StubRecognizer([(0, 0.5, "walk"), (0.5, 0.75, "wave"), (0.75, 1, "unknown")])
    return t2m_window


def _pixel(lane, row: int, t: float) -> QColor:
    img = lane.grab().toImage()
    r = lane.row_rect(row)
    return QColor(img.pixel(int(lane.x_for_time(t)) + 2, int(r.center().y())))


def _close(c: QColor, hex_color: str, tol: int = 80) -> bool:
    ref = QColor(hex_color)
    return abs(c.red() - ref.red()) + abs(c.green() - ref.green()) + abs(c.blue() - ref.blue()) < tol


def test_generation_is_labelled_and_disagreement_marked(qtbot, win):
    generate_in_panel(qtbot, win.prompt_panel, "a person walks forward then jumps", 4.0, 1, seed=1)
    qtbot.waitUntil(lambda: win.state.lanes is not None, timeout=30000)
    lanes = win.state.lanes
    assert [(s.label, s.status) for s in lanes.asked] == [("walk", "agree"), ("jump", "disagree")]
    assert [(s.label, s.status) for s in lanes.seen] == [("walk", "agree"), ("wave", "disagree"),
                                                         ("unknown", "unknown")]
    lane = win.action_lane
    assert lane.isVisible() and lane.num_frames == win.clip.num_frames
    assert _close(_pixel(lane, 1, 0.5), STATUS_COLORS["agree"])
    assert _close(_pixel(lane, 1, 3.5), STATUS_COLORS["unknown"], 140)
    hatch = {_pixel(lane, 1, 2.2 + 0.05 * k).rgb() for k in range(8)}  # red with a hatch: several shades
    assert len(hatch) > 1 and all(QColor(c).red() > QColor(c).green() for c in hatch)
    assert "wave" in lane.describe("seen", lanes.seen[1]) and "jump" in lane.describe("seen", lanes.seen[1])
    assert "recogniser agrees on 1 of 2" in win.statusBar().currentMessage()
    # going back to the same sample shows its lanes again without recognising it again
    calls = win.recognition.pipeline.calls
    win.state.set_lanes(None)
    win.prompt_panel.show_history(0)
    assert win.state.lanes is lanes or win.recognition.lanes_for(win.clip) is lanes
    assert win.recognition.pipeline.calls == calls


def test_auto_label_off_and_the_menu_action(qtbot, win, tmp_path):
    win.actions_.auto_label.setChecked(False)
    assert win.state.auto_label is False and win.state.settings.value("recognition/auto_label", type=bool) is False
    generate_in_panel(qtbot, win.prompt_panel, "walk forward; then wave", 4.0, 1, seed=2)
    qtbot.wait(200)
    assert win.state.lanes is None and win.recognition.job is None
    # a motion file: its segments are the asked lane, labelled on request (Motion > Recognise actions)
    path = tmp_path / "wave.npz"
    save_motion(make_clip(80, 20.0), path)
    win.files.open_path(path)
    qtbot.waitUntil(lambda: win.clip is not None and win.clip.name == "wave", timeout=10000)
    assert win.state.lanes is None
    win.actions_.recognize.trigger()
    qtbot.waitUntil(lambda: win.state.lanes is not None, timeout=10000)
    assert [s.label for s in win.state.lanes.asked] == ["raise_arms", "wave"]
    assert [s.status for s in win.state.lanes.asked] == ["disagree", "agree"]  # stub: walk, then wave (tie: first)
    assert win.actions_.recognize.shortcut().toString() == "Ctrl+R"


def _stub_tracker(path):
    yield 0.5
    clip = make_clip(60, 20.0)
    clip.segments = []
    clip.name = ""
    return clip


def test_video_shows_the_tracked_body_with_its_actions(qtbot, win, tmp_path):
    win.recognition.tracker = _stub_tracker
    video = tmp_path / "dancer.mp4"
    video.write_bytes(b"stub")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(video))])
    assert win.files.accepts_drop(mime)
    before = win.state.unsaved_clip
    assert win.files.drop(mime)
    qtbot.waitUntil(lambda: win.clip is not None and win.clip.name == "dancer", timeout=15000)
    lanes = win.state.lanes
    assert lanes is not None and lanes.asked == [] and [s.label for s in lanes.seen] == ["walk", "wave", "unknown"]
    assert {s.status for s in lanes.seen} == {"none", "unknown"}
    assert not win.action_lane.grab().isNull()  # an empty asked row paints its note
    assert win.state.unsaved_clip is before  # a tracked body is not unsaved work
    assert win.viewport.joints is not None and len(win.viewport.joints) == 60
    assert np.isclose(np.percentile(win.clip.joints()[..., 1].min(axis=1), 10), 0.0, atol=1e-4)
    # on the Forensics tab a dropped video belongs to the tab, not to the studio
    win.state.set_tab("Forensics")
    assert not win.files.accepts_drop(mime)


def test_failure_is_one_line_in_the_lane(qtbot, win, tmp_path):
    win.recognition.recognize_video(tmp_path / "missing.mp4")
    qtbot.waitUntil(lambda: win.recognition.last_error is not None, timeout=10000)
    assert "no such file" in win.state.lanes_status and "\n" not in win.state.lanes_status
