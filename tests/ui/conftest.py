"""Qt tests run on the offscreen platform; the studio's settings go to a temporary file."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402

from app.engine.jobs import Engine  # noqa: E402
from ui_fakes import make_clip  # noqa: E402


@pytest.fixture
def settings(tmp_path) -> QSettings:
    return QSettings(str(tmp_path / "studio.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def engine():
    eng = Engine().start()
    yield eng
    eng.stop()


@pytest.fixture
def clip():
    return make_clip()


def gl_available() -> bool:
    try:
        from app.viewers.gl_platform import configure
        return configure() is not None
    except Exception:  # noqa: BLE001
        return False
