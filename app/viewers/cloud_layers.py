"""Point-cloud layers for the point-cloud viewport: robust framing of clouds of any scale, a camera
path drawn as a time-coloured polyline with markers, and depth-tested compositing of several
point layers (each with its own splat size) through :func:`app.viewers.depth.render_points`.

Structure-from-motion results come in an arbitrary similarity frame (COLMAP's: one camera's
OpenCV frame, y down, unknown scale). :func:`normalize_scene` maps them to a canonical frame:
centred on the median, scaled so the ``percentile``-th distance is 1, and turned Y-up (x, -y, -z),
so the viewport's orbit camera frames every reconstruction the same way.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .depth import render_points

MAX_SAMPLES_PER_SEGMENT = 4096
_FLIP_CV = np.array([1.0, -1.0, -1.0])  # OpenCV camera frame (y down, z forward) -> Y up


@dataclass
class Layer:
    """One set of points drawn with ``point_px`` squares; ``line`` joins consecutive points into a
    polyline, sampled densely in screen space at render time so it stays unbroken at any zoom;
    ``on_top`` skips the depth test (a highlight that must stay visible)."""

    points: np.ndarray
    colors: np.ndarray
    point_px: int = 2
    line: bool = False
    on_top: bool = False


@dataclass(frozen=True)
class SceneFrame:
    """A similarity map ``(p - centre) * _FLIP / radius`` to the canonical, unit-radius, Y-up frame."""

    centre: np.ndarray
    radius: float
    flip_cv: bool = True

    def apply(self, points: np.ndarray) -> np.ndarray:
        p = (np.asarray(points, np.float64).reshape(-1, 3) - self.centre) / self.radius
        return p * _FLIP_CV if self.flip_cv else p


def robust_extent(points: np.ndarray, percentile: float = 90.0) -> tuple[np.ndarray, float]:
    """(median centre, ``percentile``-th distance from it) of the finite points; radius > 0."""
    p = np.asarray(points, np.float64).reshape(-1, 3)
    p = p[np.isfinite(p).all(1)]
    if len(p) == 0:
        return np.zeros(3), 1.0
    centre = np.median(p, axis=0)
    d = np.linalg.norm(p - centre, axis=1)
    radius = float(np.percentile(d, percentile))
    if not radius > 0:
        radius = float(d.max())
    if not radius > 0:  # a single point (or all identical): any positive scale that keeps floats sane
        radius = max(1e-9, 1e-3 * float(np.abs(centre).max()))
    return centre, radius


def robust_bounds(points: np.ndarray, percentile: float = 5.0) -> tuple[np.ndarray, np.ndarray]:
    """Per-axis (``percentile``, 100 - ``percentile``) box of the finite points: the extent to frame,
    ignoring stray points; a unit box around the origin when there are none."""
    p = np.asarray(points, np.float64).reshape(-1, 3)
    p = p[np.isfinite(p).all(1)]
    if len(p) == 0:
        return -np.ones(3), np.ones(3)
    lo, hi = np.percentile(p, [percentile, 100.0 - percentile], axis=0)
    return lo, hi


def normalize_scene(points: np.ndarray, centres: np.ndarray | None = None, percentile: float = 90.0,
                    flip_cv: bool = True) -> SceneFrame:
    """The :class:`SceneFrame` of a sparse cloud (the camera centres count too, so a path outside a
    small cloud still fits); use ``frame.apply`` on every array drawn with it."""
    parts = [np.asarray(points, np.float64).reshape(-1, 3)]
    if centres is not None:
        parts.append(np.asarray(centres, np.float64).reshape(-1, 3))
    centre, radius = robust_extent(np.concatenate(parts), percentile)
    return SceneFrame(centre=centre, radius=radius, flip_cv=flip_cv)


_COOL = cv2.applyColorMap(np.arange(256, dtype=np.uint8)[:, None], cv2.COLORMAP_COOL)[:, 0, ::-1].copy()


def time_colors(t: np.ndarray) -> np.ndarray:
    """Colours for times in [0, 1]: cyan (start) -> magenta (end), uint8 [N, 3]."""
    i = np.rint(np.clip(np.asarray(t, np.float64), 0.0, 1.0) * 255).astype(np.int64)
    return _COOL[i]


def interpolate_path(centres: np.ndarray, frames: np.ndarray, frame: float) -> np.ndarray | None:
    """Camera centre at ``frame`` by linear interpolation between the sampled ``frames`` (sorted);
    clamped to the ends; None for an empty path."""
    c = np.asarray(centres, np.float64).reshape(-1, 3)
    f = np.asarray(frames, np.float64).reshape(-1)
    if len(c) == 0 or len(f) != len(c):
        return None
    return np.array([np.interp(frame, f, c[:, k]) for k in range(3)])


def camera_path_layers(centres: np.ndarray, frames: np.ndarray | None = None, highlight: np.ndarray | None = None,
                       *, marker_px: int = 5, line_px: int = 2, highlight_px: int = 9) -> list[Layer]:
    """Layers showing a camera path: a polyline and a marker per camera, coloured by time
    (:func:`time_colors` over ``frames``, or the order), plus a white marker at ``highlight``
    drawn on top of everything."""
    c = np.asarray(centres, np.float64).reshape(-1, 3)
    layers: list[Layer] = []
    if len(c):
        f = np.arange(len(c), dtype=np.float64) if frames is None else np.asarray(frames, np.float64)
        span = f.max() - f.min()
        cols = time_colors((f - f.min()) / span if span > 0 else np.zeros(len(c)))
        if len(c) > 1:
            layers.append(Layer(c, cols, point_px=line_px, line=True))
        layers.append(Layer(c, cols, point_px=marker_px))
    if highlight is not None:
        h = np.asarray(highlight, np.float64).reshape(1, 3)
        layers.append(Layer(h, np.array([[255, 255, 255]], np.uint8), point_px=highlight_px, on_top=True))
    return layers


def sample_polyline(vertices: np.ndarray, colors: np.ndarray, K: np.ndarray, world_to_camera_cv: np.ndarray,
                    max_per_segment: int = MAX_SAMPLES_PER_SEGMENT) -> tuple[np.ndarray, np.ndarray]:
    """Points along a 3D polyline about one pixel apart on screen (colours interpolated), so that
    splatting them draws depth-tested lines; segments crossing behind the camera are capped."""
    v = np.asarray(vertices, np.float64).reshape(-1, 3)
    col = np.asarray(colors, np.float64).reshape(-1, 3)
    if len(v) < 2:
        return v, col.astype(np.uint8)
    m = np.asarray(world_to_camera_cv, np.float64)
    cam = v @ m[:3, :3].T + m[:3, 3]
    z = np.maximum(cam[:, 2], 1e-3)
    uv = np.stack([K[0, 0] * cam[:, 0] / z, K[1, 1] * cam[:, 1] / z], 1)
    seg_px = np.linalg.norm(np.diff(uv, axis=0), axis=1)
    counts = np.clip(np.nan_to_num(np.ceil(seg_px), nan=max_per_segment), 1, max_per_segment).astype(np.int64)
    seg = np.repeat(np.arange(len(v) - 1), counts)
    t = np.concatenate([np.arange(n) / n for n in counts])[:, None]
    pts = v[seg] * (1 - t) + v[seg + 1] * t
    cls = col[seg] * (1 - t) + col[seg + 1] * t
    pts, cls = np.r_[pts, v[-1:]], np.r_[cls, col[-1:]]
    return pts, np.clip(np.rint(cls), 0, 255).astype(np.uint8)


def render_layers(layers: list[Layer], K: np.ndarray, world_to_camera_cv: np.ndarray, width: int, height: int,
                  background=(0, 0, 0)) -> tuple[np.ndarray, np.ndarray]:
    """Draw every layer with its own splat size, the nearest surface winning across layers
    (ties go to the later layer): (RGB uint8 [H, W, 3], depth [H, W], 0 = empty)."""
    img = np.empty((height, width, 3), np.uint8)
    img[:] = np.asarray(background, np.uint8) if np.max(background) > 1 else np.rint(np.asarray(background) * 255)
    zbuf = np.zeros((height, width), np.float32)
    for layer in layers:
        pts, cols = layer.points, layer.colors
        if layer.line:
            pts, cols = sample_polyline(pts, cols, K, world_to_camera_cv)
        if len(pts) == 0:
            continue
        li, lz = render_points(pts, cols, K, world_to_camera_cv, width, height, point_px=layer.point_px)
        win = (lz > 0) & ((zbuf == 0) | (lz <= zbuf * 1.0001) | layer.on_top)
        img[win], zbuf[win] = li[win], lz[win]
    return img, zbuf
