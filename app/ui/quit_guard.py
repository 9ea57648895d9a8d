"""Asking before the studio quits: running jobs (wait for them or cancel them cleanly) and a
generated motion that has not been saved.

File > Quit (Ctrl+Q) and the window's close button go through :meth:`QuitGuard.may_quit`;
closes the program makes itself (scripts, tests, ``QApplication.quit``) do not ask.
Jobs whose loss costs nothing (posing the body, opening a file) are not asked about.
"""
from __future__ import annotations

import logging
from typing import Callable

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QMainWindow, QMessageBox

from app.engine.jobs import Engine, Job

from .bridge import EngineBridge
from .studio_state import StudioState

log = logging.getLogger(__name__)

DISPOSABLE_JOBS = ("Pose body", "Shape preview", "Load body", "Open ", "Default clip", "Recognise actions:")
WAIT, CANCEL_JOBS, SAVE, DISCARD, STAY = ("Quit when finished", "Cancel jobs and quit", "Save…",
                                          "Quit without saving", "Keep working")
CANCEL_GRACE_MS = 10000  # cancelled jobs that have not stopped by then are abandoned (the engine stops them)

Ask = Callable[[str, str, list[str]], str]  # (title, text, button labels) -> the label chosen


def ask_with_box(parent: QMainWindow) -> Ask:
    """A modal question box; Escape or closing it means the last button (keep working)."""
    def ask(title: str, text: str, buttons: list[str]) -> str:
        box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent)
        made = [box.addButton(label, QMessageBox.ButtonRole.AcceptRole if i == 0 else
                              QMessageBox.ButtonRole.DestructiveRole if i < len(buttons) - 1
                              else QMessageBox.ButtonRole.RejectRole) for i, label in enumerate(buttons)]
        box.setDefaultButton(made[0])
        box.setEscapeButton(made[-1])
        box.exec()
        clicked = box.clickedButton()
        return buttons[made.index(clicked)] if clicked in made else buttons[-1]
    return ask


class QuitGuard(QObject):
    """Decides whether the window may close now; may close it later, once the jobs have stopped."""

    def __init__(self, win: QMainWindow, state: StudioState, bridge: EngineBridge, engine: Engine,
                 save: Callable[[], None]) -> None:
        super().__init__(win)
        self.win, self.state, self.bridge, self.engine, self.save = win, state, bridge, engine, save
        self.ask: Ask = ask_with_box(win)
        self.waiting: list[Job] = []  # the jobs the user chose to wait for (or cancelled)
        self.cancelled = False
        self._grace = QTimer(self)
        self._grace.setSingleShot(True)
        self._grace.timeout.connect(self._give_up_waiting)
        bridge.jobFinished.connect(self._job_finished)

    def work_jobs(self) -> list[Job]:
        """Unfinished jobs whose work would be lost (not body posing, shape previews or file opens)."""
        return [j for j in list(self.engine.jobs)
                if not j.state.finished and not j.name.startswith(DISPOSABLE_JOBS)]

    def may_quit(self) -> bool:
        """Ask what needs asking; True when the window may close now."""
        jobs = self.work_jobs()
        if jobs:
            return self._ask_jobs(jobs)
        return self._ask_unsaved()

    def _ask_unsaved(self) -> bool:
        if not self.state.unsaved:
            return True
        name = getattr(self.state.unsaved_clip, "name", None) or "the generated motion"
        answer = self.ask("Unsaved motion", f"The generated motion “{name}” has not been saved.\n"
                          "Save it before quitting?", [SAVE, DISCARD, STAY])
        if answer == SAVE:
            self.save()
        return answer == DISCARD

    def _ask_jobs(self, jobs: list[Job]) -> bool:
        names = ", ".join(f"“{j.name}”" for j in jobs[:3]) + (f" and {len(jobs) - 3} more" if len(jobs) > 3 else "")
        answer = self.ask("Jobs are running", f"{len(jobs)} job(s) still running: {names}.\n"
                          "Quitting now would lose their work.", [WAIT, CANCEL_JOBS, STAY])
        if answer == STAY:
            return False
        self.waiting, self.cancelled = list(jobs), answer == CANCEL_JOBS
        if self.cancelled:
            for job in jobs:
                job.cancel()
            self.state.message(f"Cancelling {len(jobs)} job(s); the studio closes when they have stopped", 0)
            self._grace.start(CANCEL_GRACE_MS)
        else:
            self.state.message(f"The studio closes when {len(jobs)} job(s) have finished "
                               "(quit again to cancel them instead)", 0)
        log.info("quit deferred: %s %d job(s)", "cancelling" if self.cancelled else "waiting for", len(jobs))
        return False

    def _job_finished(self, _job: Job) -> None:
        if self.waiting and all(j.state.finished for j in self.waiting):
            self.waiting = []
            QTimer.singleShot(0, self._retry)  # after the job's own callbacks (a result may be unsaved)

    def _give_up_waiting(self) -> None:
        if self.waiting:
            log.warning("jobs did not stop within %d ms; closing anyway", CANCEL_GRACE_MS)
            self.waiting = []
            if self._ask_unsaved():
                self.win.close()

    def _retry(self) -> None:
        self._grace.stop()
        self.cancelled = False
        if self.may_quit():
            self.win.close()
