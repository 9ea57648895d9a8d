"""Quitting asks first: running jobs (wait for them, or cancel them cleanly) and unsaved generated motion."""
from __future__ import annotations

import threading

import pytest
from PySide6.QtGui import QCloseEvent

from app.ui import quit_guard as qg
from app.ui.studio_tasks import prepare_clip
from ui_fakes import make_clip, make_window


release = threading.Event()


@pytest.fixture
def win(qtbot, engine, settings):
    w = make_window(qtbot, engine, settings)
    yield w
    w.quit_guard.ask = lambda *a: qg.DISCARD if a[0] == "Unsaved motion" else qg.CANCEL_JOBS
    release.set()
    w.close()


def _blocking_task():
    """A long job that stops at its next progress step when cancelled, or when `release` is set."""
    while not release.wait(0.02):
        yield 0.5, "working"
    return "finished"


class Answers:
    def __init__(self, *answers: str) -> None:
        self.answers, self.questions = list(answers), []

    def __call__(self, title: str, text: str, buttons: list[str]) -> str:
        self.questions.append((title, text, buttons))
        return self.answers.pop(0)


def _running_job(qtbot, win, name="Analyse clip.mp4"):
    release.clear()
    job = win.bridge.run(name, _blocking_task)
    qtbot.waitUntil(lambda: job.state.value == "running", timeout=10000)
    return job


def test_no_question_when_nothing_is_at_stake(qtbot, win):
    win.quit_guard.ask = Answers()  # any question would fail (no answers left)
    win.bridge.run("Pose body", _blocking_task)  # background posing is not work the user would lose
    win.actions_.quit.trigger()
    qtbot.waitUntil(lambda: not win.isVisible(), timeout=5000)


def test_keep_working_leaves_window_and_job(qtbot, win):
    job = _running_job(qtbot, win)
    ask = win.quit_guard.ask = Answers(qg.STAY)
    win.actions_.quit.trigger()
    title, text, buttons = ask.questions[0]
    assert title == "Jobs are running" and "Analyse clip.mp4" in text
    assert buttons == [qg.WAIT, qg.CANCEL_JOBS, qg.STAY]
    assert win.isVisible() and not job.cancel_requested


def test_cancel_jobs_then_quit_cleanly(qtbot, win):
    job = _running_job(qtbot, win)
    win.quit_guard.ask = Answers(qg.CANCEL_JOBS)
    win.actions_.quit.trigger()
    assert job.cancel_requested and win.isVisible()  # closes once the job has stopped
    assert "Cancelling 1 job" in win.statusBar().currentMessage()
    qtbot.waitUntil(lambda: not win.isVisible(), timeout=10000)
    assert job.state.value == "cancelled"


def test_wait_for_jobs_then_quit(qtbot, win):
    job = _running_job(qtbot, win)
    win.quit_guard.ask = Answers(qg.WAIT)
    win.actions_.quit.trigger()
    assert "closes when 1 job(s) have finished" in win.statusBar().currentMessage()
    qtbot.wait(200)
    assert win.isVisible() and not job.cancel_requested
    release.set()
    qtbot.waitUntil(lambda: not win.isVisible(), timeout=10000)
    assert job.state.value == "done" and job.result == "finished"


def _show_generated(qtbot, win):
    loaded = prepare_clip(make_clip(20, name="atom_seed3_1"))
    win.state.show_clip(loaded)
    qtbot.waitUntil(lambda: win.clip is loaded.clip, timeout=5000)
    return loaded


def test_unsaved_generated_motion_asks(qtbot, win, tmp_path):
    loaded = _show_generated(qtbot, win)
    assert win.state.unsaved
    ask = win.quit_guard.ask = Answers(qg.STAY, qg.SAVE)
    win.actions_.quit.trigger()
    assert ask.questions[0][0] == "Unsaved motion" and "atom_seed3_1" in ask.questions[0][1]
    assert win.isVisible()
    saved = []
    win.quit_guard.save = lambda: saved.append(True)
    win.actions_.quit.trigger()  # "Save…" opens the save dialog and keeps the studio open
    assert saved == [True] and win.isVisible()
    with qtbot.waitSignal(win.bridge.jobFinished, timeout=10000):
        win.files.save_path(tmp_path / "kept.npz")
    qtbot.waitUntil(lambda: not win.state.unsaved, timeout=5000)
    assert (tmp_path / "kept.npz").is_file()
    win.quit_guard.ask = Answers()  # saved: no more questions
    win.actions_.quit.trigger()
    qtbot.waitUntil(lambda: not win.isVisible(), timeout=5000)
    assert loaded.clip is win.clip


def test_window_close_button_asks_too(qtbot, win):
    _show_generated(qtbot, win)

    class UserClose(QCloseEvent):
        def spontaneous(self) -> bool:  # as from the window manager's close button
            return True

    ask = win.quit_guard.ask = Answers(qg.STAY, qg.DISCARD)
    ev = UserClose()
    win.closeEvent(ev)
    assert not ev.isAccepted() and len(ask.questions) == 1
    ev = UserClose()
    win.closeEvent(ev)
    assert ev.isAccepted()


def test_generation_finishing_while_waiting_asks_about_its_result(qtbot, win):
    """Waiting for a job whose result is an unsaved motion: the question comes once it is shown."""
    release.clear()
    job = win.bridge.run("Generate: wave", _blocking_task,
                         on_done=lambda _: win.state.show_clip(prepare_clip(make_clip(10, name="wave"))))
    qtbot.waitUntil(lambda: job.state.value == "running", timeout=10000)
    ask = win.quit_guard.ask = Answers(qg.WAIT, qg.DISCARD)
    win.actions_.quit.trigger()
    release.set()
    qtbot.waitUntil(lambda: not win.isVisible(), timeout=10000)
    assert [q[0] for q in ask.questions] == ["Jobs are running", "Unsaved motion"]
