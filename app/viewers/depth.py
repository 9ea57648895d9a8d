"""Depth images: colour maps, 16-bit PNG I/O, point clouds from depth and parallax re-projection.

Depth is metric distance along the viewing axis (OpenCV camera z, metres), 0 where
nothing was drawn, as :meth:`MeshRenderer.render_with_depth` returns it. Cameras
are given as ``K`` (3x3, pixel centres on integers) and ``world_to_camera_cv``
(4x4) matrices, see :mod:`app.viewers.camera`.
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path

import cv2
import numpy as np

from app.core.errors import InvalidInputError

MM_PER_M = 1000.0
MAX_MM = 65535


def depth_to_mm(depth: np.ndarray) -> np.ndarray:
    """Metres -> uint16 millimetres (0 stays 0 = no depth; clipped at 65.535 m)."""
    d = np.nan_to_num(np.asarray(depth, np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    return np.clip(np.rint(d * MM_PER_M), 0, MAX_MM).astype(np.uint16)


def write_depth_png(path: str | Path, depth: np.ndarray) -> Path:
    """Write depth (metres [H, W]) as a 16-bit grey PNG in millimetres, atomically."""
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.{uuid.uuid4().hex[:6]}.partial.png")
    if not cv2.imwrite(str(tmp), depth_to_mm(depth)):
        tmp.unlink(missing_ok=True)
        raise InvalidInputError(f"{path.name}: could not write a PNG in {path.parent}")
    os.replace(tmp, path)
    return path


def read_depth_png(path: str | Path) -> np.ndarray:
    """A 16-bit millimetre PNG back to metres (float32 [H, W])."""
    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if img is None or img.dtype != np.uint16 or img.ndim != 2:
        raise InvalidInputError(f"{Path(path).name}: not a 16-bit single-channel depth PNG")
    return img.astype(np.float32) / MM_PER_M


def depth_range(depths, percentile: float = 0.5, pad: float = 0.05) -> tuple[float, float]:
    """(near, far) in metres covering the valid depths of one or many frames, robust to outliers."""
    arrays = depths if isinstance(depths, (list, tuple)) else [depths]
    vals = np.concatenate([np.asarray(d, np.float32)[np.asarray(d) > 0].ravel()[::7] for d in arrays])
    if vals.size == 0:
        return 0.5, 5.0
    near, far = np.percentile(vals, [percentile, 100 - percentile])
    return max(1e-3, float(near) - pad), float(far) + pad


_TURBO = cv2.applyColorMap(np.arange(256, dtype=np.uint8)[:, None], cv2.COLORMAP_TURBO)[:, 0, ::-1].copy()


def colorize_depth(depth: np.ndarray, near: float, far: float) -> np.ndarray:
    """Depth -> RGB uint8 [H, W, 3] (turbo: near red, far blue; no depth black), the IDOL-style
    "depth as an RGB image" representation. Decode with :func:`decode_depth`."""
    d = np.asarray(depth, np.float32)
    t = np.clip((far - d) / max(far - near, 1e-6), 0.0, 1.0)
    out = _TURBO[np.rint(t * 255).astype(np.uint8)]
    out[d <= 0] = 0
    return out


def decode_depth(rgb: np.ndarray, near: float, far: float) -> np.ndarray:
    """Approximate inverse of :func:`colorize_depth` (nearest colour on the map; black -> 0)."""
    img = np.asarray(rgb, np.float32)[..., :3]
    flat = img.reshape(-1, 3)
    lut = _TURBO.astype(np.float32)
    # |a-b|^2 = a^2 - 2ab + b^2 over the 256 map entries, in blocks to bound memory
    idx = np.empty(len(flat), np.int64)
    for s in range(0, len(flat), 65536):
        block = flat[s:s + 65536]
        dist = (block ** 2).sum(1)[:, None] - 2 * block @ lut.T + (lut ** 2).sum(1)[None]
        idx[s:s + 65536] = dist.argmin(1)
    t = idx.reshape(img.shape[:2]) / 255.0
    depth = (far - t * (far - near)).astype(np.float32)
    depth[img.max(-1) < 8] = 0.0
    return depth


def camera_to_world(world_to_camera_cv: np.ndarray) -> np.ndarray:
    return np.linalg.inv(np.asarray(world_to_camera_cv, np.float64))


def unproject(depth: np.ndarray, K: np.ndarray, world_to_camera_cv: np.ndarray | None = None,
              rgb: np.ndarray | None = None, stride: int = 1) -> tuple[np.ndarray, np.ndarray | None]:
    """Point cloud from depth: world points [N, 3] float32 (camera frame when no extrinsics) and colours."""
    d = np.asarray(depth, np.float32)[::stride, ::stride]
    h, w = d.shape
    vs, us = np.nonzero(d > 0)
    z = d[vs, us].astype(np.float64)
    u, v = us * stride, vs * stride
    x = (u - K[0, 2]) / K[0, 0] * z
    y = (v - K[1, 2]) / K[1, 1] * z
    pts = np.stack([x, y, z], 1)
    if world_to_camera_cv is not None:
        c2w = camera_to_world(world_to_camera_cv)
        pts = pts @ c2w[:3, :3].T + c2w[:3, 3]
    cols = None if rgb is None else np.asarray(rgb)[::stride, ::stride][vs, us]
    return pts.astype(np.float32), cols


def render_points(points: np.ndarray, colors: np.ndarray, K: np.ndarray, world_to_camera_cv: np.ndarray,
                  width: int, height: int, background=(0, 0, 0), point_px: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Z-buffered point splatting: (RGB uint8 [H, W, 3], depth [H, W] metres, 0 = empty).

    Each point covers a ``point_px`` x ``point_px`` square; the nearest point wins.
    """
    pts = np.asarray(points, np.float64).reshape(-1, 3)
    m = np.asarray(world_to_camera_cv, np.float64)
    cam = pts @ m[:3, :3].T + m[:3, 3]
    z = cam[:, 2]
    ok = z > 1e-3
    cam, z = cam[ok], z[ok]
    col = np.asarray(colors).reshape(-1, 3)[ok]
    u = np.rint(K[0, 0] * cam[:, 0] / z + K[0, 2]).astype(np.int64)
    v = np.rint(K[1, 1] * cam[:, 1] / z + K[1, 2]).astype(np.int64)
    img = np.empty((height, width, 3), np.uint8)
    img[:] = np.asarray(background, np.uint8) if np.max(background) > 1 else np.rint(np.asarray(background) * 255)
    zbuf = np.zeros((height, width), np.float32)
    order = np.argsort(-z)  # far first; later (nearer) writes win
    u, v, z, col = u[order], v[order], z[order], col[order]
    r = max(1, int(point_px))
    for dy in range(r):
        for dx in range(r):
            uu, vv = u + dx - r // 2, v + dy - r // 2
            inside = (uu >= 0) & (uu < width) & (vv >= 0) & (vv < height)
            img[vv[inside], uu[inside]] = col[inside]
            zbuf[vv[inside], uu[inside]] = z[inside]
    return img, zbuf


