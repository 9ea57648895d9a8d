"""Undo / redo of a span edit (Edit menu, Ctrl+Z / Ctrl+Shift+Z): the motion as it was comes back with its
segments and the other samples; redo shows the edit again; an opened clip's edit is undone the same way.

Tiny random-weight ATOM pipeline with a fake text encoder (tests/t2m_fakes.py), as the panel runs it.
"""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from app.ui.studio_tasks import prepare_clip
from ui_fakes import generate_in_panel, make_clip


@pytest.fixture
def win(t2m_window):
    return t2m_window


def _edit(qtbot, panel, f0: int, f1: int, text: str) -> None:
    n = len(panel.history)
    panel.state.select_frames(f0, f1)
    panel.span_text.setText(text)
    assert panel.regenerate_span() is not None
    qtbot.waitUntil(lambda: len(panel.history) == n + 1 or bool(panel.last_error), timeout=60000)
    assert len(panel.history) == n + 1, panel.last_error


def _segments(win) -> list[str]:
    return [s.text for s in win.timeline.strip.segments]


def test_undo_redo_a_span_edit_of_a_sample(qtbot, win):
    panel, stack = win.prompt_panel, win.state.undo
    samples = generate_in_panel(qtbot, panel, "walk forward; then wave", 4.0, 2, seed=1)
    panel.sample_buttons.button(1).click()
    before = _segments(win)
    undo, redo = win.actions_.undo, win.actions_.redo
    assert not undo.isEnabled() and not redo.isEnabled()   # nothing edited yet
    _edit(qtbot, panel, 20, 50, "the person jumps")
    edited = win.clip
    assert edited is not samples[1].clip and "the person jumps" in _segments(win)
    assert undo.isEnabled() and undo.text() == "Undo Regenerate frames 20-50"
    qtbot.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert win.clip is samples[1].clip and _segments(win) == before
    assert panel.current.result.samples is not None and panel.current.selected == 1
    assert len(win.viewport.lanes) == 2          # both samples side by side again
    assert redo.isEnabled() and not undo.isEnabled()
    qtbot.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert win.clip is edited and "the person jumps" in _segments(win)
    assert win.timeline.strip.selection[0] <= 20 < win.timeline.strip.selection[1]   # the edited span is selected
    # a second edit on top: two undos go back to the generated sample
    _edit(qtbot, panel, 40, 70, "the person waves")
    second = win.clip
    assert stack.count() == 2 and second is not edited
    stack.undo()
    assert win.clip is edited
    stack.undo()
    assert win.clip is samples[1].clip
    # a new edit after undo drops the redo branch, as editors do
    _edit(qtbot, panel, 5, 30, "the person squats")
    assert stack.count() == 1 and not stack.canRedo()


def test_undo_an_edit_of_an_opened_clip(qtbot, win):
    panel = win.prompt_panel
    loaded = prepare_clip(make_clip(60))
    win.set_loaded(loaded)
    assert win.state.loaded is loaded
    _edit(qtbot, panel, 10, 40, "the person jumps")
    assert win.clip is not loaded.clip and not np.array_equal(win.clip.rotations, loaded.clip.rotations)
    win.state.undo.undo()
    assert win.clip is loaded.clip and _segments(win) == ["raise arm", "wave"]
    assert win.state.unsaved   # the edit is still only in memory: quitting asks
    win.state.undo.redo()
    assert win.clip is not loaded.clip and "the person jumps" in _segments(win)


def test_body_shape_edits_are_undoable(qtbot, win):
    from app.ui.body_panel import DEFAULT_PHENOTYPE

    panel, stack = win.body_panel, win.state.undo
    seen: list[dict] = []
    panel.phenotypeChanged.connect(seen.append)
    for v in (60, 70, 80):                       # one drag: several values, one edit once it settles
        panel.sliders["height"].setValue(v)
    assert stack.count() == 0
    qtbot.waitUntil(lambda: stack.count() == 1, timeout=5000)
    assert win.actions_.undo.text() == "Undo Change body shape"
    panel.sliders["weight"].setValue(20)
    panel.commit_shape()                         # settled at once (what the timer does)
    assert stack.count() == 2
    panel.reset_shape()
    assert stack.count() == 3 and panel.phenotype() == DEFAULT_PHENOTYPE
    stack.undo()
    assert panel.phenotype()["height"] == 0.8 and panel.phenotype()["weight"] == 0.2
    stack.undo()
    assert panel.phenotype()["height"] == 0.8 and panel.phenotype()["weight"] == 0.5
    assert seen[-1] == panel.phenotype()         # the body is re-shaped on undo
    stack.undo()
    assert panel.phenotype() == DEFAULT_PHENOTYPE and not stack.canUndo()
    stack.redo()
    assert panel.phenotype()["height"] == 0.8
    panel.set_phenotype({"height": 0.3})        # a body loaded with its own shape is not an edit
    assert stack.count() == 3 and stack.index() == 1


def test_ctrl_z_in_a_text_field_undoes_the_typing_not_the_edit(qtbot, win):
    panel = win.prompt_panel
    generate_in_panel(qtbot, panel, "a person walks forward", 3.0, 1, seed=2)
    _edit(qtbot, panel, 10, 40, "the person jumps")
    edited = win.clip
    win.show()
    qtbot.waitExposed(win)
    panel.span_text.setFocus()
    panel.span_text.clear()
    qtbot.keyClicks(panel.span_text, "squats")
    qtbot.keyClick(panel.span_text, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert panel.span_text.text() != "squats"      # the line edit's own undo
    assert win.clip is edited and win.state.undo.canUndo()
