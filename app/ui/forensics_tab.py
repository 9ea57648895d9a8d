"""The Forensics tab: drop a video, watch it with pose overlay and person mask, follow the
per-frame suspicion timeline, read the cue table and verdict as each stage finishes, and
save the report (HTML / JSON / PDF). Drop a folder (or "Open folder…") to analyse every video
in it on Ray workers, shown as a sortable table filled as results arrive (:mod:`.forensics_batch`).
All analysis runs on the engine; the GUI never blocks."""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (QCheckBox, QFileDialog, QHBoxLayout, QHeaderView, QLabel, QMessageBox, QPushButton,
                               QSizePolicy, QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from app.engine.forensics.drift import next_drift
from app.engine.jobs import Job

from .bridge import EngineBridge
from .forensics_batch import BatchPanel
from .forensics_widgets import DropZone, ElidedLabel, FrameView, SceneGeometryView, SuspicionTimeline, compose_frame

log = logging.getLogger(__name__)

VIDEO_FILTER = "Videos (*.mp4 *.mov *.m4v *.avi *.mkv *.webm *.gif);;All files (*)"
PENDING = "the scene stage has not finished yet"
SCENE_REASON_CUES = ("registered_share", "reprojection_error", "epipolar_residual")
VERDICT_STYLE = {"likely real": "#1b7f3b", "uncertain": "#a66a00", "likely generated": "#b3261e"}


class _StageRelay(QObject):
    """Carries stage reports from the engine thread to the GUI thread (queued signal)."""

    stage = Signal(int, str, object)


class ForensicsTab(QWidget):
    """Self-contained tab; give it the window's EngineBridge."""

    def __init__(self, bridge: EngineBridge, parent: QWidget | None = None, *, use_colmap: bool = True) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.use_colmap = use_colmap
        self.quiet_errors = False
        self.report = None
        self.job: Job | None = None
        self._serial = 0
        self.frame = 0
        self._shown_geometry: dict | None = None
        self._relay = _StageRelay(self)
        self._relay.stage.connect(self._on_stage, Qt.ConnectionType.QueuedConnection)

        self.drop = DropZone("Drop a video or a folder of videos here (or use Open…)")
        self.open_button = QPushButton("Open…")
        self.folder_button = QPushButton("Open folder…")
        self.cancel_button = QPushButton("Cancel")
        self.save_button = QPushButton("Save report…")
        self.cancel_button.setEnabled(False)
        self.save_button.setEnabled(False)
        self.status = ElidedLabel("No video")
        self.verdict_label = QLabel("—")
        self.verdict_label.setStyleSheet("font-size:16px;font-weight:bold")
        self.verdict_label.setWordWrap(True)
        self.verdict_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.view = FrameView()
        self.timeline = SuspicionTimeline()
        self.play_button = QPushButton("Play")
        self.drift_button = QPushButton("Next drift ▸")
        self.drift_button.setToolTip("Jump to the next frame where the person's appearance drifted (orange marks)")
        self.drift_button.setEnabled(False)
        self.drift_label = ElidedLabel("")
        self.mask_box = QCheckBox("person mask")
        self.pose_box = QCheckBox("pose")
        self.face_box = QCheckBox("face/hands")
        for box in (self.mask_box, self.pose_box, self.face_box):
            box.setChecked(True)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["cue", "value", "real range", "score"])
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        # one line per cue, cut with "…" (the full text is the row's tooltip): wrapped names made rows 8 lines tall
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.verticalHeader().setVisible(False)
        self.table.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Expanding)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.cloud = SceneGeometryView()
        self.reasons = QLabel()
        self.reasons.setWordWrap(True)
        self.reasons.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        top = QHBoxLayout()
        top.addWidget(self.drop, 1)
        for b in (self.open_button, self.folder_button, self.cancel_button, self.save_button):
            top.addWidget(b)
        controls = QHBoxLayout()
        controls.addWidget(self.play_button)
        controls.addWidget(self.drift_button)
        controls.addWidget(self.pose_box)
        controls.addWidget(self.mask_box)
        controls.addWidget(self.face_box)
        controls.addWidget(self.status, 1)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.view, 1)
        ll.addWidget(self.timeline)
        ll.addWidget(self.drift_label)
        ll.addLayout(controls)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.verdict_label)
        rl.addWidget(self.reasons)
        scene = QWidget()
        sl = QVBoxLayout(scene)
        sl.setContentsMargins(0, 0, 0, 0)
        scene_note = QLabel("Scene: sparse SfM points; camera path cyan (start) → magenta (end), white = this "
                            "frame (drag to orbit, wheel to zoom)")
        scene_note.setWordWrap(True)
        scene_note.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        sl.addWidget(scene_note)
        sl.addWidget(self.cloud, 1)
        table_scene = QSplitter(Qt.Orientation.Vertical)  # the user can trade table rows for the 3D view
        table_scene.addWidget(self.table)
        table_scene.addWidget(scene)
        table_scene.setStretchFactor(0, 1)
        table_scene.setStretchFactor(1, 1)
        rl.addWidget(table_scene, 1)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        self.batch = BatchPanel(use_colmap=use_colmap)
        self.batch.setVisible(False)             # shown when a folder is opened
        self.batch.view.doubleClicked.connect(self._open_batch_row)
        batch_split = QSplitter(Qt.Orientation.Vertical)
        batch_split.addWidget(self.batch)
        batch_split.addWidget(split)
        batch_split.setStretchFactor(0, 1)
        batch_split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(batch_split, 1)

        self._timer = QTimer(self)
        self._timer.timeout.connect(lambda: self.set_frame(self.frame + 1, wrap=True))
        self.drop.fileDropped.connect(self.open_path)
        self.open_button.clicked.connect(self._open_dialog)
        self.folder_button.clicked.connect(self._open_folder_dialog)
        self.cancel_button.clicked.connect(self.cancel)
        self.save_button.clicked.connect(self._save_dialog)
        self.play_button.clicked.connect(self.toggle_play)
        self.drift_button.clicked.connect(self.next_drift)
        self.timeline.frameChanged.connect(self.set_frame)
        self.mask_box.toggled.connect(lambda _: self._show_frame())
        self.pose_box.toggled.connect(lambda _: self._show_frame())
        self.face_box.toggled.connect(lambda _: self._show_frame())
        self.bridge.jobProgress.connect(self._progress)

    # --- analysis ---------------------------------------------------------------------
    def open_path(self, path: str | Path) -> Job:
        """A folder starts a batch over its videos; a file is analysed here."""
        return self.inspect_folder(path) if Path(path).is_dir() else self.inspect(path)

    def inspect_folder(self, folder: str | Path) -> Job:
        """Analyse every video under ``folder`` on Ray workers; results fill the batch table."""
        self.batch.setVisible(True)
        return self.batch.start(folder)

    def _open_batch_row(self, index) -> None:
        """Double-click on a batch row: analyse that video here (beside the batch)."""
        row = self.batch.model.rows[self.batch.proxy.mapToSource(index).row()]
        if row.get("input") and Path(row["input"]).is_file():
            self.inspect(row["input"])

    def inspect(self, path: str | Path) -> Job:
        """Start analysing `path` on the engine (a running analysis is cancelled first)."""
        from app.engine.forensics.pipeline import inspect_video

        self.cancel()
        self._serial += 1
        serial = self._serial
        self.report = None
        self.frame = 0
        self.table.setRowCount(0)
        self.timeline.set_values(None)
        self._shown_geometry = None
        self.cloud.set_geometry(np.zeros((0, 3)), np.zeros((0, 3)), np.zeros((0, 3)), reason=PENDING)
        self.view.set_image(None)
        self.verdict_label.setText("analysing…")
        self.reasons.setText("")
        self.save_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.status.setText(f"Analysing {Path(path).name}")
        self.job = self.bridge.run(
            f"Inspect {Path(path).name}", inspect_video, str(path), use_colmap=self.use_colmap, keep_frames=True,
            on_stage=lambda stage, rep: self._relay.stage.emit(serial, stage, rep),
            on_done=lambda rep: self._finished(serial, rep), on_error=self._failed, on_cancel=self._cancelled)
        return self.job

    def cancel(self) -> None:
        if self.job is not None and not self.job.state.finished:
            self.job.cancel()

    def _progress(self, job: Job) -> None:
        if job is self.job and job.fraction is not None:
            self.status.setText(f"{job.fraction * 100:.0f}% {job.message}")

    def _on_stage(self, serial: int, stage: str, report) -> None:
        if serial != self._serial:
            return
        self.report = report
        self._fill(report)
        self.status.setText(f"{stage} done")

    def _finished(self, serial: int, report) -> None:
        if serial != self._serial:
            return
        self.report = report
        self._fill(report)
        self.cancel_button.setEnabled(False)
        self.save_button.setEnabled(True)
        self.status.setText(f"Done in {report.stage_seconds.get('total', 0):.1f} s")

    def _failed(self, message: str) -> None:
        self.cancel_button.setEnabled(False)
        self.verdict_label.setText("no report")
        self.status.setText(message)
        if not self.quiet_errors:
            QMessageBox.warning(self, "Forensics", message)

    def _cancelled(self) -> None:
        self.cancel_button.setEnabled(False)
        self.status.setText("cancelled")
        self.save_button.setEnabled(self.report is not None)

    # --- display -----------------------------------------------------------------------
    def _fill(self, report) -> None:
        v = report.verdict
        if not report.complete:   # no verdict (nor its colour) before all the evidence is in
            done = [s for s in report.stages_done if s != "verdict"]
            self.verdict_label.setText("analysing…")
            self.verdict_label.setStyleSheet("font-size:16px;font-weight:bold")
            self.reasons.setText(f"Stages done: {', '.join(done) or 'none yet'}. The verdict comes when all "
                                 "stages have finished.")
            self.timeline.set_values(None)
            self.drift_button.setEnabled(False)
            self.drift_button.setText("Next drift ▸")
        elif v is not None:
            p = "" if v.probability is None else f"P(generated) {v.probability:.2f}, "
            self.verdict_label.setText(f"{v.verdict} — {p}authenticity {v.authenticity:.2f}, "
                                       f"confidence {v.confidence:.2f}")
            self.verdict_label.setStyleSheet(f"font-size:16px;font-weight:bold;color:{VERDICT_STYLE.get(v.verdict, '#333')}")
            self.reasons.setText("\n".join(f"• {r}" for r in v.reasons))
            self.timeline.set_values(v.timeline, report.drift)
            n_drift = 0 if report.drift is None else int(np.sum(report.drift))
            self.drift_button.setEnabled(n_drift > 0)
            self.drift_button.setText(f"Next drift ▸ ({n_drift})" if n_drift else "No drift")
        self.table.setRowCount(len(report.cues))
        for row, c in enumerate(report.cues.values()):
            ref = c.reference or {}
            rng = f"{ref['lo']:.3g} – {ref['hi']:.3g}" if ref.get("lo") is not None else "—"
            status = f"{c.score:.2f}" if c.score is not None else (c.reason or "not measured")
            for col, text in enumerate((c.label, "—" if c.value is None else f"{c.value:.3g}", rng, status)):
                item = QTableWidgetItem(text)
                item.setToolTip(f"{c.label} ({c.name}): {text}" if col else f"{c.label} ({c.name})")
                self.table.setItem(row, col, item)
        self.table.resizeRowsToContents()
        self._show_geometry(report)
        if report.frames is not None:
            fps = report.analysis_fps or 25.0
            self._timer.setInterval(int(max(15, 1000 / fps)))
            self._show_frame()

    def _show_geometry(self, report) -> None:
        """Hand the SfM points and camera path to the point-cloud view (or why there are none)."""
        geo = report.geometry or {}
        if geo and geo is self._shown_geometry:  # later stages carry the same geometry: keep the user's view
            return
        self._shown_geometry = geo or None
        if "scene" not in report.stages_done and not geo:
            self.cloud.set_geometry(np.zeros((0, 3)), np.zeros((0, 3)), np.zeros((0, 3)), reason=PENDING)
            return
        centres = np.asarray(geo.get("centres", np.zeros((0, 3))), float).reshape(-1, 3)
        frames = geo.get("centre_frames")
        if frames is None and len(geo.get("frame_indices", ())) == len(centres):
            frames = geo["frame_indices"]  # every sampled frame registered: centres follow them
        reasons = [c.reason for k in SCENE_REASON_CUES if (c := report.cues.get(k)) is not None and c.reason]
        self.cloud.set_geometry(geo.get("points", np.zeros((0, 3))), geo.get("colors", np.zeros((0, 3))), centres,
                                centre_frames=frames, reason=reasons[0] if reasons else "")
        self.cloud.set_frame(self.frame)

    def shutdown(self) -> None:
        """Stop playback, a running batch and the point-cloud render thread (the main window calls this on close)."""
        self._timer.stop()
        self.batch.shutdown()
        self.cloud.shutdown()

    def set_frame(self, frame: int, wrap: bool = False) -> None:
        n = 0 if self.report is None or self.report.frames is None else len(self.report.frames)
        if n == 0:
            return
        self.frame = frame % n if wrap else int(np.clip(frame, 0, n - 1))
        self.timeline.set_frame(self.frame)
        self.cloud.set_frame(self.frame)
        self._show_frame()

    def toggle_play(self) -> None:
        if self._timer.isActive():
            self._timer.stop()
            self.play_button.setText("Play")
        elif self.report is not None and self.report.frames is not None:
            self._timer.start()
            self.play_button.setText("Pause")

    def next_drift(self) -> None:
        """Seek to the next frame marked as appearance drift."""
        r = self.report
        f = next_drift(None if r is None else r.drift, self.frame)
        if f is not None:
            self.set_frame(f)

    def _show_frame(self) -> None:
        r = self.report
        if r is None or r.frames is None or not len(r.frames):
            return
        i = min(self.frame, len(r.frames) - 1)
        why = r.drift_why[i] if r.drift is not None and i < len(r.drift_why) else ""
        self.drift_label.setText(f"frame {i}: appearance drifted ({why})" if why else
                                 ("" if r.drift is None else f"frame {i}"))
        mask = lm = face = None
        hands: list = []
        if r.pose is not None:
            mask = r.pose.masks[i]
            lm = r.pose.image[i]
        app = getattr(r, "appearance", None)
        if self.face_box.isChecked() and app is not None and len(app.positions) and len(app.faces):
            k = int(np.clip(np.searchsorted(app.positions, i, side="right") - 1, 0, len(app.faces) - 1))
            if abs(int(app.positions[k]) - i) <= 3:   # the appearance stage looked near this frame
                face, hands = app.faces[k], app.hands[k] if k < len(app.hands) else []
        self.view.set_image(compose_frame(r.frames[i], mask, lm, self.mask_box.isChecked(), self.pose_box.isChecked(),
                                          face=face, hands=hands))

    # --- files -------------------------------------------------------------------------
    def _open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Inspect video", "", VIDEO_FILTER)
        if path:
            self.inspect(path)

    def _open_folder_dialog(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Inspect every video in a folder", "")
        if path:
            self.inspect_folder(path)

    def _save_dialog(self) -> None:
        if self.report is None:
            return
        stem = Path(self.report.video.name).stem
        path, _ = QFileDialog.getSaveFileName(self, "Save report", f"{stem}_report.html",
                                              "HTML report (*.html);;JSON (*.json);;PDF (*.pdf)")
        if not path:
            return
        try:
            saved = self.save_report(path)
        except Exception as exc:  # noqa: BLE001 - any failure is shown, never swallowed by the Qt slot
            log.warning("saving the report to %s failed", path, exc_info=True)
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            self.status.setText(f"Report not saved: {message}")
            if not self.quiet_errors:
                QMessageBox.warning(self, "Save report", f"The report was not saved.\n\n{message}")
            return
        self.status.setText(f"Report saved: {saved.name}")

    def save_report(self, path: str | Path) -> Path:
        """Write the report; the format follows the suffix (.html, .json or .pdf)."""
        from app.engine.forensics import report_html, report_json

        p = Path(path)
        suffix = p.suffix.lower()
        if suffix == ".json":
            return report_json.write_json(self.report, p)
        if suffix == ".pdf":
            return report_html.write_pdf(self.report, p)
        return report_html.write_html(self.report, p if suffix in (".html", ".htm") else p.with_suffix(".html"))
