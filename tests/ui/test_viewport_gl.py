"""GL-dependent viewport checks: the render thread's mesh picture and the offscreen video export."""
from __future__ import annotations

import numpy as np
import pytest

from app.ui.render_thread import RenderRequest
from app.ui.studio_tasks import prepare_clip
from ui_fakes import FakeBody, make_clip

pytestmark = pytest.mark.gl


@pytest.fixture(scope="module")
def gl_ok():
    try:
        from app.viewers.mesh_renderer import MeshRenderer
        MeshRenderer(32, 32).close()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"no offscreen GL: {exc}")
    return True


def _box(centre, size=(0.4, 1.6, 0.3)):
    c, s = np.asarray(centre, np.float32), np.asarray(size, np.float32) / 2
    v = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], np.float32) * s + c
    f = np.array([[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
                  [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]], np.int32)
    return v, f


def test_viewport_renders_mesh_in_its_thread(qtbot, gl_ok):
    from app.ui.scene_render import gl_renderer_factory
    from app.ui.viewport import Viewport

    vp = Viewport(gl_renderer_factory)
    qtbot.addWidget(vp)
    vp.resize(320, 240)
    vp.show()
    qtbot.waitExposed(vp)
    lc = prepare_clip(make_clip(10))
    vp.set_motion(lc.joints, lc.clip.skeleton.parents, lc.contacts)
    verts, faces = _box(lc.joints[0, 0])
    vp.set_mesh(np.repeat(verts[None], 10, axis=0), faces)
    vp.set_preset("front")
    qtbot.waitUntil(lambda: vp.image is not None and vp.thread.idle(), timeout=20000)
    img = vp.image
    centre = img.pixelColor(img.width() // 2, img.height() // 2)
    corner = img.pixelColor(3, 3)
    assert abs(centre.red() - corner.red()) + abs(centre.green() - corner.green()) > 60  # the body is drawn
    vp.shutdown()


def test_render_request_sizes(gl_ok):
    from app.ui.scene_render import gl_renderer_factory
    from app.viewers.camera import OrbitCamera

    render, close = gl_renderer_factory()
    try:
        verts, faces = _box((0, 0.9, 0))
        for w, h in ((64, 48), (96, 64)):
            rgb = render(RenderRequest(0, w, h, OrbitCamera().to_camera(), verts, faces))
            assert rgb.shape == (h, w, 3) and rgb.dtype == np.uint8
    finally:
        close()


def test_export_video_offscreen(qtbot, gl_ok, engine, settings, tmp_path):
    from app.ui.main_window import MainWindow
    from app.ui.scene_render import painter_renderer_factory

    win = MainWindow(engine=engine, settings=settings, renderer_factory=painter_renderer_factory,
                     bodies={"anny": None})
    win.quiet_errors = True
    qtbot.addWidget(win)  # never shown: the export needs no visible window
    win.set_loaded(prepare_clip(make_clip(8)))
    body = FakeBody()
    win.body = body
    win.vertices = body.pose(win.clip, range(8))
    for name in ("clip.mp4", "clip.gif"):
        with qtbot.waitSignal(win.bridge.jobFinished, timeout=60000):
            job = win.files.export_video(tmp_path / name, size=(160, 120))
        assert job.error is None and (tmp_path / name).stat().st_size > 0
    assert not win.isVisible()
    win.close()
