"""Per-tab fixes: the Prompt panel (and Body, timeline) leave the Forensics tab and come back; the timeline
stays under the 2.5D tab, which plays along; the depth view's colour scale in metres; the viewport's
textured body; a readable prompt placeholder on the dark theme; tabs read the shared StudioState."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtGui import QColor, QPalette

from conftest import gl_available
from ui_fakes import FakeBody, make_window


@pytest.fixture
def win(qtbot, engine, settings):
    w = make_window(qtbot, engine, settings)
    yield w
    w.close()


def _tab(win, title: str) -> None:
    tabs = win.centralWidget()
    tabs.setCurrentIndex([tabs.tabText(i) for i in range(tabs.count())].index(title))


def test_prompt_panel_leaves_the_forensics_tab_and_comes_back(qtbot, win):
    assert win.prompt_panel.isVisible() and win.timeline.isVisible()
    _tab(win, "Forensics")
    assert win.state.tab == "Forensics"
    assert not win.prompt_panel.isVisible() and not win.body_panel.isVisible()
    assert not win.timeline.isVisible() and win.jobs_panel.isVisible()
    _tab(win, "Studio")
    qtbot.waitUntil(lambda: win.prompt_panel.isVisible(), timeout=3000)
    assert win.timeline.isVisible()
    assert win.prompt_panel.toggleViewAction().isChecked() and win.body_panel.toggleViewAction().isChecked()
    # a panel the user closed stays closed
    win.prompt_panel.close()
    _tab(win, "Forensics")
    _tab(win, "2.5D")
    assert not win.prompt_panel.isVisible() and win.timeline.isVisible()


def test_tabs_read_the_shared_state(win):
    assert win.tab_2p5d.source is win.state and win.tab_multiview.source is win.state
    win.vertices, win.faces = np.zeros((3, 4, 3), np.float32), np.zeros((2, 3), np.int32)
    assert win.state.vertices is win.vertices and win.state.faces is win.faces


def test_textured_body_toggle_in_view_menu_and_body_panel(qtbot, win):
    act = win.actions_.textured
    view_menu = [m for m in win.menuBar().actions() if m.text() == "&View"][0].menu()
    assert act in view_menu.actions() and act.isChecked() and win.viewport.flags["textured"]
    assert "2.5D" in act.toolTip()  # says what it is and why one might turn it off
    box = win.body_panel.checkboxes["textured"]
    box.setChecked(False)
    assert not act.isChecked() and not win.viewport.flags["textured"]
    body = FakeBody()
    win._body_ready(body)
    assert win.viewport.body is body and win.viewport.make_request().body is body


def test_body_look_tiles_the_texture_over_side_by_side_bodies():
    from app.ui.render_thread import RenderRequest
    from app.ui.scene_render import BodyLook
    from app.viewers.scene import FrameScene

    tex = SimpleNamespace(texture=np.zeros((4, 4, 3), np.uint8), uv=np.zeros((5, 2), np.float32),
                          uv_faces=np.array([[0, 1, 2], [2, 3, 4]], np.uint32),
                          vertex_index=np.array([0, 1, 2, 3, 3], np.int64))
    calls = []
    renderer = SimpleNamespace(set_texture=lambda *a: calls.append(("set", a)),
                               clear_texture=lambda: calls.append(("clear",)))
    look = BodyLook()
    look._texture_of = lambda body: tex if body is not None else None
    body = object()
    two = FrameScene(vertices=np.zeros((8, 3), np.float32), faces=np.zeros((4, 3), np.int32), body_splits=(4, 4))
    req = RenderRequest(0, 8, 8, None, flags={"textured": True}, body=body)
    assert look.apply(renderer, req, two)
    _, (_, uv, uv_faces, vidx) = calls[-1]
    assert len(uv) == 10 and uv_faces.max() == 9 and list(vidx) == [0, 1, 2, 3, 3, 4, 5, 6, 7, 7]
    assert look.apply(renderer, req, two) and len(calls) == 1  # unchanged: no re-upload
    req.flags["textured"] = False
    assert not look.apply(renderer, req, two) and calls[-1] == ("clear",)
    small = FrameScene(vertices=np.zeros((3, 3), np.float32), faces=np.zeros((1, 3), np.int32))
    req.flags["textured"] = True  # a mesh the texture does not fit (another body): clay, no crash
    assert not look.apply(renderer, req, small)


@pytest.mark.skipif(not gl_available(), reason="no offscreen OpenGL")
def test_viewport_draws_the_texture(monkeypatch):
    from app.ui.render_thread import RenderRequest
    from app.ui.scene_render import BodyLook, gl_renderer_factory
    from app.viewers.camera import OrbitCamera

    v = np.array([[-0.5, 0.4, 0], [0.5, 0.4, 0], [0.5, 1.4, 0], [-0.5, 1.4, 0]], np.float32)
    f = np.array([[0, 1, 2], [0, 2, 3]], np.int32)
    red = np.zeros((8, 8, 3), np.uint8)
    red[..., 0] = 230
    tex = SimpleNamespace(texture=red, uv=np.array([[0, 0], [1, 0], [1, 1], [0, 1]], np.float32),
                          uv_faces=f.astype(np.uint32), vertex_index=np.arange(4))
    monkeypatch.setattr(BodyLook, "_texture_of", lambda self, body: tex if body is not None else None)
    render, close = gl_renderer_factory()
    try:
        cam = OrbitCamera(target=(0.0, 0.9, 0.0), pitch=0.0, distance=2.5).to_camera()
        flags = {"grid": False, "shadow": False, "textured": True}
        textured = render(RenderRequest(0, 64, 64, cam, v, f, flags=flags, body=object()))
        clay = render(RenderRequest(0, 64, 64, cam, v, f, flags={**flags, "textured": False}, body=object()))
    finally:
        close()
    r, g, b = (int(c) for c in textured[32, 32])
    assert r > 2 * g and r > 2 * b  # the red texture
    r, g, b = (int(c) for c in clay[32, 32])
    assert abs(r - g) < 40 and abs(g - b) < 40  # clay is greyish


def test_prompt_placeholder_is_readable_on_the_dark_theme():
    from app.ui.app import dark_palette

    def luminance(c: QColor) -> float:
        return 0.2126 * c.redF() + 0.7152 * c.greenF() + 0.0722 * c.blueF()

    pal = dark_palette()
    base, text = pal.color(QPalette.ColorRole.Base), pal.color(QPalette.ColorRole.Text)
    hint = pal.color(QPalette.ColorRole.PlaceholderText)
    assert hint.alpha() == 255
    assert luminance(hint) - luminance(base) > 0.35  # clearly visible on the field ...
    assert luminance(hint) < luminance(text) - 0.1   # ... and still reads as a hint, not text


@pytest.mark.skipif(not gl_available(), reason="no offscreen OpenGL")
def test_2p5d_tab_plays_with_the_timeline_and_has_a_depth_scale(qtbot, win):
    from ui_fakes import make_clip
    from app.ui.studio_tasks import prepare_clip

    win.body = FakeBody()
    win.set_loaded(prepare_clip(make_clip(60)))
    qtbot.waitUntil(lambda: win.vertices is not None, timeout=20000)
    _tab(win, "2.5D")
    tab = win.tab_2p5d
    assert win.timeline.isVisible()  # the transport is under the 2.5D tab too
    qtbot.waitUntil(lambda: tab.shown_frame >= 0, timeout=20000)
    shown = set()
    tab._frames.thread.signals.imageReady.connect(lambda _img, req: shown.add(req.frame))
    win.timeline.set_loop(True)
    win.timeline.play()
    qtbot.waitUntil(lambda: len(shown) >= 3, timeout=30000)  # frames follow playback, not only a paused one
    win.timeline.pause()
    scale = tab.depth_scale
    assert scale.shown and scale.near < scale.far
    labels = scale.tick_labels()
    assert len(labels) == scale.TICKS and all(t.endswith(" m") for t in labels)
    d = tab.depth[tab.depth > 0]
    assert scale.near <= d.min() and d.max() <= scale.far  # the scale covers what the image shows
    assert "metres" in scale.toolTip()
