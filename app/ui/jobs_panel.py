"""Jobs panel: one row per engine job with progress, message and a cancel button; finished rows
can be cleared (button, or the panel's context menu) and each row shows its full title on hover."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPainter
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import (QDockWidget, QFrame, QHBoxLayout, QLabel, QMenu, QProgressBar, QPushButton,
                               QScrollArea, QSizePolicy, QVBoxLayout, QWidget)

from app.engine.jobs import Job, JobState

MAX_FINISHED_ROWS = 30
STATE_TEXT = {JobState.DONE: "done", JobState.FAILED: "failed", JobState.CANCELLED: "cancelled"}
STATE_COLOR = {JobState.DONE: "#59a14f", JobState.FAILED: "#e15759", JobState.CANCELLED: "#9aa0a6"}


def took(seconds: float) -> str:
    """'took 0.4 s', 'took 12 s', 'took 2 min 05 s'."""
    if seconds < 10:
        return f"took {seconds:.1f} s"
    if seconds < 60:
        return f"took {seconds:.0f} s"
    m, s = divmod(int(round(seconds)), 60)
    return f"took {m} min {s:02d} s"


def finished_text(job: Job) -> str:
    """The message line of a finished job: the error, 'cancelled', or how long a done job took (its last step's
    message, e.g. 'preparing sample 1/1', would read as if it were still at that step)."""
    if job.state == JobState.FAILED:
        return job.error or ""
    if job.state == JobState.DONE and job.started_at is not None and job.finished_at is not None:
        return took(max(0.0, job.finished_at - job.started_at))
    return job.message or ""


class ElidedLabel(QLabel):
    """A one-line label that ends in an ellipsis instead of being cut mid-word; full text as tooltip."""

    def setText(self, text: str) -> None:  # noqa: N802
        super().setText(text)
        self.setToolTip(text)

    def paintEvent(self, ev) -> None:  # noqa: N802
        painter = QPainter(self)
        metrics = self.fontMetrics()
        text = metrics.elidedText(self.text(), Qt.TextElideMode.ElideRight, self.width())
        painter.drawText(self.rect(), int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), text)


class JobRow(QFrame):
    """The widgets of one job."""

    def __init__(self, job: Job, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.job = job
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.name_label = ElidedLabel()
        self.name_label.setText(job.name)
        self.name_label.setStyleSheet("font-weight: bold")
        self.state_label = QLabel()
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(10)
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        for label in (self.name_label, self.message_label):  # shrink with the dock instead of scrolling
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            label.setMinimumWidth(0)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.cancel_button.clicked.connect(self._cancel)
        top = QHBoxLayout()
        top.addWidget(self.name_label, 1)
        top.addWidget(self.state_label)
        top.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.progress)
        layout.addWidget(self.message_label)
        self.refresh()

    def _cancel(self) -> None:
        self.job.cancel()
        self.cancel_button.setEnabled(False)
        self.state_label.setText("cancelling…")

    def refresh(self) -> None:
        """Copy the job's state into the widgets."""
        job = self.job
        detail = job.error if job.state == JobState.FAILED else job.message
        state = STATE_TEXT.get(job.state, "running" if job.state == JobState.RUNNING else "queued")
        self.setToolTip(f"{job.name}\n{state}" + (f": {detail}" if detail else ""))  # the full title on hover
        if job.state.finished:
            self.cancel_button.hide()
            self.state_label.setText(STATE_TEXT[job.state])
            self.state_label.setStyleSheet(f"color: {STATE_COLOR[job.state]}")
            self.progress.setRange(0, 1000)
            self.progress.setValue(1000 if job.state == JobState.DONE else self.progress.value())
            self.message_label.setText(finished_text(job))
            return
        if not self.job.cancel_requested:
            self.state_label.setText("running" if job.state == JobState.RUNNING else "queued")
        if job.fraction is None:
            self.progress.setRange(0, 0)  # busy indicator
        else:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(round(job.fraction * 1000)))
        self.message_label.setText(job.message)


class JobsPanel(QDockWidget):
    """A dock listing engine jobs, newest first; connect it to an EngineBridge."""

    def __init__(self, bridge=None, parent: QWidget | None = None) -> None:
        super().__init__("Jobs", parent)
        self.setObjectName("JobsPanel")
        self.rows: dict[int, JobRow] = {}
        self.clear_button = QPushButton("Clear finished")
        self.clear_button.setToolTip("Remove the rows of finished jobs (done, failed or cancelled)")
        self.clear_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.clear_button.setEnabled(False)
        self.clear_button.clicked.connect(self.clear_finished)
        body = QWidget()
        self._list = QVBoxLayout(body)
        self._list.setContentsMargins(2, 2, 2, 2)
        self._list.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(body)
        header = QHBoxLayout()
        header.setContentsMargins(2, 2, 2, 0)
        header.addStretch(1)
        header.addWidget(self.clear_button)
        panel = QWidget()
        column = QVBoxLayout(panel)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addLayout(header)
        column.addWidget(scroll, 1)
        self.setWidget(panel)
        if bridge is not None:
            self.attach(bridge)

    def attach(self, bridge) -> None:
        bridge.jobQueued.connect(self.update_job)
        bridge.jobStarted.connect(self.update_job)
        bridge.jobProgress.connect(self.update_job)
        bridge.jobFinished.connect(self.update_job)

    def row(self, job: Job) -> JobRow | None:
        return self.rows.get(job.id)

    def update_job(self, job: Job) -> None:
        """Add a row for a new job or refresh an existing one."""
        row = self.rows.get(job.id)
        if row is None:
            row = JobRow(job)
            self.rows[job.id] = row
            self._list.insertWidget(0, row)
            self._prune()
        row.refresh()
        self.clear_button.setEnabled(any(r.job.state.finished for r in self.rows.values()))

    def clear_finished(self) -> int:
        """Remove the rows of finished jobs; running and queued ones stay. Returns how many went."""
        finished = [r for r in self.rows.values() if r.job.state.finished]
        for r in finished:
            self._remove(r)
        self.clear_button.setEnabled(False)
        return len(finished)

    def context_menu(self) -> QMenu:
        menu = QMenu(self)
        n = sum(1 for r in self.rows.values() if r.job.state.finished)
        menu.addAction(f"Clear finished jobs ({n})", self.clear_finished).setEnabled(n > 0)
        return menu

    def contextMenuEvent(self, ev: QContextMenuEvent) -> None:  # noqa: N802 - Qt API
        self.context_menu().exec(ev.globalPos())

    def _remove(self, row: JobRow) -> None:
        self.rows.pop(row.job.id, None)
        row.setParent(None)
        row.deleteLater()

    def _prune(self) -> None:
        finished = [r for r in self.rows.values() if r.job.state.finished]
        for r in sorted(finished, key=lambda r: r.job.id)[:max(0, len(finished) - MAX_FINISHED_ROWS)]:
            self._remove(r)
