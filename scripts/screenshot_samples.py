#!/usr/bin/env python3
"""Screenshot of 4 generated samples side by side (run under Xvfb):

    xvfb-run -a -s "-screen 0 1600x900x24" .venv/bin/python scripts/screenshot_samples.py

Generates "PROMPT" with 4 samples in the prompt panel (the shipped ATOM model), waits for
every body to be posed, plays a moment, pauses and saves docs/screenshots/samples_side_by_side.png.
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

from screenshot_util import open_studio, save_screen, start_generation  # noqa: E402

log = logging.getLogger("screenshot")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prompt", default="a person walks forward and waves")
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--auto", action="store_true", help="Duration 'Auto' (the length estimator) instead of --seconds")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--frame", type=int, default=38, help="frame to pause on")
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots" / "samples_side_by_side.png"))
    parser.add_argument("--timeout", type=float, default=240.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    studio = open_studio()
    if studio is None:
        return 2
    app, win = studio
    panel = win.prompt_panel
    t0 = time.monotonic()
    status = {"code": 0, "generated": False}

    def fail(msg: str) -> None:
        log.error("%s", msg)
        status["code"] = 1
        app.quit()

    def step() -> None:
        if time.monotonic() - t0 > args.timeout:
            return fail("timed out")
        if win.body is None or win.vertices is None:
            return QTimer.singleShot(500, step)
        if not status["generated"]:
            status["generated"] = True
            error = start_generation(panel, args.prompt, None if args.auto else args.seconds, args.seed)
            if error:
                return fail(error)
            return QTimer.singleShot(500, step)
        lanes = win.viewport.lanes
        if len(lanes) < 4 or any(lane.vertices is None for lane in lanes) or win.vertices is None:
            return QTimer.singleShot(500, step)
        QTimer.singleShot(2500, shoot)

    def shoot() -> None:
        win.timeline.pause()
        win.timeline.set_frame(args.frame)
        QTimer.singleShot(1500, save)

    def save() -> None:
        save_screen(args.out)
        win.close()
        app.quit()

    QTimer.singleShot(1500, step)
    app.exec()
    return status["code"]


if __name__ == "__main__":
    sys.exit(main())
