#!/usr/bin/env python3
"""Screenshot of the 2.5D tab after "Generate (IDOL)" (run under Xvfb):

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python scripts/screenshot_idol.py

With no ``--model`` a tiny random-weight IDOL model (the tests' ``tiny`` preset, 16 px) is saved in
a temporary folder, so the picture shows the tab's layout, not what a trained model generates.
Saves docs/screenshots/tab_2p5d_idol.png (or ``--out``).
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

from PySide6.QtCore import QTimer  # noqa: E402

from screenshot_util import open_studio, save_screen  # noqa: E402

log = logging.getLogger("screenshot")


def tiny_model(folder: Path) -> Path:
    from app.engine.idol.config import IDOL_TINY
    from app.engine.idol.pipeline import IdolPipeline

    return IdolPipeline.from_config(IDOL_TINY).save_pretrained(folder / "model", info={"steps": 0})


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=None, help="IDOL model folder (default: a tiny random-weight one)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots" / "tab_2p5d_idol.png"))
    parser.add_argument("--background", default="room")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--frame", type=int, default=10, help="timeline frame to pause on")
    parser.add_argument("--exact", action="store_true", help="tick 'Show exact render' before the shot")
    parser.add_argument("--timeout", type=float, default=400.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    model = Path(args.model) if args.model else tiny_model(Path(tempfile.mkdtemp(prefix="idol-shot-")))
    studio = open_studio()
    if studio is None:
        return 2
    app, win = studio
    tab = win.tab_2p5d
    t0 = time.monotonic()
    status = {"code": 0, "stage": "wait body"}

    def fail(msg: str) -> None:
        log.error("%s", msg)
        status["code"] = 1
        app.quit()

    def step() -> None:
        if time.monotonic() - t0 > args.timeout:
            return fail(f"timed out at stage {status['stage']}")
        stage = status["stage"]
        if stage == "wait body":
            if win.body is None or win.vertices is None:
                return QTimer.singleShot(500, step)
            win.timeline.pause()
            win.centralWidget().setCurrentWidget(tab)
            tab.idol.set_model_dir(model)
            tab.idol.background.setCurrentText(args.background)
            tab.idol.seed.setValue(args.seed)
            if tab.idol.generate() is None:
                return fail(f"generation rejected: {tab.idol.info.text()}")
            status["stage"] = "generating"
        elif stage == "generating":
            if tab.idol.result is None:
                if tab.idol.info.text().startswith(("IDOL failed", "IDOL generation cancelled")):
                    return fail(tab.idol.info.text())
                return QTimer.singleShot(500, step)
            win.timeline.set_frame(args.frame)
            tab.idol.show_exact.setChecked(args.exact)
            status["stage"] = "shot"
            return QTimer.singleShot(3000, step)
        elif stage == "shot":
            save_screen(args.out)
            win.close()
            app.quit()
            return None
        QTimer.singleShot(500, step)

    QTimer.singleShot(1500, step)
    app.exec()
    return status["code"]


if __name__ == "__main__":
    sys.exit(main())
