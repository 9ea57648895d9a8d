"""The Forensics tab's folder mode: a batch of videos analysed on Ray workers, shown as a sortable
table that fills as each result arrives. The batch's driver (:func:`app.engine.batch.runner.run_batch`)
runs on an engine job thread of its own, so an hours-long batch never holds up the studio's
other jobs (generation, export, a single-video analysis). Results stay in a per-folder output folder under the app cache, so opening the
same folder again shows what is done at once and analyses only the rest."""
from __future__ import annotations

import hashlib
import logging
import os
import shutil
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QHeaderView, QLabel, QMessageBox, QPushButton, QTableView,
                               QVBoxLayout, QWidget)

from app.engine.jobs import Engine, Job

from .bridge import EngineBridge
from .forensics_widgets import ElidedLabel

log = logging.getLogger(__name__)

COLUMNS = (("item", "video"), ("status", "status"), ("verdict", "verdict"), ("authenticity_score", "authenticity"),
           ("probability_generated", "P(generated)"), ("confidence", "confidence"), ("frames", "frames"),
           ("seconds", "seconds"), ("error", "error"))
NUMERIC = {"authenticity_score", "probability_generated", "confidence", "frames", "seconds"}
STATUS_TEXT = {"ok": "done", "retry": "failed, retrying", "error": "failed"}
COLOURS = {"likely real": "#1b7f3b", "uncertain": "#a66a00", "likely generated": "#b3261e", "error": "#b3261e"}


def batch_out_dir(folder: str | Path) -> Path:
    """Where the studio keeps a folder's batch results (resumable): the app cache, per folder."""
    from app.engine.batch.items import slug
    from app.engine.body.prepare import app_cache_root

    p = Path(folder).resolve()
    return app_cache_root() / "batch" / f"{slug(p.name, 30)}_{hashlib.sha1(str(p).encode()).hexdigest()[:8]}"


