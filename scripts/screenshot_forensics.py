#!/usr/bin/env python3
"""Screenshot of the Forensics tab on a rendered clip (run under Xvfb):

    xvfb-run -a -s "-screen 0 1600x900x24" .venv/bin/python scripts/screenshot_forensics.py

Renders 4 s of the default motion on the textured Anny body in a textured room with a dolly
camera (the calibration renderer), encodes it as H.264, drops it on the Forensics tab, waits
for the report (verdict, cue table, SfM points and camera path) and saves
docs/screenshots/forensics_pointcloud.png.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from screenshot_util import open_studio, save_screen  # noqa: E402

log = logging.getLogger("screenshot")


def make_clip(path: Path, seconds: float = 4.0) -> Path:
    """The default motion, rendered as a dolly shot at 20 fps, 480x270."""
    from app.core.motion_io import load_motion
    from app.engine.forensics.calib_render import CalibRenderer, CalibShot
    from app.viewers.video import write_video

    clip = load_motion(ROOT / "assets" / "motions" / "default.npz")
    if abs(clip.fps - 20.0) > 1e-6:
        clip = clip.resample(20.0)
    clip = clip.slice(0, min(clip.num_frames, int(seconds * 20)))
    shot = CalibShot(window=0, fps=20.0, width=480, height=270, camera="dolly", seed=3, seconds=seconds)
    frames, _ = CalibRenderer().render(clip, shot)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_video(frames, path, 20.0)
    return path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--video", default=None, help="inspect this video instead of rendering one")
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots" / "forensics_pointcloud.png"))
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if "DISPLAY" not in os.environ:
        log.error("no X display: run under xvfb-run")
        return 2
    video = Path(args.video) if args.video else make_clip(ROOT / "out" / "forensics_screenshot.mp4")

    from PySide6.QtCore import QTimer

    app, win = open_studio()
    tab = win.forensics_tab
    t0 = time.monotonic()
    status = {"code": 0, "job": None}

    def step() -> None:
        if time.monotonic() - t0 > args.timeout:
            log.error("timed out")
            status["code"] = 1
            app.quit()
            return
        if status["job"] is None:
            win.centralWidget().setCurrentWidget(tab)
            status["job"] = tab.inspect(video)
            return QTimer.singleShot(1000, step)
        if not status["job"].state.finished:
            return QTimer.singleShot(500, step)
        tab.set_frame(40)
        QTimer.singleShot(2500, save)

    def save() -> None:
        save_screen(args.out)
        win.close()
        app.quit()

    QTimer.singleShot(1500, step)
    app.exec()
    return status["code"]


if __name__ == "__main__":
    sys.exit(main())
