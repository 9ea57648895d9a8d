"""Side-by-side samples: 2-4 generated samples play in sync in the viewport; a click selects one.

Tiny random-weight ATOM pipeline with a fake text encoder (as test_prompt_panel.py), the 2D
painter renderer and a fake body.
"""
from __future__ import annotations


import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from app.ui.sample_compare import MIN_LANE_SPACING, lane_offsets, pose_stride
from app.ui.scene_render import build_scene, painter_render
from app.ui.studio_tasks import prepare_clip

from ui_fakes import FakeJointBody, generate_in_panel, make_clip


@pytest.fixture
def win(t2m_window):
    return t2m_window


def _generate(qtbot, panel, samples: int):
    return generate_in_panel(qtbot, panel, "a person walks forward", 2.0, samples, timeout_ms=20000)


def test_lane_layout_never_overlaps():
    a = np.zeros((10, 22, 3))
    b = np.zeros((10, 22, 3))
    b[:, :, 0] = np.linspace(0, 3, 10)[:, None]  # drifts 3 m sideways
    off = lane_offsets([a, b, a])
    gaps = np.diff(off[:, 0])
    assert np.all(gaps >= 3.0 + 0.6) and abs(off[:, 0].mean()) < 1e-9
    assert np.all(np.diff(lane_offsets([a, a])[:, 0]) >= MIN_LANE_SPACING)
    assert pose_stride(120, 4) == 1 and pose_stride(1200, 4) == 4


def test_four_samples_side_by_side_click_selects(qtbot, win):
    panel, vp = win.prompt_panel, win.viewport
    samples = _generate(qtbot, panel, 4)
    assert len(vp.lanes) == 4 and vp.lane_selected == 0 and win.clip is samples[0].clip
    assert panel.side_by_side.isVisible() and not any(t.isVisible() for t in panel.thumbs)
    xs = [lane.offset[0] + s.joints[0, 0, 0] for lane, s in zip(vp.lanes, samples)]
    assert np.all(np.diff(xs) >= MIN_LANE_SPACING - 1e-9)  # lanes left to right, sample 1 first
    req = vp.make_request()
    assert len(req.extras) == 3 and req.offset is not None
    np.testing.assert_allclose(req.joints + req.offset, vp.lanes[0].frame_joints(req.frame), atol=1e-5)
    # all four skeletons are drawn in sync at the same frame
    scene = build_scene(req)
    assert len(scene.joints) == 88 and len(scene.parents) == 88 and scene.parents[22] == -1
    win.timeline.pause()
    win.timeline.set_frame(17)
    req = vp.make_request()
    assert req.frame == 17
    np.testing.assert_allclose(req.extras[1][1], samples[2].joints[17] + vp.lanes[2].offset, atol=1e-5)
    img = painter_render(req)
    assert img.shape == (req.height, req.width, 3)
    vp.grab()  # paints labels without error
    rects = vp.lane_label_rects()
    assert len(rects) == 4 and all(not r.isEmpty() for r in rects)
    assert [r.center().x() for r in rects] == sorted(r.center().x() for r in rects)
    # click sample 3's label: it becomes the current clip; history and lanes stay
    history = len(panel.history)
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=rects[2].center().toPoint())
    assert win.clip is samples[2].clip and panel.current.selected == 2 and vp.lane_selected == 2
    assert panel.sample_buttons.button(2).isChecked() and panel.thumbs[2].selected
    assert len(panel.history) == history and len(vp.lanes) == 4
    # a click on a body (not its label) selects too
    f = vp.shown_frame if vp.shown_frame >= 0 else vp.frame
    uv, _ = vp.camera_for_frame(f).project(vp.lanes[1].frame_joints(f)[[0]], vp.width(), vp.height())
    assert vp.lane_at(vp.lane_label_rects()[1].center()) == 1   # labels as laid out now (the view may reframe on a click)
    assert vp.lane_at(QPointF(*uv[0])) == 1
    # side by side off: one body and the thumbnails; on again: four lanes
    panel.side_by_side.setChecked(False)
    assert vp.lanes == [] and all(t.isVisible() for t in panel.thumbs)
    panel.side_by_side.setChecked(True)
    assert len(vp.lanes) == 4 and vp.lane_selected == 2
    # opening another clip leaves side-by-side mode
    win.set_loaded(prepare_clip(make_clip()))
    assert vp.lanes == [] and vp.make_request().extras == []


