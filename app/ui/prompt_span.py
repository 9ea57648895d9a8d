"""Span regeneration for the prompt panel: frames [from, to) of the shown clip redrawn from a new text.

A mixin of :class:`~.prompt_panel.PromptPanel` (it uses the panel's job, samples, history and error
line): shift+drag on the timeline fills the frame range, "Regenerate span" submits
:func:`~app.engine.tasks.generate_task.regenerate_span_task` as an engine job, and the result joins the
history as a new entry in which the other samples of the edited generation stay. Each edit goes on the
studio's undo stack (:mod:`.edit_history`): Ctrl+Z shows the motion as it was, Ctrl+Shift+Z the edit.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox, QVBoxLayout, QWidget

from app.engine.jobs import Job
from app.engine.tasks.generate_task import GenerationRequest, GenerationResult, SpanEdit, regenerate_span_task

from .edit_history import StudioEdit, View
from .prompt_history import HistoryEntry

if TYPE_CHECKING:
    from .prompt_panel import PromptPanel


class SpanRegeneration:
    """The panel's span editor: its widgets, the timeline link and the job."""

    def _span_widgets(self: "PromptPanel") -> QWidget:
        """Build the frame range, text and button; returns them in one widget."""
        self.span_from, self.span_to = QSpinBox(), QSpinBox()
        for box in (self.span_from, self.span_to):
            box.setRange(0, 100000)
        self.span_text = QLineEdit()
        self.span_text.setPlaceholderText("new text for the selected frames")
        self.regen_button = QPushButton("Regenerate span")
        self.regen_button.clicked.connect(self.regenerate_span)
        row = QHBoxLayout()
        row.addWidget(QLabel("frames"))
        row.addWidget(self.span_from)
        row.addWidget(QLabel("to"))
        row.addWidget(self.span_to)
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.span_text)
        layout.addWidget(self.regen_button)
        return box

    def _timeline_selection(self: "PromptPanel", f0: int, f1: int) -> None:
        if f0 >= 0:
            self.span_from.setValue(f0)
            self.span_to.setValue(f1)

    def regenerate_span(self: "PromptPanel") -> Job | None:
        """Regenerate frames [from, to) of the shown clip from the span text (outside frames untouched)."""
        if self.job is not None and not self.job.state.finished:
            return None
        clip = self.state.clip
        if clip is None:
            self.show_error("no motion to edit: generate or open one first")
            return None
        f0, f1 = int(self.span_from.value()), int(self.span_to.value())
        text = self.span_text.text().strip() or self.text.toPlainText().strip()
        if not text:
            self.show_error("the span text is empty: describe what the body should do in the selected frames")
            return None
        if not (0 <= f0 < f1 <= clip.num_frames) or f1 - f0 < 2:
            self.show_error(f"select at least 2 frames inside the motion's {clip.num_frames} frames "
                            f"(shift+drag on the timeline)")
            return None
        sample = self.current_sample
        edited = sample is not None and sample.clip is clip
        att = sample.attention if edited else None
        model = self.current.result.request.model if self.current is not None else str(self.model.currentData())
        base = (self.current, self.current.selected) if edited else None
        before = self._view_of(base, self.state.loaded)
        self.error_label.clear()
        self._busy(True)
        self.job = self.state.bridge.run(
            f"Regenerate frames {f0}-{f1}", regenerate_span_task, clip, f0, f1, text, int(self.seed.value()),
            model, self.foot_lock.isChecked(), att,
            on_done=lambda e: self._span_done(e, model, base, before), on_error=self._failed,
            on_cancel=self._cancelled)
        return self.job

    def _span_done(self: "PromptPanel", edit: SpanEdit, model: str, base: "tuple[HistoryEntry, int] | None",
                   before: "View | None" = None) -> None:
        """Show the edited clip as a new history entry (the other samples of its generation stay) and
        push the edit on the studio's undo stack (undo shows what was edited)."""
        self._busy(False)
        sample, f0, f1, text = edit.sample, edit.f0, edit.f1, edit.text
        samples, selected = [sample], 0
        if base is not None:
            entry, selected = base
            samples = list(entry.result.samples)
            samples[selected] = sample
        req = GenerationRequest(text, sample.clip.duration, int(self.seed.value()), len(samples), model,
                                self.foot_lock.isChecked(), self.rank.isChecked())
        result = GenerationResult(req, samples, spans=[(f0, f1, text)])
        result.notes = list(edit.notes)
        entry = HistoryEntry(f"span {f0}-{f1}: {text[:40]}  · edit of {sample.clip.name}", result, selected)
        self.add_history(entry)
        if edit.snapped:
            self.info_label.setText(self.info_label.text() + f" · span snapped to segment edges {f0}-{f1}")
        self.state.select_frames(f0, f1)
        self.state.request_frame(f0)
        if before is not None:
            self.state.undo.push(StudioEdit(f"Regenerate frames {f0}-{f1}", before,
                                          self._view_of((entry, selected), None, (f0, f1))))

    def _view_of(self: "PromptPanel", base: "tuple[HistoryEntry, int] | None", loaded: Any,
                 span: tuple[int, int] | None = None) -> "View | None":
        """A callable showing sample ``base`` = (entry, index) again (through the history), else the
        clip ``loaded``; ``span`` is selected on the timeline afterwards. None: nothing to show."""
        if base is None and loaded is None:
            return None

        def show() -> None:
            if base is not None:
                self.show_entry(*base)
            else:
                self.state.show_clip(loaded, autoplay=False, unsaved=False)  # an unsaved edit stays marked
            if span is not None:
                self.state.select_frames(*span)
                self.state.request_frame(span[0])
        return show

    def show_entry(self: "PromptPanel", entry: HistoryEntry, index: int) -> None:
        """Show sample ``index`` of history ``entry`` (put back at the top if it left the history)."""
        row = next((i for i, e in enumerate(self.history) if e is entry), None)
        entry.selected = index
        if row is None:
            self.add_history(entry)
        else:
            self.show_history(row)
