"""The numpy vertex splatter: a person-shaped foreground on the background, nearest vertex wins."""
from __future__ import annotations

import numpy as np

from app.viewers.camera import Camera
from app.viewers.vertex_splat import splat_clip, splat_frame


def _capsule(n: int = 4000, seed: int = 0) -> np.ndarray:
    """Points on a vertical cylinder 1.7 m tall, 0.18 m radius (a standing body's proportions)."""
    rng = np.random.default_rng(seed)
    a, y = rng.uniform(0, 2 * np.pi, n), rng.uniform(0.0, 1.7, n)
    return np.stack([0.18 * np.cos(a), y, 0.18 * np.sin(a)], 1)


def test_person_shaped_foreground_on_background():
    cam = Camera(eye=(0.0, 0.85, 4.0), target=(0.0, 0.85, 0.0), fov_y_deg=30.0)
    bg = np.zeros((32, 32, 3), np.uint8)
    bg[..., 2] = 200
    verts = _capsule()
    rgb, mask = splat_frame(verts, np.tile([[1.0, 0.2, 0.1]], (len(verts), 1)), cam, bg)
    assert rgb.shape == (32, 32, 3) and mask.dtype == bool
    ys, xs = np.nonzero(mask)
    height, width = ys.max() - ys.min() + 1, xs.max() - xs.min() + 1
    assert height > 2.5 * width and height > 20                      # tall and narrow, mostly in frame
    assert abs(xs.mean() - 15.5) < 1.5                               # centred
    assert (rgb[~mask] == bg[~mask]).all()                           # background untouched outside
    assert rgb[mask][:, 0].mean() > 150 and rgb[mask][:, 2].mean() < 120


def test_nearest_vertex_wins_and_shading():
    cam = Camera(eye=(0.0, 0.0, 3.0), target=(0.0, 0.0, 0.0), fov_y_deg=30.0)
    bg = np.zeros((8, 8, 3), np.uint8)
    grid = np.stack(np.meshgrid(np.linspace(-0.2, 0.2, 30), np.linspace(-0.2, 0.2, 30)), -1).reshape(-1, 2)
    near = np.c_[grid, np.full(len(grid), 0.5)]
    far = np.c_[grid, np.zeros(len(grid))]
    cols = np.r_[np.tile([[0.0, 1.0, 0.0]], (len(near), 1)), np.tile([[1.0, 0.0, 0.0]], (len(far), 1))]
    for order in (np.r_[near, far], np.r_[far, near]):
        c = cols if order[0, 2] == 0.5 else cols[::-1]
        rgb, mask = splat_frame(order, c, cam, bg)
        assert mask[4, 4] and rgb[4, 4, 1] > 200 and rgb[4, 4, 0] < 30
    normals = np.tile([[0.0, 0.0, 1.0]], (len(near), 1))
    lit, _ = splat_frame(near, np.ones((len(near), 3)), cam, bg, normals=normals)
    dark, _ = splat_frame(near, np.ones((len(near), 3)), cam, bg, normals=-normals)
    assert lit[4, 4].mean() > dark[4, 4].mean() > 0


def test_splat_clip_stacks_frames():
    cam = Camera(eye=(0.0, 0.85, 4.0), target=(0.0, 0.85, 0.0), fov_y_deg=30.0)
    verts = np.stack([_capsule(800), _capsule(800) + [0.3, 0.0, 0.0]])
    rgb, masks = splat_clip(verts, np.ones((800, 3)), [cam, cam], np.zeros((16, 16, 3), np.uint8))
    assert rgb.shape == (2, 16, 16, 3) and masks.shape == (2, 16, 16)
    assert np.nonzero(masks[1])[1].mean() > np.nonzero(masks[0])[1].mean()
