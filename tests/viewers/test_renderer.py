"""Offscreen mesh renderer (needs EGL or OSMesa; skipped cleanly without a GL platform)."""
from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import pytest
import trimesh

from app.core.skeleton import SMPL22_PARENTS, SMPL22_REST_POSITIONS
from app.viewers.camera import Camera, preset
from app.viewers.scene import FrameScene

pytestmark = pytest.mark.gl
REFERENCE = Path(__file__).parent / "reference" / "studio_160x120.png"
BG = (0.30, 0.33, 0.38)


@pytest.fixture(scope="module")
def renderer():
    try:
        from app.viewers.mesh_renderer import MeshRenderer

        r = MeshRenderer(160, 120)
    except Exception as exc:  # noqa: BLE001 - any failure to get a context means: no GL here
        pytest.skip(f"no offscreen OpenGL: {exc}")
    yield r
    r.close()


@pytest.fixture(scope="module")
def body():
    c = trimesh.creation.capsule(height=1.2, radius=0.25, count=[32, 32])
    v = np.asarray(c.vertices, np.float32)[:, [0, 2, 1]]
    v[:, 1] += 0.85  # stands on y = 0, 1.7 m tall
    return v, np.ascontiguousarray(np.asarray(c.faces)[:, [0, 2, 1]])


@pytest.fixture(scope="module")
def joints():
    j = SMPL22_REST_POSITIONS.copy()
    j[:, 1] -= j[:, 1].min() - 0.01
    return j


def _bg_u8():
    return np.round(np.asarray(BG) * 255)


def test_body_in_centre_background_elsewhere(renderer, body):
    v, f = body
    renderer.resize(160, 120)
    cam = preset("front", v, aspect=160 / 120).to_camera()
    img = renderer.render(FrameScene(vertices=v, faces=f, show_grid=False, show_shadow=False, background=BG), cam)
    assert img.shape == (120, 160, 3) and img.dtype == np.uint8 and img.flags["C_CONTIGUOUS"]
    centre = img[55:65, 75:85].reshape(-1, 3).mean(0)
    assert centre.min() > 150 and centre[0] >= centre[2]          # light, warm body colour
    for corner in (img[:5, :5], img[:5, -5:], img[-5:, :5], img[-5:, -5:]):
        np.testing.assert_allclose(corner.reshape(-1, 3), np.tile(_bg_u8(), (25, 1)), atol=1)
    # the body is upright and centred: its columns are symmetric about the middle
    mask = np.abs(img.astype(int) - _bg_u8()).sum(-1) > 30
    cols = np.flatnonzero(mask.any(0))
    assert abs((cols.min() + cols.max()) / 2 - 79.5) <= 1.5
    assert mask.sum(0).max() > 60


def test_depth_is_metric(renderer):
    renderer.resize(160, 120)
    quad = np.array([[-1, -1, 0], [1, -1, 0], [1, 1, 0], [-1, 1, 0]], np.float32)
    scene = FrameScene(vertices=quad, faces=np.array([[0, 1, 2], [0, 2, 3]]), show_grid=False, show_shadow=False)
    cam = Camera(eye=(0.0, 0.0, 3.0), target=(0.0, 0.0, 0.0), fov_y_deg=30.0)
    rgb, depth = renderer.render_with_depth(scene, cam)
    assert depth.shape == (120, 160) and depth.dtype == np.float32
    assert abs(depth[60, 80] - 3.0) < 0.01
    uv, _ = cam.project(quad * 0.5, 160, 120)                     # inside the quad, in view
    for u, v in np.round(uv).astype(int):
        assert abs(depth[v, u] - 3.0) < 0.01                      # fronto-parallel: same axial depth
    assert depth[0, 0] == 0.0 and depth[-1, -1] == 0.0            # background
    np.testing.assert_array_equal(rgb, renderer.render(scene, cam))
    tilted = Camera(eye=(2.0, 1.0, 2.5), target=(0.0, 0.0, 0.0), fov_y_deg=30.0)
    _, d2 = renderer.render_with_depth(scene, tilted)
    uv, z = tilted.project(np.array([[0.3, -0.2, 0.0]]), 160, 120)
    u, v = np.round(uv[0]).astype(int)
    assert abs(d2[v, u] - z[0]) < 0.01


def test_depth_shows_the_body_but_not_ground_decals(renderer, body, joints):
    v, f = body
    renderer.resize(160, 120)
    cam = preset("front", v, aspect=160 / 120).to_camera()
    scene = FrameScene(vertices=v, faces=f, joints=joints, parents=SMPL22_PARENTS,
                       contacts=np.array([True, True, True, True]))
    rgb, depth = renderer.render_with_depth(scene, cam)
    body_px = depth > 0
    assert 300 < body_px.sum() < 0.5 * depth.size
    eye_dist = np.linalg.norm(np.asarray(cam.eye) - np.asarray(cam.target))
    assert abs(np.median(depth[body_px]) - eye_dist) < 0.5
    ground = np.abs(rgb[100:].astype(int) - _bg_u8()).sum(-1) > 10   # grid lines below the horizon
    assert (ground & ~body_px[100:]).sum() > 20 and (depth[100:][ground & ~body_px[100:]] == 0).all()


