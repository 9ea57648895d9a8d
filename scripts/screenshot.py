#!/usr/bin/env python3
"""Drive the studio on an X display and save screenshots to docs/screenshots/ (run via screenshot.sh).

Steps: open the studio (default clip or the given motion file), wait for the body mesh,
play for a moment, then capture: the whole screen (`import -window root`) and the window
itself, once as the studio opens (jobs running) and once with each of a few view settings.
"""
from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QTimer  # noqa: E402

from app.ui.app import make_application  # noqa: E402

log = logging.getLogger("screenshot")


def grab_screen(path: Path) -> None:
    """The whole X screen through ImageMagick (what a user would see)."""
    subprocess.run(["import", "-window", "root", str(path)], check=True, timeout=60)
    log.info("saved %s", path)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("motion", nargs="?", help="motion file to show (default: the studio's default clip)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--timeout", type=float, default=240.0, help="seconds to wait for the body mesh")
    parser.add_argument("--first-start", metavar="EMPTY_DIR",
                        help="use this empty cache folder, so the one-time body preparation shows (about a minute)")
    args = parser.parse_args()
    if args.first_start:
        os.environ["ACTION_STUDIO_CACHE"] = os.environ["ANNY_CACHE_DIR"] = str(Path(args.first_start).resolve())
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if "DISPLAY" not in os.environ:
        log.error("no X display: run scripts/screenshot.sh (it starts Xvfb)")
        return 2

    app = make_application([])
    from app.ui.main_window import MainWindow

    win = MainWindow()
    screen = app.primaryScreen().geometry()
    win.setGeometry(screen)
    win.show()
    win.start(args.motion)
    t0 = time.monotonic()
    status = {"code": 0}

    a = win.actions_
    shots = [  # (screenshot name, what to do first, how long to let it play/render before the shot)
        ("studio_playing", lambda: None, 2500),
        ("studio_skeleton_side", lambda: (a.skeleton.setChecked(True), a.contacts.setChecked(True),
                                          a.cameras["side"].trigger()), 1500),
        ("studio_paused_top", lambda: (win.timeline.pause(), a.skeleton.setChecked(False),
                                       a.cameras["top"].trigger()), 1500),
    ]

    def shoot(name: str) -> None:
        grab_screen(out / f"{name}.png")

    def next_shot() -> None:
        if not shots:
            win.close()
            app.quit()
            return
        name, action, delay = shots.pop(0)
        action()
        QTimer.singleShot(delay, lambda: (shoot(name), next_shot()))

    def opening() -> None:
        shoot("studio_first_start" if args.first_start else "studio_opening")
        wait_for_mesh()

    def wait_for_mesh() -> None:
        if win.vertices is None and win.files.last_error is None:
            if time.monotonic() - t0 > args.timeout:
                log.error("the body mesh did not arrive in %.0f s", args.timeout)
                status["code"] = 1
                app.quit()
                return
            QTimer.singleShot(500, wait_for_mesh)
            return
        if not win.timeline.playing:
            win.timeline.play()
        next_shot()

    QTimer.singleShot(12000 if args.first_start else 1500, opening)
    app.exec()
    return status["code"]


if __name__ == "__main__":
    sys.exit(main())
