"""A fast numpy renderer for small clips: posed mesh vertices splatted with a z-buffer.

No OpenGL: each vertex of the posed body is projected with the :class:`Camera`, shaded with
its own colour (e.g. sampled from the body texture) times a Lambert term, and written as a
small square splat into a supersampled frame; per pixel the nearest vertex wins (a
z-buffer built with ``np.minimum.at``, no ordering assumption on numpy's repeated-index assignment).  The
supersampled frame is box-filtered down to the target size, which anti-aliases the edges and
closes the gaps between vertices.  At 32 x 32 (supersample 2) a 13.7k-vertex body takes a few
ms per frame on one core, against about 20 ms for the OpenGL textured renderer.
"""
from __future__ import annotations

import numpy as np

from app.viewers.camera import Camera

AMBIENT = 0.45


def lambert(normals: np.ndarray, camera: Camera, ambient: float = AMBIENT) -> np.ndarray:
    """Per-vertex brightness [V] in [ambient, 1] for a light over the camera's shoulder."""
    right, up, forward = camera.basis()
    light = -forward + 0.6 * up + 0.3 * right
    light = light / np.linalg.norm(light)
    return (ambient + (1.0 - ambient) * np.clip(np.asarray(normals) @ light, 0.0, 1.0)).astype(np.float32)


def splat_frame(vertices: np.ndarray, colors: np.ndarray, camera: Camera, background: np.ndarray, *,
                normals: np.ndarray | None = None, supersample: int = 2, radius: int = 2
                ) -> tuple[np.ndarray, np.ndarray]:
    """One frame: (RGB uint8 [H, W, 3], person coverage mask bool [H, W]).

    ``vertices`` [V, 3] world metres; ``colors`` [V, 3] in [0, 1]; ``background`` uint8
    [H, W, 3] fixes the output size; ``normals`` [V, 3] (optional) adds Lambert shading;
    ``radius``: splat side in supersampled pixels.
    """
    bg = np.asarray(background)
    h, w = bg.shape[:2]
    s = max(1, int(supersample))
    hs, ws = h * s, w * s
    col = np.asarray(colors, np.float32)
    right, up, forward = camera.basis()
    if normals is not None:
        light = -forward + 0.6 * up + 0.3 * right
        light /= np.linalg.norm(light)
        col = col * (AMBIENT + (1.0 - AMBIENT) * np.clip(np.asarray(normals) @ light, 0.0, 1.0))[:, None]
    rel = np.asarray(vertices, np.float64) - np.asarray(camera.eye, float)
    depth = rel @ forward
    f = camera.focal_px(hs)
    ok = depth > camera.znear
    rel, depth, col = rel[ok], depth[ok], col[ok]
    u = f * (rel @ right) / depth + (ws - 1) / 2.0
    v = -f * (rel @ up) / depth + (hs - 1) / 2.0
    bx = np.floor(u + 0.5 - 0.5 * (radius - 1)).astype(np.int64)
    by = np.floor(v + 0.5 - 0.5 * (radius - 1)).astype(np.int64)
    oy, ox = np.divmod(np.arange(radius * radius), radius)
    px = (bx[None, :] + ox[:, None]).ravel()
    py = (by[None, :] + oy[:, None]).ravel()
    z = np.tile(depth, radius * radius)
    c = np.tile(col, (radius * radius, 1))
    inside = (px >= 0) & (px < ws) & (py >= 0) & (py < hs)
    lin, z, c = (py * ws + px)[inside], z[inside], c[inside]
    zbuf = np.full(hs * ws, np.inf)
    np.minimum.at(zbuf, lin, z)                          # z-buffer: nearest depth per pixel
    win = z <= zbuf[lin]                                 # the nearest splat(s) of each covered pixel
    img = np.repeat(np.repeat(bg.astype(np.float32) / 255.0, s, 0), s, 1).reshape(-1, 3)
    cover = np.zeros(hs * ws, np.float32)
    img[lin[win]] = c[win]                               # exact depth ties are interchangeable
    cover[lin[win]] = 1.0
    img = img.reshape(h, s, w, s, 3).mean((1, 3))
    cover = cover.reshape(h, s, w, s).mean((1, 3))
    return np.rint(np.clip(img, 0, 1) * 255).astype(np.uint8), cover >= 0.5


def splat_clip(vertices: np.ndarray, colors: np.ndarray, cameras: list[Camera], backgrounds: np.ndarray, *,
               faces: np.ndarray | None = None, supersample: int = 2, radius: int = 2
               ) -> tuple[np.ndarray, np.ndarray]:
    """Frames of a clip: vertices [T, V, 3], one camera and background [T, H, W, 3] (or one
    [H, W, 3]) per frame; ``faces`` enables shading.  Returns (RGB [T, H, W, 3], masks [T, H, W])."""
    from app.viewers.scene import compute_vertex_normals

    verts = np.asarray(vertices)
    bgs = np.asarray(backgrounds)
    rgb, masks = [], []
    for t in range(len(verts)):
        normals = compute_vertex_normals(verts[t], faces) if faces is not None else None
        bg = bgs[t] if bgs.ndim == 4 else bgs
        a, m = splat_frame(verts[t], colors, cameras[t], bg, normals=normals, supersample=supersample,
                           radius=radius)
        rgb.append(a)
        masks.append(m)
    return np.stack(rgb), np.stack(masks)
