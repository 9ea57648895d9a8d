"""Prompt panel (dock): text -> motion with ATOM (or the MDM baseline), samples, history, span regeneration.

With 2-4 samples they play side by side in the main viewport (:mod:`.sample_compare`); clicking a
body, its number or a sample button makes it the current clip ("Side by side" off: one body and
small thumbnails).

Generation and span regeneration run as engine jobs through the window's bridge (progress and
cancel in the jobs panel); the GUI thread only validates input and shows results. Errors are one
line in the panel and the status bar; the current clip stays. What the prompt names that the model
has not learned is noted beside the result ("not learned: backflip; closest learned action: ..."),
and "Known words…" lists what it has. The panel talks to the studio only through the shared
:class:`~.studio_state.StudioState` (clip, bridge, settings; requests as signals).
"""
from __future__ import annotations

import logging
import random
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QComboBox, QDockWidget, QFormLayout,
                               QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPlainTextEdit,
                               QPushButton, QSpinBox, QStyle, QToolButton, QVBoxLayout, QWidget)

from app.core.errors import ActionStudioError
from app.engine.jobs import Job
from app.engine.t2m.config import DEFAULT_CANDIDATES, ranker_available
from app.engine.tasks.generate_task import (MAX_UI_SAMPLES, MODELS, GeneratedSample, GenerationRequest,
                                            GenerationResult, generate_task, validate_request)

from .duration_field import DurationField
from .prompt_history import EXAMPLES, MAX_HISTORY, SEED_MAX, HistoryEntry, SavedPrompts, request_label
from .prompt_span import SpanRegeneration
from .sample_compare import SampleCompare
from .sample_thumb import SampleThumb
from .studio_tasks import LoadedClip

if TYPE_CHECKING:
    from .studio_state import StudioState

log = logging.getLogger(__name__)

