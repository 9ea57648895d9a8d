"""Shared bits of the screenshot scripts: start the studio on the X display and grab the screen."""
from __future__ import annotations

import logging
import os
import subprocess
from pathlib import Path

log = logging.getLogger("screenshot")


def open_studio(prepare_body: bool = True):
    """(QApplication, MainWindow) shown full screen and started, or None without an X display."""
    if "DISPLAY" not in os.environ:
        log.error("no X display: run under xvfb-run")
        return None
    from app.ui.app import make_application
    from app.ui.main_window import MainWindow

    app = make_application([])
    win = MainWindow()
    win.setGeometry(app.primaryScreen().geometry())
    win.show()
    win.start(None, prepare_body=prepare_body)
    return app, win


def save_screen(path: str | Path) -> Path:
    """The whole X screen as a PNG (ImageMagick's `import`)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["import", "-window", "root", str(out)], check=True, timeout=60)
    log.info("saved %s", out)
    return out


def start_generation(panel, prompt: str, seconds: float | None, seed: int, samples: int = 4) -> str | None:
    """Fill the prompt panel (seconds None: Duration 'Auto') and press Generate; None when started, else the error."""
    panel.text.setPlainText(prompt)
    panel.seconds.setValue(seconds)
    panel.seed.setValue(seed)
    panel.samples.setValue(samples)
    return None if panel.generate() is not None else f"generation rejected: {panel.last_error}"
