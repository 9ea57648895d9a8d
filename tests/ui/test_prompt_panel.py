"""Prompt panel: generate on the engine, samples, errors, atom heat strip, history, span regeneration.

Uses a tiny random-weight ATOM pipeline with a fake text encoder (as tests/engine/test_t2m.py).
"""
from __future__ import annotations


import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from app.engine.tasks import generate_task as gt

from ui_fakes import make_window


@pytest.fixture
def win(t2m_window):
    return t2m_window


def _generate(qtbot, panel, text: str, seconds: float = 3.0, seed: int = 0, samples: int = 1):
    panel.text.setPlainText(text)
    panel.seconds.setValue(seconds)
    panel.seed.setValue(seed)
    panel.samples.setValue(samples)
    n = len(panel.history)
    job = panel.generate()
    assert job is not None
    qtbot.waitUntil(lambda: len(panel.history) == n + 1, timeout=20000)
    return panel.current_sample


def test_generate_loads_clip_segments_and_heat_strip(qtbot, win):
    panel = win.prompt_panel
    assert panel.foot_lock.isChecked() and panel.examples.count() >= 9
    panel.examples.activated.emit(2)  # the multi-span example
    assert panel.text.toPlainText() == "walk forward; then jump twice; then wave"
    panel.dice.click()
    assert 0 <= panel.seed.value() <= 99999
    sample = _generate(qtbot, panel, "walk forward; then jump twice; then wave", 6.0, seed=1)
    assert win.clip is sample.clip and win.clip.num_frames == 120
    labels = [s.text for s in win.timeline.strip.segments]
    assert labels[:2] == ["walk forward", "jump twice"] and labels[2].startswith("wave with the ")  # side said
    strip = win.atom_strip
    assert strip.image is not None and strip.image.width() == 120 and strip.num_frames == 120
    assert strip.image.height() == 16 and strip.height() <= 40
    win.timeline.pause()
    win.timeline.set_frame(57)
    assert strip.frame == 57
    assert strip.top_atoms(57)[0][1] == pytest.approx(sample.attention[57].max())
    strip.grab()  # paints without error
    # the heat strip's marker x matches the timeline's marker x
    assert abs(strip.x_for_frame(57) - win.timeline.strip.x_for_frame(57)) < 1.0
    assert "Traceback" not in win.statusBar().currentMessage()


def test_same_seed_same_joints_and_samples_selector(qtbot, win):
    panel = win.prompt_panel
    a = _generate(qtbot, panel, "a person waves", 2.0, seed=7)
    b = _generate(qtbot, panel, "a person waves", 2.0, seed=7)
    np.testing.assert_array_equal(a.joints, b.joints)
    c = _generate(qtbot, panel, "a person waves", 2.0, seed=7, samples=3)
    assert len(panel.current.result.samples) == 3 and len(panel.thumbs) == 3
    assert len(panel.sample_buttons.buttons()) == 3
    panel.sample_buttons.button(2).click()
    other = panel.current.result.samples[2]
    assert win.clip is other.clip and not np.allclose(other.joints, c.joints)
    assert panel.thumbs[2].selected and not panel.thumbs[0].selected


def test_bad_input_shows_one_line_error_and_keeps_clip(qtbot, win):
    panel = win.prompt_panel
    sample = _generate(qtbot, panel, "a person walks", 2.0)
    jobs_before = len(win.engine.jobs)
    for text in ("", "   \n  "):
        panel.text.setPlainText(text)
        assert panel.generate() is None
        assert "empty" in panel.last_error and "\n" not in panel.last_error
        assert win.clip is sample.clip
    assert len(win.engine.jobs) == jobs_before  # rejected before reaching the engine
    panel.text.setPlainText("walk; " * 100)  # 100 spans cannot fit in the duration
    panel.seconds.setValue(2.0)
    assert panel.generate() is None and "100 spans" in panel.last_error and "\n" not in panel.last_error
    assert win.statusBar().currentMessage() == panel.last_error
    assert win.clip is sample.clip and panel.generate_button.isEnabled()