class PromptPanel(SpanRegeneration, QDockWidget):
    """The text-to-motion dock."""

    resultShown = Signal(object)  # the GeneratedSample now in the viewport

    def __init__(self, state: "StudioState", parent: QWidget | None = None) -> None:
        super().__init__("Prompt", parent)
        self.setObjectName("PromptPanel")
        self.state = state
        self.history: list[HistoryEntry] = []
        self.current: HistoryEntry | None = None
        self.job: Job | None = None
        self.last_error: str | None = None

        self.text = QPlainTextEdit()
        self.text.setPlaceholderText("Describe the motion… use ';' or 'then' for several actions")
        self.text.setMaximumHeight(90)
        self.examples = QComboBox()
        self.examples.addItem("Examples…")
        for e in EXAMPLES:
            self.examples.addItem(e)
        self.examples.activated.connect(self._example_chosen)
        self.model = QComboBox()
        for key, label in MODELS.items():
            self.model.addItem(label, key)
        self.seconds = DurationField(6.0, auto=True)
        self.seed = QSpinBox()
        self.seed.setRange(0, SEED_MAX)
        dice = QToolButton()
        dice.setIcon(dice.style().standardIcon(QStyle.StandardPixmap.SP_BrowserReload))
        dice.setToolTip("Random seed")
        dice.clicked.connect(lambda: self.seed.setValue(random.randint(0, 99999)))
        self.dice = dice
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed, 1)
        seed_row.addWidget(dice)
        self.samples = QSpinBox()
        self.samples.setRange(1, MAX_UI_SAMPLES)
        self.foot_lock = QCheckBox("Foot locking")
        self.foot_lock.setChecked(True)
        self.rank = QCheckBox(f"Best of {DEFAULT_CANDIDATES}")
        self.rank.setChecked(ranker_available())
        self.rank.setVisible(ranker_available())   # no ranker shipped: nothing to choose
        self.rank.setToolTip(f"Draw {DEFAULT_CANDIDATES} candidates per sample and keep the one the text-motion "
                             "ranker (models/ranker) scores best: slower, follows the prompt more often")
        self.generate_button = QPushButton("Generate  (Ctrl+Enter)")
        self.generate_button.clicked.connect(self.generate)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        buttons = QHBoxLayout()
        buttons.addWidget(self.generate_button, 1)
        buttons.addWidget(self.cancel_button)
        self.error_label = QLabel()
        self.error_label.setStyleSheet("color: #e15759")
        self.error_label.setWordWrap(False)
        self.info_label = QLabel()
        self.info_label.setWordWrap(True)  # long lines (a snapped span) must not widen the dock
        self.notes_label = QLabel()  # what the prompt names that the model has not learned
        self.notes_label.setWordWrap(True)
        self.notes_label.setStyleSheet("color: #f28e2b")
        self.notes_label.setVisible(False)
        self.known_button = QPushButton("Known words…")
        self.known_button.setToolTip("The words the model has learned, with their closest actions")
        self.known_button.clicked.connect(self.show_known_words)
        self.known_dialog = None

        self.sample_buttons = QButtonGroup(self)
        self.sample_buttons.setExclusive(True)
        self.sample_bar = QHBoxLayout()
        self.side_by_side = QCheckBox("Side by side")
        self.side_by_side.setChecked(True)
        self.side_by_side.setToolTip("Play all samples next to each other in the viewport; click one to pick it")
        self.side_by_side.setVisible(False)
        self.side_by_side.toggled.connect(self._side_by_side_toggled)
        self.compare = SampleCompare(state)
        state.laneClicked.connect(self.select_sample)
        self.thumbs: list[SampleThumb] = []
        self.thumb_row = QHBoxLayout()
        self.history_list = QListWidget()
        self.history_list.itemClicked.connect(lambda item: self._history_clicked(self.history_list.row(item)))
        self.saved = SavedPrompts(state.settings)
        self.saved_requests: list[GenerationRequest] = []  # rows after the live history: earlier sessions

        span_box = self._span_widgets()

        form = QFormLayout()
        form.addRow("Model", self.model)
        form.addRow("Duration", self.seconds)
        form.addRow("Seed", seed_row)
        form.addRow("Samples", self.samples)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(self.text)
        layout.addWidget(self.examples)
        layout.addLayout(form)
        checks = QHBoxLayout()
        checks.addWidget(self.foot_lock)
        checks.addWidget(self.rank)
        checks.addStretch(1)
        layout.addLayout(checks)
        layout.addLayout(buttons)
        layout.addWidget(self.error_label)
        layout.addWidget(self.info_label)
        notes_row = QHBoxLayout()
        notes_row.addWidget(self.notes_label, 1)
        notes_row.addWidget(self.known_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(notes_row)
        samples_row = QHBoxLayout()
        samples_row.addLayout(self.sample_bar)
        samples_row.addStretch(1)
        samples_row.addWidget(self.side_by_side)
        layout.addLayout(samples_row)
        layout.addLayout(self.thumb_row)
        layout.addWidget(QLabel("Regenerate a span (shift+drag on the timeline)"))
        layout.addWidget(span_box)
        layout.addWidget(QLabel("History"))
        layout.addWidget(self.history_list, 1)
        self.setWidget(body)
        self._show_saved()

        for seq in ("Ctrl+Return", "Ctrl+Enter"):
            sc = QShortcut(QKeySequence(seq), parent or self)
            sc.setContext(Qt.ShortcutContext.WindowShortcut)
            sc.activated.connect(self.generate)
        state.selectionChanged.connect(self._timeline_selection)

    # --- input -------------------------------------------------------------------
    def _example_chosen(self, index: int) -> None:
        if index > 0:
            self.text.setPlainText(self.examples.itemText(index))
            self.examples.setCurrentIndex(0)

    def request(self) -> GenerationRequest:
        return GenerationRequest(self.text.toPlainText(), self.seconds.value(), int(self.seed.value()),
                                 int(self.samples.value()), str(self.model.currentData()),
                                 self.foot_lock.isChecked(), self.rank.isChecked())

    def show_error(self, message: str) -> None:
        """One line in the panel and the status bar; never a traceback."""
        message = (message or "failed").strip().splitlines()[0]
        self.last_error = message
        self.error_label.setText(message)
        self.error_label.setToolTip(message)
        self.state.message(message, 15000)

    def _busy(self, busy: bool) -> None:
        self.generate_button.setEnabled(not busy)
        self.regen_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)

    # --- generation -----------------------------------------------------------------
    def generate(self) -> Job | None:
        """Validate and submit a generation job; None when the input was rejected or a job runs."""
        if self.job is not None and not self.job.state.finished:
            return None
        try:
            req = validate_request(self.request())
        except ActionStudioError as exc:
            self.show_error(str(exc))
            return None
        self.error_label.clear()
        self._busy(True)
        self.job = self.state.bridge.run(f"Generate: {req.text.strip()[:40]}", generate_task, req,
                                       on_done=self._generated, on_error=self._failed, on_cancel=self._cancelled)
        return self.job

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def _failed(self, message: str) -> None:
        self._busy(False)
        self.show_error(message)

    def _cancelled(self) -> None:
        self._busy(False)
        self.state.message("generation cancelled", 5000)

    def _generated(self, result: GenerationResult) -> None:
        self._busy(False)
        r = result.request
        if r.seconds is None and result.samples:
            self.seconds.show_used(result.samples[0].clip.duration)
        self.add_history(HistoryEntry(request_label(r, len(result.samples)), result))
        self.saved.add(r)
        self.state.message(f"generated {len(result.samples)} sample(s) in {result.seconds_taken:.2f} s", 8000)

    def add_history(self, entry: HistoryEntry) -> None:
        self.history.insert(0, entry)
        self.history_list.insertItem(0, QListWidgetItem(entry.label))
        while len(self.history) > MAX_HISTORY:
            self.history.pop()
            self.history_list.takeItem(len(self.history))  # the last live row (saved rows follow it)
        self.show_history(0)

    def _show_saved(self) -> None:
        """List the generations of earlier sessions (greyed, after this session's); a click regenerates one."""
        self.saved_requests = self.saved.load()
        for req in self.saved_requests:
            item = QListWidgetItem("↻ " + request_label(req))
            item.setForeground(QColor("#8a8a8a"))
            item.setToolTip("From an earlier session: click to generate it again (same seed, same motion)")
            self.history_list.addItem(item)

    def _history_clicked(self, row: int) -> None:
        if row < len(self.history):
            self.show_history(row)
        else:
            self.regenerate_saved(row - len(self.history))

    def regenerate_saved(self, k: int) -> Job | None:
        """Put saved request `k` back in the form and generate it (it then joins the live history)."""
        if not 0 <= k < len(self.saved_requests) or (self.job is not None and not self.job.state.finished):
            return None
        req = self.saved_requests.pop(k)
        self.history_list.takeItem(len(self.history) + k)
        self.text.setPlainText(req.text)
        self.seconds.setValue(req.seconds)
        self.seed.setValue(req.seed)
        self.samples.setValue(req.num_samples)
        self.model.setCurrentIndex(max(0, self.model.findData(req.model)))
        self.foot_lock.setChecked(req.foot_lock)
        self.rank.setChecked(req.rank and ranker_available())
        return self.generate()

    def show_history(self, row: int) -> None:
        """Load a past generation (kept in memory) and rebuild the sample selector."""
        if not 0 <= row < len(self.history):
            return
        self.current = self.history[row]
        self.history_list.setCurrentRow(row)
        self._rebuild_samples(self.current.result.samples)
        self.select_sample(self.current.selected)

    def _rebuild_samples(self, samples: list[GeneratedSample]) -> None:
        for b in self.sample_buttons.buttons():
            self.sample_buttons.removeButton(b)
            b.deleteLater()
        for t in self.thumbs:
            t.deleteLater()
        self.thumbs = []
        self.side_by_side.setVisible(len(samples) >= 2)
        if len(samples) < 2:
            return
        for i, s in enumerate(samples):
            b = QPushButton(str(i + 1))
            b.setCheckable(True)
            b.setMaximumWidth(36)
            self.sample_buttons.addButton(b, i)
            self.sample_bar.addWidget(b)
            b.clicked.connect(lambda _=False, k=i: self.select_sample(k))
            thumb = SampleThumb(i, s)
            thumb.clicked.connect(self.select_sample)
            thumb.setVisible(not self.side_by_side.isChecked())  # the viewport shows them all instead
            self.thumbs.append(thumb)
            self.thumb_row.addWidget(thumb)

    def select_sample(self, index: int) -> None:
        """Show sample `index` of the current history entry in the viewport and the heat strip."""
        if self.current is None:
            return
        samples = self.current.result.samples
        index = int(min(max(index, 0), len(samples) - 1))
        self.current.selected = index
        sample = samples[index]
        button = self.sample_buttons.button(index)
        if button is not None:
            button.setChecked(True)
        for t in self.thumbs:
            t.selected = t.index == index
            t.update()
        if self.state.clip is not sample.clip:  # re-selecting the shown sample keeps its mesh and frame
            self.state.show_clip(LoadedClip(sample.clip, None, sample.joints, sample.contacts), autoplay=True)
        self.compare.show(samples, index)
        self.state.show_attention(sample.attention)
        self.show_notes(self.current.result.notes)
        skate = f", foot skate {sample.skate_before:.2f} → {sample.skate_after:.2f}" \
            if self.current.result.request.foot_lock else ""
        self.info_label.setText(f"sample {index + 1}/{len(samples)}: {sample.clip.num_frames} frames{skate}")
        self.resultShown.emit(sample)

    def _side_by_side_toggled(self, on: bool) -> None:
        for t in self.thumbs:
            t.setVisible(not on)
        self.compare.set_enabled(on)

    @property
    def current_sample(self) -> GeneratedSample | None:
        return None if self.current is None else self.current.result.samples[self.current.selected]

    # --- what the model knows ---------------------------------------------------------------
    def show_notes(self, notes: list[str]) -> None:
        """Notes beside the result (unknown words and the closest learned action; a side the prompt
        left open), or none."""
        self.notes_label.setText("\n".join(notes))
        self.notes_label.setToolTip("What the model could not take from the prompt as typed: words it was not trained\n"
                                    "on (it falls back on what it knows; see 'Known words…'), or a side the prompt\n"
                                    "left open (each sample then takes one; name it to choose).")
        self.notes_label.setVisible(bool(notes))

    def show_known_words(self) -> None:
        """Open (or raise) the list of words known to the model and their closest atoms."""
        from .known_words import KnownWordsDialog
        if self.known_dialog is None:
            self.known_dialog = KnownWordsDialog(self)
        self.known_dialog.show()
        self.known_dialog.raise_()
