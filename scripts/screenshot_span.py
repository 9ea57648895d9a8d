#!/usr/bin/env python3
"""Screenshots of a 'not learned' note and of a regenerated span (run under Xvfb):

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python scripts/screenshot_span.py

Generates PROMPT (naming something the model has not learned) with 4 samples, saves
docs/screenshots/prompt_not_learned.png; then selects frames 61-102 on the timeline, regenerates
them as "raises both arms above the head", pauses inside the span and saves
docs/screenshots/span_regenerated.png (the four samples, the new segment and the selection); then opens
the Edit menu (Undo names the edit) and saves docs/screenshots/edit_undo_menu.png.
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
from PySide6.QtWidgets import QMenu  # noqa: E402

from screenshot_util import open_studio, save_screen, start_generation  # noqa: E402

log = logging.getLogger("screenshot")
SHOTS = ROOT / "docs" / "screenshots"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prompt", default="a person walks forward; then does a backflip")
    parser.add_argument("--span-text", default="raises both arms above the head")
    parser.add_argument("--span", type=int, nargs=2, default=(61, 103))
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--frame", type=int, default=88, help="frame to pause on")
    parser.add_argument("--timeout", type=float, default=500.0)
    parser.add_argument("--skeleton", action="store_true",
                        help="skip the body model (skeletons only; for a busy machine)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    studio = open_studio(prepare_body=not args.skeleton)
    if studio is None:
        return 2
    app, win = studio
    panel = win.prompt_panel
    t0 = time.monotonic()
    status = {"code": 0, "stage": "wait body"}

    def fail(msg: str) -> None:
        log.error("%s", msg)
        status["code"] = 1
        app.quit()

    def posed(n: int) -> bool:
        lanes = win.viewport.lanes
        if args.skeleton:
            return len(lanes) >= n
        return len(lanes) >= n and all(lane.vertices is not None for lane in lanes) and win.vertices is not None

    def step() -> None:
        if time.monotonic() - t0 > args.timeout:
            return fail(f"timed out at stage {status['stage']}")
        stage = status["stage"]
        if stage == "wait body":
            if not args.skeleton and (win.body is None or win.vertices is None):
                return QTimer.singleShot(500, step)
            error = start_generation(panel, args.prompt, args.seconds, args.seed)
            if error:
                return fail(error)
            status["stage"] = "generating"
        elif stage == "generating":
            if not panel.history or not posed(4):
                return QTimer.singleShot(500, step)
            win.timeline.pause()
            win.timeline.set_frame(100)
            status["stage"] = "shot1"
            return QTimer.singleShot(2000, step)
        elif stage == "shot1":
            save_screen(SHOTS / "prompt_not_learned.png")
            win.timeline.strip.set_selection(tuple(args.span))
            panel.span_text.setText(args.span_text)
            if panel.regenerate_span() is None:
                return fail(f"span regeneration rejected: {panel.last_error}")
            status["stage"] = "regenerating"
        elif stage == "regenerating":
            if len(panel.history) < 2 or not posed(4):
                return QTimer.singleShot(500, step)
            win.timeline.pause()
            win.timeline.set_frame(args.frame)
            status["stage"] = "shot2"
            return QTimer.singleShot(2000, step)
        elif stage == "shot2":
            save_screen(SHOTS / "span_regenerated.png")
            edit = next(m for m in win.menuBar().findChildren(QMenu) if m.title() == "&Edit")
            bar = win.menuBar()
            edit.popup(bar.mapToGlobal(bar.actionGeometry(edit.menuAction()).bottomLeft()))
            status["stage"] = "shot3"
            return QTimer.singleShot(1500, step)
        elif stage == "shot3":
            save_screen(SHOTS / "edit_undo_menu.png")
            win.close()
            app.quit()
            return None
        QTimer.singleShot(500, step)

    QTimer.singleShot(1500, step)
    app.exec()
    return status["code"]


if __name__ == "__main__":
    sys.exit(main())
