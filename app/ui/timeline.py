"""Timeline: a painted ruler/segments strip with scrubbing, plus playback controls.

Playback follows real elapsed time (QTimer ticks read a monotonic clock), so a
slow viewport drops frames instead of slowing the motion down.
"""
from __future__ import annotations

import time
from typing import Sequence

from PySide6.QtCore import QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (QCheckBox, QComboBox, QHBoxLayout, QLabel, QSizePolicy, QStyle, QToolButton,
                               QVBoxLayout, QWidget)

from app.core.motion import Segment

SEGMENT_COLORS = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7")
SPEEDS = (0.25, 0.5, 1.0, 1.5, 2.0)
MARGIN = 10
SP = QStyle.StandardPixmap
RULER_H = 22


class TimelineStrip(QWidget):
    """The painted part: time ruler, segment bands and the current-frame marker."""

    frameChanged = Signal(int)
    scrubStarted = Signal()
    scrubFinished = Signal()
    selectionChanged = Signal(int, int)  # frames [start, end) of the shift+drag range; (-1, -1) = none

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.num_frames = 1
        self.fps = 30.0
        self.frame = 0
        self.segments: list[Segment] = []
        self._scrubbing = False
        self.selection: tuple[int, int] | None = None  # frames [start, end), set by shift+drag
        self._select_anchor: int | None = None
        self.setMinimumHeight(56)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setMouseTracking(True)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(600, 60)

    # --- geometry -------------------------------------------------------
    def _span(self) -> tuple[float, float]:
        return float(MARGIN), float(max(MARGIN + 1, self.width() - MARGIN))

    def x_for_frame(self, frame: float) -> float:
        x0, x1 = self._span()
        return x0 + (x1 - x0) * frame / max(1, self.num_frames - 1)

    def x_for_time(self, t: float) -> float:
        return self.x_for_frame(t * self.fps)

    def frame_at_x(self, x: float) -> int:
        x0, x1 = self._span()
        f = round((x - x0) / (x1 - x0) * max(1, self.num_frames - 1))
        return int(min(max(f, 0), self.num_frames - 1))

    def segment_index_at_time(self, t: float) -> int | None:
        """Index of the segment covering time `t` (seconds), or None."""
        for i, seg in enumerate(self.segments):
            if seg.contains(t):
                return i
        return None

    def segment_at(self, x: float, y: float) -> Segment | None:
        """Hit-test a segment band at widget position (x, y)."""
        if y < RULER_H:
            return None
        x0, x1 = self._span()
        t = (x - x0) / (x1 - x0) * max(1, self.num_frames - 1) / self.fps
        i = self.segment_index_at_time(t)
        return None if i is None else self.segments[i]

    # --- state ----------------------------------------------------------
    def set_clip(self, num_frames: int, fps: float, segments: Sequence[Segment] = ()) -> None:
        self.num_frames, self.fps = max(1, int(num_frames)), float(fps)
        self.segments = list(segments)
        self.frame = min(self.frame, self.num_frames - 1)
        if self.selection and self.selection[1] > self.num_frames:
            self.set_selection(None)
        self.update()

    def set_selection(self, selection: tuple[int, int] | None) -> None:
        """Select frames [start, end) (None clears); emits selectionChanged when it changes."""
        if selection is not None:
            a, b = sorted(int(v) for v in selection)
            a, b = max(0, a), min(self.num_frames, b)
            selection = (a, b) if b > a else None
        if selection == self.selection:
            return
        self.selection = selection
        self.update()
        self.selectionChanged.emit(*(selection or (-1, -1)))

    def set_frame(self, frame: int, emit: bool = True) -> None:
        frame = int(min(max(frame, 0), self.num_frames - 1))
        if frame == self.frame:
            return
        self.frame = frame
        self.update()
        if emit:
            self.frameChanged.emit(frame)

    # --- mouse ------------------------------------------------------------
    def mousePressEvent(self, ev: QMouseEvent) -> None:  # noqa: N802
        if ev.button() == Qt.MouseButton.LeftButton and ev.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self._select_anchor = self.frame_at_x(ev.position().x())
            self.set_selection((self._select_anchor, self._select_anchor + 1))
        elif ev.button() == Qt.MouseButton.LeftButton:
            self._scrubbing = True
            self.scrubStarted.emit()
            self.set_frame(self.frame_at_x(ev.position().x()))

    def mouseMoveEvent(self, ev: QMouseEvent) -> None:  # noqa: N802
        if self._select_anchor is not None:
            f = self.frame_at_x(ev.position().x())
            self.set_selection((min(f, self._select_anchor), max(f, self._select_anchor) + 1))
        elif self._scrubbing:
            self.set_frame(self.frame_at_x(ev.position().x()))
        else:
            seg = self.segment_at(ev.position().x(), ev.position().y())
            self.setToolTip(f"{seg.text} ({seg.start:.2f}-{seg.end:.2f} s)" if seg else "")

    def mouseReleaseEvent(self, ev: QMouseEvent) -> None:  # noqa: N802
        self._select_anchor = None
        if self._scrubbing and ev.button() == Qt.MouseButton.LeftButton:
            self._scrubbing = False
            self.scrubFinished.emit()

    # --- painting -----------------------------------------------------------
    def _tick_step(self, duration: float, width: float) -> float:
        for step in (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300):
            if width * step / max(duration, 1e-6) >= 60:
                return step
        return 600.0

    def paintEvent(self, ev: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = self.width(), self.height()
        p.fillRect(0, 0, w, h, QColor("#23252a"))
        x0, x1 = self._span()
        duration = max(1, self.num_frames - 1) / self.fps
        # ruler
        p.setPen(QColor("#9aa0a6"))
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        p.setFont(font)
        step = self._tick_step(duration, x1 - x0)
        t = 0.0
        while t <= duration + 1e-9:
            x = self.x_for_time(t)
            p.drawLine(int(x), RULER_H - 7, int(x), RULER_H)
            label = f"{t:g}s"
            if x + 2 + p.fontMetrics().horizontalAdvance(label) <= w:
                p.drawText(QRectF(x + 2, 0, 60, RULER_H - 6), Qt.AlignmentFlag.AlignLeft, label)
            t += step
        p.drawLine(int(x0), RULER_H, int(x1), RULER_H)
        # segments
        band = QRectF(0, RULER_H + 4, 0, h - RULER_H - 8)
        for i, seg in enumerate(self.segments):
            sx0, sx1 = self.x_for_time(seg.start), self.x_for_time(min(seg.end, duration))
            rect = QRectF(sx0, band.top(), max(2.0, sx1 - sx0), band.height())
            color = QColor(SEGMENT_COLORS[i % len(SEGMENT_COLORS)])
            color.setAlpha(190)
            p.fillRect(rect, color)
            p.setPen(QColor("#ffffff"))
            text = p.fontMetrics().elidedText(seg.text or seg.label, Qt.TextElideMode.ElideRight,
                                              int(rect.width()) - 6)
            p.drawText(rect.adjusted(3, 0, -3, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text)
        if self.selection:  # shift+drag range
            # frames [a, b) cover the same x range as a segment from a/fps to b/fps (no unshaded last frame)
            sx0, sx1 = self.x_for_frame(self.selection[0]), self.x_for_frame(self.selection[1])
            p.fillRect(QRectF(sx0, 0, max(2.0, sx1 - sx0), h), QColor(255, 255, 255, 60))
        # marker
        x = self.x_for_frame(self.frame)
        p.setPen(QPen(QColor("#ff5252"), 2))
        p.drawLine(int(x), 0, int(x), h)
        p.end()


class Timeline(QWidget):
    """Strip + transport controls + real-time playback."""

    frameChanged = Signal(int)
    playingChanged = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.strip = TimelineStrip(self)
        self.play_button = self._button(SP.SP_MediaPlay, "Play/pause (Space)", self.toggle_play)
        self.loop_box = QCheckBox("Loop")
        self.loop_box.setChecked(True)
        self.speed_box = QComboBox()
        for s in SPEEDS:
            self.speed_box.addItem(f"{s:g}x", s)
        self.speed_box.setCurrentIndex(SPEEDS.index(1.0))
        self.speed_box.currentIndexChanged.connect(self._speed_changed)
        self.readout = QLabel()
        self.readout.setMinimumWidth(170)
        for w in (self.loop_box, self.speed_box):
            w.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        controls = QHBoxLayout()
        controls.setContentsMargins(0, 0, 0, 0)
        controls.addWidget(self._button(SP.SP_MediaSkipBackward, "First frame (Home)", self.go_home))
        controls.addWidget(self._button(SP.SP_MediaSeekBackward, "Previous frame (Left)", lambda: self.step(-1)))
        controls.addWidget(self.play_button)
        controls.addWidget(self._button(SP.SP_MediaSeekForward, "Next frame (Right)", lambda: self.step(1)))
        controls.addWidget(self._button(SP.SP_MediaSkipForward, "Last frame (End)", self.go_end))
        controls.addWidget(self.loop_box)
        controls.addWidget(QLabel("Speed"))
        controls.addWidget(self.speed_box)
        controls.addStretch(1)
        controls.addWidget(self.readout)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(controls)
        layout.addWidget(self.strip)
        self.strip.frameChanged.connect(self._strip_frame)
        self.strip.scrubStarted.connect(self._scrub_started)
        self.strip.scrubFinished.connect(self._scrub_finished)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.speed = 1.0
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(8)
        self._timer.timeout.connect(self._tick)
        self._anchor = (0.0, 0)  # (monotonic time, frame) playback started from
        self._resume_after_scrub = False
        self._update_readout()

    def _button(self, icon: "QStyle.StandardPixmap", tip: str, slot) -> QToolButton:
        b = QToolButton(self)
        b.setIcon(self.style().standardIcon(icon))
        b.setToolTip(tip)
        b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        b.clicked.connect(slot)
        return b

    # --- properties -------------------------------------------------------
    @property
    def frame(self) -> int:
        return self.strip.frame

    @property
    def num_frames(self) -> int:
        return self.strip.num_frames

    @property
    def fps(self) -> float:
        return self.strip.fps

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    @property
    def loop(self) -> bool:
        return self.loop_box.isChecked()

    # --- API ----------------------------------------------------------------
    def set_clip(self, num_frames: int, fps: float, segments: Sequence[Segment] = ()) -> None:
        """Show a new clip (keeps the frame if it still exists) and re-emit the frame."""
        self.strip.set_clip(num_frames, fps, segments)
        self._anchor = (time.monotonic(), self.frame)
        self._update_readout()
        self.frameChanged.emit(self.frame)

    def set_frame(self, frame: int) -> None:
        self.strip.set_frame(frame)
        if self.playing:
            self._anchor = (time.monotonic(), self.frame)

    def step(self, n: int) -> None:
        self.pause()
        self.set_frame(self.frame + n)

    def go_home(self) -> None:
        self.set_frame(0)

    def go_end(self) -> None:
        self.pause()
        self.set_frame(self.num_frames - 1)

    def set_loop(self, on: bool) -> None:
        self.loop_box.setChecked(on)

    def toggle_loop(self) -> None:
        self.set_loop(not self.loop)

    def set_speed(self, speed: float) -> None:
        i = min(range(len(SPEEDS)), key=lambda k: abs(SPEEDS[k] - speed))
        self.speed_box.setCurrentIndex(i)

    def play(self) -> None:
        if self.playing or self.num_frames < 2:
            return
        if self.frame >= self.num_frames - 1:
            self.strip.set_frame(0)
        self._anchor = (time.monotonic(), self.frame)
        self._timer.start()
        self.play_button.setIcon(self.style().standardIcon(SP.SP_MediaPause))
        self.playingChanged.emit(True)

    def pause(self) -> None:
        if not self.playing:
            return
        self._timer.stop()
        self.play_button.setIcon(self.style().standardIcon(SP.SP_MediaPlay))
        self.playingChanged.emit(False)

    def toggle_play(self) -> None:
        self.pause() if self.playing else self.play()

    # --- internals ------------------------------------------------------------
    def _speed_changed(self, index: int) -> None:
        self.speed = float(self.speed_box.itemData(index))
        self._anchor = (time.monotonic(), self.frame)

    def _tick(self) -> None:
        t0, f0 = self._anchor
        now = time.monotonic()
        f = f0 + int((now - t0) * self.fps * self.speed)
        n = self.num_frames
        if f >= n:
            if self.loop:
                f %= n
                self._anchor = (now - (f / (self.fps * self.speed)), 0)
            else:
                self.strip.set_frame(n - 1)
                self.pause()
                return
        self.strip.set_frame(f)

    def _strip_frame(self, frame: int) -> None:
        self._update_readout()
        self.frameChanged.emit(frame)

    def _scrub_started(self) -> None:
        self._resume_after_scrub = self.playing
        self.pause()

    def _scrub_finished(self) -> None:
        if self._resume_after_scrub:
            self.play()

    def _update_readout(self) -> None:
        f, n = self.frame, self.num_frames
        self.readout.setText(f"frame {f + 1}/{n}   {f / self.fps:6.2f} s / {(n - 1) / self.fps:.2f} s")

    def keyPressEvent(self, ev: QKeyEvent) -> None:  # noqa: N802
        key, shift = ev.key(), bool(ev.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        n = 10 if shift else 1
        if key == Qt.Key.Key_Space:
            self.toggle_play()
        elif key == Qt.Key.Key_Left:
            self.step(-n)
        elif key == Qt.Key.Key_Right:
            self.step(n)
        elif key == Qt.Key.Key_Home:
            self.go_home()
        elif key == Qt.Key.Key_End:
            self.go_end()
        elif key == Qt.Key.Key_L:
            self.toggle_loop()
        else:
            super().keyPressEvent(ev)
