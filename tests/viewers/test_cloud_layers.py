"""Point-cloud layers: robust framing, camera-path geometry and depth-tested layer compositing."""
from __future__ import annotations

import numpy as np

from app.viewers.camera import Camera
from app.viewers.cloud_layers import (Layer, camera_path_layers, interpolate_path, normalize_scene, render_layers,
                                      robust_bounds, robust_extent, sample_polyline, time_colors)

W, H = 120, 90
CAM = Camera(eye=(0.0, 0.0, 4.0), target=(0.0, 0.0, 0.0), fov_y_deg=40.0)
K, M = CAM.intrinsics(W, H), CAM.world_to_camera_cv()


def test_robust_extent_ignores_outliers_and_degenerate_input():
    rng = np.random.default_rng(0)
    pts = np.r_[rng.normal(5.0, 1.0, (1000, 3)), [[1e6, 1e6, 1e6]], [[np.nan, 0, 0]]]
    centre, radius = robust_extent(pts)
    assert np.allclose(centre, 5.0, atol=0.15) and 1.5 < radius < 3.0
    assert robust_extent(np.zeros((0, 3)))[1] == 1.0
    assert robust_extent(np.ones((4, 3)))[1] > 0


def test_normalize_scene_is_scale_and_offset_invariant_and_turns_y_up():
    rng = np.random.default_rng(1)
    pts, cen = rng.normal(0, 1, (300, 3)), np.c_[np.linspace(-1, 1, 5), np.zeros(5), np.zeros(5)]
    ref = normalize_scene(pts, cen).apply(pts)
    for scale, offset in ((1e-3, 7.0), (1e3, -2e4)):
        f = normalize_scene(pts * scale + offset, cen * scale + offset)
        assert np.allclose(f.apply(pts * scale + offset), ref, atol=1e-6)
    frame = normalize_scene(pts)
    down = frame.apply(frame.centre + np.array([0.0, frame.radius, 0.0]))  # OpenCV y points down
    assert np.allclose(down, [[0.0, -1.0, 0.0]])


def test_time_colors_and_interpolated_path():
    c = time_colors(np.array([0.0, 1.0]))
    assert c.dtype == np.uint8 and tuple(c[0]) != tuple(c[1]) and c[0, 1] > 200 and c[1, 0] > 200  # cyan, magenta
    centres = np.array([[0.0, 0, 0], [1.0, 0, 0], [1.0, 2.0, 0]])
    assert np.allclose(interpolate_path(centres, [0, 10, 20], 5), [0.5, 0, 0])
    assert np.allclose(interpolate_path(centres, [0, 10, 20], 99), [1.0, 2.0, 0])
    assert interpolate_path(np.zeros((0, 3)), [], 3) is None


def test_polyline_is_sampled_about_one_pixel_apart():
    verts = np.array([[-1.0, 0, 0], [1.0, 0, 0]])
    pts, cols = sample_polyline(verts, np.array([[0, 255, 255], [255, 0, 255]]), K, M)
    span_px = 2.0 * K[0, 0] / 4.0
    assert span_px <= len(pts) <= span_px + 3 and cols.dtype == np.uint8
    img, _ = render_layers([Layer(verts, np.array([[0, 255, 255], [255, 0, 255]]), 1, line=True)], K, M, W, H)
    row = img[int(round(K[1, 2]))]
    lit = np.nonzero(row.any(-1))[0]
    assert len(lit) == lit.max() - lit.min() + 1 >= span_px - 1  # an unbroken line
    assert row[lit[0], 0] < row[lit[-1], 0]  # colour interpolated along it


def test_layers_are_depth_tested_across_layers():
    near = Layer(np.array([[0.0, 0.0, 1.0]]), np.array([[255, 0, 0]]), point_px=5)
    far = Layer(np.array([[0.0, 0.0, -1.0]]), np.array([[0, 255, 0]]), point_px=9)
    for order in ([near, far], [far, near]):
        img, z = render_layers(order, K, M, W, H, background=(10, 10, 10))
        cy, cx = int(round(K[1, 2])), int(round(K[0, 2]))
        assert tuple(img[cy, cx]) == (255, 0, 0) and abs(z[cy, cx] - 3.0) < 1e-4
        assert tuple(img[cy, cx + 4]) == (0, 255, 0)  # the bigger far square shows around the near one
        assert tuple(img[0, 0]) == (10, 10, 10)
    far.on_top = True
    img, _ = render_layers([near, far], K, M, W, H)
    assert tuple(img[int(round(K[1, 2])), int(round(K[0, 2]))]) == (0, 255, 0)  # no depth test for it


def test_camera_path_layers():
    cen = np.c_[np.arange(4.0), np.zeros(4), np.zeros(4)]
    layers = camera_path_layers(cen, [0, 3, 6, 9], highlight=cen[1])
    assert [lay.line for lay in layers] == [True, False, False]
    assert tuple(layers[-1].colors[0]) == (255, 255, 255) and layers[-1].point_px > layers[1].point_px
    assert layers[-1].on_top and not layers[1].on_top
    assert tuple(layers[1].colors[0]) != tuple(layers[1].colors[-1])
    assert camera_path_layers(np.zeros((0, 3))) == []


def test_robust_bounds_drop_stray_points():
    rng = np.random.default_rng(2)
    pts = np.r_[rng.uniform(-1, 1, (2000, 3)), [[50.0, 50.0, 50.0]] * 5]
    lo, hi = robust_bounds(pts)
    assert np.all(lo > -1) and np.all(lo < -0.8) and np.all(hi < 1) and np.all(hi > 0.8)
