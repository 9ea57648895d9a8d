"""Depth utilities (colour map, 16-bit PNG, point clouds, parallax) and the textured 2.5D mesh renderer."""
from __future__ import annotations

import numpy as np
import pytest

from app.viewers.camera import Camera
from app.viewers.depth import (colorize_depth, decode_depth, depth_range, depth_to_mm, read_depth_png,
                               render_points, reproject, unproject, wobble_matrix, write_depth_png)


def _ramp() -> np.ndarray:
    d = np.zeros((30, 40), np.float32)
    d[5:25, 8:32] = np.linspace(2.0, 2.6, 24)[None]
    return d


def test_depth_png_roundtrip_in_millimetres(tmp_path):
    d = _ramp()
    path = write_depth_png(tmp_path / "d.png", d)
    back = read_depth_png(path)
    assert back.dtype == np.float32 and back.shape == d.shape
    assert np.abs(back - d).max() <= 0.0005 + 1e-6
    assert (back[d == 0] == 0).all()
    assert depth_to_mm(np.array([70.0, -1.0, np.nan]))[0] == 65535
    assert list(depth_to_mm(np.array([70.0, -1.0, np.nan]))[1:]) == [0, 0]


def test_colour_map_decodes_back():
    d = _ramp()
    near, far = depth_range(d)
    assert near < 2.0 < 2.6 < far
    vis = colorize_depth(d, near, far)
    assert vis.dtype == np.uint8 and (vis[d == 0] == 0).all()
    assert vis[15, 8, 0] > vis[15, 31, 0]  # nearer is redder
    back = decode_depth(vis, near, far)
    assert np.abs(back - d)[d > 0].max() < (far - near) / 255 * 1.5


def test_unproject_then_render_points_is_identity():
    d = _ramp()
    cam = Camera(eye=(0.3, 1.0, 3.0), target=(0.0, 0.9, 0.0))
    k, m = cam.intrinsics(40, 30), cam.world_to_camera_cv()
    rgb = np.dstack([np.uint8(d * 90)] * 3)
    pts, cols = unproject(d, k, m, rgb)
    assert len(pts) == int((d > 0).sum())
    img, z = render_points(pts, cols, k, m, 40, 30)
    assert np.allclose(z, d, atol=1e-4)
    assert (img == rgb).all()


def test_reproject_moves_near_pixels_more_than_far():
    d = np.zeros((40, 60), np.float32)
    d[10:30, 10:20] = 1.0   # near block
    d[10:30, 40:50] = 4.0   # far block
    rgb = np.zeros((40, 60, 3), np.uint8)
    rgb[d == 1.0] = (255, 0, 0)
    rgb[d == 4.0] = (0, 255, 0)
    m = np.eye(4)
    k = np.array([[50.0, 0, 29.5], [0, 50.0, 19.5], [0, 0, 1]])
    moved = wobble_matrix(m, 0.0, amplitude=0.1, pivot_depth=1e6)  # pure sideways shift
    out, z = reproject(rgb, d, k, m, moved)
    red_cols = np.nonzero((out[..., 0] == 255).any(0))[0]
    green_cols = np.nonzero((out[..., 1] == 255).any(0))[0]
    shift_near = abs(red_cols.mean() - 14.5)
    shift_far = abs(green_cols.mean() - 44.5)
    assert shift_near > 3 * shift_far and shift_near == pytest.approx(5.0, abs=1.0)
    assert (z > 0).sum() == pytest.approx((d > 0).sum(), rel=0.1)


@pytest.mark.gl
def test_textured_renderer_depth_mask_and_backdrops():
    from app.viewers.textured import Backdrop, compose_albedo
    try:
        from app.viewers.textured import TexturedMeshRenderer
        r = TexturedMeshRenderer(64, 48)
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"no offscreen OpenGL: {exc}")
    try:
        import trimesh

        box = trimesh.creation.box((0.6, 1.6, 0.4))
        verts = np.asarray(box.vertices, np.float32) + [0.0, 0.85, 0.0]
        faces = np.asarray(box.faces, np.int32)
        uv = np.c_[(verts[:, 0] + 0.3) / 0.6, verts[:, 1] / 1.7].astype(np.float32)
        tex = compose_albedo(np.full((8, 8, 3), 128, np.uint8), uv, faces, np.ones(len(faces), int),
                             (0.8, 0.6, 0.5), top=(1.0, 0.0, 0.0), size=64)
        r.set_texture(tex, uv, faces, np.arange(len(verts)))
        cam = Camera(eye=(0.0, 0.9, 4.0), target=(0.0, 0.9, 0.0))
        rgb, depth, mask = r.render_frame(verts, faces, cam, Backdrop("color", color=(0.0, 0.0, 1.0)))
        assert mask.any() and (depth[mask] > 3.7).all() and (depth[mask] < 3.9).all()
        centre = rgb[24, 32].astype(int)
        assert centre[0] > 2 * centre[2]  # the red "top" texture, lit
        assert (rgb[~mask][:, 2] > 200).all()  # blue background outside the person
        img = np.zeros((48, 64, 3), np.uint8)
        img[..., 1] = 200
        rgb2, _, mask2 = r.render_frame(verts, faces, cam, Backdrop("image", image=img))
        assert (mask2 == mask).all() and (rgb2[~mask2][:, 1] == 200).all()
        rgb3, depth3, mask3 = r.render_frame(verts, faces, cam, Backdrop("scene"))
        assert (depth3 > 0).sum() > mask3.sum()  # the ground and wall have depth but are not the person
        assert abs(int(mask3.sum()) - int(mask.sum())) <= 0.05 * mask.sum()
    finally:
        r.close()
