"""The IDOL controls of the 2.5D tab: appearance, background, seed and frames, "Generate (IDOL)"
(which turns into "Cancel" while the engine job runs), "Show exact render" and "Export…", and one
line saying what is shown (the generated clip's model, seed, steps and RGB-vs-depth person IoU),
the job's progress, or why generation is not possible.

Depends only on the studio state (``clip``, ``bridge``, ``clipChanged``): generation runs
:func:`~app.engine.tasks.idol_studio.studio_idol_task` on the engine thread (the Jobs panel shows
it), and the loaded result is handed to the tab through :attr:`IdolPanel.resultReady`.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QHBoxLayout, QLabel, QPushButton, QSizePolicy,
                               QSpinBox, QVBoxLayout, QWidget)

from app.engine.jobs import Job
from app.engine.tasks.idol_studio import (CACHE_ROOT, IdolClip, appearance_presets, background_presets,
                                          export_idol_task, model_problem, studio_idol_task)
from app.engine.tasks.idol_task import DEFAULT_MODEL_DIR, IdolOptions

SAMPLERS = (("DDIM 20 steps", None), ("DPM-Solver++ 10 (fast)", "dpm"))  # label, IdolOptions.sampler

log = logging.getLogger(__name__)

IMAGE_ITEM = "Image file…"
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.webp);;All files (*)"
READY_TIP = ("Generate a video and its depth of the current motion with the IDOL diffusion model "
             "(an engine job: cancel here or in the Jobs panel)")


class IdolPanel(QWidget):
    """Controls and state of IDOL generation for the 2.5D tab (see the module notes)."""

    resultReady = Signal(object)       # IdolClip, or None when the result was dropped
    showExactChanged = Signal(bool)

    def __init__(self, state: Any, parent: QWidget | None = None, model_dir: str | Path | None = None,
                 cache_root: str | Path | None = None, view: int = 256) -> None:
        super().__init__(parent)
        self.state = state
        self.model_dir = str(model_dir or DEFAULT_MODEL_DIR)
        self.cache_root = Path(cache_root or CACHE_ROOT)
        self.view = int(view)
        self.job: Job | None = None
        self.export_job: Job | None = None
        self.result: IdolClip | None = None
        self._source_clip: Any = None  # the studio clip the running job generates from
        self.appearance = self._combo(appearance_presets(), "Body texture of the generated person, or an image "
                                      "file of a person (its reference image)")
        self.background = self._combo(background_presets(), "Background of the generated clip: a colour, a "
                                      "procedural room, the ground-and-wall scene, or an image file")
        self.background.setCurrentText("grey")
        self.seed = QSpinBox()
        self.seed.setRange(0, 2 ** 31 - 1)
        self.seed.setToolTip("Same seed, same clip (bit for bit)")
        self.frames = QSpinBox()
        self.frames.setRange(1, 64)
        self.frames.setValue(16)
        self.frames.setToolTip("Frames to generate at the model's rate (10 fps)")
        self.sampler = QComboBox()
        for label, value in SAMPLERS:
            self.sampler.addItem(label, value)
        self.sampler.setToolTip("DDIM, 20 steps: the model's default. DPM-Solver++, 10 steps: about twice as "
                                "fast (16 frames in ~27 s on 2 cores), slightly more flicker")
        self.generate_button = QPushButton("Generate (IDOL)")
        self.generate_button.clicked.connect(self.toggle)
        self.show_exact = QCheckBox("Show exact render")
        self.show_exact.setToolTip("Back to the mesh's exact RGB and depth render")
        self.show_exact.setChecked(True)
        self.show_exact.setEnabled(False)
        self.show_exact.toggled.connect(self.showExactChanged.emit)
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Copy the generated folder (rgb.mp4, depth/, depth_vis.mp4, mask/, meta.json)")
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self.export)
        self.info = QLabel("")
        self.info.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # long lines elide
        for combo in (self.appearance, self.background):  # long preset / file names must not widen the tab
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(12)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        # two rows: one row of all twelve controls made the 2.5D tab 1,150 px wide at least, which squeezed
        # the Jobs dock to 100 px on a 1600 px screen whatever tab was shown
        for widgets in ((self.generate_button, QLabel("Appearance"), self.appearance, QLabel("Background"),
                         self.background),
                        (QLabel("Seed"), self.seed, QLabel("Frames"), self.frames, self.sampler, self.show_exact,
                         self.export_button)):
            row = QHBoxLayout()
            row.setContentsMargins(0, 0, 0, 0)
            for w in widgets:
                row.addWidget(w)
            row.addStretch(1)
            layout.addLayout(row)
        layout.addWidget(self.info)
        bridge = getattr(state, "bridge", None)
        if bridge is not None:
            bridge.jobProgress.connect(self._progress)
        if hasattr(state, "clipChanged"):
            state.clipChanged.connect(lambda _loaded: self.drop_result())
        self.refresh_availability()

    # --- inputs ------------------------------------------------------------------------
    def _combo(self, items: list[str], tip: str) -> QComboBox:
        box = QComboBox()
        box.addItems(items)
        box.addItem(IMAGE_ITEM)
        box.setToolTip(tip)
        box.setProperty("previous", 0)
        box.currentIndexChanged.connect(lambda i, b=box: self._picked(b, i))
        return box

    def _picked(self, box: QComboBox, index: int) -> None:
        """"Image file…" asks for a file: it joins the list (by name; the path is the item's data)."""
        if box.itemText(index) != IMAGE_ITEM:
            box.setProperty("previous", index)
            return
        what = "person" if box is self.appearance else "background"
        path, _ = QFileDialog.getOpenFileName(self, f"Image of the {what}", "", IMAGE_FILTER)
        box.blockSignals(True)
        if path:
            box.insertItem(index, Path(path).name, path)
            box.setItemData(index, path, 3)  # the full path as the item's tooltip (Qt.ToolTipRole)
        box.setCurrentIndex(index if path else int(box.property("previous")))
        box.blockSignals(False)
        box.setProperty("previous", box.currentIndex())

    @staticmethod
    def _value(box: QComboBox) -> str:
        data = box.currentData()
        return str(data) if data else box.currentText()

    def options(self) -> IdolOptions:
        return IdolOptions(appearance=self._value(self.appearance), background=self._value(self.background),
                           frames=self.frames.value(), seed=self.seed.value(), model_dir=self.model_dir,
                           sampler=self.sampler.currentData())

    # --- availability ------------------------------------------------------------------
    def set_model_dir(self, folder: str | Path) -> None:
        self.model_dir = str(folder)
        self.refresh_availability()

    def refresh_availability(self) -> str | None:
        """Enable "Generate" when the model folder holds a saved pipeline (file checks only)."""
        if self.running:
            return None
        problem = model_problem(self.model_dir)
        self.generate_button.setEnabled(problem is None)
        self.generate_button.setToolTip(problem or READY_TIP)
        return problem

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        self.refresh_availability()  # a model trained meanwhile becomes usable

    @property
    def running(self) -> bool:
        return self.job is not None and not self.job.state.finished

    # --- generation --------------------------------------------------------------------
    def toggle(self) -> None:
        if self.running:
            self.job.cancel()
        else:
            self.generate()

    def generate(self) -> Job | None:
        """Submit the generation job; None when it cannot start (the reason is shown)."""
        if self.running:
            return None
        problem = self.refresh_availability()
        clip = getattr(self.state, "clip", None)
        bridge = getattr(self.state, "bridge", None)
        if problem or clip is None or bridge is None:
            self.show_line(problem or "load a motion first")
            return None
        opts = self.options()
        self._source_clip = clip
        self.generate_button.setText("Cancel")
        self.generate_button.setToolTip("Cancel the IDOL generation")
        self.show_line("IDOL: starting…")
        self.job = bridge.run(f"IDOL: {clip.name or 'motion'} (seed {opts.seed})", studio_idol_task, clip.copy(),
                              opts, self.cache_root, self.view, on_done=self._done, on_error=self._failed,
                              on_cancel=self._cancelled)
        return self.job

    def _progress(self, job: Job) -> None:
        if job is self.job:
            self.show_line(f"IDOL: {round(100 * (job.fraction or 0))} % {job.message}")

    def _finished(self) -> None:
        self.generate_button.setText("Generate (IDOL)")
        self.refresh_availability()

    def _done(self, result: IdolClip) -> None:
        self._finished()
        self.result = result
        stale = getattr(self.state, "clip", None) is not self._source_clip
        self.show_line(result.label() + (" — from the motion shown before" if stale else ""))
        self.export_button.setEnabled(True)
        self.show_exact.setEnabled(True)
        self.resultReady.emit(result)
        self.show_exact.setChecked(False)

    def _failed(self, message: str) -> None:
        self._finished()
        self.show_line(f"IDOL failed: {(message or 'failed').strip().splitlines()[0]}")

    def _cancelled(self) -> None:
        self._finished()
        self.show_line("IDOL generation cancelled")

    def drop_result(self) -> None:
        """Another motion is shown: the generated clip no longer belongs to it."""
        if self.result is None:
            return
        self.result = None
        self.export_button.setEnabled(False)
        self.show_exact.setChecked(True)
        self.show_exact.setEnabled(False)
        self.show_line("")
        self.resultReady.emit(None)

    def show_line(self, text: str) -> None:
        self.info.setText(text)
        self.info.setToolTip(text)

    # --- export ------------------------------------------------------------------------
    def export(self) -> Job | None:
        """Copy the generated folder into a folder the user picks (an engine job)."""
        bridge = getattr(self.state, "bridge", None)
        if self.result is None or bridge is None:
            return None
        dest = QFileDialog.getExistingDirectory(self, "Export the IDOL clip into a folder")
        if not dest:
            return None
        label = self.result.label()
        self.export_job = bridge.run(f"Export IDOL clip to {Path(dest).name}", export_idol_task, self.result.folder,
                                     dest, on_done=lambda out: self.show_line(f"exported to {out}; {label}"),
                                     on_error=lambda msg: self.show_line(f"export failed: {msg.splitlines()[0]}"))
        return self.export_job
