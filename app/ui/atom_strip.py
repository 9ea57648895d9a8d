"""AtomStrip: a compact heat strip of the per-frame codebook attention [T, K] under the timeline.

Rows are `top_n` atoms, those whose attention varies most over the clip on top (then the most used), columns
are frames; brightness is attention weight relative to the row's peak (at least a quarter of
the strongest atom's peak), so the moments each atom is used stand out; the tooltip gives the weights. The strip uses the timeline strip's margins, so
its columns line up with the ruler, and draws the current-frame marker like the timeline.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from .timeline import MARGIN

STRIP_HEIGHT = 40
TOP_N = 16


def heat_colors(values: np.ndarray) -> np.ndarray:
    """Values in [0, 1] -> uint8 RGB (dark blue -> orange -> pale yellow)."""
    v = np.clip(values, 0.0, 1.0)[..., None]
    lo, mid, hi = np.array([25, 28, 40.0]), np.array([230, 110, 30.0]), np.array([255, 245, 170.0])
    rgb = np.where(v < 0.5, lo + (mid - lo) * (v / 0.5), mid + (hi - mid) * ((v - 0.5) / 0.5))
    return rgb.astype(np.uint8)


class AtomStrip(QWidget):
    """Heat strip of the atoms the decoder attends to, frame by frame."""

    frameClicked = Signal(int)

    def __init__(self, parent: QWidget | None = None, top_n: int = TOP_N) -> None:
        super().__init__(parent)
        self.top_n = top_n
        self.attention: np.ndarray | None = None  # [T, K]
        self.atoms: np.ndarray = np.zeros(0, dtype=int)  # atom ids of the rows, top first
        self.image: QImage | None = None  # width T, height len(atoms)
        self._rgb: np.ndarray | None = None  # keeps the QImage's buffer alive
        self.frame = 0
        self.setFixedHeight(STRIP_HEIGHT)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMouseTracking(True)
        self.setToolTip("Atomic actions: the codebook atoms the decoder attends to at each frame")

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(600, STRIP_HEIGHT)

    @property
    def num_frames(self) -> int:
        return 0 if self.attention is None else int(self.attention.shape[0])

    def set_attention(self, attention: np.ndarray | None) -> None:
        """Show attention [T, K] (None hides the strip's content)."""
        if attention is None or np.ndim(attention) != 2 or len(attention) == 0:
            self.attention, self.image, self._rgb = None, None, None
            self.atoms = np.zeros(0, dtype=int)
            self.update()
            return
        att = np.asarray(attention, dtype=np.float32)
        self.attention = att
        n = min(self.top_n, att.shape[1])
        # atoms that switch on and off first (their attention varies most over the clip; ties: the most used), so
        # the top rows show the decomposition: where the action changes, the lit rows change.  An atom that holds
        # the same share of every frame (a "sink") says nothing about when, and goes below them.
        self.atoms = np.lexsort((-att.sum(axis=0), -np.round(att.std(axis=0), 4)))[:n]
        rows = att[:, self.atoms].T  # [n, T]
        # each row on its own peak (so when a secondary atom switches on is visible), but never on less than
        # a quarter of the strongest atom's peak (so a faint, flat atom is not blown up to full brightness)
        peak = float(rows.max()) or 1.0
        scale = np.maximum(rows.max(axis=1, keepdims=True), 0.25 * peak)
        rgb = np.ascontiguousarray(heat_colors(np.sqrt(rows / scale)))  # sqrt: show weak atoms too
        self._rgb = rgb
        h, w = rgb.shape[:2]
        self.image = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888)
        self.frame = min(self.frame, w - 1)
        self.update()

    def set_frame(self, frame: int) -> None:
        self.frame = int(max(0, frame))
        self.update()

    def top_atoms(self, frame: int, k: int = 3) -> list[tuple[int, float]]:
        """The k atoms with most attention at `frame`: [(atom id, weight)]."""
        if self.attention is None:
            return []
        row = self.attention[int(min(max(frame, 0), self.num_frames - 1))]
        idx = np.argsort(-row)[:k]
        return [(int(i), float(row[i])) for i in idx]

    # --- geometry (same as TimelineStrip) -------------------------------
    def _span(self) -> tuple[float, float]:
        return float(MARGIN), float(max(MARGIN + 1, self.width() - MARGIN))

    def x_for_frame(self, frame: float) -> float:
        x0, x1 = self._span()
        return x0 + (x1 - x0) * frame / max(1, self.num_frames - 1)

    def frame_at_x(self, x: float) -> int:
        x0, x1 = self._span()
        f = round((x - x0) / (x1 - x0) * max(1, self.num_frames - 1))
        return int(min(max(f, 0), max(0, self.num_frames - 1)))

    # --- events -----------------------------------------------------------
    def mouseMoveEvent(self, ev: QMouseEvent) -> None:  # noqa: N802
        if self.attention is None:
            return
        f = self.frame_at_x(ev.position().x())
        atoms = ", ".join(f"#{i} {w:.0%}" for i, w in self.top_atoms(f))
        self.setToolTip(f"frame {f + 1}: atoms {atoms}")

    def mousePressEvent(self, ev: QMouseEvent) -> None:  # noqa: N802
        if self.attention is not None and ev.button() == Qt.MouseButton.LeftButton:
            self.frameClicked.emit(self.frame_at_x(ev.position().x()))

    def paintEvent(self, ev: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        w, h = self.width(), self.height()
        p.fillRect(0, 0, w, h, QColor("#1b1d21"))
        if self.image is None:
            p.setPen(QColor("#6b7078"))
            p.drawText(QRectF(MARGIN, 0, w - 2 * MARGIN, h), Qt.AlignmentFlag.AlignVCenter,
                       "atomic actions: generate a motion to see which codebook atoms each frame uses")
            p.end()
            return
        x0, x1 = self._span()
        t = self.num_frames
        half = 0.5 * (x1 - x0) / max(1, t - 1)  # each column centred on its frame's x
        target = QRectF(x0 - half, 2, (x1 - x0) + 2 * half, h - 4)
        p.drawImage(target, self.image)
        x = self.x_for_frame(min(self.frame, t - 1))
        p.setPen(QPen(QColor("#ff5252"), 2))
        p.drawLine(int(x), 0, int(x), h)
        p.end()
