#!/usr/bin/env python3
"""Studio playback benchmark: frames the viewport actually shows per second at 1280x720.

Opens the real main window (run under an X display; `make bench` uses xvfb-run), loads the default
CMU clip resampled to 60 fps (so the clip rate does not cap the figure at 30), waits for the Anny mesh,
plays for DURATION seconds and prints the shown-frame rate, the render time, and how often the
viewport lowered its internal resolution to keep up.
Usage: xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python bench/bench_playback.py
"""
from __future__ import annotations

import logging
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QTimer  # noqa: E402

from app.core.motion_io import load_motion, save_motion  # noqa: E402
from app.ui.app import make_application  # noqa: E402

DURATION = 10.0
SIZE = (1280, 720)


def main() -> int:
    logging.basicConfig(level=logging.WARNING)
    app = make_application([])
    from app.ui.main_window import MainWindow

    tmp = Path(tempfile.mkdtemp()) / "clip60.npz"
    save_motion(load_motion(ROOT / "assets" / "motions" / "default.npz").resample(60.0), tmp)
    win = MainWindow()
    win.resize(1800, 1100)
    win.show()
    win.viewport.setFixedSize(*SIZE)
    win.start(tmp)
    shown: list[float] = []
    scales: list[float] = []
    state = {"t0": None, "deadline": time.monotonic() + 300}

    def on_image(_img, req) -> None:
        if state["t0"] is not None:
            shown.append(time.monotonic())
            scales.append(win.viewport.render_scale)

    win.viewport.thread.signals.imageReady.connect(on_image)

    def tick() -> None:
        now = time.monotonic()
        if state["t0"] is None:
            if win.vertices is not None or getattr(win.viewport, "vertices", None) is not None:
                win.timeline.play()
                state["t0"] = now
            elif now > state["deadline"]:
                print("body mesh never arrived", file=sys.stderr)
                app.exit(1)
        elif now - state["t0"] >= DURATION:
            app.exit(0)

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(50)
    code = app.exec()
    win.close()
    if code or not shown:
        return 1
    span = shown[-1] - shown[0]
    fps = (len(shown) - 1) / span if span > 0 else 0.0
    full = sum(1 for s in scales if s >= 0.999) / len(scales)
    print(f"viewport {SIZE[0]}x{SIZE[1]}, Anny mesh, 60 fps clip, {DURATION:.0f} s of playback")
    print(f"shown frames per second: {fps:.1f}")
    print(f"render thread average: {win.viewport.thread.avg_ms:.1f} ms per frame")
    print(f"frames at full resolution: {full * 100:.0f}% (lowest scale {min(scales):.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