def reproject(rgb: np.ndarray, depth: np.ndarray, K: np.ndarray, src_world_to_camera: np.ndarray,
              dst_world_to_camera: np.ndarray, background: np.ndarray | None = None,
              fill_holes: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Warp an RGB-D frame to another camera (same K): the "2.5D" parallax effect.

    Pixels with depth are forward-splatted with a z-buffer; the background image (or
    the source image where depth is 0) fills what nothing lands on; small cracks are
    closed with a 3x3 nearest fill.
    """
    h, w = depth.shape
    pts, cols = unproject(depth, K, src_world_to_camera, rgb)
    base = np.asarray(background if background is not None else np.where((depth > 0)[..., None], 0, rgb), np.uint8)
    out, zbuf = render_points(pts, cols, K, dst_world_to_camera, w, h)
    hit = zbuf > 0
    if fill_holes:
        dil = cv2.dilate(out, np.ones((3, 3), np.uint8))
        zd = cv2.dilate(zbuf, np.ones((3, 3), np.uint8))
        crack = ~hit & (zd > 0) & (cv2.erode(hit.astype(np.uint8), np.ones((3, 3), np.uint8), iterations=1) == 0)
        crack &= cv2.blur(hit.astype(np.float32), (3, 3)) > 0.4
        out[crack], zbuf[crack] = dil[crack], zd[crack]
        hit |= crack
    result = np.where(hit[..., None], out, base)
    return result.astype(np.uint8), zbuf


def wobble_matrix(world_to_camera_cv: np.ndarray, phase: float, amplitude: float = 0.03,
                  pivot_depth: float = 3.0) -> np.ndarray:
    """A camera moved on a small circle (``amplitude`` metres) in its image plane, turned to keep
    looking at the point ``pivot_depth`` metres ahead (the classic 2.5D wobble)."""
    m = np.asarray(world_to_camera_cv, np.float64)
    c2w = np.linalg.inv(m)
    offset_cam = np.array([amplitude * np.cos(phase), amplitude * 0.5 * np.sin(phase), 0.0])
    eye = c2w[:3, 3] + c2w[:3, :3] @ offset_cam
    pivot = c2w[:3, 3] + c2w[:3, 2] * pivot_depth
    fwd = pivot - eye
    fwd /= np.linalg.norm(fwd)
    down = c2w[:3, 1]
    right = np.cross(down, fwd)
    right /= np.linalg.norm(right)
    down = np.cross(fwd, right)
    r = np.stack([right, down, fwd])  # rows: camera axes in world
    out = np.eye(4)
    out[:3, :3], out[:3, 3] = r, -r @ eye
    return out
