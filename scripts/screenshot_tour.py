#!/usr/bin/env python3
"""A screenshot per tab, as a new user meets them (run under Xvfb):

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python scripts/screenshot_tour.py [--video clip.mp4]

Saves to docs/screenshots/:
  studio_textured.png   the Studio tab at first start: textured body, readable prompt placeholder,
                        the Jobs panel with "Clear finished"
  quit_question.png     File > Quit while a generation runs: wait, cancel or keep working
  studio_2p5d.png       the 2.5D tab playing along with the timeline, depth colour scale in metres
  studio_multiview.png  the Multi-view tab with the timeline under it
  forensics_tab.png     the Forensics tab without the Prompt/Body panels (analysing --video if given)
"""
from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QMessageBox  # noqa: E402

from screenshot_util import open_studio, save_screen, start_generation  # noqa: E402

log = logging.getLogger("screenshot")
OUT = ROOT / "docs" / "screenshots"
PROMPT = "a person walks forward; then jumps twice; then waves with the right hand"


def select_tab(win, title: str) -> None:
    tabs = win.centralWidget()
    titles = [tabs.tabText(i) for i in range(tabs.count())]
    tabs.setCurrentIndex(titles.index(title))


class Tour:
    """Steps run one after another; each waits for its condition (polled), then acts."""

    def __init__(self, app, win, args) -> None:
        self.app, self.win, self.args = app, win, args
        self.t0 = time.monotonic()
        self.code = 0
        self.steps = [
            (lambda: win.body is not None and win.vertices is not None, self.studio),
            (lambda: self.after(8.0)() and win.viewport.thread.last_ms < 2000, self.shoot("studio_textured.png")),
            (lambda: True, self.generate),
            (lambda: self.gen_job is not None and self.gen_job.state.value == "running", self.ask_quit),
            (lambda: self.gen_job.state.finished and win.clip is not None and
             (win.clip.name or "").startswith(("atom", "mdm")) and win.vertices is not None, self.tab("2.5D")),
            (lambda: win.tab_2p5d.shown_frame >= 0, lambda: None),  # the first frame (composes the texture)
            (self.after(6.0), self.shoot("studio_2p5d.png")),
            (lambda: True, self.tab("Multi-view")),
            (lambda: win.tab_multiview.last_image is not None, lambda: None),
            (self.after(6.0), self.shoot("studio_multiview.png")),
            (lambda: True, self.forensics),
            (lambda: self.inspect_job is None or self.inspect_job.state.finished
             or time.monotonic() - self.mark > args.inspect_timeout, lambda: None),
            (self.after(3.0), self.shoot("forensics_tab.png")),
            (lambda: True, self.finish),
        ]
        self.gen_job = self.inspect_job = None
        self.mark = time.monotonic()  # when the last step ran

    def after(self, seconds: float):
        return lambda: time.monotonic() - self.mark >= seconds

    def run(self) -> None:
        if time.monotonic() - self.t0 > self.args.timeout:
            log.error("timed out with %d steps left", len(self.steps))
            self.code = 1
            return self.finish()
        if not self.steps:
            return None
        cond, act = self.steps[0]
        if cond():
            self.steps.pop(0)
            self.mark = time.monotonic()
            act()
        QTimer.singleShot(250, self.run)
        return None

    # --- actions ---------------------------------------------------------------------
    def studio(self) -> None:
        select_tab(self.win, "Studio")
        self.win.prompt_panel.raise_()
        self.win.prompt_panel.text.clear()  # the placeholder shows

    def shoot(self, name: str):
        return lambda: save_screen(OUT / name)

    def generate(self) -> None:
        error = start_generation(self.win.prompt_panel, PROMPT, 6.0, 0, samples=1)
        if error:
            log.error("%s", error)
        self.gen_job = self.win.prompt_panel.job

    def ask_quit(self) -> None:
        """File > Quit while the generation runs: shoot the question, then keep working."""
        def answer() -> None:
            save_screen(OUT / "quit_question.png")
            box = QApplication.activeModalWidget()
            if isinstance(box, QMessageBox):
                for button in box.buttons():
                    if button.text() == "Keep working":
                        button.click()

        QTimer.singleShot(1500, answer)
        self.win.actions_.quit.trigger()  # a modal question: the timers keep running meanwhile

    def tab(self, title: str):
        def go() -> None:
            select_tab(self.win, title)
            self.win.timeline.set_loop(True)
            self.win.timeline.play()
        return go

    def forensics(self) -> None:
        self.win.timeline.set_frame(40)
        select_tab(self.win, "Forensics")
        if self.args.video:
            self.inspect_job = self.win.forensics_tab.inspect(Path(self.args.video))

    def finish(self) -> None:
        self.steps = []
        self.win.close()  # a scripted close: no questions
        self.app.quit()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--video", help="a video to analyse on the Forensics tab")
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--inspect-timeout", type=float, default=300.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    studio = open_studio()
    if studio is None:
        return 2
    app, win = studio
    tour = Tour(app, win, args)
    QTimer.singleShot(1000, tour.run)
    app.exec()
    return tour.code


if __name__ == "__main__":
    sys.exit(main())