def test_left_side_of_the_body_appears_on_the_right_in_front_view(renderer, joints):
    renderer.resize(160, 120)
    cam = preset("front", joints, aspect=160 / 120).to_camera()
    img = renderer.render(FrameScene(joints=joints, parents=SMPL22_PARENTS, show_grid=False,
                                     show_shadow=False), cam).astype(int)
    blue = (img[..., 2] - img[..., 0]) > 60                       # left joints are blue
    red = (img[..., 0] - img[..., 2]) > 60                        # right joints are red
    assert blue.sum() > 30 and red.sum() > 30
    assert np.flatnonzero(blue.any(0)).mean() > 80 > np.flatnonzero(red.any(0)).mean()


def test_reference_image(renderer, body, joints):
    v, f = body
    renderer.resize(160, 120)
    cam = preset("front", v, aspect=160 / 120).to_camera()
    scene = FrameScene(vertices=v, faces=f, joints=joints, parents=SMPL22_PARENTS,
                       contacts=np.array([True, True, False, True]))
    img = renderer.render(scene, cam)
    import imageio.v3 as iio

    if os.environ.get("UPDATE_REFERENCE") == "1":
        REFERENCE.parent.mkdir(parents=True, exist_ok=True)
        iio.imwrite(REFERENCE, img)
    assert REFERENCE.exists(), "reference image missing: run with UPDATE_REFERENCE=1"
    ref = iio.imread(REFERENCE)
    assert ref.shape == img.shape
    diff = np.abs(ref.astype(float) - img.astype(float)).mean()
    assert diff < 2.0, f"render differs from {REFERENCE.name} by {diff:.2f} grey levels on average"


def test_scene_changes_between_frames_are_drawn(renderer, body, joints):
    v, f = body
    renderer.resize(160, 120)
    cam = preset("front", v, aspect=160 / 120).to_camera()
    plain = dict(show_grid=False, show_shadow=False)
    a = renderer.render(FrameScene(vertices=v, faces=f, **plain), cam)
    b = renderer.render(FrameScene(vertices=v + [0.4, 0.0, 0.0], faces=f, **plain), cam)   # moved right
    mask = lambda im: np.abs(im.astype(int) - _bg_u8()).sum(-1) > 30  # noqa: E731
    assert np.flatnonzero(mask(b).any(0)).mean() > np.flatnonzero(mask(a).any(0)).mean() + 5
    hidden = renderer.render(FrameScene(vertices=v, faces=f, show_body=False, **plain), cam)
    assert not mask(hidden).any()
    # a different topology replaces the GPU mesh
    s = trimesh.creation.icosphere(subdivisions=2, radius=0.3)
    c = renderer.render(FrameScene(vertices=np.asarray(s.vertices, np.float32) + [0, 1, 0], faces=s.faces,
                                   **plain), cam)
    assert 0 < mask(c).sum() < mask(a).sum()
    grid = renderer.render(FrameScene(vertices=v, faces=f, show_shadow=False), cam)
    assert mask(grid).sum() > mask(a).sum()                       # grid lines add pixels


def test_resize_and_thread_ownership(renderer, body):
    v, f = body
    cam = preset("front", v).to_camera()
    renderer.resize(64, 48)
    assert renderer.render(FrameScene(vertices=v, faces=f), cam).shape == (48, 64, 3)
    errors = []
    t = threading.Thread(target=lambda: errors.append(
        pytest.raises(RuntimeError, renderer.render, FrameScene(vertices=v, faces=f), cam)))
    t.start()
    t.join()
    assert errors and "thread" in str(errors[0].value)
    with pytest.raises(ValueError):
        renderer.resize(0, 10)
    renderer.resize(160, 120)


def test_multisampling_and_close(renderer, body):
    from app.viewers.mesh_renderer import MeshRenderer

    v, f = body
    with MeshRenderer(80, 60, samples=4) as r:
        img = r.render(FrameScene(vertices=v, faces=f), preset("front", v).to_camera())
        assert img.shape == (60, 80, 3) and img.std() > 5
    r.close()  # idempotent
    with pytest.raises(RuntimeError):
        r.render(FrameScene(vertices=v, faces=f), preset("front", v).to_camera())


def test_gl_platform_override_env(renderer):
    import subprocess
    import sys

    from app.viewers import gl_platform

    if not gl_platform.osmesa_usable():
        pytest.skip("OSMesa not installed")
    code = ("from app.viewers.mesh_renderer import MeshRenderer; r = MeshRenderer(8, 8); "
            "print(r.info['platform'], r.render.__self__ is r); r.close()")
    env = {k: v for k, v in os.environ.items() if k != "PYOPENGL_PLATFORM"}
    env["ACTION_STUDIO_GL"] = "osmesa"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.split() == ["osmesa", "True"], out.stderr[-500:]
