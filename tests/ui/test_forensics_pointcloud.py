"""The Forensics tab's scene view: SfM points and camera path in the shared point-cloud viewport."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtGui import QImage

from app.ui.pointcloud_view import BACKGROUND

W, H = 240, 180


def _geometry(scale: float = 1.0, offset: float = 0.0):
    """A wall and a floor in COLMAP's frame (y down, z forward) and a camera dolly in front."""
    rng = np.random.default_rng(0)
    wall = np.c_[rng.uniform(-3, 3, 600), rng.uniform(-2, 1.5, 600), np.full(600, 5.0)]
    floor = np.c_[rng.uniform(-3, 3, 300), np.full(300, 1.5), rng.uniform(0, 5, 300)]
    pts = np.r_[wall, floor]
    centres = np.c_[np.linspace(-0.8, 0.8, 10), np.zeros(10), np.zeros(10)]
    return pts * scale + offset, rng.random((len(pts), 3)), centres * scale + offset


@pytest.fixture
def view(qtbot):
    from app.ui.forensics_widgets import SceneGeometryView
    v = SceneGeometryView()
    qtbot.addWidget(v)
    v.resize(W, H)
    yield v
    v.shutdown()


def _lit(img: np.ndarray) -> np.ndarray:
    return (img != np.array(BACKGROUND, np.uint8)).any(-1)


def _magenta_cyan(img: np.ndarray) -> tuple[int, int]:
    r, g, b = (img[..., k].astype(int) for k in range(3))
    return int(((r > 200) & (g < 60) & (b > 200)).sum()), int(((r < 60) & (g > 200) & (b > 200)).sum())


def test_renders_points_and_time_coloured_camera_path(view):
    pts, cols, cen = _geometry()
    view.set_geometry(pts, cols, cen, centre_frames=np.arange(10) * 4)
    img = view.render_image(W, H)
    assert view.message == "" and _lit(img).mean() > 0.03
    magenta, cyan = _magenta_cyan(img)
    assert magenta > 10 and cyan > 10  # the path's end and start markers
    view.set_geometry(pts, cols, np.zeros((0, 3)))
    assert _magenta_cyan(view.render_image(W, H)) < (magenta, cyan)


@pytest.mark.parametrize("scale,offset", [(1e-3, 0.02), (1e3, -5e4)])
def test_auto_framing_fits_any_scale(view, scale, offset):
    view.set_geometry(*_geometry())
    ref = _lit(view.render_image(W, H))
    view.set_geometry(*_geometry(scale, offset))
    lit = _lit(view.render_image(W, H))
    ys, xs = np.nonzero(lit)
    assert xs.max() - xs.min() > 0.4 * W and ys.max() - ys.min() > 0.3 * H  # fills the view ...
    assert lit[0].sum() + lit[-1].sum() + lit[:, 0].sum() + lit[:, -1].sum() < 0.05 * (2 * W + 2 * H)  # ... inside it
    assert (lit == ref).mean() > 0.99  # and the same picture as at unit scale


def test_highlight_follows_the_playback_frame(view):
    pts, cols, cen = _geometry()
    view.set_geometry(pts, cols, cen, centre_frames=np.arange(10) * 4)
    view.set_frame(0)
    assert np.allclose(view.highlight(), view.centres[0])
    first = view.render_image(W, H)
    view.set_frame(36)
    assert np.allclose(view.highlight(), view.centres[-1])
    assert not np.array_equal(view.render_image(W, H), first)
    white = (view.last_image >= 250).all(-1).sum()
    assert white > 50  # the highlight marker


def test_empty_geometry_shows_the_reason(view, qtbot):
    view.show()
    view.set_geometry(np.zeros((0, 3)), np.zeros((0, 3)), np.zeros((0, 3)), reason="static camera")
    assert view.message == "no 3D reconstruction: static camera"
    shot = view.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    arr = np.frombuffer(shot.constBits(), np.uint8, shot.height() * shot.bytesPerLine())
    arr = arr.reshape(shot.height(), shot.bytesPerLine())[:, :3 * shot.width()].reshape(shot.height(), -1, 3)
    assert (arr.min(-1) > 180).sum() > 30  # light text drawn on the dark background
    assert (arr == np.array(BACKGROUND, np.uint8)).all(-1).mean() > 0.8


def test_tab_passes_geometry_reason_and_frame(qtbot, engine):
    from app.ui.bridge import EngineBridge
    from app.ui.forensics_tab import ForensicsTab

    tab = ForensicsTab(EngineBridge(engine), use_colmap=False)
    qtbot.addWidget(tab)
    assert tab.cloud.message.startswith("no 3D reconstruction")
    pts, cols, cen = _geometry()
    cue = SimpleNamespace(reason="incremental SfM switched off")
    report = SimpleNamespace(geometry={"points": pts, "colors": cols, "centres": cen, "frame_indices": list(range(10))},
                             stages_done=["decode", "scene"], cues={"registered_share": cue})
    tab._show_geometry(report)
    assert len(tab.cloud.points) == len(pts) and tab.cloud.centre_frames is not None
    tab.frame = 7
    tab.cloud.set_frame(7)
    assert np.allclose(tab.cloud.highlight(), tab.cloud.centres[7])
    empty = SimpleNamespace(geometry={"points": np.zeros((0, 3)), "centres": np.zeros((0, 3)), "frame_indices": [0, 5]},
                            stages_done=["scene"], cues={"registered_share": cue})
    tab._show_geometry(empty)
    assert tab.cloud.message == "no 3D reconstruction: incremental SfM switched off"
    tab.shutdown()