def test_ctrl_enter_generates(qtbot, win):
    panel = win.prompt_panel
    panel.text.setPlainText("a person jumps")
    panel.seconds.setValue(1.0)
    panel.text.setFocus()
    qtbot.keyClick(panel.text, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(panel.history) == 1, timeout=20000)
    assert win.clip.num_frames == 20


def test_history_reload(qtbot, win):
    panel = win.prompt_panel
    first = _generate(qtbot, panel, "a person walks", 2.0, seed=1)
    second = _generate(qtbot, panel, "a person jumps", 1.5, seed=2)
    assert win.clip is second.clip and panel.history_list.count() == 2
    item = panel.history_list.item(1)
    rect = panel.history_list.visualItemRect(item)
    qtbot.mouseClick(panel.history_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert win.clip is first.clip and win.atom_strip.num_frames == 40
    for i in range(gt_max := 21):
        panel.add_history(type(panel.history[0])(f"x{i}", panel.history[0].result))
    assert len(panel.history) == panel.history_list.count() == 20 and gt_max > 20


def test_span_regeneration_via_timeline_selection(qtbot, win):
    panel = win.prompt_panel
    orig = _generate(qtbot, panel, "a person walks forward", 4.0, seed=2)
    win.timeline.pause()
    strip = win.timeline.strip
    y = strip.height() // 2
    qtbot.mousePress(strip, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier,
                     QPoint(int(strip.x_for_frame(30)), y))
    qtbot.mouseMove(strip, QPoint(int(strip.x_for_frame(59)), y))
    qtbot.mouseRelease(strip, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier,
                       QPoint(int(strip.x_for_frame(59)), y))
    assert strip.selection == (30, 60)
    assert (panel.span_from.value(), panel.span_to.value()) == (30, 60)
    panel.span_text.setText("the person jumps")
    assert panel.regenerate_span() is not None
    qtbot.waitUntil(lambda: len(panel.history) == 2, timeout=20000)
    new = win.clip
    assert new is not orig.clip and new.num_frames == orig.clip.num_frames
    for a, b in ((new.trans, orig.clip.trans), (new.rotations, orig.clip.rotations)):
        assert np.array_equal(a[:30], b[:30]) and np.array_equal(a[60:], b[60:])
    assert not np.allclose(new.rotations[35:55], orig.clip.rotations[35:55])
    att = panel.current_sample.attention
    assert att.shape == orig.attention.shape and np.array_equal(att[:30], orig.attention[:30])
    assert any(s.text == "the person jumps" for s in win.timeline.strip.segments)
    # a bad range gives a one-line message, no job
    panel.span_from.setValue(70)
    panel.span_to.setValue(10)
    assert panel.regenerate_span() is None and "select at least" in panel.last_error


def test_cancel_generation(qtbot, win, tiny_pipe):
    import threading
    gate = threading.Event()

    class SlowPipe:
        def generate(self, *a, **k):
            gate.wait(5)
            return tiny_pipe.generate(*a, **k)

    gt.register_pipeline("atom", SlowPipe())
    panel = win.prompt_panel
    panel.text.setPlainText("a person walks")
    job = panel.generate()
    assert panel.cancel_button.isEnabled() and not panel.generate_button.isEnabled()
    panel.cancel()
    gate.set()
    qtbot.waitUntil(lambda: panel.generate_button.isEnabled(), timeout=10000)
    assert job.state.value == "cancelled" and panel.history == []


def test_atom_strip_rows_follow_their_own_peak_and_switching_atoms_come_first(qtbot):
    from app.ui.atom_strip import AtomStrip

    strip = AtomStrip()
    qtbot.addWidget(strip)
    att = np.full((20, 8), 0.01, np.float32)
    att[:, 0] = 0.9  # dominant everywhere
    att[10:, 1] = 0.4  # a secondary atom that switches on at frame 10
    att[:, 2] = 0.05  # faint and flat
    strip.set_attention(att)
    rgb = strip._rgb.astype(int)  # rows: atoms 1, 0, 2 ...
    assert list(strip.atoms[:3]) == [1, 0, 2]  # the atom that switches on first, then the flat ones by use
    assert rgb[0, 15].sum() > rgb[1, 15].sum() * 0.95  # the secondary atom's peak is as bright as the dominant one
    assert rgb[0, 5].sum() < rgb[0, 15].sum() / 2  # ... and dark before it switches on
    assert rgb[2, 5].sum() < rgb[0, 15].sum() * 0.75  # the faint atom is not blown up to full brightness


def test_history_survives_a_restart_and_regenerates_the_same_motion(qtbot, engine, settings, tiny_pipe):
    from ui_fakes import make_window

    gt.register_pipeline("atom", tiny_pipe)
    try:
        first = make_window(qtbot, engine, settings)
        original = _generate(qtbot, first.prompt_panel, "a person waves", 2.0, seed=7)
        _generate(qtbot, first.prompt_panel, "a person jumps", 1.5, seed=3)
        first.close()
        settings.setValue("prompt/history_junk", "x")  # unrelated keys do not matter
        second = make_window(qtbot, engine, settings)
        panel = second.prompt_panel
        assert not panel.history and panel.history_list.count() == 2
        assert panel.history_list.item(0).text().startswith("↻ a person jumps")  # most recent first
        item = panel.history_list.item(1)
        qtbot.mouseClick(panel.history_list.viewport(), Qt.MouseButton.LeftButton,
                         pos=panel.history_list.visualItemRect(item).center())
        qtbot.waitUntil(lambda: len(panel.history) == 1, timeout=20000)
        assert panel.seed.value() == 7 and panel.text.toPlainText() == "a person waves"
        assert np.array_equal(panel.current_sample.clip.joints(), original.clip.joints())  # same seed, same motion
        assert panel.history_list.count() == 2 and panel.history_list.item(1).text().startswith("↻ a person jumps")
        second.close()
    finally:
        gt.register_pipeline("atom", None)


def test_damaged_saved_history_is_ignored(qtbot, settings):
    from app.ui.prompt_history import SavedPrompts

    settings.setValue("prompt/history", "{not json")
    assert SavedPrompts(settings).load() == []
    settings.setValue("prompt/history", '[{"text": "ok", "seed": 1}, {"bogus": 1}, 5, {"text": " ", "seed": 2},'
                      ' {"text": "x", "model": "nope"}]')
    reqs = SavedPrompts(settings).load()
    assert [(r.text, r.seed) for r in reqs] == [("ok", 1)]


def test_auto_duration_follows_the_length_estimator(qtbot, win, tiny_pipe):
    """Auto (the default) sends no duration: each part lasts what the estimator says, the field shows the length
    used and stays on Auto; typing a duration turns Auto off; the history and saved prompts keep 'auto'."""
    class Estimator:  # stands in for app.engine.t2m.length.LengthEstimator
        def seconds(self, texts):
            return np.full(len(texts), 2.5)

    panel = win.prompt_panel
    tiny_pipe.length = Estimator()
    try:
        assert panel.seconds.auto.isChecked() and panel.seconds.value() is None
        panel.text.setPlainText("a person waves; then jumps")
        n = len(panel.history)
        assert panel.generate() is not None
        qtbot.waitUntil(lambda: len(panel.history) == n + 1, timeout=20000)
        assert panel.current_sample.clip.duration == pytest.approx(5.0, abs=0.06)
        assert panel.seconds.auto.isChecked() and panel.seconds.spin.value() == pytest.approx(5.0)
        assert "· auto ·" in panel.history_list.item(0).text()
        assert panel.saved.load()[0].seconds is None
        panel.seconds.spin.setValue(3.0)  # the user types a duration
        assert not panel.seconds.auto.isChecked() and panel.seconds.value() == 3.0
        panel.seconds.setValue(None)
        assert panel.seconds.value() is None
    finally:
        tiny_pipe.length = None


def test_best_of_checkbox_reaches_the_request(qtbot, win):
    from app.engine.t2m.config import ranker_available
    panel = win.prompt_panel
    assert (not panel.rank.isHidden()) == ranker_available() and panel.rank.isChecked() == ranker_available()
    panel.text.setPlainText("a man waves")
    panel.rank.setChecked(False)
    assert panel.request().rank is False
    panel.rank.setChecked(True)
    assert panel.request().rank is True
