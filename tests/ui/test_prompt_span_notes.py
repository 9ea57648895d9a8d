"""Prompt panel: a span edit keeps the other samples and replaces the segments exactly; prompts
naming something the model has not learned get a note; the known words are listed.

Tiny random-weight ATOM pipeline with a fake text encoder (tests/t2m_fakes.py), as the panel runs it.
"""
from __future__ import annotations

import numpy as np
import pytest

from app.engine.t2m import seams
from app.engine.t2m.vocabulary import Vocabulary
from t2m_fakes import fake_encoder
from ui_fakes import generate_in_panel


@pytest.fixture
def win(t2m_window):
    return t2m_window


def _generate(qtbot, panel, text: str, seconds: float, samples: int):
    return generate_in_panel(qtbot, panel, text, seconds, samples, seed=3)


def test_span_edit_keeps_the_other_samples_and_exact_segments(qtbot, win):
    panel = win.prompt_panel
    samples = _generate(qtbot, panel, "walk forward; then wave", 6.0, 4)
    panel.sample_buttons.button(2).click()
    assert win.clip is samples[2].clip
    win.timeline.strip.set_selection((61, 103))  # what shift+drag over frames 61-102 gives
    assert (panel.span_from.value(), panel.span_to.value()) == (61, 103)
    panel.span_text.setText("raises both arms above the head")
    assert panel.regenerate_span() is not None
    qtbot.waitUntil(lambda: len(panel.history) == 2, timeout=60000)
    entry = panel.current
    assert len(entry.result.samples) == 4 and entry.selected == 2
    assert all(entry.result.samples[i] is samples[i] for i in (0, 1, 3))  # the others are kept
    new = entry.result.samples[2].clip
    assert win.clip is new and len(win.viewport.lanes) == 4
    # one frame short of the segment edge at 60: the whole old segment is replaced, no sliver
    segs = [(round(s.start * 20), round(s.end * 20), s.text) for s in win.timeline.strip.segments]
    assert segs[:2] == [(0, 60, "walk forward"), (60, 103, "raises both arms above the head")]
    assert segs[2][:2] == (103, 120) and segs[2][2].startswith("wave with the ")   # its drawn side is said
    assert win.timeline.strip.selection == (60, 103) and "snapped" in panel.info_label.text()
    old = samples[2].clip
    assert np.array_equal(new.trans[:60], old.trans[:60]) and np.array_equal(new.rotations[103:], old.rotations[103:])
    turn = seams.pelvis_turn_per_frame(new)
    assert max(turn[58:61].max(), turn[101:104].max()) <= max(3 * np.percentile(turn, 95), 4.0)
    # the earlier generation is still in the history with its own four samples
    assert panel.history[1].result.samples == samples


def test_not_learned_note_and_known_words(qtbot, win, tiny_pipe):
    atoms = {"jump": dict(family="jumps", description="a person jumps", words=["jumps"]),
             "walk": dict(family="locomotion", description="a person walks forward", words=["walks"])}
    vocab = Vocabulary({"walks": 800, "jumps": 500, "forward": 900}, atoms, {"walks": ["walk"], "jumps": ["jump"]},
                       encoder=lambda texts: fake_encoder(["a person jumps" if "backflip" in t else t for t in texts]))
    tiny_pipe.vocabulary = vocab
    try:
        panel = win.prompt_panel
        _generate(qtbot, panel, "a person walks forward", 2.0, 1)
        assert not panel.notes_label.isVisible() and panel.current.result.notes == []
        _generate(qtbot, panel, "my character does a backflip twice", 2.0, 1)
        assert panel.notes_label.isVisible()
        assert panel.notes_label.text() == "not learned: backflip; closest learned action: jump"
        panel.show_history(1)  # the earlier result has no note
        assert not panel.notes_label.isVisible()
        from app.ui.known_words import KnownWordsDialog
        dialog = KnownWordsDialog(panel, vocab)
        qtbot.addWidget(dialog)
        assert dialog.visible_words() == ["walks", "jumps"]
        dialog.filter.setText("jump")
        assert dialog.visible_words() == ["jumps"]
        dialog.filter.setText("backflip")
        assert dialog.visible_words() == [] and "not learned" in dialog.summary.text()
        panel.known_button.click()  # the committed vocabulary
        assert panel.known_dialog is not None and panel.known_dialog.isVisible()
        panel.known_dialog.close()
    finally:
        tiny_pipe.vocabulary = None
