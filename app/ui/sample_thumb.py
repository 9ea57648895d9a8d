"""SampleThumb: a 64 px front view of one generated sample (poses at four frames, overlaid), clickable."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QSize, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QWidget

from app.engine.tasks.generate_task import GeneratedSample


class SampleThumb(QWidget):
    """A tiny side view of one sample: poses at a few frames, overlaid; click selects it."""

    clicked = Signal(int)

    def __init__(self, index: int, sample: GeneratedSample, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.index, self.sample, self.selected = index, sample, False
        self.setFixedSize(QSize(64, 64))
        self.setToolTip(f"sample {index + 1}")

    def mousePressEvent(self, ev) -> None:  # noqa: N802
        self.clicked.emit(self.index)

    def paintEvent(self, ev) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor("#23252a"))
        j = self.sample.joints
        parents = self.sample.clip.skeleton.parents
        xy = j[..., [0, 1]]  # front view: x right, y up
        lo, hi = xy.reshape(-1, 2).min(0), xy.reshape(-1, 2).max(0)
        s = 56.0 / max(float((hi - lo).max()), 1e-6)
        frames = np.linspace(0, len(j) - 1, 4).astype(int)
        for k, f in enumerate(frames):
            c = QColor.fromHsvF(0.08 + 0.15 * k / max(1, len(frames) - 1), 0.8, 1.0)
            c.setAlphaF(0.4 + 0.6 * k / max(1, len(frames) - 1))
            p.setPen(QPen(c, 1.4))
            for i, par in enumerate(parents):
                if par >= 0:
                    a, b = xy[f, i], xy[f, par]
                    p.drawLine(QPointF(4 + (a[0] - lo[0]) * s, 60 - (a[1] - lo[1]) * s),
                               QPointF(4 + (b[0] - lo[0]) * s, 60 - (b[1] - lo[1]) * s))
        p.setPen(QPen(QColor("#ff5252") if self.selected else QColor("#555"), 2))
        p.drawRect(self.rect().adjusted(1, 1, -1, -1))
        p.drawText(4, 14, str(self.index + 1))
        p.end()