class BatchTableModel(QAbstractTableModel):
    """One row per item (the latest row of its key); ``Qt.UserRole`` gives sortable values."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[dict] = []
        self._index: dict[str, int] = {}

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation, role=Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section][1]
        return None

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, key = self.rows[index.row()], COLUMNS[index.column()][0]
        value = row.get(key)
        if role == Qt.ItemDataRole.DisplayRole:
            if key == "status":
                return STATUS_TEXT.get(str(value), str(value))
            if key in NUMERIC and value not in (None, ""):
                f = _float(value)
                return str(value) if f is None else (f"{f:.0f}" if key == "frames" else f"{f:.3g}")
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.UserRole:   # sort key: numbers as numbers, missing ones first
            if key in NUMERIC:
                f = _float(value)
                return -1.0 if f is None else f
            return str(value or "").lower()
        if role == Qt.ItemDataRole.ForegroundRole:
            colour = COLOURS.get("error" if row.get("status") == "error" else str(row.get("verdict", "")))
            return QColor(colour) if colour and key in ("status", "verdict", "error") else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.get("input") if key == "item" else (row.get("report") or row.get("error") or None)
        return None

    def upsert(self, row: dict) -> None:
        """Add a row, or replace the one of the same item (a retry, then its result)."""
        key = row.get("key") or row.get("input") or str(len(self.rows))
        i = self._index.get(key)
        if i is None:
            self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows))
            self._index[key] = len(self.rows)
            self.rows.append(dict(row))
            self.endInsertRows()
        else:
            self.rows[i] = dict(row)
            self.dataChanged.emit(self.index(i, 0), self.index(i, len(COLUMNS) - 1))

    def clear(self) -> None:
        self.beginResetModel()
        self.rows, self._index = [], {}
        self.endResetModel()


def _float(v: Any) -> float | None:
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


class _RowRelay(QObject):
    """Carries result rows from the engine thread to the GUI thread (queued signal)."""

    row = Signal(int, object)


class BatchPanel(QWidget):
    """Folder analysis: progress line, Cancel, Save CSV…, and the sortable result table."""

    def __init__(self, parent: QWidget | None = None, *, use_colmap: bool = True, workers: int | None = None,
                 runner: Callable[..., Any] | None = None, engine: Engine | None = None) -> None:
        super().__init__(parent)
        self.engine = engine or Engine()
        self.bridge = EngineBridge(self.engine, self)
        self.use_colmap = use_colmap
        self.workers = workers or max(1, min(4, (os.cpu_count() or 2) - 1))
        self.runner = runner        # default: app.engine.batch.runner.run_batch (tests inject a fake)
        self.job: Job | None = None
        self.out_dir: Path | None = None
        self._serial = 0
        self.model = BatchTableModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(Qt.ItemDataRole.UserRole)
        self.proxy.setDynamicSortFilter(True)
        self.view = QTableView()
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(-1, Qt.SortOrder.AscendingOrder)   # arrival order until a header is clicked
        self.view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.view.verticalHeader().setVisible(False)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.status = ElidedLabel("")
        self.cancel_button = QPushButton("Cancel batch")
        self.csv_button = QPushButton("Save CSV…")
        self.cancel_button.setEnabled(False)
        self.csv_button.setEnabled(False)
        self._relay = _RowRelay(self)
        self._relay.row.connect(self._on_row, Qt.ConnectionType.QueuedConnection)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Folder:"))
        bar.addWidget(self.status, 1)
        bar.addWidget(self.cancel_button)
        bar.addWidget(self.csv_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        self.cancel_button.clicked.connect(self.cancel)
        self.csv_button.clicked.connect(self._save_csv_dialog)
        self.bridge.jobProgress.connect(self._progress)

    def start(self, folder: str | Path, out_dir: str | Path | None = None) -> Job:
        """Analyse every video under ``folder`` (a running batch is cancelled first)."""
        from app.engine.batch.store import ResultStore

        self.cancel()
        self._serial += 1
        serial = self._serial
        folder = Path(folder)
        self.out_dir = Path(out_dir) if out_dir else batch_out_dir(folder)
        self.model.clear()
        for row in ResultStore(self.out_dir).final_rows():   # what earlier runs finished shows at once
            self.model.upsert(row)
        self.status.setText(f"{folder.name}: starting…")
        self.cancel_button.setEnabled(True)
        self.csv_button.setEnabled(self.model.rowCount() > 0)
        runner = self.runner
        if runner is None:
            from app.engine.batch.runner import run_batch as runner
        options = {"use_colmap": self.use_colmap, "crop": None, "reference": None}   # same keys as the CLI's
        self.job = self.bridge.run(
            f"Inspect folder {folder.name}", runner, "inspect", [str(folder)], str(self.out_dir),
            workers=self.workers, options=options, on_row=lambda row: self._relay.row.emit(serial, row),
            on_done=lambda s: self._finished(serial, s), on_error=self._failed, on_cancel=self._cancelled)
        return self.job

    def cancel(self) -> None:
        if self.job is not None and not self.job.state.finished:
            self.job.cancel()

    @property
    def running(self) -> bool:
        return self.job is not None and not self.job.state.finished

    def shutdown(self, timeout: float = 10.0) -> None:
        """Cancel a running batch (finished rows are on disk) and stop the batch thread."""
        self.bridge.shutdown()
        self.engine.stop(cancel_running=True, timeout=timeout)

    def _on_row(self, serial: int, row: dict) -> None:
        if serial == self._serial:
            self.model.upsert(row)
            self.csv_button.setEnabled(True)

    def _progress(self, job: Job) -> None:
        if job is self.job and job.message:
            self.status.setText(job.message)

    def _finished(self, serial: int, summary) -> None:
        if serial != self._serial:
            return
        self.cancel_button.setEnabled(False)
        self.csv_button.setEnabled(self.model.rowCount() > 0)
        before = f", {summary.skipped} done earlier" if summary.skipped else ""
        self.status.setText(f"{summary.ok} analysed, {summary.errors} failed{before}; results in {self.out_dir}")

    def _failed(self, message: str) -> None:
        self.cancel_button.setEnabled(False)
        self.status.setText(message)
        QMessageBox.warning(self, "Forensics batch", message)

    def _cancelled(self) -> None:
        self.cancel_button.setEnabled(False)
        self.status.setText(f"cancelled; the {self.model.rowCount()} finished results are kept")

    def _save_csv_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save batch results", "forensics_batch.csv", "CSV (*.csv)")
        if path:
            self.save_csv(path)

    def save_csv(self, path: str | Path) -> Path:
        """Copy the batch's results.csv (one row per video, all columns) to ``path``."""
        src = None if self.out_dir is None else self.out_dir / "results.csv"
        if src is None or not src.is_file():
            raise FileNotFoundError("no batch results yet")
        return Path(shutil.copyfile(src, path))
