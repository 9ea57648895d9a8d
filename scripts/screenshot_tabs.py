#!/usr/bin/env python3
"""Screenshots of a generated motion (with its atom heat strip) and of the 2.5D and Multi-view tabs.

Run under an X display: xvfb-run -a -s "-screen 0 1600x900x24" .venv/bin/python scripts/screenshot_tabs.py
"""
from __future__ import annotations

import logging
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QTimer  # noqa: E402

from app.ui.app import make_application  # noqa: E402

OUT = ROOT / "docs" / "screenshots"


def main() -> int:
    logging.basicConfig(level=logging.INFO)
    app = make_application([])
    from app.ui.main_window import MainWindow

    win = MainWindow()
    win.setGeometry(app.primaryScreen().geometry())
    win.show()
    win.start(None)
    steps = [("wait_mesh", 0)]
    state = {"t": time.monotonic(), "i": 0}
    plan = [
        ("generate", 2.0), ("shot:studio_generated.png", 12.0),
        ("tab:2", 1.0), ("shot:studio_2p5d.png", 10.0),
        ("tab:3", 1.0), ("shot:studio_multiview.png", 10.0),
        ("quit", 1.0),
    ]

    def tick() -> None:
        now = time.monotonic()
        if state["i"] == 0:
            if win.vertices is None and now - state["t"] < 240:
                return
            state["i"], state["t"] = 1, now
            return
        action, delay = plan[state["i"] - 1]
        if now - state["t"] < delay:
            return
        state["t"] = now
        state["i"] += 1
        if action == "generate":
            panel = win.prompt_panel
            panel.text.setPlainText("a person walks forward; then jumps twice; then waves with the right hand")
            panel.generate()
        elif action.startswith("shot:"):
            subprocess.run(["import", "-window", "root", str(OUT / action[5:])], check=True, timeout=60)
        elif action.startswith("tab:"):
            win.centralWidget().setCurrentIndex(int(action[4:]))
        elif action == "quit":
            app.quit()

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(100)
    del steps
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
