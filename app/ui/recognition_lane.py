"""The action lanes under the timeline: what was asked (top) and what the recogniser sees (bottom).

Both rows use the timeline strip's margins, so spans line up with the ruler. Asked spans show
the atom read from the prompt span (or the file's segment) on a neutral band whose lower edge
takes the judgement's colour; seen spans are filled by their judgement: green where the
recognised label agrees with what was asked, red with a hatch where it disagrees, grey dots
for "unknown" (an action the model does not know), slate where there is nothing to compare
with. Hover for details; a click moves the timeline there. The widget reads and follows only
:class:`~.studio_state.StudioState` (``lanes``, ``lanes_status``, ``clipChanged``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from .timeline import MARGIN

if TYPE_CHECKING:
    from .studio_state import StudioState

ROW_H = 20
GAP = 3
LANE_HEIGHT = 2 * ROW_H + GAP + 6
CAPTION_W = 44
STATUS_COLORS = {"agree": "#3f8f4a", "disagree": "#c8453f", "unknown": "#6d7178", "none": "#4b5a70"}
ASKED_COLOR = "#3a4f6e"
STATUS_WORDS = {"agree": "agrees with what was asked", "disagree": "differs from what was asked",
                "unknown": "an action the recogniser does not know", "none": "nothing asked to compare with"}
EMPTY_ROW = {"asked": "nothing asked: this motion has no labelled segments (a video, an unlabelled file)",
             "seen": "the recogniser found no action"}
PLACEHOLDER = ("actions: generated motion is labelled automatically; for a motion file or a video use "
               "Motion > Recognise actions (Ctrl+R)")


def _pretty(label: str | None) -> str:
    return "?" if label is None else label.replace("_", " ")


class RecognitionLane(QWidget):
    """Two painted rows of spans; ``frameClicked`` asks the timeline to move."""

    frameClicked = Signal(int)

    def __init__(self, state: "StudioState", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.num_frames, self.fps, self.frame = 1, 20.0, 0
        self.setFixedHeight(LANE_HEIGHT)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMouseTracking(True)
        state.lanesChanged.connect(lambda _: self.update())
        state.lanesStatusChanged.connect(lambda _: self.update())
        state.clipChanged.connect(self._clip_changed)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(600, LANE_HEIGHT)

    @property
    def lanes(self) -> Any:
        return self.state.lanes

    def _clip_changed(self, loaded: Any) -> None:
        clip = getattr(loaded, "clip", None)
        if clip is not None:
            self.num_frames, self.fps = max(1, int(clip.num_frames)), float(clip.fps)
        self.update()

    def set_frame(self, frame: int) -> None:
        self.frame = int(max(0, frame))
        self.update()

    # --- geometry (as TimelineStrip) ------------------------------------------------------
    def _span(self) -> tuple[float, float]:
        return float(MARGIN), float(max(MARGIN + 1, self.width() - MARGIN))

    def x_for_time(self, t: float) -> float:
        x0, x1 = self._span()
        return x0 + (x1 - x0) * t * self.fps / max(1, self.num_frames - 1)

    def time_at_x(self, x: float) -> float:
        x0, x1 = self._span()
        return (x - x0) / (x1 - x0) * max(1, self.num_frames - 1) / self.fps

    def row_rect(self, row: int) -> QRectF:
        return QRectF(0, 3 + row * (ROW_H + GAP), self.width(), ROW_H)

    def span_at(self, x: float, y: float) -> tuple[str, Any] | None:
        """('asked' | 'seen', LaneSpan) under widget position (x, y), or None."""
        if self.lanes is None:
            return None
        t = self.time_at_x(x)
        for row, name in enumerate(("asked", "seen")):
            if self.row_rect(row).contains(x, y):
                for s in getattr(self.lanes, name):
                    if s.start_s <= t < s.end_s or (s is getattr(self.lanes, name)[-1] and t >= s.end_s - 1e-6):
                        return name, s
        return None

    def span_rect(self, row: int, span: Any) -> QRectF:
        r = self.row_rect(row)
        duration = max(1, self.num_frames - 1) / self.fps
        a, b = self.x_for_time(span.start_s), self.x_for_time(min(span.end_s, duration))
        return QRectF(a, r.top(), max(2.0, b - a), r.height())

    # --- events ---------------------------------------------------------------------------
    def mouseMoveEvent(self, ev: QMouseEvent) -> None:  # noqa: N802
        hit = self.span_at(ev.position().x(), ev.position().y())
        self.setToolTip(self.describe(*hit) if hit else "")

    def mousePressEvent(self, ev: QMouseEvent) -> None:  # noqa: N802
        if ev.button() == Qt.MouseButton.LeftButton and self.lanes is not None:
            f = round(self.time_at_x(ev.position().x()) * self.fps)
            self.frameClicked.emit(int(min(max(f, 0), self.num_frames - 1)))

    @staticmethod
    def describe(row: str, s: Any) -> str:
        """Tooltip text of a span."""
        when = f"{s.start_s:.2f}-{s.end_s:.2f} s"
        if row == "asked":
            read = _pretty(s.label) if s.label else "no atom (not judged)"
            extra = f"; the recogniser sees: {_pretty(s.other)}" if s.other else ""
            note = " (never taught to the recogniser: it should say unknown)" if s.expect == "unknown" else ""
            return f"asked {when}: \u201c{s.text}\u201d \u2192 {read}{note}{extra}"
        conf = f", confidence {s.confidence:.2f}" if s.confidence is not None else ""
        asked = f"; asked: {_pretty(s.other)}" if s.other else ""
        return f"seen {when}: {_pretty(s.label)}{conf}{asked} \u2014 {STATUS_WORDS.get(s.status, s.status)}"

    # --- painting -------------------------------------------------------------------------
    def paintEvent(self, ev: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        w, h = self.width(), self.height()
        p.fillRect(0, 0, w, h, QColor("#1b1d21"))
        font = p.font()
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        p.setFont(font)
        lanes = self.lanes
        if lanes is None:
            p.setPen(QColor("#8a9099"))
            p.drawText(QRectF(MARGIN, 0, w - 2 * MARGIN, h), Qt.AlignmentFlag.AlignVCenter,
                       self.state.lanes_status or PLACEHOLDER)
            p.end()
            return
        for row, name in enumerate(("asked", "seen")):
            spans = getattr(lanes, name)
            for s in spans:
                self._paint_span(p, row, s)
            if not spans:
                p.setPen(QColor("#8a9099"))
                p.drawText(self.row_rect(row).adjusted(CAPTION_W + 4, 0, 0, 0), Qt.AlignmentFlag.AlignVCenter,
                           EMPTY_ROW[name])
            self._paint_caption(p, row, name)
        if self.state.lanes_status:
            p.setPen(QColor("#e0c070"))
            p.drawText(QRectF(MARGIN, 0, w - 2 * MARGIN, h), Qt.AlignmentFlag.AlignRight
                       | Qt.AlignmentFlag.AlignVCenter, self.state.lanes_status)
        x = self.x_for_time(self.frame / self.fps)
        p.setPen(QPen(QColor("#ff5252"), 2))
        p.drawLine(int(x), 0, int(x), h)
        p.end()

    def _paint_caption(self, p: QPainter, row: int, name: str) -> None:
        r = self.row_rect(row)
        pill = QRectF(1, r.top() + 2, CAPTION_W - 4, r.height() - 4)
        p.fillRect(pill, QColor(20, 22, 26, 200))
        p.setPen(QColor("#c9ced6"))
        p.drawText(pill, Qt.AlignmentFlag.AlignCenter, name)

    def _paint_span(self, p: QPainter, row: int, s: Any) -> None:
        rect = self.span_rect(row, s).adjusted(0.5, 0, -0.5, 0)
        status = STATUS_COLORS.get(s.status, STATUS_COLORS["none"])
        if row == 0:  # asked: neutral band, lower edge in the judgement's colour
            p.fillRect(rect, QColor(ASKED_COLOR))
            p.fillRect(QRectF(rect.left(), rect.bottom() - 4, rect.width(), 4), QColor(status))
            text = _pretty(s.label) if s.label else f"\u201c{s.text}\u201d"
        else:
            p.fillRect(rect, QColor(status))
            if s.status == "disagree":
                p.fillRect(rect, QBrush(QColor(255, 255, 255, 70), Qt.BrushStyle.BDiagPattern))
            elif s.status == "unknown":
                p.fillRect(rect, QBrush(QColor(255, 255, 255, 60), Qt.BrushStyle.Dense6Pattern))
            text = _pretty(s.label) + ("" if s.status != "disagree" else " \u2260 " + _pretty(s.other))
        p.setPen(QPen(QColor(0, 0, 0, 120), 1))
        p.drawRect(rect)
        left = CAPTION_W if rect.left() < CAPTION_W else 0
        inner = rect.adjusted(3 + max(0.0, left - rect.left()), 0, -3, 0)
        if inner.width() > 8:
            p.setPen(QColor("#ffffff"))
            shown = p.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, int(inner.width()))
            p.drawText(inner, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, shown)
