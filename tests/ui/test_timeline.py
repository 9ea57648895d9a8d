"""Timeline: scrubbing, keys, segments hit-testing and real-time playback."""
from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QPoint, Qt

from app.core.motion import Segment
from app.ui.timeline import Timeline


@pytest.fixture
def timeline(qtbot):
    tl = Timeline()
    qtbot.addWidget(tl)
    tl.resize(620, 100)
    tl.show()
    qtbot.waitExposed(tl)
    tl.set_clip(101, 25.0, [Segment(0.0, 1.0, "walk forward", "walk"), Segment(2.0, 3.0, "jump", "jump")])
    return tl


def test_scrub_click_and_drag(qtbot, timeline):
    strip = timeline.strip
    frames = []
    timeline.frameChanged.connect(frames.append)
    y = strip.height() // 2
    qtbot.mouseClick(strip, Qt.MouseButton.LeftButton, pos=QPoint(int(strip.x_for_frame(50)), y))
    assert timeline.frame == 50 and frames[-1] == 50
    qtbot.mousePress(strip, Qt.MouseButton.LeftButton, pos=QPoint(int(strip.x_for_frame(10)), y))
    qtbot.mouseMove(strip, QPoint(int(strip.x_for_frame(80)), y))
    qtbot.mouseRelease(strip, Qt.MouseButton.LeftButton, pos=QPoint(int(strip.x_for_frame(80)), y))
    assert timeline.frame == 80 and 10 in frames and frames[-1] == 80
    qtbot.mouseClick(strip, Qt.MouseButton.LeftButton, pos=QPoint(strip.width() + 50, y))
    assert timeline.frame == 100  # clamped


def test_keys_step_home_end(qtbot, timeline):
    timeline.set_frame(20)
    with qtbot.waitSignal(timeline.frameChanged) as sig:
        qtbot.keyClick(timeline, Qt.Key.Key_Right)
    assert sig.args == [21]
    qtbot.keyClick(timeline, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert timeline.frame == 31
    qtbot.keyClick(timeline, Qt.Key.Key_Left)
    assert timeline.frame == 30
    qtbot.keyClick(timeline, Qt.Key.Key_End)
    assert timeline.frame == 100
    qtbot.keyClick(timeline, Qt.Key.Key_Home)
    assert timeline.frame == 0
    assert "frame 1/101" in timeline.readout.text()
    qtbot.keyClick(timeline, Qt.Key.Key_L)
    assert not timeline.loop


def test_segments_hit_testing(timeline):
    strip = timeline.strip
    y = strip.height() - 10
    assert strip.segment_at(strip.x_for_time(0.5), y).text == "walk forward"
    assert strip.segment_at(strip.x_for_time(2.5), y).label == "jump"
    assert strip.segment_at(strip.x_for_time(1.5), y) is None
    assert strip.segment_at(strip.x_for_time(0.5), 2) is None  # the ruler is not a band
    assert strip.segment_index_at_time(2.1) == 1
    img = strip.grab().toImage()  # paints without errors; the band has the first segment colour
    c = img.pixelColor(int(strip.x_for_time(0.2)), y)
    assert c.blue() > c.red()


def test_play_follows_real_time_and_space_toggles(qtbot, timeline):
    timeline.set_loop(False)
    timeline.set_speed(2.0)
    assert timeline.speed == 2.0
    with qtbot.waitSignal(timeline.playingChanged):
        qtbot.keyClick(timeline, Qt.Key.Key_Space)
    t0 = time.monotonic()
    qtbot.wait(400)
    elapsed = time.monotonic() - t0
    frame = timeline.frame
    assert timeline.playing
    # 50 frames per second of wall time (a late timer tick may lag, it never runs ahead)
    assert (elapsed - 0.2) * 50 - 2 <= frame <= elapsed * 50 + 2
    qtbot.keyClick(timeline, Qt.Key.Key_Space)
    assert not timeline.playing
    timeline.set_speed(1.0)
    timeline.set_frame(95)
    timeline.play()
    qtbot.waitUntil(lambda: not timeline.playing, timeout=2000)  # stops at the end without loop
    assert timeline.frame == 100


def test_loop_wraps(qtbot, timeline):
    timeline.set_loop(True)
    timeline.set_frame(98)
    seen = []
    timeline.frameChanged.connect(seen.append)
    timeline.play()
    qtbot.waitUntil(lambda: any(f < 10 for f in seen), timeout=2000)
    assert timeline.playing
    timeline.pause()
