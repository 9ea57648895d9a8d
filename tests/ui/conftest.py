"""Qt tests run on the offscreen platform; the studio's settings go to a temporary file."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402

from app.engine.jobs import Engine  # noqa: E402
from t2m_fakes import tiny_pipeline  # noqa: E402
from ui_fakes import make_clip, make_window  # noqa: E402


@pytest.fixture
def settings(tmp_path) -> QSettings:
    return QSettings(str(tmp_path / "studio.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def engine():
    eng = Engine().start()
    yield eng
    eng.stop()


@pytest.fixture(scope="module")
def tiny_pipe():
    """A tiny random-weight ATOM pipeline with a fake text encoder."""
    return tiny_pipeline()


@pytest.fixture
def t2m_window(qtbot, engine, settings, tiny_pipe):
    """A studio window whose 'atom' model is the tiny pipeline (restored afterwards)."""
    from app.engine.tasks import generate_task as gt

    gt.register_pipeline("atom", tiny_pipe)
    w = make_window(qtbot, engine, settings)
    yield w
    w.close()
    gt.register_pipeline("atom", None)


@pytest.fixture
def clip():
    return make_clip()


def gl_available() -> bool:
    try:
        from app.viewers.gl_platform import configure
        return configure() is not None
    except Exception:  # noqa: BLE001
        return False
