#!/usr/bin/env python3
"""Screenshots of the action lanes (asked vs recognised) under the timeline (run under Xvfb):

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python scripts/screenshot_recognition.py [--video clip.mp4] [--video-only]

Saves to docs/screenshots/ (and a close-up of the timeline of each beside it, *_timeline.png):
  studio_recognition.png        after generating "a person walks forward then jumps": the prompt's
                                spans read as atoms (asked) and what the recogniser sees (seen)
  studio_recognition_file.png   a corpus motion file (walk, squat, wave) after Motion > Recognise actions
  studio_recognition_video.png  with --video: the body tracked in the video and its actions
"""
from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from PySide6.QtCore import QTimer  # noqa: E402

from screenshot_util import open_studio, save_screen, start_generation  # noqa: E402

log = logging.getLogger("screenshot")
OUT = ROOT / "docs" / "screenshots"
PROMPT = "a person walks forward then jumps"


def corpus_file(folder: Path) -> Path:
    """A clean corpus composition (walk, squat, wave) saved as npz: its segments are the asked lane."""
    from app.core.motion_io import save_motion
    from app.engine.corpus.compose import compose

    clip = compose([("walk", {"steps": 4}), ("squat", None), ("wave", None)], np.random.default_rng(3))
    clip.name = "walk_squat_wave"
    path = folder / "walk_squat_wave.npz"
    save_motion(clip, path)
    return path


class Steps:
    """Each step waits for its condition (polled every 250 ms), then acts."""

    def __init__(self, app, win, args, folder: Path) -> None:
        self.app, self.win, self.args, self.code = app, win, args, 0
        self.t0 = self.mark = time.monotonic()
        lanes_for = lambda name: (lambda: win.state.lanes is not None and win.clip is not None  # noqa: E731
                                  and (win.clip.name or "").startswith(name) and not win.state.lanes_status)
        self.steps = [] if args.video_only else [
            (lambda: win.body is not None and win.vertices is not None, self.generate),
            (lanes_for("atom"), lambda: None),
            (lambda: win.vertices is not None and self.after(4.0), self.shoot("studio_recognition")),
            (lambda: True, lambda: win.files.open_path(corpus_file(folder))),
            (lambda: win.clip is not None and win.clip.name == "walk_squat_wave", win.actions_.recognize.trigger),
            (lanes_for("walk_squat_wave"), lambda: None),
            (lambda: win.vertices is not None and self.after(4.0), self.shoot("studio_recognition_file")),
        ]
        if args.video:
            stem = Path(args.video).stem
            self.steps += [(lambda: win.body is not None and win.vertices is not None,
                            lambda: win.files.open_path(args.video, autoplay=True)),
                           (lambda: lanes_for(stem)() or win.recognition.last_error, lambda: None),
                           (lambda: win.vertices is not None and self.after(4.0),
                            self.shoot("studio_recognition_video"))]
        self.steps.append((lambda: True, self.finish))

    def after(self, seconds: float) -> bool:
        return time.monotonic() - self.mark >= seconds

    def run(self) -> None:
        if time.monotonic() - self.t0 > self.args.timeout:
            log.error("timed out with %d steps left", len(self.steps))
            self.code = 1
            return self.finish()
        if self.steps:
            cond, act = self.steps[0]
            if cond():
                self.steps.pop(0)
                self.mark = time.monotonic()
                act()
            QTimer.singleShot(250, self.run)
        return None

    def generate(self) -> None:
        self.win.prompt_panel.raise_()
        error = start_generation(self.win.prompt_panel, PROMPT, 6.0, 0, samples=1)
        if error:
            log.error("%s", error)

    def shoot(self, name: str):
        def go() -> None:
            self.win.timeline.pause()
            self.win.timeline.set_frame(int(self.win.timeline.num_frames * 0.3))
            deadline = time.monotonic() + 6.0  # the render thread draws the posed body for that frame
            while time.monotonic() < deadline:
                self.app.processEvents()
                time.sleep(0.05)
            save_screen(OUT / f"{name}.png")
            self.win.timeline_dock.grab().save(str(OUT / f"{name}_timeline.png"))
            log.info("%s: %s", name, self.win.state.lanes.summary() if self.win.state.lanes else "no lanes")
        return go

    def finish(self) -> None:
        self.steps = []
        self.win.close()
        self.app.quit()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--video", help="a video of a person: tracked, shown and recognised")
    parser.add_argument("--video-only", action="store_true", help="only the video screenshot")
    parser.add_argument("--timeout", type=float, default=1800.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    studio = open_studio()
    if studio is None:
        return 2
    app, win = studio
    win.state.set_auto_label(True)
    with tempfile.TemporaryDirectory() as tmp:
        steps = Steps(app, win, args, Path(tmp))
        QTimer.singleShot(1000, steps.run)
        app.exec()
    return steps.code


if __name__ == "__main__":
    sys.exit(main())