def test_side_lanes_get_posed_bodies(qtbot, win):
    panel, vp = win.prompt_panel, win.viewport
    win.body = FakeJointBody()
    samples = _generate(qtbot, panel, 3)
    qtbot.waitUntil(lambda: all(lane.vertices is not None for lane in vp.lanes), timeout=20000)
    qtbot.waitUntil(lambda: vp.vertices is not None, timeout=20000)
    assert len(vp.lanes) == 3 and vp.lanes[1].vertices.shape == (samples[1].clip.num_frames, 4, 3)
    req = vp.make_request()
    assert all(v is not None and v.shape == (4, 3) for v, _ in req.extras)
    scene = build_scene(req)
    assert scene.vertices.shape == (12, 3) and scene.faces.shape == (6, 3) and scene.faces.max() == 11
    assert build_scene(vp.make_request()).faces is scene.faces  # same topology array every frame
    # the selected body sits in its lane
    np.testing.assert_allclose(scene.vertices[:4], req.vertices + vp.lanes[0].offset, atol=1e-5)
    fi = min(req.frame, samples[1].clip.num_frames - 1)
    np.testing.assert_allclose(scene.vertices[4:8], vp.lanes[1].vertices[fi] + vp.lanes[1].offset, atol=1e-5)
    assert scene.body_splits == (4, 4, 4)  # one shadow per body
    # a new body shape re-poses the side lanes after the window's own re-pose
    job, old = panel.compare.job, vp.lanes[1].vertices
    win.body_panel.set_phenotype({**win.body_panel.phenotype(), "height": 0.9})
    win.request_skin()
    qtbot.waitUntil(lambda: dict(panel.compare._posed_key[2])["height"] == pytest.approx(0.9), timeout=20000)
    assert panel.compare.job is not job and not np.allclose(vp.lanes[1].vertices, old)


@pytest.mark.gl
def test_gl_renders_one_shadow_per_body():
    """Side-by-side bodies rendered as one mesh still get a ground shadow each."""
    try:
        from app.viewers.mesh_renderer import MeshRenderer
        renderer = MeshRenderer(160, 120)
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"no offscreen OpenGL: {exc}")
    from app.ui.render_thread import RenderRequest
    from app.viewers.camera import preset

    box = np.array([[x, y, z] for x in (-0.2, 0.2) for y in (0.0, 1.7) for z in (-0.1, 0.1)], np.float32)
    faces = np.array([[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
                      [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]])
    joints = np.zeros((22, 3), np.float32) + [0, 0.9, 0]
    extras = [(box + [1.5 * k, 0, 0], joints + [1.5 * k, 0, 0]) for k in (1, 2)]
    req = RenderRequest(0, 160, 120, preset("front", np.r_[box, box + [3.0, 0, 0]]).to_camera(), box, faces,
                        joints, tuple(range(-1, 21)), flags={"shadow": True, "grid": False}, extras=extras)
    try:
        rgb = renderer.render(build_scene(req), req.camera)
        shadows = [n for n in renderer._nodes if n.startswith("shadow")]
        assert sorted(shadows) == ["shadow", "shadow1", "shadow2"] and rgb.shape == (120, 160, 3)
        single = RenderRequest(**{**req.__dict__, "extras": []})
        renderer.render(build_scene(single), single.camera)
        assert [n for n in shadows if renderer._nodes[n].mesh.is_visible] == ["shadow"]
    finally:
        renderer.close()
